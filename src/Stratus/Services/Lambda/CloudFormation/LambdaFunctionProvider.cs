using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Lambda.CloudFormation;

/// <summary>AWS::Lambda::Function through LambdaService: code, configuration, tags and reserved concurrency. Ref is the function name.</summary>
public sealed class LambdaFunctionProvider(LambdaService lambda, LambdaFunctionCode code) : IResourceProvider, ILiveStateReader, IResourceImporter
{
    public string Type => "AWS::Lambda::Function";

    public string ImportIdentifier => "FunctionName";

    public ProvisionedResource? FindExisting(Scope scope, string identifier) =>
        ResourceLookup.IfPresent(() => lambda.GetFunction(scope, identifier, null).Function, "ResourceNotFoundException") is { } function
            ? Provisioned(function)
            : null;

    public IEnumerable<ExistingResource> ListExisting(Scope scope) =>
        ResourceLookup.All(marker => lambda.ListFunctions(scope, marker, 1000))
            .Select(f => new ExistingResource(f.Name, Provisioned(f), f.Tags));

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "FunctionName", "PackageType" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var name = p.String("FunctionName") ?? request.GeneratedName(64);
        var function = lambda.CreateFunction(request.Scope, name, Settings(p), code.Read(p, request.Scope, "CreateFunction"),
            p.String("PackageType"), Tags(p), publish: false);
        try
        {
            if (p.Int("ReservedConcurrentExecutions") is { } reserved) lambda.PutFunctionConcurrency(request.Scope, name, reserved);
        }
        catch
        {
            lambda.DeleteFunction(request.Scope, name, null);
            throw;
        }
        return Task.FromResult(Provisioned(function));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var (scope, name) = (request.Scope, current.PhysicalId);
        // The config is attached before new code is deployed, so that code is checked against it, as on AWS.
        if (p.String("CodeSigningConfigArn") is var codeSigning && codeSigning != previousProperties["CodeSigningConfigArn"]?.GetValue<string>())
        {
            if (codeSigning is { Length: > 0 }) lambda.PutFunctionCodeSigningConfig(scope, name, codeSigning);
            else lambda.DeleteFunctionCodeSigningConfig(scope, name);
        }
        if (!ResourceProperties.Same(p.Values["Code"], previousProperties["Code"]))
            lambda.UpdateFunctionCode(scope, name, code.Read(p, scope, "UpdateFunctionCode"), publish: false, revisionId: null);
        var settings = Settings(p);
        // Settings left out of the template go back to Lambda's defaults, as CloudFormation does.
        var function = lambda.UpdateFunctionConfiguration(scope, name, settings with
        {
            Description = settings.Description ?? "",
            Timeout = settings.Timeout ?? 3,
            MemorySize = settings.MemorySize ?? 128,
            EphemeralStorageSize = settings.EphemeralStorageSize ?? 512,
            Environment = settings.Environment ?? [],
            SubnetIds = settings.SubnetIds ?? [],
            SecurityGroupIds = settings.SecurityGroupIds ?? [],
            ImageConfig = settings.ImageConfig ?? FunctionImageConfig.None,
            Logging = (settings.Logging ?? new LoggingSettings(null, null, null, null)) with { Whole = true },
            TracingMode = settings.TracingMode ?? "PassThrough",
            KmsKeyArn = settings.KmsKeyArn ?? "",
            SnapStartApplyOn = settings.SnapStartApplyOn ?? "None",
        }, revisionId: null);

        var tags = Tags(p);
        var removed = Tags(new ResourceProperties(request.LogicalId, previousProperties)).Keys.Except(tags.Keys).ToList();
        if (removed.Count > 0) lambda.UntagResource(scope, function.Arn, removed);
        if (tags.Count > 0) lambda.TagResource(scope, function.Arn, tags);
        if (p.Int("ReservedConcurrentExecutions") is { } reserved) lambda.PutFunctionConcurrency(scope, name, reserved);
        else if (function.ReservedConcurrency is not null) lambda.DeleteFunctionConcurrency(scope, name);
        return Task.FromResult(Provisioned(function));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => lambda.DeleteFunction(request.Scope, current.PhysicalId, null), "ResourceNotFoundException");
        return Task.CompletedTask;
    }

    /// <summary>
    /// The function's configuration as Lambda holds it, for drift detection: every property UpdateFunctionConfiguration can
    /// change outside the stack (code is not compared, see below).
    /// </summary>
    public JsonObject? ReadLive(ResourceRequest request, ProvisionedResource current)
    {
        LambdaFunction function;
        try
        {
            function = lambda.GetFunction(request.Scope, current.PhysicalId, null).Function;
        }
        catch (AwsException e) when (e.Code == "ResourceNotFoundException")
        {
            return null;
        }
        var config = function.Latest;
        var expected = request.Properties.Values;
        return new JsonObject
        {
            ["FunctionName"] = config.FunctionName,
            ["Runtime"] = config.Runtime,
            ["Handler"] = config.Handler,
            ["Role"] = config.Role,
            ["Description"] = config.Description,
            ["Timeout"] = config.Timeout,
            ["MemorySize"] = config.MemorySize,
            ["EphemeralStorage"] = new JsonObject { ["Size"] = config.EphemeralStorageSize },
            ["Environment"] = new JsonObject { ["Variables"] = new JsonObject(lambda.Variables(function, config).Select(v => KeyValuePair.Create(v.Key, (JsonNode?)v.Value))) },
            ["Architectures"] = new JsonArray(config.Architectures.Select(a => (JsonNode?)a).ToArray()),
            ["PackageType"] = config.PackageType,
            ["ReservedConcurrentExecutions"] = function.ReservedConcurrency,
            ["Tags"] = LiveState.TagList(request.Properties.Values["Tags"], function.Tags),
            ["LoggingConfig"] = LiveState.Within(expected["LoggingConfig"], new JsonObject
            {
                ["LogFormat"] = config.Logging?.LogFormat ?? "Text",
                ["LogGroup"] = config.LogGroup,
                ["ApplicationLogLevel"] = config.Logging?.ApplicationLogLevel,
                ["SystemLogLevel"] = config.Logging?.SystemLogLevel,
            }),
            ["TracingConfig"] = new JsonObject { ["Mode"] = config.TracingMode },
            ["KmsKeyArn"] = config.KmsKeyArn,
            ["CodeSigningConfigArn"] = function.CodeSigningConfigArn,
            ["SnapStart"] = new JsonObject { ["ApplyOn"] = config.SnapStartApplyOn },
            ["Layers"] = new JsonArray(config.Layers.Select(layer => (JsonNode?)layer.Arn).ToArray()),
            ["VpcConfig"] = LiveState.Within(expected["VpcConfig"], new JsonObject
            {
                ["SubnetIds"] = new JsonArray(config.SubnetIds.Select(id => (JsonNode?)id).ToArray()),
                ["SecurityGroupIds"] = new JsonArray(config.SecurityGroupIds.Select(id => (JsonNode?)id).ToArray()),
            }),
            ["ImageConfig"] = config.ImageConfig is { } image ? LiveState.Within(expected["ImageConfig"], new JsonObject
            {
                ["EntryPoint"] = image.EntryPoint is { } entryPoint ? new JsonArray(entryPoint.Select(e => (JsonNode?)e).ToArray()) : null,
                ["Command"] = image.Command is { } command ? new JsonArray(command.Select(c => (JsonNode?)c).ToArray()) : null,
                ["WorkingDirectory"] = image.WorkingDirectory,
            }) : null,
            // Code is not read back: its schema makes it write-only, and CloudFormation's drift detection leaves
            // write-only properties out, so code changed by UpdateFunctionCode does not show as drift on AWS either.
        };
    }

    /// <summary>The function's settings; a template must name its Role, as the resource schema requires.</summary>
    private static FunctionSettings Settings(ResourceProperties p) =>
        FunctionSettings.Read(p) is { Role: not null } settings ? settings : throw p.Missing("Role");

    private static Dictionary<string, string> Tags(ResourceProperties p) => p.TagMap() ?? [];

    private static ProvisionedResource Provisioned(LambdaFunction function) =>
        new(function.Name, new Dictionary<string, string> { ["Arn"] = function.Arn });
}
