using System.Text.Json.Nodes;
using Stratus.Services.Lambda;

namespace Stratus.Services.CloudFormation.Resources.Lambda;

/// <summary>AWS::Lambda::Function through LambdaService: code, configuration, tags and reserved concurrency. Ref is the function name.</summary>
public sealed class LambdaFunctionProvider(LambdaService lambda, LambdaFunctionCode code) : IResourceProvider
{
    public string Type => "AWS::Lambda::Function";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "FunctionName", "PackageType" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var name = p.String("FunctionName") ?? request.GeneratedName(64);
        var function = lambda.CreateFunction(request.AccountId, request.Region, name, Settings(p), code.Read(p),
            p.String("PackageType"), Tags(p), publish: false);
        try
        {
            if (p.Int("ReservedConcurrentExecutions") is { } reserved) lambda.PutFunctionConcurrency(request.AccountId, request.Region, name, reserved);
        }
        catch
        {
            lambda.DeleteFunction(request.AccountId, request.Region, name, null);
            throw;
        }
        return Task.FromResult(Provisioned(function));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var (account, region, name) = (request.AccountId, request.Region, current.PhysicalId);
        if (!ResourceProperties.Same(p.Values["Code"], previousProperties["Code"]))
            lambda.UpdateFunctionCode(account, region, name, code.Read(p), publish: false, revisionId: null);
        var settings = Settings(p);
        // Settings left out of the template go back to Lambda's defaults, as CloudFormation does.
        var function = lambda.UpdateFunctionConfiguration(account, region, name, settings with
        {
            Description = settings.Description ?? "",
            Timeout = settings.Timeout ?? 3,
            MemorySize = settings.MemorySize ?? 128,
            EphemeralStorageSize = settings.EphemeralStorageSize ?? 512,
            Environment = settings.Environment ?? [],
            SubnetIds = settings.SubnetIds ?? [],
            SecurityGroupIds = settings.SecurityGroupIds ?? [],
        }, revisionId: null);

        var tags = Tags(p);
        var removed = Tags(new ResourceProperties(request.LogicalId, previousProperties)).Keys.Except(tags.Keys).ToList();
        if (removed.Count > 0) lambda.UntagResource(account, region, function.Arn, removed);
        if (tags.Count > 0) lambda.TagResource(account, region, function.Arn, tags);
        if (p.Int("ReservedConcurrentExecutions") is { } reserved) lambda.PutFunctionConcurrency(account, region, name, reserved);
        else if (function.ReservedConcurrency is not null) lambda.DeleteFunctionConcurrency(account, region, name);
        return Task.FromResult(Provisioned(function));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ServiceCall.DeleteIfPresent(() => lambda.DeleteFunction(request.AccountId, request.Region, current.PhysicalId, null), "ResourceNotFoundException");
        return Task.CompletedTask;
    }

    private static FunctionSettings Settings(ResourceProperties p)
    {
        var vpc = p.Object("VpcConfig");
        return new FunctionSettings
        {
            Runtime = p.String("Runtime"),
            Role = p.Required("Role"),
            Handler = p.String("Handler"),
            Description = p.String("Description"),
            Timeout = p.Int("Timeout"),
            MemorySize = p.Int("MemorySize"),
            EphemeralStorageSize = p.Object("EphemeralStorage")?.Int("Size"),
            Environment = p.Object("Environment")?.StringMap("Variables"),
            SubnetIds = vpc?.Strings("SubnetIds").ToList(),
            SecurityGroupIds = vpc?.Strings("SecurityGroupIds").ToList(),
            Architectures = p.Values.ContainsKey("Architectures") ? p.Strings("Architectures").ToList() : null,
        };
    }

    private static Dictionary<string, string> Tags(ResourceProperties p) => p.Tags().ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);

    private static ProvisionedResource Provisioned(LambdaFunction function) =>
        new(function.Name, new Dictionary<string, string> { ["Arn"] = function.Arn });
}
