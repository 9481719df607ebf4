using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Ec2.CloudFormation;

/// <summary>
/// AWS::EC2::SecurityGroupIngress and AWS::EC2::SecurityGroupEgress: one rule added to a group that lives
/// elsewhere (how CDK writes connections between groups). Ref is the rule id; any change makes a new rule.
/// </summary>
public sealed class Ec2SecurityGroupRuleProvider(Ec2Service ec2, bool egress) : IResourceProvider
{
    public string Type => egress ? "AWS::EC2::SecurityGroupEgress" : "AWS::EC2::SecurityGroupIngress";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>
    {
        "GroupId", "GroupName", "IpProtocol", "FromPort", "ToPort", "CidrIp", "CidrIpv6", "SourceSecurityGroupId",
        "DestinationSecurityGroupId", "SourcePrefixListId", "DestinationPrefixListId", "SourceSecurityGroupName",
    };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        IInputReader p = request.Properties;
        var group = egress
            ? ec2.GetSecurityGroup(request.Scope, p.Required("GroupId"))
            : ec2.ResolveGroup(request.Scope, p.String("GroupId"), p.String("GroupName"));
        var rule = ec2.Authorize(request.Scope, group, egress, [IpPermission.ReadTemplateRule(p, egress)], []).Single();
        return Ec2TemplateProperties.Done(rule.RuleId, new Dictionary<string, string> { ["Id"] = rule.RuleId, ["GroupId"] = group.GroupId });
    }

    // Only Description is left to change in place, and a rule's description is not part of what identifies it.
    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(current);

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        Ec2TemplateProperties.DeleteIfPresent(() =>
        {
            var group = ec2.GetSecurityGroup(request.Scope, current.Attributes["GroupId"]);
            ec2.Revoke(request.Scope, group, egress, [], [current.PhysicalId]);
        });
        return Task.CompletedTask;
    }
}
