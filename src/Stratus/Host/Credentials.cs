namespace Stratus.Host;

/// <summary>A secret Stratus knows for an access key, and whose key it is.</summary>
public sealed record KnownCredential(
    string AccessKeyId,
    string SecretAccessKey,
    string AccountId,
    string PrincipalArn,
    string? SessionToken = null,
    DateTimeOffset? Expiration = null,
    string? PrincipalId = null);

/// <summary>A place access keys come from: IAM users, STS sessions, the configured root key.</summary>
public interface ICredentialSource
{
    KnownCredential? Find(string accessKeyId);
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
