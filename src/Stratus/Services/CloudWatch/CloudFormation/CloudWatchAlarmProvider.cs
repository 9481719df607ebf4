using System.Globalization;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.CloudWatch.CloudFormation;

/// <summary>AWS::CloudWatch::Alarm through CloudWatchService: a single-metric alarm, put again on update. Ref is the alarm name.</summary>
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
        if (p.Values.ContainsKey("Metrics")) throw p.Invalid("Metrics", "metric math alarms are not supported by Stratus's CloudFormation; use MetricName and Namespace");
        var scope = request.Scope;
        var threshold = p.String("Threshold");
        cloudWatch.PutMetricAlarm(scope, new MetricAlarm
        {
            AlarmName = name,
            AlarmArn = "",
            AccountId = request.AccountId,
            Region = request.Region,
            AlarmDescription = p.String("AlarmDescription"),
            ActionsEnabled = p.Bool("ActionsEnabled") ?? true,
            OKActions = p.Strings("OKActions").ToList(),
            AlarmActions = p.Strings("AlarmActions").ToList(),
            InsufficientDataActions = p.Strings("InsufficientDataActions").ToList(),
            MetricName = p.String("MetricName"),
            Namespace = p.String("Namespace"),
            Statistic = p.String("Statistic"),
            ExtendedStatistic = p.String("ExtendedStatistic"),
            Dimensions = p.Objects("Dimensions").Select(d => new ResourceProperties(request.LogicalId, d))
                .Select(d => new MetricDimension(d.Required("Name"), d.Required("Value"))).ToList(),
            Period = p.Int("Period"),
            Unit = p.String("Unit"),
            EvaluationPeriods = p.Int("EvaluationPeriods") ?? throw p.Missing("EvaluationPeriods"),
            DatapointsToAlarm = p.Int("DatapointsToAlarm"),
            Threshold = threshold is null ? null
                : double.TryParse(threshold, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : throw p.Invalid("Threshold", "expected type: Number"),
            ComparisonOperator = p.Required("ComparisonOperator"),
            TreatMissingData = p.String("TreatMissingData") ?? "missing",
            Tags = Tags(p),
        });
        var alarm = cloudWatch.DescribeAlarms(scope, [name], null, null, null).Single();
        return new ProvisionedResource(alarm.AlarmName, new Dictionary<string, string> { ["Arn"] = alarm.AlarmArn });
    }

    private static Dictionary<string, string> Tags(ResourceProperties p) => p.Tags().ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
}
