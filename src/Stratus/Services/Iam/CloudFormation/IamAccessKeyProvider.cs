using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Iam.CloudFormation;

/// <summary>AWS::IAM::AccessKey: Ref is the key id, GetAtt SecretAccessKey its secret; a new Serial rotates it.</summary>
public sealed class IamAccessKeyProvider(IamService iam) : IResourceProvider
{
    public string Type => "AWS::IAM::AccessKey";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "UserName", "Serial" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var userName = p.Required("UserName");
        var key = iam.CreateAccessKey(request.Scope, userName);
        if (p.String("Status") is "Inactive") iam.UpdateAccessKey(request.Scope, userName, key.AccessKeyId, "Inactive");
        return Task.FromResult(new ProvisionedResource(key.AccessKeyId, new Dictionary<string, string> { ["SecretAccessKey"] = key.SecretAccessKey }));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        iam.UpdateAccessKey(request.Scope, request.Properties.Required("UserName"), current.PhysicalId, request.Properties.String("Status") ?? "Active");
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => iam.DeleteAccessKey(request.Scope, request.Properties.Required("UserName"), current.PhysicalId), "NoSuchEntity");
        return Task.CompletedTask;
    }
}
