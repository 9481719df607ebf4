using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.CloudWatch.CloudFormation;

/// <summary>
/// AWS::CloudWatch::InsightRule through CloudWatchService, read with PutInsightRule's own input (RuleBody is the template's
/// name for RuleDefinition). Ref is the rule's ARN; Fn::GetAtt answers Arn and RuleName.
/// </summary>
public sealed class CloudWatchInsightRuleProvider(CloudWatchService cloudWatch) : IResourceProvider
{
    public string Type => "AWS::CloudWatch::InsightRule";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "RuleName" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation) =>
        Task.FromResult(Put(request, request.Properties.Required("RuleName")));

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var updated = Put(request, current.Attributes["RuleName"]);
        // PutInsightRule ignores the tags of an existing rule, as on AWS, so a template's changed tags go through the tagging operations.
        var tags = request.Properties.TagMap() ?? [];
        var removed = (new ResourceProperties(request.LogicalId, previousProperties).TagMap() ?? []).Keys.Except(tags.Keys).ToList();
        if (removed.Count > 0) cloudWatch.UntagResource(request.Scope, updated.PhysicalId, removed);
        if (tags.Count > 0) cloudWatch.TagResource(request.Scope, updated.PhysicalId, tags);
        return Task.FromResult(updated);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        // DeleteInsightRules answers a missing rule in Failures rather than an error, so a rule already gone is simply done.
        cloudWatch.DeleteInsightRules(request.Scope, [current.Attributes["RuleName"]]);
        return Task.CompletedTask;
    }

    private ProvisionedResource Put(ResourceRequest request, string name)
    {
        var rule = cloudWatch.PutInsightRule(request.Scope, InsightRuleInput.Read(request.Properties, name));
        return new ProvisionedResource(rule.Arn, new Dictionary<string, string> { ["Arn"] = rule.Arn, ["RuleName"] = rule.Name });
    }
}
