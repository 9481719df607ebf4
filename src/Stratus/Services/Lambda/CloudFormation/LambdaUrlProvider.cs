using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Lambda.CloudFormation;

/// <summary>
/// AWS::Lambda::Url through LambdaService: a function URL for TargetFunctionArn (and Qualifier, an alias).
/// Ref and GetAtt FunctionArn are the function's (qualified) ARN; GetAtt FunctionUrl is Stratus's host-form URL.
/// </summary>
public sealed class LambdaUrlProvider(LambdaService lambda) : IResourceProvider
{
    public string Type => "AWS::Lambda::Url";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "TargetFunctionArn", "Qualifier" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var (function, config) = lambda.CreateFunctionUrlConfig(request.Scope, p.Required("TargetFunctionArn"), p.String("Qualifier"), FunctionUrlSettings.Read(p));
        return Task.FromResult(Provisioned(function, config));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        // A template states the whole URL: a Cors left out is removed, as an update of the stack does on AWS.
        var settings = FunctionUrlSettings.Read(p);
        var (function, config) = lambda.UpdateFunctionUrlConfig(request.Scope, p.Required("TargetFunctionArn"), p.String("Qualifier"),
            settings with { Cors = settings.Cors ?? new FunctionUrlCors(null, [], [], [], [], null), InvokeMode = settings.InvokeMode ?? "BUFFERED" });
        return Task.FromResult(Provisioned(function, config));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        var p = request.Properties;
        ResourceDeletion.IfPresent(() => lambda.DeleteFunctionUrlConfig(request.Scope, p.Required("TargetFunctionArn"), p.String("Qualifier")), "ResourceNotFoundException");
        return Task.CompletedTask;
    }

    private ProvisionedResource Provisioned(LambdaFunction function, FunctionUrlConfig config)
    {
        var arn = config.Qualifier is { } alias ? $"{function.Arn}:{alias}" : function.Arn;
        return new ProvisionedResource(arn, new Dictionary<string, string> { ["FunctionArn"] = arn, ["FunctionUrl"] = lambda.FunctionUrl(function, config) });
    }
}
