namespace Stratus.Host;

public enum AuthMode
{
    /// <summary>Any credentials are accepted, as local clouds usually do.</summary>
    Accept,
    /// <summary>SigV4 signatures are checked against IAM access keys, STS sessions and the root key.</summary>
    Verify,
    /// <summary>Signatures are checked as in verify mode, and each request's principal must be allowed the operation by its IAM policies.</summary>
    Enforce,
}

public sealed record StratusOptions
{
    public const int DefaultPort = 4566;
    public const string DefaultHost = "127.0.0.1";
    public const string DefaultRegion = "us-east-1";
    public const string DefaultAccountId = "000000000000";

    public string Host { get; init; } = DefaultHost;
    public int Port { get; init; } = DefaultPort;
    /// <summary>Null keeps nothing on disk.</summary>
    public string? DataDir { get; init; }
    public AuthMode Auth { get; init; } = AuthMode.Accept;
    /// <summary>The root key pair accepted in verify mode, if any.</summary>
    public (string AccessKeyId, string SecretAccessKey)? RootKey { get; init; }

    /// <summary>Where the stratus-local code convention may read packages from: the folder Stratus was started from unless given.</summary>
    public string LocalCodeRoot { get; init; } = Environment.CurrentDirectory;

    public static string DefaultDataDir =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".stratus");
}
