using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Rds.CloudFormation;

/// <summary>
/// AWS::RDS::DBSubnetGroup through RdsService: its subnets must exist in EC2 and cover two Availability Zones.
/// Ref is the group name (generated lower-case when the template leaves it out, as CloudFormation does).
/// </summary>
public sealed class RdsDbSubnetGroupProvider(RdsService rds) : IResourceProvider
{
    public string Type => "AWS::RDS::DBSubnetGroup";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "DBSubnetGroupName" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var group = rds.CreateSubnetGroup(request.Scope, p.String("DBSubnetGroupName") ?? request.GeneratedName(255).ToLowerInvariant(),
            p.Required("DBSubnetGroupDescription"), p.Strings("SubnetIds"), RdsTag.List(p));
        return Task.FromResult(new ProvisionedResource(group.Name, new Dictionary<string, string>()));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        rds.ModifySubnetGroup(request.Scope, current.PhysicalId, p.Required("DBSubnetGroupDescription"), p.Strings("SubnetIds"));
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => rds.DeleteSubnetGroup(request.Scope, current.PhysicalId), "DBSubnetGroupNotFoundFault");
        return Task.CompletedTask;
    }
}
