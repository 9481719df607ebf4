using System.Security.Cryptography;
using System.Text;
using Stratus.Persistence;
using Stratus.Protocols;

namespace Stratus.Services.Ssm;

/// <summary>
/// Parameter Store: parameters with their versions, labels and tags, written through to the store.
/// SecureString values are kept as AES-GCM ciphertext under a key of Stratus's, never in plain text.
/// </summary>
public sealed class SsmService
{
    public const string DefaultKeyId = "alias/aws/ssm";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly ResourceTable<SsmParameter> _parameters;
    private readonly TimeProvider _clock;
    private readonly byte[] _key;

    /// <param name="dataDir">Where the key file lives; null (ephemeral) keeps the key in memory only.</param>
    public SsmService(StateStore store, TimeProvider clock, string? dataDir)
    {
        _clock = clock;
        _parameters = new ResourceTable<SsmParameter>(store, "ssm.parameters");
        _key = dataDir is null ? RandomNumberGenerator.GetBytes(32) : DataDirectory.ReadOrCreateSecret(Path.Combine(dataDir, "ssm-parameters.key"), 32);
    }

    public static string Arn(Scope scope, string name) => $"arn:aws:ssm:{scope.Region}:{scope.AccountId}:parameter/{name.TrimStart('/')}";

    private static string Key(Scope scope, string name) => ResourceTable<SsmParameter>.Key(scope.AccountId, scope.Region, name);

    public SsmParameterVersion Put(Scope scope, PutParameterRequest request)
    {
        SsmRules.CheckName(request.Name);
        var key = Key(scope, request.Name);
        var existing = _parameters.Get(key);
        if (existing is not null && !request.Overwrite) throw SsmErrors.ParameterAlreadyExists();
        // As AWS: tags go with creation only; a request that overwrites may not carry them.
        if (request.Overwrite && request.Tags.Count > 0 && existing is not null)
            throw SsmErrors.Validation("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.");
        var type = request.Type is null && existing is not null ? existing.Latest.Type : SsmRules.CheckType(request.Type);
        var tier = SsmRules.CheckTier(request.Tier, existing?.Latest.Tier);
        SsmRules.CheckValue(request.Value, tier);
        var pattern = request.AllowedPattern ?? existing?.Latest.AllowedPattern;
        SsmRules.CheckAllowedPattern(pattern, request.Value);
        if (request.KeyId is not null && type != "SecureString")
            throw SsmErrors.Validation("KeyId is required for SecureString type parameter only.");
        var stored = type == "SecureString" ? Encrypt(request.Value) : request.Value;
        var keyId = type == "SecureString" ? request.KeyId ?? DefaultKeyId : null;
        var version = new SsmParameterVersion((existing?.Latest.Version ?? 0) + 1, type, stored, keyId,
            request.Description ?? existing?.Latest.Description, pattern, tier, _clock.GetUtcNow(), scope.PrincipalArn, []);
        var next = existing is null
            ? new SsmParameter(request.Name, [version], request.Tags)
            : existing with { Versions = [.. existing.Versions.TakeLast(SsmRules.MaxVersions - 1), version] };
        _parameters.Put(key, next);
        return version;
    }

    public SsmParameter Get(Scope scope, string name) =>
        _parameters.Get(Key(scope, name)) ?? throw SsmErrors.ParameterNotFound();

    /// <summary>Resolves NAME, NAME:VERSION or NAME:LABEL to the parameter and the version it selects.</summary>
    public (SsmParameter Parameter, SsmParameterVersion Version, string? Selector) Select(Scope scope, string reference)
    {
        var colon = reference.IndexOf(':');
        var name = colon < 0 ? reference : reference[..colon];
        var selector = colon < 0 ? null : reference[(colon + 1)..];
        var parameter = _parameters.Get(Key(scope, name)) ?? throw SsmErrors.ParameterNotFound();
        if (selector is null) return (parameter, parameter.Latest, null);
        var version = long.TryParse(selector, out var number)
            ? parameter.Versions.FirstOrDefault(v => v.Version == number)
            : parameter.Versions.FirstOrDefault(v => v.Labels.Contains(selector));
        return (parameter, version ?? throw SsmErrors.ParameterVersionNotFound(name, selector), selector);
    }

    /// <summary>The value a caller sees: a SecureString's plain text only with decryption asked for, else the stored ciphertext (base64), as AWS.</summary>
    public string Reveal(SsmParameterVersion version, bool withDecryption) =>
        version.Type == "SecureString" && withDecryption ? Decrypt(version.Value) : version.Value;

    public IReadOnlyList<SsmParameter> List(Scope scope) =>
        [.. _parameters.Entries.Where(e => e.Key.StartsWith(ResourceTable<SsmParameter>.Key(scope.AccountId, scope.Region, ""), StringComparison.Ordinal))
            .Select(e => e.Value).OrderBy(p => p.Name, StringComparer.Ordinal)];

    /// <summary>Parameters below a path: direct children, or every descendant when recursive (AWS's GetParametersByPath).</summary>
    public IReadOnlyList<SsmParameter> ByPath(Scope scope, string path, bool recursive)
    {
        if (!path.StartsWith('/') || path.Count(c => c == '/') > SsmRules.MaxHierarchyLevels)
            throw SsmErrors.Validation("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\".");
        var prefix = path.EndsWith('/') ? path : path + "/";
        return [.. List(scope).Where(p => p.Name.StartsWith(prefix, StringComparison.Ordinal) && (recursive || !p.Name[prefix.Length..].Contains('/')))];
    }

    public void Delete(Scope scope, string name)
    {
        if (_parameters.Remove(Key(scope, name)) is null) throw SsmErrors.ParameterNotFound();
    }

    /// <summary>Moves labels onto one version (a label names one version per parameter); answers the labels refused and the version.</summary>
    public (IReadOnlyList<string> Invalid, long Version) Label(Scope scope, string name, long? version, IReadOnlyList<string> labels)
    {
        var parameter = Get(scope, name);
        var target = version is null ? parameter.Latest : parameter.Versions.FirstOrDefault(v => v.Version == version)
            ?? throw SsmErrors.ParameterVersionNotFound(name, version.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var invalid = labels.Where(l => !IsValidLabel(l)).ToList();
        var valid = labels.Except(invalid).ToList();
        if (target.Labels.Union(valid).Count() > SsmRules.MaxLabelsPerVersion) throw SsmErrors.ParameterVersionLabelLimitExceeded();
        _parameters.Update(Key(scope, name), p => p with
        {
            Versions = [.. p.Versions.Select(v => v.Version == target.Version
                ? v with { Labels = [.. v.Labels.Union(valid)] }
                : v with { Labels = [.. v.Labels.Except(valid)] })],
        });
        return (invalid, target.Version);
    }

    public (IReadOnlyList<string> Invalid, IReadOnlyList<string> Removed) Unlabel(Scope scope, string name, long version, IReadOnlyList<string> labels)
    {
        var target = Get(scope, name).Versions.FirstOrDefault(v => v.Version == version)
            ?? throw SsmErrors.ParameterVersionNotFound(name, version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var removed = labels.Where(target.Labels.Contains).ToList();
        _parameters.Update(Key(scope, name), p => p with
        {
            Versions = [.. p.Versions.Select(v => v.Version == version ? v with { Labels = [.. v.Labels.Except(removed)] } : v)],
        });
        return (labels.Except(removed).ToList(), removed);
    }

    // AWS: a label is at most 100 characters, may not start with a number, "aws" or "ssm", and uses letters, numbers, '.', '-', '_'.
    private static bool IsValidLabel(string label) =>
        label.Length is > 0 and <= 100 && !char.IsAsciiDigit(label[0])
        && !label.StartsWith("aws", StringComparison.OrdinalIgnoreCase) && !label.StartsWith("ssm", StringComparison.OrdinalIgnoreCase)
        && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    public void Tag(Scope scope, string name, IReadOnlyDictionary<string, string> tags) =>
        _ = _parameters.Update(Key(scope, name), p => p with { Tags = new Dictionary<string, string>(p.Tags.Concat(tags).GroupBy(t => t.Key).Select(g => g.Last())) })
            ?? throw SsmErrors.InvalidResourceId();

    public void Untag(Scope scope, string name, IReadOnlyCollection<string> keys) =>
        _ = _parameters.Update(Key(scope, name), p => p with { Tags = p.Tags.Where(t => !keys.Contains(t.Key)).ToDictionary() })
            ?? throw SsmErrors.InvalidResourceId();

    public IReadOnlyDictionary<string, string> Tags(Scope scope, string name) =>
        (_parameters.Get(Key(scope, name)) ?? throw SsmErrors.InvalidResourceId()).Tags;

    private string Encrypt(string plain)
    {
        var bytes = Encoding.UTF8.GetBytes(plain);
        var sealedValue = new byte[NonceSize + TagSize + bytes.Length];
        var nonce = sealedValue.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, bytes, sealedValue.AsSpan(NonceSize + TagSize), sealedValue.AsSpan(NonceSize, TagSize));
        return Convert.ToBase64String(sealedValue);
    }

    private string Decrypt(string stored)
    {
        var sealedValue = Convert.FromBase64String(stored);
        var plain = new byte[sealedValue.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(sealedValue.AsSpan(0, NonceSize), sealedValue.AsSpan(NonceSize + TagSize), sealedValue.AsSpan(NonceSize, TagSize), plain);
        return Encoding.UTF8.GetString(plain);
    }
}
