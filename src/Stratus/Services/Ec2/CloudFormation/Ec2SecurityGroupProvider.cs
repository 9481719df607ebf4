using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Ec2.CloudFormation;

/// <summary>
/// AWS::EC2::SecurityGroup with its inline SecurityGroupIngress/SecurityGroupEgress. As CloudFormation does,
/// a group given egress rules loses the default allow-all egress rule; rules and tags change in place. Ref is
/// the group id for a group in a named VPC, and the group name for one in the default VPC.
/// </summary>
public sealed class Ec2SecurityGroupProvider(Ec2Service ec2) : IResourceProvider
{
    public string Type => "AWS::EC2::SecurityGroup";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "GroupName", "GroupDescription", "VpcId" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var group = ec2.CreateSecurityGroup(request.Scope, p.String("GroupName") ?? request.GeneratedName(255), p.Required("GroupDescription"),
            p.String("VpcId"), Ec2TemplateProperties.Tags(p));
        try
        {
            ApplyRules(request, group.GroupId);
        }
        catch
        {
            ec2.DeleteSecurityGroup(request.Scope, group.GroupId, null);
            throw;
        }
        return Task.FromResult(Provisioned(request, group));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var group = Group(request, current);
        ApplyRules(request, group.GroupId);
        ec2.ReplaceTags(request.Scope, group.GroupId, Ec2TemplateProperties.Tags(request.Properties));
        return Task.FromResult(Provisioned(request, group));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Ec2TemplateProperties.DeleteIfPresent(() => ec2.DeleteSecurityGroup(request.Scope, Group(request, current).GroupId, null));
        return Task.CompletedTask;
    }

    private void ApplyRules(ResourceRequest request, string groupId)
    {
        IInputReader p = request.Properties;
        ec2.ReplaceRules(request.Scope, groupId, egress: false, p.Objects("SecurityGroupIngress").Select(r => IpPermission.ReadTemplateRule(r, egress: false)).ToList());
        if (p.Has("SecurityGroupEgress"))
            ec2.ReplaceRules(request.Scope, groupId, egress: true, p.Objects("SecurityGroupEgress").Select(r => IpPermission.ReadTemplateRule(r, egress: true)).ToList());
    }

    private SecurityGroup Group(ResourceRequest request, ProvisionedResource current) =>
        ec2.GetSecurityGroup(request.Scope, current.Attributes.GetValueOrDefault("GroupId") ?? current.PhysicalId);

    private static ProvisionedResource Provisioned(ResourceRequest request, SecurityGroup g) =>
        new(request.Properties.String("VpcId") is null ? g.GroupName : g.GroupId, new Dictionary<string, string>
        {
            ["GroupId"] = g.GroupId,
            ["VpcId"] = g.VpcId,
        });
}
