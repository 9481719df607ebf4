using Stratus.Protocols;
using Stratus.Services.Lambda.Engine;
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
    /// <summary>PutFunctionEventInvokeConfig's settings, one per qualifier ($LATEST, a version or an alias).</summary>
    public List<EventInvokeConfig> EventInvokeConfigs { get; init; } = [];
    /// <summary>Function URLs: at most one unqualified and one per alias.</summary>
    public List<FunctionUrlConfig> UrlConfigs { get; init; } = [];
    /// <summary>PutFunctionRecursionConfig's setting: Terminate (AWS's default) stops the function in a recursive loop, Allow lets it run.</summary>
    public string RecursiveLoop { get; init; } = "Terminate";
    /// <summary>PutProvisionedConcurrencyConfig's settings, one per published version or alias.</summary>
    public List<ProvisionedConcurrencySetting> ProvisionedConcurrency { get; init; } = [];
    /// <summary>The code signing config its code deployments are checked against (PutFunctionCodeSigningConfig): the function's, for all its versions.</summary>
    public string? CodeSigningConfigArn { get; init; }

    public string Name => Latest.FunctionName;
    public string Arn => LambdaArns.Function(AccountId, Region, Name);
}

/// <summary>Provisioned concurrency requested for one version or alias; what is allocated is the engine's (see ProvisionedEnvironments).</summary>
public sealed record ProvisionedConcurrencySetting(string Qualifier, int Requested, string LastModified);

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
    /// <summary>
    /// Environment.Variables as AWS keeps them at rest: a KMS ciphertext (base64) of their JSON under <see cref="KmsKeyArn"/>,
    /// else the AWS managed key aws/lambda, bound to the function's ARN; null without variables. LambdaService.Variables reads them.
    /// </summary>
    public string? EncryptedEnvironment { get; init; }
    /// <summary>Variables as state written before they were encrypted kept them; LambdaService encrypts them when it starts.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("Environment")]
    public Dictionary<string, string>? PlaintextEnvironment { get; init; }
    public string PackageType { get; init; } = "Zip";
    public string? ImageUri { get; init; }
    /// <summary>The image as it was resolved when the code was set (REPOSITORY@sha256:...): re-tagging later does not change the function, as on AWS.</summary>
    public string? ResolvedImageUri { get; init; }
    /// <summary>The image manifest for this machine's platform, the one unpacked and run.</summary>
    public string? ImageManifestDigest { get; init; }
    /// <summary>What the image itself runs (its config's ENTRYPOINT, CMD, ENV, WORKDIR), read when the code was set.</summary>
    public Ecr.ImageRunConfig? Image { get; init; }
    /// <summary>The function's ImageConfig: overrides of the image's ENTRYPOINT, CMD and WORKDIR.</summary>
    public FunctionImageConfig? ImageConfig { get; init; }
    /// <summary>Pending while an image is unpacked, then Active, or Failed with <see cref="StateReason"/> (zip functions are Active at once).</summary>
    public string State { get; init; } = "Active";
    public string? StateReason { get; init; }
    public string? StateReasonCode { get; init; }
    /// <summary>InProgress while an updated image is unpacked, then Successful or Failed with <see cref="LastUpdateStatusReason"/>.</summary>
    public string LastUpdateStatus { get; init; } = "Successful";
    public string? LastUpdateStatusReason { get; init; }
    public string? LastUpdateStatusReasonCode { get; init; }
    public string CodeSha256 { get; init; } = "";
    public long CodeSize { get; init; }
    public List<string> Architectures { get; init; } = ["x86_64"];
    public List<string> SubnetIds { get; init; } = [];
    public List<string> SecurityGroupIds { get; init; } = [];
    public string? VpcId { get; init; }
    /// <summary>The layers mounted at /opt, in the order given (later ones over earlier ones).</summary>
    public List<FunctionLayer> Layers { get; init; } = [];
    public required string LastModified { get; init; }
    /// <summary>PutRuntimeManagementConfig's UpdateRuntimeOn (Auto, AWS's default, FunctionUpdate or Manual).</summary>
    public string RuntimeUpdateOn { get; init; } = "Auto";
    /// <summary>The runtime version a Manual configuration pins, recorded and reported; Stratus runs the machine's interpreter.</summary>
    public string? RuntimeVersionArn { get; init; }
    public string RevisionId { get; init; } = Guid.NewGuid().ToString();
    /// <summary>LoggingConfig: where the function's logs go and in which format; null is AWS's default (Text to /aws/lambda/NAME).</summary>
    public FunctionLogging? Logging { get; init; }
    /// <summary>TracingConfig.Mode (PassThrough or Active), recorded and reported: Stratus serves no X-Ray, so no traces are collected.</summary>
    public string TracingMode { get; init; } = "PassThrough";
    /// <summary>
    /// KMSKeyArn: checked with KMS when set (as AWS's CreateGrant) and before each invoke (as AWS's Decrypt of the variables);
    /// the key the variables are encrypted under (null: aws/lambda).
    /// </summary>
    public string? KmsKeyArn { get; init; }
    /// <summary>SnapStart.ApplyOn (None or PublishedVersions), recorded and reported; Stratus takes no snapshots, so OptimizationStatus stays Off.</summary>
    public string SnapStartApplyOn { get; init; } = "None";
    /// <summary>DurableConfig: set, the function is durable and each invoke starts a durable execution (LambdaService.Durable.cs).</summary>
    public DurableSettings? Durable { get; init; }

    /// <summary>The log group the function writes to: LoggingConfig's, else AWS's default /aws/lambda/NAME.</summary>
    public string LogGroup => Logging?.LogGroup ?? LambdaTelemetry.LogGroup(FunctionName);
}

/// <summary>
/// A function's LoggingConfig. Text carries no levels; JSON has both levels, INFO when not given, as AWS reports them.
/// </summary>
public sealed record FunctionLogging(string LogFormat, string? LogGroup, string? ApplicationLogLevel, string? SystemLogLevel)
{
    public bool IsJson => LogFormat == "JSON";
}

/// <summary>The members of a LoggingConfig as given; null members are not given.</summary>
public sealed record LoggingSettings(string? LogFormat, string? LogGroup, string? ApplicationLogLevel, string? SystemLogLevel)
{
    /// <summary>The whole LoggingConfig (a template's): members not given go back to AWS's defaults instead of keeping their values.</summary>
    public bool Whole { get; init; }

    public static LoggingSettings Read(IInputReader input) =>
        new(input.String("LogFormat"), input.String("LogGroup"), input.String("ApplicationLogLevel"), input.String("SystemLogLevel"));
}

/// <summary>Lambda's ImageConfig: each member, when set, replaces the image's own (an empty list clears it, as on AWS).</summary>
public sealed record FunctionImageConfig(List<string>? EntryPoint, List<string>? Command, string? WorkingDirectory)
{
    /// <summary>No overrides: the image's own ENTRYPOINT, CMD and WORKDIR.</summary>
    public static readonly FunctionImageConfig None = new(null, null, null);

    public static FunctionImageConfig Read(IInputReader input) =>
        new(input.Has("EntryPoint") ? input.Strings("EntryPoint").ToList() : null,
            input.Has("Command") ? input.Strings("Command").ToList() : null,
            input.String("WorkingDirectory"));
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
    /// <summary>When Invoke accepted the event: MaximumEventAgeInSeconds counts from here. Default on events queued before it was kept.</summary>
    public DateTimeOffset Accepted { get; init; }
    /// <summary>The request id Invoke answered with, which the destination's invocation record carries.</summary>
    public string? RequestId { get; init; }
    /// <summary>The X-Ray trace header the event was sent under, whose lineage counts the request chain's invocations.</summary>
    public string? TraceHeader { get; init; }
}

/// <summary>A function URL: served over HTTP at its id's host name and path form, invoking the function (or its alias).</summary>
public sealed record FunctionUrlConfig
{
    /// <summary>The alias the URL invokes; null for the unqualified function.</summary>
    public string? Qualifier { get; init; }
    /// <summary>32 lowercase letters and digits, as AWS's url-id.</summary>
    public required string UrlId { get; init; }
    public required string AuthType { get; init; }
    public FunctionUrlCors? Cors { get; init; }
    public string InvokeMode { get; init; } = "BUFFERED";
    public required string CreationTime { get; init; }
    public required string LastModifiedTime { get; init; }
}

/// <summary>A function URL's CORS settings, applied to preflight requests and responses by the URL itself, as AWS does.</summary>
public sealed record FunctionUrlCors(bool? AllowCredentials, List<string> AllowHeaders, List<string> AllowMethods, List<string> AllowOrigins,
    List<string> ExposeHeaders, int? MaxAge)
{
    public static FunctionUrlCors Read(IInputReader input) =>
        new(input.Bool("AllowCredentials"), input.Strings("AllowHeaders").ToList(), input.Strings("AllowMethods").ToList(),
            input.Strings("AllowOrigins").ToList(), input.Strings("ExposeHeaders").ToList(), input.Int("MaxAge"));
}

/// <summary>The members of Create/UpdateFunctionUrlConfig and AWS::Lambda::Url; null members are not given.</summary>
public sealed record FunctionUrlSettings(string? AuthType, FunctionUrlCors? Cors, string? InvokeMode)
{
    public static FunctionUrlSettings Read(IInputReader input) =>
        new(input.String("AuthType"), input.Object("Cors") is { } cors ? FunctionUrlCors.Read(cors) : null, input.String("InvokeMode"));
}

/// <summary>A layer version a function uses, as its configuration keeps it: the code stays with the function if the version is deleted, as on AWS.</summary>
public sealed record FunctionLayer(string Arn, long CodeSize, string CodeId, long UnzippedSize);

/// <summary>A layer: its published versions. Numbers are never reused, so the next one is kept when versions are deleted.</summary>
public sealed record LambdaLayer
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string Name { get; init; }
    public long NextVersion { get; init; } = 1;
    public List<LayerVersion> Versions { get; init; } = [];

    public string Arn => LambdaArns.Layer(AccountId, Region, Name);
}

public sealed record LayerVersion
{
    public required long Version { get; init; }
    public string Description { get; init; } = "";
    public required string CreatedDate { get; init; }
    public List<string> CompatibleRuntimes { get; init; } = [];
    public List<string> CompatibleArchitectures { get; init; } = [];
    public string? LicenseInfo { get; init; }
    public required string CodeId { get; init; }
    public required string CodeSha256 { get; init; }
    public long CodeSize { get; init; }
    public long UnzippedSize { get; init; }
    /// <summary>AddLayerVersionPermission's statements (action lambda:GetLayerVersion).</summary>
    public List<PolicyStatement> Policy { get; init; } = [];
    public string PolicyRevisionId { get; init; } = Guid.NewGuid().ToString();
}

/// <summary>What PublishLayerVersion and AWS::Lambda::LayerVersion describe besides the content.</summary>
public sealed record LayerSettings(string? Description, List<string> CompatibleRuntimes, List<string> CompatibleArchitectures, string? LicenseInfo)
{
    public static LayerSettings Read(IInputReader input) =>
        new(input.String("Description"), input.Strings("CompatibleRuntimes").ToList(), input.Strings("CompatibleArchitectures").ToList(), input.String("LicenseInfo"));
}

/// <summary>How a function's asynchronous invocations are retried, aged out and reported, for one qualifier.</summary>
public sealed record EventInvokeConfig
{
    public required string Qualifier { get; init; }
    public int? MaximumRetryAttempts { get; init; }
    public int? MaximumEventAgeInSeconds { get; init; }
    public string? OnSuccess { get; init; }
    public string? OnFailure { get; init; }
    public DateTimeOffset LastModified { get; init; }
}

/// <summary>The members of Put/UpdateFunctionEventInvokeConfig and AWS::Lambda::EventInvokeConfig; null members are not given.</summary>
public sealed record EventInvokeSettings(int? MaximumRetryAttempts, int? MaximumEventAgeInSeconds, string? OnSuccess, string? OnFailure, bool HasDestinationConfig)
{
    public static EventInvokeSettings Read(IInputReader input)
    {
        var destinations = input.Object("DestinationConfig");
        return new(input.Int("MaximumRetryAttempts"), input.Int("MaximumEventAgeInSeconds"),
            destinations?.Object("OnSuccess")?.String("Destination"), destinations?.Object("OnFailure")?.String("Destination"), destinations is not null);
    }
}

public static class LambdaArns
{
    public static string Function(string accountId, string region, string name) => $"arn:aws:lambda:{region}:{accountId}:function:{name}";
    public static string Layer(string accountId, string region, string name) => $"arn:aws:lambda:{region}:{accountId}:layer:{name}";
    public static string CodeSigningConfig(string accountId, string region, string id) => $"arn:aws:lambda:{region}:{accountId}:code-signing-config:{id}";
}

/// <summary>A code signing config: the signing profile versions a function's code must be signed by, and what a deployment that is not gets.</summary>
public sealed record CodeSigningConfig
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    /// <summary>csc- and 17 lowercase hex digits, as AWS's ids.</summary>
    public required string Id { get; init; }
    public string Description { get; init; } = "";
    public required List<string> SigningProfileVersionArns { get; init; }
    /// <summary>Warn (AWS's default) deploys unsigned code and counts SignatureValidationErrors; Enforce refuses it.</summary>
    public string UntrustedArtifactOnDeployment { get; init; } = "Warn";
    public required string LastModified { get; init; }
    public Dictionary<string, string> Tags { get; init; } = [];

    public string Arn => LambdaArns.CodeSigningConfig(AccountId, Region, Id);
    public bool Enforces => UntrustedArtifactOnDeployment == "Enforce";
}

/// <summary>The members of Create/UpdateCodeSigningConfig and AWS::Lambda::CodeSigningConfig; null members are not given.</summary>
public sealed record CodeSigningSettings(string? Description, List<string>? SigningProfileVersionArns, string? UntrustedArtifactOnDeployment)
{
    public static CodeSigningSettings Read(IInputReader input) =>
        new(input.String("Description"),
            input.Object("AllowedPublishers") is { } publishers ? publishers.Strings("SigningProfileVersionArns").ToList() : null,
            input.Object("CodeSigningPolicies")?.String("UntrustedArtifactOnDeployment"));
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
    public FunctionImageConfig? ImageConfig { get; init; }
    /// <summary>Layer version ARNs, in mount order; an empty list removes every layer.</summary>
    public List<string>? Layers { get; init; }
    public LoggingSettings? Logging { get; init; }
    public string? TracingMode { get; init; }
    /// <summary>KMSKeyArn; an empty string returns the function to AWS's default key.</summary>
    public string? KmsKeyArn { get; init; }
    public string? SnapStartApplyOn { get; init; }
    /// <summary>CreateFunction's CodeSigningConfigArn (AWS::Lambda::Function's too); an empty string names none.</summary>
    public string? CodeSigningConfigArn { get; init; }
    /// <summary>DeadLetterConfig.TargetArn; an empty string clears it.</summary>
    public string? DeadLetterTarget { get; init; }
    /// <summary>DurableConfig's members as given.</summary>
    public (int? ExecutionTimeout, int? RetentionPeriodInDays)? Durable { get; init; }
    /// <summary>Members for features Stratus does not serve that the request set (FileSystemConfigs, CapacityProviderConfig, ...).</summary>
    public List<string> NotServed { get; init; } = [];

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
            ImageConfig = input.Object("ImageConfig") is { } image ? FunctionImageConfig.Read(image) : null,
            Layers = input.Has("Layers") ? input.Strings("Layers").ToList() : null,
            Logging = input.Object("LoggingConfig") is { } logging ? LoggingSettings.Read(logging) : null,
            TracingMode = input.Object("TracingConfig")?.String("Mode"),
            // The API spells it KMSKeyArn, AWS::Lambda::Function KmsKeyArn.
            KmsKeyArn = input.String("KMSKeyArn") ?? input.String("KmsKeyArn"),
            SnapStartApplyOn = input.Object("SnapStart")?.String("ApplyOn"),
            CodeSigningConfigArn = input.String("CodeSigningConfigArn"),
            DeadLetterTarget = input.Object("DeadLetterConfig") is { } deadLetter ? deadLetter.String("TargetArn") ?? "" : null,
            Durable = input.Object("DurableConfig") is { } durable ? DurableSettings.Read(durable) : null,
            NotServed = NotServedMembers(input),
        };
    }

    /// <summary>
    /// Members naming features Stratus does not run: refused rather than ignored, so a function is never reported as
    /// something it is not. An empty FileSystemConfigs list (which detaches every file system) is no feature.
    /// </summary>
    private static List<string> NotServedMembers(IInputReader input)
    {
        var members = new List<string>();
        if (input.Has("FileSystemConfigs") && input.Objects("FileSystemConfigs").Any()) members.Add("FileSystemConfigs");
        foreach (var member in (string[])["CapacityProviderConfig", "PublishTo", "TenancyConfig"])
            if (input.Has(member)) members.Add(member);
        return members;
    }
}

/// <summary>A deployment package: zip bytes, or a container image.</summary>
public sealed record FunctionCode(byte[]? ZipFile, string? ImageUri);

/// <param name="TraceHeader">The caller's X-Amzn-Trace-Id, whose lineage recursive loop detection counts.</param>
/// <param name="Stream">Takes a streaming response as the function writes it (function URLs in RESPONSE_STREAM mode, InvokeWithResponseStream).</param>
public sealed record InvokeOptions(string InvocationType, bool TailLog, string? ClientContext, string? TraceHeader = null, ResponseStream? Stream = null)
{
    /// <summary>Invoke's X-Amz-Durable-Execution-Name: the name of the durable execution it starts.</summary>
    public string? DurableExecutionName { get; init; }
    /// <summary>An invocation of a durable execution's function by its scheduler (the envelope as payload), not a new execution.</summary>
    public bool DurableReplay { get; init; }
    /// <summary>The chained invoke a durable execution this invoke starts answers to (a durable function's context.invoke).</summary>
    public ChainedCaller? ChainedCaller { get; init; }
}

public sealed record InvokeResponse(int StatusCode, ReadOnlyMemory<byte> Payload, string? FunctionError, string ExecutedVersion, string? LogResult)
{
    /// <summary>The durable execution an invoke of a durable function started (X-Amz-Durable-Execution-Arn).</summary>
    public string? DurableExecutionArn { get; init; }
}
