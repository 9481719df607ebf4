namespace Stratus.Host;

public enum AuthMode
{
    /// <summary>Any credentials are accepted, as local clouds usually do.</summary>
    Accept,
    /// <summary>SigV4 signatures are checked against IAM access keys, STS sessions and the root key.</summary>
    Verify,
}

public sealed record StratusOptions
{
    public const int DefaultPort = 4566;
    public const string DefaultHost = "127.0.0.1";
    public const string DefaultRegion = "us-east-1";
    public const string DefaultAccountId = "000000000000";

    /// <summary>AWS's commercial regions, for host names that carry one (the development certificate names them).</summary>
    public static readonly IReadOnlyList<string> KnownRegions =
    [
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-south-1", "ap-south-2",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-northeast-1", "ap-northeast-2",
        "ap-northeast-3", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2",
        "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1", "il-central-1", "me-south-1", "me-central-1", "sa-east-1",
    ];

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
