using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Logs.CloudFormation;

/// <summary>AWS::Logs::ResourcePolicy: an account-level resource policy, through PutResourcePolicy. Ref is its name; a new document changes it in place.</summary>
public sealed class LogsResourcePolicyProvider(LogsService logs) : IResourceProvider
{
    public string Type => "AWS::Logs::ResourcePolicy";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "PolicyName" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation) => Task.FromResult(Put(request));

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(Put(request));

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => logs.DeleteResourcePolicy(request.Scope, current.PhysicalId, null, null), "ResourceNotFoundException");
        return Task.CompletedTask;
    }

    private ProvisionedResource Put(ResourceRequest request)
    {
        var p = request.Properties;
        var policy = logs.PutResourcePolicy(request.Scope, p.Required("PolicyName"), p.RequiredDocument("PolicyDocument"), null, null);
        return new ProvisionedResource(policy.PolicyName, new Dictionary<string, string>());
    }
}
