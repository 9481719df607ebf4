using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Services.CloudWatch.CloudFormation;

/// <summary>AWS::CloudWatch::Alarm through CloudWatchService: a metric, metric math or anomaly detection alarm, put again on update. Ref is the alarm name.</summary>
public sealed class CloudWatchAlarmProvider(CloudWatchService cloudWatch) : IResourceProvider
{
    public string Type => "AWS::CloudWatch::Alarm";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "AlarmName" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var name = request.Properties.String("AlarmName") ?? request.GeneratedName(255);
        return Task.FromResult(Put(request, name));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var removed = Tags(new ResourceProperties(request.LogicalId, previousProperties)).Keys.Except(Tags(request.Properties).Keys).ToList();
        var updated = Put(request, current.PhysicalId);
        if (removed.Count > 0) cloudWatch.UntagResource(request.Scope, updated.Attributes["Arn"], removed);
        return Task.FromResult(updated);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => cloudWatch.DeleteAlarms(request.Scope, [current.PhysicalId]), "ResourceNotFound");
        return Task.CompletedTask;
    }

    private ProvisionedResource Put(ResourceRequest request, string name)
    {
        var p = request.Properties;
        var scope = request.Scope;
        IInputReader input = p;
        cloudWatch.PutMetricAlarm(scope, MetricAlarm.Read(p, scope, name, MetricDataQuery.ReadDimensions(p), input.Objects("Metrics").Select(MetricDataQuery.Read).ToList(), Tags(p)));
        var alarm = cloudWatch.DescribeAlarms(scope, [name], null, null, null).Single();
        return new ProvisionedResource(alarm.AlarmName, new Dictionary<string, string> { ["Arn"] = alarm.AlarmArn });
    }

    private static Dictionary<string, string> Tags(ResourceProperties p) => p.TagMap() ?? [];
}
