using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Lambda.CloudFormation;

/// <summary>AWS::Lambda::Permission through LambdaService: one statement in the function's resource policy, its id generated. Ref is that id.</summary>
public sealed class LambdaPermissionProvider(LambdaService lambda) : IResourceProvider
{
    public string Type => "AWS::Lambda::Permission";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>
        { "FunctionName", "Action", "Principal", "SourceArn", "SourceAccount", "PrincipalOrgID", "FunctionUrlAuthType", "EventSourceToken" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var sid = request.GeneratedName(100);
        lambda.AddPermission(request.Scope, p.Required("FunctionName"), null, sid, p.Required("Action"), p.Required("Principal"),
            p.String("SourceArn"), p.String("SourceAccount"), p.String("PrincipalOrgID"), p.String("FunctionUrlAuthType"), null);
        return Task.FromResult(new ProvisionedResource(sid, new Dictionary<string, string>()));
    }

    // Every property requires replacement, so an in-place update has nothing to change.
    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(current);

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => lambda.RemovePermission(request.Scope, request.Properties.Required("FunctionName"), current.PhysicalId, null),
            "ResourceNotFoundException");
        return Task.CompletedTask;
    }
}
