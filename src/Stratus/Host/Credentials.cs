using Microsoft.AspNetCore.Http;
using Stratus.Protocols;

namespace Stratus.Host;

/// <summary>A secret Stratus knows for an access key, and whose key it is.</summary>
public sealed record KnownCredential(
    string AccessKeyId,
    string SecretAccessKey,
    string AccountId,
    string PrincipalArn,
    string? SessionToken = null,
    DateTimeOffset? Expiration = null,
    string? PrincipalId = null)
{
    /// <summary>A role session's session policies (AssumeRole's Policy and PolicyArns' documents): they intersect the role's permissions. Null when none.</summary>
    public IReadOnlyList<string>? SessionPolicies { get; init; }
    /// <summary>A role session's session tags, seen by policies as aws:PrincipalTag.</summary>
    public IReadOnlyDictionary<string, string>? SessionTags { get; init; }
    /// <summary>A role session's source identity, which every request it signs carries as aws:SourceIdentity.</summary>
    public string? SourceIdentity { get; init; }
    /// <summary>When a session was made with an MFA code; null for sessions without one and for long-term keys.</summary>
    public DateTimeOffset? MfaAuthenticatedAt { get; init; }
}

/// <summary>A place access keys come from: IAM users, STS sessions, the configured root key.</summary>
public interface ICredentialSource
{
    KnownCredential? Find(string accessKeyId);
}

/// <summary>A credential source that remembers when its keys were last used.</summary>
public interface IKeyUseRecorder
{
    void RecordKeyUse(string accessKeyId, string service, string region);
}

/// <summary>Keeps, for IAM's service last accessed reports, which service and action each IAM user or role session attempted, when and where.</summary>
public interface IAccessRecorder
{
    void RecordAttempt(KnownCredential caller, ServiceEndpoint service, string region, string operation, OperationInput input);
}

/// <summary>Under --auth enforce: whether the caller behind a known key may run an operation on the resources its input names; throws the protocol's AccessDenied if not.</summary>
public interface IRequestAuthorizer
{
    void Authorize(HttpContext http, ServiceEndpoint service, KnownCredential caller, string region, string operation, OperationInput input);
}

/// <summary>
/// Under --auth enforce: whether the principal behind a known access key may take one IAM action on one resource outside an
/// API call (an ECR registry pull, an execute-api cache invalidation), decided as the API's calls are.
/// </summary>
public interface IActionAuthorizer
{
    /// <returns>AWS's access-denied sentence, or null when the action is allowed.</returns>
    string? Refusal(HttpContext http, string accessKeyId, string region, string signingName, string action, string resource);
}

/// <summary>Looks an access key up in every source, and maps unknown keys to an account as documented.</summary>
public sealed class CredentialResolver(IEnumerable<ICredentialSource> sources)
{
    private readonly ICredentialSource[] _sources = sources.ToArray();

    public KnownCredential? Find(string accessKeyId)
    {
        foreach (var source in _sources)
            if (source.Find(accessKeyId) is { } credential) return credential;
        return null;
    }

    /// <summary>Tells the sources that keep it (IAM's GetAccessKeyLastUsed) that a key signed a request.</summary>
    public void RecordUse(string accessKeyId, string service, string region)
    {
        foreach (var source in _sources.OfType<IKeyUseRecorder>()) source.RecordKeyUse(accessKeyId, service, region);
    }

    /// <summary>A 12-digit key id names its account (handy for multi-account tests); anything else is the default account.</summary>
    public static string AccountForUnknownKey(string? accessKeyId) =>
        accessKeyId is { Length: 12 } && accessKeyId.All(char.IsAsciiDigit) ? accessKeyId : StratusOptions.DefaultAccountId;
}

/// <summary>The root key pair given on the command line.</summary>
public sealed class RootCredentialSource(string accessKeyId, string secretAccessKey) : ICredentialSource
{
    public KnownCredential? Find(string id) => id == accessKeyId
        ? new KnownCredential(accessKeyId, secretAccessKey, StratusOptions.DefaultAccountId, $"arn:aws:iam::{StratusOptions.DefaultAccountId}:root")
        : null;
}
