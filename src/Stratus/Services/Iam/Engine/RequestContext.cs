namespace Stratus.Services.Iam.Engine;

/// <summary>
/// What a request asks for, as policies see it: the action (service:Operation), the resource ARN, who
/// asks, and the context keys (aws:username, aws:SourceIp, ...), each with one or more values. Keys are
/// found without regard to case, as IAM finds them.
/// </summary>
public sealed class RequestContext
{
    private readonly Dictionary<string, IReadOnlyList<string>> _keys = new(StringComparer.OrdinalIgnoreCase);

    public required string Action { get; init; }
    public required string Resource { get; init; }
    /// <summary>The caller's ARN, matched against resource policies' Principal.</summary>
    public string? PrincipalArn { get; init; }

    public RequestContext With(string key, params IReadOnlyList<string> values)
    {
        _keys[key] = values;
        return this;
    }

    public IReadOnlyList<string>? Values(string key) => _keys.TryGetValue(key, out var values) && values.Count > 0 ? values : null;

    public string? Value(string key) => Values(key) is [var single, ..] ? single : null;

    public IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> Keys => _keys;

    /// <summary>The keys AWS derives from the principal itself: aws:username/userid/PrincipalArn/PrincipalAccount/PrincipalType.</summary>
    public RequestContext WithPrincipal(string principalArn, string? principalId, string accountId)
    {
        With("aws:PrincipalArn", principalArn).With("aws:PrincipalAccount", accountId);
        if (principalId is not null) With("aws:userid", principalId);
        var resource = principalArn.Split(':', 6) is [.., var last] ? last : "";
        if (resource.StartsWith("user/", StringComparison.Ordinal))
            With("aws:username", resource[(resource.LastIndexOf('/') + 1)..]).With("aws:PrincipalType", "User");
        else if (resource.StartsWith("assumed-role/", StringComparison.Ordinal))
            With("aws:PrincipalType", "AssumedRole");
        else if (resource == "root")
            With("aws:PrincipalType", "Account");
        return this;
    }
}
