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
    /// <summary>For a role's session, the role's ARN (with its path): a resource policy naming the role names its sessions.</summary>
    public string? SessionIssuerArn { get; init; }
    /// <summary>The account owning the resource; by default the account in its ARN. S3's bucket ARNs name none, so S3 says.</summary>
    public string? ResourceAccount { get; init; }

    /// <summary>Whether the resource's policy must allow even within its account (a KMS key policy), not either it or an identity policy.</summary>
    public bool ResourcePolicyRequired { get; init; }

    /// <summary>The caller's account: the fifth field of its ARN.</summary>
    public string? PrincipalAccount => AccountOf(PrincipalArn);

    /// <summary>Whether the resource belongs to another account than the caller's, so both its policy and the caller's must allow.</summary>
    public bool IsCrossAccount => (ResourceAccount ?? AccountOf(Resource)) is { Length: > 0 } owner && PrincipalAccount is { Length: > 0 } caller && owner != caller;

    private static string? AccountOf(string? arn) => arn is not null && arn.Split(':', 6) is [_, _, _, _, var account, _] ? account : null;

    /// <summary>The same request for another action (AssumeRole with tags is also sts:TagSession).</summary>
    public RequestContext As(string action)
    {
        var other = new RequestContext { Action = action, Resource = Resource, PrincipalArn = PrincipalArn, SessionIssuerArn = SessionIssuerArn, ResourceAccount = ResourceAccount, ResourcePolicyRequired = ResourcePolicyRequired };
        foreach (var key in _keys) other._keys[key.Key] = key.Value;
        return other;
    }

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

    /// <summary>
    /// aws:MultiFactorAuthPresent and aws:MultiFactorAuthAge (seconds since the MFA code was accepted), as AWS sets them:
    /// absent for long-term keys, false for a session made without an MFA code.
    /// </summary>
    public RequestContext WithMfa(bool isSession, DateTimeOffset? mfaAuthenticatedAt, DateTimeOffset now)
    {
        if (mfaAuthenticatedAt is { } at)
            return With("aws:MultiFactorAuthPresent", "true")
                .With("aws:MultiFactorAuthAge", Math.Max(0, (long)(now - at).TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        return isSession ? With("aws:MultiFactorAuthPresent", "false") : this;
    }
}
