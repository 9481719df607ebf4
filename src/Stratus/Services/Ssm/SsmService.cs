using System.Text;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Kms;

namespace Stratus.Services.Ssm;

/// <summary>
/// Parameter Store: parameters with their versions, labels and tags, written through to the store.
/// SecureString values are encrypted by KMS under the parameter's key (alias/aws/ssm unless KeyId names another),
/// bound to the parameter's ARN as encryption context, as AWS does; only the ciphertext blob is stored.
/// </summary>
public sealed class SsmService : IParameterStoreReader
{
    public const string DefaultKeyId = "alias/aws/ssm";
    private readonly ResourceTable<SsmParameter> _parameters;
    private readonly TimeProvider _clock;
    private readonly IKmsEncryption _kms;

    public SsmService(StateStore store, TimeProvider clock, IKmsEncryption kms)
    {
        _clock = clock;
        _parameters = new ResourceTable<SsmParameter>(store, "ssm.parameters");
        _kms = kms;
    }

    public static string Arn(Scope scope, string name) => $"arn:aws:ssm:{scope.Region}:{scope.AccountId}:parameter/{name.TrimStart('/')}";

    private static string Key(Scope scope, string name) => ResourceTable<SsmParameter>.Key(scope.AccountId, scope.Region, name);

    public SsmParameterVersion Put(Scope scope, PutParameterRequest request)
    {
        SsmRules.CheckName(request.Name);
        // The version is read and written under the table's lock: two overwrites at once get versions N+1 and N+2, as on AWS.
        var written = _parameters.Upsert(Key(scope, request.Name), existing =>
        {
            if (existing is not null && !request.Overwrite) throw SsmErrors.ParameterAlreadyExists();
            // As AWS: tags go with creation only; a request that overwrites may not carry them.
            if (request.Overwrite && request.Tags.Count > 0 && existing is not null)
                throw SsmErrors.TagsWithOverwrite();
            var type = request.Type is null && existing is not null ? existing.Latest.Type : SsmRules.CheckType(request.Type);
            var tier = SsmRules.CheckTier(request.Tier, existing?.Latest.Tier);
            SsmRules.CheckValue(request.Value, tier);
            var pattern = request.AllowedPattern ?? existing?.Latest.AllowedPattern;
            SsmRules.CheckAllowedPattern(pattern, request.Value);
            if (request.KeyId is not null && type != "SecureString")
                throw SsmErrors.KeyIdOnlyForSecureString();
            var keyId = type == "SecureString" ? request.KeyId ?? DefaultKeyId : null;
            var stored = keyId is null ? request.Value : Encrypt(scope, request.Name, keyId, request.Value);
            var version = new SsmParameterVersion((existing?.Latest.Version ?? 0) + 1, type, stored, keyId,
                request.Description ?? existing?.Latest.Description, pattern, tier, _clock.GetUtcNow(), scope.PrincipalArn, []);
            return existing is null
                ? new SsmParameter(request.Name, [version], request.Tags)
                : existing with { Versions = [.. existing.Versions.TakeLast(SsmRules.MaxVersions - 1), version] };
        });
        return written.Latest;
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

    public SsmParameterVersion? Find(Scope scope, string reference)
    {
        try
        {
            return Select(scope, reference).Version;
        }
        catch (AwsException e) when (e.Code is "ParameterNotFound" or "ParameterVersionNotFound" or "ValidationException")
        {
            return null;
        }
    }

    /// <summary>The value a caller sees: a SecureString's plain text only with decryption asked for, else the stored ciphertext (base64), as AWS.</summary>
    public string Reveal(Scope scope, SsmParameter parameter, SsmParameterVersion version, bool withDecryption) =>
        version.Type == "SecureString" && withDecryption ? Decrypt(scope, parameter.Name, version.Value) : version.Value;

    public IReadOnlyList<SsmParameter> List(Scope scope) =>
        [.. _parameters.Entries.Where(e => e.Key.StartsWith(ResourceTable<SsmParameter>.Key(scope.AccountId, scope.Region, ""), StringComparison.Ordinal))
            .Select(e => e.Value).OrderBy(p => p.Name, StringComparer.Ordinal)];

    /// <summary>Every parameter with the account and region it lives in (the console's view).</summary>
    public IEnumerable<(string AccountId, string Region, SsmParameter Parameter)> AllParameters() =>
        _parameters.Entries.Select(e =>
        {
            var scope = e.Key.Split('\u001f');
            return (scope[0], scope[1], e.Value);
        });

    /// <summary>Parameters below a path: direct children, or every descendant when recursive (AWS's GetParametersByPath).</summary>
    public IReadOnlyList<SsmParameter> ByPath(Scope scope, string path, bool recursive)
    {
        if (!path.StartsWith('/') || path.Count(c => c == '/') > SsmRules.MaxHierarchyLevels)
            throw SsmErrors.PathMustBeginWithSlash();
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

    /// <summary>The encryption context AWS binds a SecureString's ciphertext to: the parameter's ARN.</summary>
    private static Dictionary<string, string> Context(Scope scope, string name) => new() { ["PARAMETER_ARN"] = Arn(scope, name) };

    private string Encrypt(Scope scope, string name, string keyId, string plain)
    {
        try { return Convert.ToBase64String(_kms.Encrypt(scope, keyId, Encoding.UTF8.GetBytes(plain), Context(scope, name))); }
        catch (AwsException e) { throw SsmErrors.InvalidKeyId(e); }
    }

    private string Decrypt(Scope scope, string name, string stored)
    {
        try { return Encoding.UTF8.GetString(_kms.Decrypt(scope, Convert.FromBase64String(stored), Context(scope, name), null).Plaintext); }
        catch (AwsException e) { throw SsmErrors.InvalidKeyId(e); }
    }
}
