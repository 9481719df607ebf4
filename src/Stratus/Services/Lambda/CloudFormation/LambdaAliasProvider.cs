using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Lambda.CloudFormation;

/// <summary>
/// AWS::Lambda::Alias through LambdaService: a named pointer at a version, with optional weighted routing.
/// Ref is the alias's ARN (as SAM's AutoPublishAlias routes API integrations through it); GetAtt AliasArn the same.
/// ProvisionedConcurrencyConfig is put on the alias and waited for until READY (see <see cref="ProvisionedConcurrencyProperty"/>).
/// </summary>
public sealed class LambdaAliasProvider(LambdaService lambda) : IResourceProvider
{
    public string Type => "AWS::Lambda::Alias";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "FunctionName", "Name" };

    public async Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var functionName = p.Required("FunctionName");
        var name = p.Required("Name");
        lambda.CreateAlias(request.Scope, functionName, name, p.Required("FunctionVersion"), p.String("Description"), Weights(p));
        await ProvisionedConcurrencyProperty.ApplyAsync(lambda, request, functionName, name, null, false, cancellation);
        return Provisioned(request, functionName, name);
    }

    public async Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var before = new ResourceProperties(request.LogicalId, previousProperties);
        var functionName = p.Required("FunctionName");
        var name = p.Required("Name");
        // A template without RoutingConfig routes everything to FunctionVersion again.
        lambda.UpdateAlias(request.Scope, functionName, name, p.Required("FunctionVersion"), p.String("Description") ?? "", Weights(p) ?? [], null);
        await ProvisionedConcurrencyProperty.ApplyAsync(lambda, request, functionName, name, before,
            p.Required("FunctionVersion") != before.String("FunctionVersion"), cancellation);
        return Provisioned(request, functionName, name);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        var p = request.Properties;
        ResourceDeletion.IfPresent(() => lambda.DeleteAlias(request.Scope, p.Required("FunctionName"), p.Required("Name")), "ResourceNotFoundException");
        return Task.CompletedTask;
    }

    private static Dictionary<string, double>? Weights(ResourceProperties p) =>
        p.Object("RoutingConfig")?.Objects("AdditionalVersionWeights").Select(w => new ResourceProperties("RoutingConfig", w))
            .ToDictionary(w => w.Required("FunctionVersion"), w => w.Double("FunctionWeight") ?? 0);

    private ProvisionedResource Provisioned(ResourceRequest request, string functionName, string name)
    {
        var arn = $"{lambda.GetFunction(request.Scope, functionName, null).Function.Arn}:{name}";
        return new ProvisionedResource(arn, new Dictionary<string, string> { ["AliasArn"] = arn });
    }
}
