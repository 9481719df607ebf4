using Stratus.Protocols;
namespace Stratus.Services.Lambda;

/// <summary>
/// One function as persisted: its $LATEST configuration, published versions, aliases, resource policy,
/// tags and reserved concurrency. Stored whole so every change is one atomic write.
/// </summary>
public sealed record LambdaFunction
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required FunctionConfig Latest { get; init; }
    public List<FunctionConfig> Versions { get; init; } = [];
    public List<FunctionAlias> Aliases { get; init; } = [];
    public List<PolicyStatement> Policy { get; init; } = [];
    public Dictionary<string, string> Tags { get; init; } = [];
    public int? ReservedConcurrency { get; init; }
    public int NextVersion { get; init; } = 1;
    public string PolicyRevisionId { get; init; } = Guid.NewGuid().ToString();
    /// <summary>The $LATEST revision last published, so publishing an unchanged function returns its last version.</summary>
    public string? PublishedRevisionId { get; init; }

    public string Name => Latest.FunctionName;
    public string Arn => LambdaArns.Function(AccountId, Region, Name);
}

/// <summary>A function's configuration at one version ("$LATEST" or a published number): what an environment runs.</summary>
public sealed record FunctionConfig
{
    public const string LatestVersion = "$LATEST";

    public required string FunctionName { get; init; }
    public string Version { get; init; } = LatestVersion;
    public string? Runtime { get; init; }
    public required string Role { get; init; }
    public string? Handler { get; init; }
    public string Description { get; init; } = "";
    public int Timeout { get; init; } = 3;
    public int MemorySize { get; init; } = 128;
    public int EphemeralStorageSize { get; init; } = 512;
    public Dictionary<string, string> Environment { get; init; } = [];
    public string PackageType { get; init; } = "Zip";
    public string? ImageUri { get; init; }
    public string CodeSha256 { get; init; } = "";
    public long CodeSize { get; init; }
    public List<string> Architectures { get; init; } = ["x86_64"];
    public List<string> SubnetIds { get; init; } = [];
    public List<string> SecurityGroupIds { get; init; } = [];
    public string? VpcId { get; init; }
    public required string LastModified { get; init; }
    public string RevisionId { get; init; } = Guid.NewGuid().ToString();
}

public sealed record FunctionAlias
{
    public required string Name { get; init; }
    public required string FunctionVersion { get; init; }
    public string Description { get; init; } = "";
    public Dictionary<string, double> AdditionalVersionWeights { get; init; } = [];
    public string RevisionId { get; init; } = Guid.NewGuid().ToString();
}

/// <summary>One statement of a function's resource policy, as AddPermission received it.</summary>
public sealed record PolicyStatement
{
    public required string Sid { get; init; }
    public required string Action { get; init; }
    public required string Principal { get; init; }
    public required string Resource { get; init; }
    public string? SourceArn { get; init; }
    public string? SourceAccount { get; init; }
    public string? PrincipalOrgId { get; init; }
    public string? FunctionUrlAuthType { get; init; }
}

/// <summary>An asynchronous (Event) invocation waiting to run or to be retried: persisted so none is lost over a restart.</summary>
public sealed record QueuedEvent
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string FunctionName { get; init; }
    public string? Qualifier { get; init; }
    public required string PayloadBase64 { get; init; }
    public int Attempts { get; init; }
    public DateTimeOffset NotBefore { get; init; }
}

public static class LambdaArns
{
    public static string Function(string accountId, string region, string name) => $"arn:aws:lambda:{region}:{accountId}:function:{name}";
}

/// <summary>What CreateFunction and UpdateFunctionConfiguration may set; null members are left as they are.</summary>
public sealed record FunctionSettings
{
    public string? Runtime { get; init; }
    public string? Role { get; init; }
    public string? Handler { get; init; }
    public string? Description { get; init; }
    public int? Timeout { get; init; }
    public int? MemorySize { get; init; }
    public int? EphemeralStorageSize { get; init; }
    public Dictionary<string, string>? Environment { get; init; }
    public List<string>? SubnetIds { get; init; }
    public List<string>? SecurityGroupIds { get; init; }
    public List<string>? Architectures { get; init; }

    /// <summary>The settings members of CreateFunction and UpdateFunctionConfiguration, or of an AWS::Lambda::Function.</summary>
    public static FunctionSettings Read(IInputReader input)
    {
        var vpc = input.Object("VpcConfig");
        return new FunctionSettings
        {
            Runtime = input.String("Runtime"),
            Role = input.String("Role"),
            Handler = input.String("Handler"),
            Description = input.String("Description"),
            Timeout = input.Int("Timeout"),
            MemorySize = input.Int("MemorySize"),
            EphemeralStorageSize = input.Object("EphemeralStorage")?.Int("Size"),
            Environment = input.Object("Environment")?.StringMap("Variables"),
            SubnetIds = vpc?.Strings("SubnetIds").ToList(),
            SecurityGroupIds = vpc?.Strings("SecurityGroupIds").ToList(),
            Architectures = input.Has("Architectures") ? input.Strings("Architectures").ToList() : null,
        };
    }
}

/// <summary>A deployment package: zip bytes, or a container image.</summary>
public sealed record FunctionCode(byte[]? ZipFile, string? ImageUri);

public sealed record InvokeOptions(string InvocationType, bool TailLog, string? ClientContext);

public sealed record InvokeResponse(int StatusCode, ReadOnlyMemory<byte> Payload, string? FunctionError, string ExecutedVersion, string? LogResult);
