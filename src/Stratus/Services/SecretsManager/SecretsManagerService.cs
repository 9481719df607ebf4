using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Lambda;

namespace Stratus.Services.SecretsManager;

/// <summary>A service that manages secrets of its own (RDS's master user secrets) and applies a rotated value where it is used.</summary>
public interface ISecretOwner
{
    /// <summary>Makes <paramref name="newSecretString"/> the live credential (RDS: the master user's password) before it becomes AWSCURRENT.</summary>
    Task ApplyRotationAsync(Scope scope, Secret secret, string newSecretString, CancellationToken cancellation);

    /// <summary>A new value for the secret, made from its current one (RDS: a new password, the username kept).</summary>
    string RotatedValue(string currentSecretString);
}

/// <summary>
/// Secrets Manager: secrets with their versions and staging labels, tags, resource policies and scheduled
/// deletion, written through to the store. Values are sealed (AES-GCM) under a key of Stratus's, bound to
/// the secret's ARN and version id, and never kept or returned in clear text outside GetSecretValue.
/// </summary>
public sealed partial class SecretsManagerService
{
    private readonly ResourceTable<Secret> _secrets;
    private readonly TimeProvider _clock;
    private readonly SealingKey _key;
    private readonly ConcurrentDictionary<string, ISecretOwner> _owners = new(StringComparer.Ordinal);
    // Creates of one name are checked and added under this lock, so two cannot both succeed.
    private readonly Lock _naming = new();

    /// <param name="dataDir">Where the key file lives; null (ephemeral) keeps the key in memory only.</param>
    /// <param name="lambda">Runs rotation functions; without it RotateSecret rotates only secrets another service owns.</param>
    public SecretsManagerService(StateStore store, TimeProvider clock, string? dataDir, ILambdaInvoker? lambda = null, ILogger? logger = null)
    {
        _clock = clock;
        _lambda = lambda;
        _logger = logger ?? NullLogger.Instance;
        _schedule = lambda is null ? null : clock.CreateTimer(_ => RotateDueSecretsOnSchedule(), null, ScheduleInterval, ScheduleInterval);
        _secrets = new ResourceTable<Secret>(store, "secretsmanager.secrets");
        _key = SealingKey.FromFile(dataDir is null ? null : Path.Combine(dataDir, "secretsmanager.key"));
    }

    private DateTimeOffset Now => _clock.GetUtcNow();

    /// <summary>Lets a service rotate the secrets it owns (OwningService) on RotateSecret.</summary>
    public void RegisterOwner(string service, ISecretOwner owner) => _owners[service] = owner;

    private static string Key(Scope scope, string name) => ResourceTable<Secret>.Key(scope.AccountId, scope.Region, name);

    /// <summary>AWS's ARN: the name and a hyphen with six random characters, so a re-created name has a new ARN.</summary>
    private static string NewArn(Scope scope, string name) =>
        $"arn:aws:secretsmanager:{scope.Region}:{scope.AccountId}:secret:{name}-{RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 6)}";

    // ---- secrets ----

    public (Secret Secret, SecretVersion? Version) Create(Scope scope, CreateSecretRequest request)
    {
        SecretsManagerRules.CheckName(request.Name);
        SecretsManagerRules.CheckTags(request.Tags);
        var versionId = SecretsManagerRules.VersionId(request.ClientRequestToken);
        lock (_naming)
        {
            if (Stored(scope, request.Name) is { } existing)
                throw existing.IsScheduledForDeletion ? SecretsManagerErrors.NameScheduledForDeletion() : SecretsManagerErrors.SecretExists(request.Name);
            var now = Now;
            var arn = NewArn(scope, request.Name);
            SecretVersion? version = request.Value.IsEmpty ? null : Seal(arn, versionId, request.Value, [SecretsManagerRules.Current], request.KmsKeyId);
            var secret = new Secret
            {
                Name = request.Name,
                Arn = arn,
                Description = request.Description,
                KmsKeyId = request.KmsKeyId,
                Tags = request.Tags,
                Versions = version is null ? [] : [version],
                Created = now,
                LastChanged = now,
                OwningService = request.OwningService,
            };
            _secrets.Put(Key(scope, request.Name), secret);
            return (secret, version);
        }
    }

    /// <summary>A secret by name, full ARN or partial ARN (the ARN without its random suffix), whether live or scheduled for deletion.</summary>
    public Secret Find(Scope scope, string secretId)
    {
        if (!secretId.StartsWith("arn:", StringComparison.Ordinal)) return Stored(scope, secretId) ?? throw SecretsManagerErrors.SecretNotFound();
        var parts = secretId.Split(':', 7);
        if (parts.Length != 7 || parts[2] != "secretsmanager" || parts[5] != "secret" || parts[3] != scope.Region || parts[4] != scope.AccountId)
            throw SecretsManagerErrors.SecretNotFound();
        var named = parts[6];
        var exact = Stored(scope, named);
        if (exact is not null && (exact.Arn == secretId || !HasArnSuffix(named))) return exact;
        // A full ARN: the name is what precedes the hyphen and six characters.
        if (HasArnSuffix(named) && Stored(scope, named[..^7]) is { } suffixed && suffixed.Arn == secretId) return suffixed;
        throw SecretsManagerErrors.SecretNotFound();
    }

    private static bool HasArnSuffix(string name) => name.Length > 7 && name[^7] == '-';

    /// <summary>A live secret: one scheduled for deletion refuses the operation as AWS does.</summary>
    public Secret Live(Scope scope, string secretId)
    {
        var secret = Find(scope, secretId);
        return secret.IsScheduledForDeletion ? throw SecretsManagerErrors.MarkedForDeletion() : secret;
    }

    /// <summary>The stored secret, with one whose recovery window has passed removed for good first.</summary>
    private Secret? Stored(Scope scope, string name)
    {
        var key = Key(scope, name);
        var secret = _secrets.Get(key);
        if (secret?.DeletionDate is { } due && due <= Now)
        {
            _secrets.Remove(key);
            return null;
        }
        return secret;
    }

    public IReadOnlyList<Secret> List(Scope scope, bool includePlannedDeletion)
    {
        var prefix = ResourceTable<Secret>.Key(scope.AccountId, scope.Region, "");
        return [.. _secrets.Entries.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(e => Stored(scope, e.Value.Name))
            .OfType<Secret>().Where(s => includePlannedDeletion || !s.IsScheduledForDeletion)];
    }

    /// <summary>The version a GetSecretValue selects: by id, by stage, or both (they must agree); AWSCURRENT by default.</summary>
    public (Secret Secret, SecretVersion Version, SecretValue Value) GetValue(Scope scope, string secretId, string? versionId, string? stage)
    {
        var secret = Live(scope, secretId);
        var version = Select(secret, versionId, stage);
        var value = Open(secret, version);
        // AWS records access at day resolution; the store is written only when the day changes.
        var today = new DateTimeOffset(Now.UtcDateTime.Date, TimeSpan.Zero);
        if (secret.LastAccessed != today)
            _secrets.Update(Key(scope, secret.Name), s => s with
            {
                LastAccessed = today,
                Versions = [.. s.Versions.Select(v => v.VersionId == version.VersionId ? v with { LastAccessed = today } : v)],
            });
        return (secret, version, value);
    }

    private static SecretVersion Select(Secret secret, string? versionId, string? stage)
    {
        if (versionId is not null)
        {
            var byId = secret.Versions.FirstOrDefault(v => v.VersionId == versionId) ?? throw SecretsManagerErrors.ValueNotFoundForVersion(versionId);
            if (stage is not null && !byId.Stages.Contains(stage))
                throw SecretsManagerErrors.InvalidParameter($"You provided a VersionStage that is not associated to the provided VersionId.");
            if (byId.SealedString is null && byId.SealedBinary is null) throw SecretsManagerErrors.ValueNotFoundForVersion(versionId);
            return byId;
        }
        var label = stage ?? SecretsManagerRules.Current;
        // The AWSPENDING version RotateSecret makes has no value until the rotation function's createSecret puts one.
        return secret.VersionWithStage(label) is { } byStage && (byStage.SealedString is not null || byStage.SealedBinary is not null)
            ? byStage
            : throw SecretsManagerErrors.ValueNotFoundForStage(label);
    }

    /// <summary>
    /// Adds a version (PutSecretValue, UpdateSecret with a value). The ClientRequestToken is the version id:
    /// repeating it with the same value is a no-op, with another value an error. Staging labels move to the
    /// new version; when AWSCURRENT moves, the version that had it becomes AWSPREVIOUS.
    /// </summary>
    public (Secret Secret, SecretVersion Version) PutValue(Scope scope, string secretId, string? clientRequestToken, SecretValue value,
        IReadOnlyList<string>? stages, bool byOwner = false)
    {
        var secret = Live(scope, secretId);
        if (!byOwner) RequireUnowned(secret);
        if (value.IsEmpty) throw SecretsManagerErrors.InvalidParameter("You must provide either SecretString or SecretBinary.");
        var versionId = SecretsManagerRules.VersionId(clientRequestToken);
        var existing = secret.Versions.FirstOrDefault(v => v.VersionId == versionId);
        // RotateSecret makes the token's version, labelled AWSPENDING and without a value, before createSecret fills it in.
        if (existing is { SealedString: null, SealedBinary: null }) existing = null;
        if (existing is not null)
        {
            var same = Open(secret, existing);
            if (same.String == value.String && (same.Binary ?? []).AsSpan().SequenceEqual(value.Binary ?? [])) return (secret, existing);
            throw SecretsManagerErrors.VersionExists();
        }
        var labels = stages is { Count: > 0 } ? stages.Distinct().ToList() : [SecretsManagerRules.Current];
        var version = Seal(secret.Arn, versionId, value, labels, secret.KmsKeyId);
        var updated = _secrets.Update(Key(scope, secret.Name), s => s with
        {
            Versions = Prune([.. MoveStages(s.Versions.Where(v => v.VersionId != versionId), labels, versionId), version]),
            LastChanged = Now,
        })!;
        return (updated, updated.Versions.Single(v => v.VersionId == versionId));
    }

    /// <summary>Takes <paramref name="labels"/> off every other version; AWSCURRENT moving makes its old holder AWSPREVIOUS.</summary>
    private static IEnumerable<SecretVersion> MoveStages(IEnumerable<SecretVersion> versions, IReadOnlyList<string> labels, string toVersionId)
    {
        var list = versions.ToList();
        var oldCurrent = list.FirstOrDefault(v => v.Stages.Contains(SecretsManagerRules.Current))?.VersionId;
        var currentMoves = labels.Contains(SecretsManagerRules.Current) && oldCurrent is not null && oldCurrent != toVersionId;
        return list.Select(v =>
        {
            var stages = v.Stages.Where(s => !labels.Contains(s) || v.VersionId == toVersionId).ToList();
            if (currentMoves)
            {
                stages.Remove(SecretsManagerRules.Previous);
                if (v.VersionId == oldCurrent) stages.Add(SecretsManagerRules.Previous);
            }
            if (v.VersionId == toVersionId) stages.AddRange(labels.Where(l => !stages.Contains(l)));
            return v with { Stages = stages };
        });
    }

    /// <summary>Keeps every labelled version and the newest deprecated ones, as AWS removes the oldest unlabelled versions.</summary>
    private static IReadOnlyList<SecretVersion> Prune(IReadOnlyList<SecretVersion> versions)
    {
        var deprecated = versions.Where(v => v.Stages.Count == 0).ToList();
        if (deprecated.Count <= SecretsManagerRules.MaxDeprecatedVersions) return versions;
        var dropped = deprecated.Take(deprecated.Count - SecretsManagerRules.MaxDeprecatedVersions).Select(v => v.VersionId).ToHashSet();
        return [.. versions.Where(v => !dropped.Contains(v.VersionId))];
    }

    /// <summary>UpdateSecret: metadata changes in place; a value makes a new AWSCURRENT version.</summary>
    public (Secret Secret, SecretVersion? Version) Update(Scope scope, string secretId, string? clientRequestToken, string? description, string? kmsKeyId, SecretValue value)
    {
        var secret = Live(scope, secretId);
        RequireUnowned(secret);
        if (description is not null || kmsKeyId is not null)
            secret = _secrets.Update(Key(scope, secret.Name), s => s with
            {
                Description = description ?? s.Description,
                KmsKeyId = kmsKeyId ?? s.KmsKeyId,
                LastChanged = Now,
            })!;
        if (value.IsEmpty) return (secret, null);
        var (updated, version) = PutValue(scope, secret.Arn, clientRequestToken, value, null);
        return (updated, version);
    }

    /// <summary>UpdateSecretVersionStage: moves a label to a version, or takes it off one; AWSCURRENT leaves AWSPREVIOUS behind.</summary>
    public Secret UpdateStage(Scope scope, string secretId, string stage, string? removeFromVersionId, string? moveToVersionId)
    {
        var secret = Live(scope, secretId);
        var holder = secret.VersionWithStage(stage)?.VersionId;
        foreach (var id in new[] { removeFromVersionId, moveToVersionId }.OfType<string>())
            if (secret.Versions.All(v => v.VersionId != id)) throw SecretsManagerErrors.ValueNotFoundForVersion(id);
        if (holder is not null && holder != moveToVersionId && removeFromVersionId != holder)
            throw SecretsManagerErrors.InvalidParameter($"The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently attached to version {holder}, so you must explicitly reference that version in RemoveFromVersionId.");
        if (removeFromVersionId is not null && removeFromVersionId != holder)
            throw SecretsManagerErrors.InvalidParameter($"The staging label {stage} isn't attached to version {removeFromVersionId}.");
        if (moveToVersionId is null && stage == SecretsManagerRules.Current)
            throw SecretsManagerErrors.InvalidParameter("You can only move staging label AWSCURRENT to a different secret version. It can't be completely removed.");
        return _secrets.Update(Key(scope, secret.Name), s => s with
        {
            Versions = moveToVersionId is null
                ? [.. s.Versions.Select(v => v with { Stages = [.. v.Stages.Where(l => l != stage)] })]
                : Prune([.. MoveStages(s.Versions, [stage], moveToVersionId)]),
            LastChanged = Now,
        })!;
    }

    /// <summary>DeleteSecret: schedules deletion after the recovery window, or deletes at once when forced (also a secret already scheduled).</summary>
    public Secret Delete(Scope scope, string secretId, int? recoveryWindowInDays, bool forceDeleteWithoutRecovery)
    {
        var window = SecretsManagerRules.RecoveryWindow(recoveryWindowInDays, forceDeleteWithoutRecovery);
        var secret = Find(scope, secretId);
        var now = Now;
        if (forceDeleteWithoutRecovery)
        {
            _secrets.Remove(Key(scope, secret.Name));
            return secret with { Deleted = now, DeletionDate = now };
        }
        if (secret.IsScheduledForDeletion) throw SecretsManagerErrors.MarkedForDeletion();
        return _secrets.Update(Key(scope, secret.Name), s => s with { Deleted = now, DeletionDate = now.AddDays(window), LastChanged = now })!;
    }

    public Secret Restore(Scope scope, string secretId)
    {
        var secret = Find(scope, secretId);
        if (!secret.IsScheduledForDeletion) return secret;
        return _secrets.Update(Key(scope, secret.Name), s => s with { Deleted = null, DeletionDate = null, LastChanged = Now })!;
    }

    public Secret Tag(Scope scope, string secretId, IReadOnlyList<SecretTag> tags)
    {
        var secret = Live(scope, secretId);
        var merged = secret.Tags.Where(t => tags.All(n => n.Key != t.Key)).Concat(tags.GroupBy(t => t.Key).Select(g => g.Last())).ToList();
        SecretsManagerRules.CheckTags(merged);
        return _secrets.Update(Key(scope, secret.Name), s => s with { Tags = merged, LastChanged = Now })!;
    }

    public Secret Untag(Scope scope, string secretId, IReadOnlyCollection<string> keys)
    {
        var secret = Live(scope, secretId);
        return _secrets.Update(Key(scope, secret.Name), s => s with { Tags = [.. s.Tags.Where(t => !keys.Contains(t.Key))], LastChanged = Now })!;
    }

    // ---- resource policies ----

    public Secret PutPolicy(Scope scope, string secretId, string policy, bool blockPublicPolicy)
    {
        var secret = Live(scope, secretId);
        if (SecretsManagerRules.PolicyProblems(policy) is [var first, ..]) throw SecretsManagerErrors.MalformedPolicy(first);
        if (blockPublicPolicy && SecretsManagerRules.IsPublic(policy)) throw SecretsManagerErrors.PublicPolicy();
        return _secrets.Update(Key(scope, secret.Name), s => s with { ResourcePolicy = policy, LastChanged = Now })!;
    }

    public Secret DeletePolicy(Scope scope, string secretId)
    {
        var secret = Live(scope, secretId);
        return _secrets.Update(Key(scope, secret.Name), s => s with { ResourcePolicy = null, LastChanged = Now })!;
    }

    // ---- rotation by an owning service ----

    /// <summary>
    /// Rotates a secret another service owns (RDS's master user secret): a new value as AWSPENDING, applied
    /// by the owner, then made AWSCURRENT.
    /// </summary>
    private async Task<(Secret Secret, SecretVersion Version)> RotateOwnedAsync(Scope scope, Secret secret, ISecretOwner owner, string? clientRequestToken,
        CancellationToken cancellation)
    {
        var current = GetValue(scope, secret.Arn, null, SecretsManagerRules.Current).Value.String
            ?? throw SecretsManagerErrors.ValueNotFoundForStage(SecretsManagerRules.Current);
        var next = owner.RotatedValue(current);
        var (_, pending) = PutValue(scope, secret.Arn, clientRequestToken, new SecretValue(next, null), [SecretsManagerRules.Pending], byOwner: true);
        await owner.ApplyRotationAsync(scope, secret, next, cancellation);
        var rotated = _secrets.Update(Key(scope, secret.Name), s => s with
        {
            Versions = [.. MoveStages(s.Versions, [SecretsManagerRules.Current], pending.VersionId)
                .Select(v => v with { Stages = [.. v.Stages.Where(l => l != SecretsManagerRules.Pending)] })],
            LastRotated = Now,
            LastChanged = Now,
        })!;
        return (rotated, rotated.Versions.Single(v => v.VersionId == pending.VersionId));
    }

    // ---- values ----

    /// <summary>A value a service that owns the secret reads for itself (RDS's master password), without counting as an access.</summary>
    public string CurrentString(Scope scope, string secretId)
    {
        var secret = Live(scope, secretId);
        var version = secret.VersionWithStage(SecretsManagerRules.Current) ?? throw SecretsManagerErrors.ValueNotFoundForStage(SecretsManagerRules.Current);
        return Open(secret, version).String ?? throw SecretsManagerErrors.ValueNotFoundForStage(SecretsManagerRules.Current);
    }

    private static void RequireUnowned(Secret secret)
    {
        if (secret.OwningService is { } owner) throw SecretsManagerErrors.ManagedByService(owner);
    }

    private SecretVersion Seal(string arn, string versionId, SecretValue value, IReadOnlyList<string> stages, string? kmsKeyId)
    {
        var bound = Binding(arn, versionId);
        return new SecretVersion(versionId,
            value.String is null ? null : Convert.ToBase64String(_key.Seal(Encoding.UTF8.GetBytes(value.String), bound)),
            value.Binary is null ? null : Convert.ToBase64String(_key.Seal(value.Binary, bound)),
            stages, Now, kmsKeyId);
    }

    private SecretValue Open(Secret secret, SecretVersion version)
    {
        var bound = Binding(secret.Arn, version.VersionId);
        byte[] Unseal(string sealedValue) => _key.TryOpen(Convert.FromBase64String(sealedValue), bound)
            ?? throw SecretsManagerErrors.DecryptionFailure();
        return new SecretValue(
            version.SealedString is null ? null : Encoding.UTF8.GetString(Unseal(version.SealedString)),
            version.SealedBinary is null ? null : Unseal(version.SealedBinary));
    }

    /// <summary>A sealed value opens only in the secret and version it was sealed for.</summary>
    private static byte[] Binding(string arn, string versionId) => Encoding.UTF8.GetBytes(arn + "\n" + versionId);
}
