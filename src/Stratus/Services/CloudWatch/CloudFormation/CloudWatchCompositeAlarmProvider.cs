using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.CloudWatch.CloudFormation;

/// <summary>AWS::CloudWatch::CompositeAlarm through CloudWatchService, read with PutCompositeAlarm's own input. Ref is the alarm name.</summary>
public sealed class CloudWatchCompositeAlarmProvider(CloudWatchService cloudWatch) : IResourceProvider
{
    public string Type => "AWS::CloudWatch::CompositeAlarm";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "AlarmName" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation) =>
        Task.FromResult(Put(request, request.Properties.String("AlarmName") ?? request.GeneratedName(255)));

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var updated = Put(request, current.PhysicalId);
        // PutCompositeAlarm keeps an existing alarm's tags, so a template's changed tags are applied through the tagging operations.
        var tags = request.Properties.TagMap() ?? [];
        var removed = (new ResourceProperties(request.LogicalId, previousProperties).TagMap() ?? []).Keys.Except(tags.Keys).ToList();
        if (removed.Count > 0) cloudWatch.UntagResource(request.Scope, updated.Attributes["Arn"], removed);
        if (tags.Count > 0) cloudWatch.TagResource(request.Scope, updated.Attributes["Arn"], tags);
        return Task.FromResult(updated);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => cloudWatch.DeleteAlarms(request.Scope, [current.PhysicalId]), "ResourceNotFound");
        return Task.CompletedTask;
    }

    private ProvisionedResource Put(ResourceRequest request, string name)
    {
        var alarm = CompositeAlarm.Read(request.Properties, request.Scope, name, request.Properties.TagMap() ?? []);
        cloudWatch.PutCompositeAlarm(request.Scope, alarm);
        return new ProvisionedResource(name, new Dictionary<string, string> { ["Arn"] = alarm.AlarmArn });
    }
}
