using System.Globalization;
using System.Text;
using System.Text.Json;
using Stratus.Host;
using Stratus.Protocols.Cbor;
using Stratus.Protocols.Json;
using Stratus.Protocols.Query;
using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Services.CloudWatch;

/// <summary>
/// CloudWatch's wire operations (Smithy RPC v2 CBOR, AWS JSON 1.0 and Query, 2010-08-01; signing name monitoring): one
/// operation table serves the three protocols its clients speak (RPC v2 CBOR for current boto3 and aws CLI v1, JSON 1.0
/// and Query for aws CLI v2 and older SDKs); request members in, domain call, response shape out.
/// </summary>
public sealed partial class CloudWatchApi : IStratusService, IDisposable
{
    private const string ServiceName = "GraniteServiceVersion20100801";
    private const int ListMetricsPageSize = 500;
    private readonly CloudWatchService _cloudWatch;

    public CloudWatchApi(CloudWatchService cloudWatch, ILogger logger)
    {
        _cloudWatch = cloudWatch;
        Endpoint = new ServiceEndpoint("monitoring", Operations(),
            new RpcV2CborProtocol(ServiceName) { QueryCompatible = true },
            new AwsJsonProtocol(ServiceName, "1.0") { QueryCompatible = true },
            new AwsQueryProtocol("2010-08-01", "http://monitoring.amazonaws.com/doc/2010-08-01/")
            {
                Shape = new XmlShape { MapNames = new HashSet<string> { "ExtendedStatistics", "ContributorAttributes", "AlarmContributorAttributes" } },
            })
        {
            Logger = logger,
            Validation = CloudWatchErrors.Validation,
            Rules = CloudWatchRules.Members,
            // AWS: "Each PutMetricData request is limited to 1 MB in size for HTTP POST requests"; its largest request.
            MaxBodyBytes = 1024 * 1024,
        };
    }

    public string Name => "cloudwatch";
    public ServiceEndpoint Endpoint { get; }

    public void Dispose() => _cloudWatch.Dispose();

    private OperationTable Operations()
    {
        var table = MetricAndAlarmOperations();
        table.Add("PutCompositeAlarm", i =>
        {
            _cloudWatch.PutCompositeAlarm(i.Scope, CompositeAlarm.Read(i, i.Scope, i.Required("AlarmName"), Tags(i)));
            return (JsonObject?)null;
        });
        table.Add("PutDashboard", i =>
        {
            _cloudWatch.PutDashboard(i.Scope, i.Required("DashboardName"), i.Required("DashboardBody"));
            return new JsonObject { ["DashboardValidationMessages"] = new JsonArray() };
        });
        table.Add("GetDashboard", i =>
        {
            var dashboard = _cloudWatch.GetDashboard(i.Scope, i.Required("DashboardName"));
            return new JsonObject { ["DashboardArn"] = dashboard.Arn, ["DashboardBody"] = dashboard.Body, ["DashboardName"] = dashboard.Name };
        });
        table.Add("ListDashboards", ListDashboards);
        table.Add("GetMetricWidgetImage", GetMetricWidgetImage);
        table.Add("PutAnomalyDetector", i =>
        {
            _cloudWatch.PutAnomalyDetector(i.Scope, AnomalyDetector.Read(i, i.Scope));
            return (JsonObject?)null;
        });
        table.Add("DeleteAnomalyDetector", i =>
        {
            _cloudWatch.DeleteAnomalyDetector(i.Scope, AnomalyDetector.Read(i, i.Scope));
            return (JsonObject?)null;
        });
        table.Add("DescribeAnomalyDetectors", DescribeAnomalyDetectors);
        table.Add("DeleteDashboards", i =>
        {
            _cloudWatch.DeleteDashboards(i.Scope, i.Strings("DashboardNames"));
            return (JsonObject?)null;
        });
        AddInsightRuleOperations(table);
        AddMuteRuleOperations(table);
        // botocore's other operations answer a clear refusal naming the operation and why (README lists them).
        NotServedOperations.AddTo(table, CloudWatchNotServed.Operations, CloudWatchErrors.NotServed);
        return table;
    }

    private OperationTable MetricAndAlarmOperations() => new()
    {
        { "PutMetricData", async i =>
            {
                await _cloudWatch.PutMetricDataAsync(i.Scope, i.Required("Namespace"), i.List("MetricData").Select(n => MetricDataInput(i.Nested(Structure(n, "MetricData")))).ToList());
                return OperationResult.Empty();
            } },
        { "GetMetricStatistics", GetMetricStatistics },
        { "GetMetricData", GetMetricData },
        { "ListMetrics", ListMetrics },
        { "PutMetricAlarm", i =>
            {
                _cloudWatch.PutMetricAlarm(i.Scope, AlarmInput(i));
                return (JsonObject?)null;
            } },
        { "DescribeAlarms", DescribeAlarms },
        { "DescribeAlarmsForMetric", i => new JsonObject
            {
                ["MetricAlarms"] = new JsonArray(_cloudWatch.DescribeAlarmsForMetric(i.Scope, i.Required("Namespace"), i.Required("MetricName"), Dimensions(i),
                    i.String("Statistic"), i.String("ExtendedStatistic"), i.Int("Period"), i.String("Unit")).Select(a => (JsonNode)AlarmView(a)).ToArray()),
            } },
        { "DeleteAlarms", i =>
            {
                _cloudWatch.DeleteAlarms(i.Scope, i.Strings("AlarmNames"));
                return (JsonObject?)null;
            } },
        { "EnableAlarmActions", i =>
            {
                _cloudWatch.SetAlarmActions(i.Scope, i.Strings("AlarmNames"), enabled: true);
                return (JsonObject?)null;
            } },
        { "DisableAlarmActions", i =>
            {
                _cloudWatch.SetAlarmActions(i.Scope, i.Strings("AlarmNames"), enabled: false);
                return (JsonObject?)null;
            } },
        { "SetAlarmState", i =>
            {
                _cloudWatch.SetAlarmState(i.Scope, i.Required("AlarmName"), i.Required("StateValue"), i.Required("StateReason"), i.String("StateReasonData"));
                return (JsonObject?)null;
            } },
        { "DescribeAlarmHistory", DescribeAlarmHistory },
        { "DescribeAlarmContributors", DescribeAlarmContributors },
        { "TagResource", i =>
            {
                _cloudWatch.TagResource(i.Scope, i.Required("ResourceARN"), Tags(i));
                return (JsonObject?)null;
            } },
        { "UntagResource", i =>
            {
                _cloudWatch.UntagResource(i.Scope, i.Required("ResourceARN"), i.Strings("TagKeys"));
                return (JsonObject?)null;
            } },
        { "ListTagsForResource", i => new JsonObject
            {
                ["Tags"] = new JsonArray(_cloudWatch.ListTagsForResource(i.Scope, i.Required("ResourceARN"))
                    .Select(t => (JsonNode)new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value }).ToArray()),
            } },
    };

    private static Dictionary<string, string> Tags(OperationInput i)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in i.List("Tags").Select(n => i.Nested(Structure(n, "Tags"))))
            // CloudWatch refuses a request naming a tag key twice (INVALID_TAGS), rather than keeping either value.
            if (!tags.TryAdd(tag.Required("Key"), tag.Required("Value"))) throw CloudWatchErrors.InvalidValue($"INVALID_TAGS: the tag key {tag.Required("Key")} is given more than once.");
        return tags;
    }

    private JsonObject GetMetricStatistics(OperationInput i)
    {
        var metricName = i.Required("MetricName");
        var statistics = i.Strings("Statistics");
        var extended = i.Strings("ExtendedStatistics");
        var periods = _cloudWatch.GetMetricStatistics(i.Scope, i.Required("Namespace"), metricName, Dimensions(i),
            RequiredTimestamp(i, "StartTime"), RequiredTimestamp(i, "EndTime"), i.RequiredInt("Period"), statistics, extended, i.String("Unit"));
        var datapoints = new JsonArray();
        foreach (var period in periods)
        {
            var point = new JsonObject { ["Timestamp"] = period.Start };
            foreach (var statistic in statistics) point[statistic] = period.Aggregate.Statistic(statistic);
            if (extended.Count > 0)
            {
                var values = new JsonObject();
                foreach (var statistic in extended)
                    if (period.Aggregate.Statistic(statistic) is { } v) values[statistic] = v;
                point["ExtendedStatistics"] = values;
            }
            point["Unit"] = period.Unit;
            datapoints.Add(point);
        }
        return new JsonObject { ["Label"] = metricName, ["Datapoints"] = datapoints };
    }

    /// <summary>
    /// Pages count data points over all results in query order: a NextToken is the number of data points
    /// already returned for the same request, and results cut short say PartialData, as on AWS.
    /// </summary>
    private JsonObject GetMetricData(OperationInput i)
    {
        var results = _cloudWatch.GetMetricData(i.Scope, i.List("MetricDataQueries").Select(n => MetricDataQuery.Read(i.Nested(Structure(n, "MetricDataQueries")))).ToList(),
            RequiredTimestamp(i, "StartTime"), RequiredTimestamp(i, "EndTime"));
        // CloudWatchRules holds ScanBy to its two values; TimestampDescending is the default.
        var ascending = i.String("ScanBy") == "TimestampAscending";
        var maxDatapoints = i.Int("MaxDatapoints") ?? 100_800;
        if (maxDatapoints < 1) throw CloudWatchErrors.InvalidValue("The parameter MaxDatapoints must be greater than 0.");
        var skip = DecodeToken(i.String("NextToken"), "InvalidNextToken");
        var budget = maxDatapoints;
        var output = new JsonArray();
        var truncated = false;
        foreach (var result in results)
        {
            var points = ascending ? result.Points : result.Points.Reverse().ToList();
            var skipped = Math.Min(skip, points.Count);
            skip -= skipped;
            var page = points.Skip(skipped).Take(budget).ToList();
            budget -= page.Count;
            var complete = skipped + page.Count == points.Count;
            truncated |= !complete;
            output.Add(new JsonObject
            {
                ["Id"] = result.Id,
                ["Label"] = result.Label,
                ["Timestamps"] = new JsonArray(page.Select(p => (JsonNode)JsonValue.Create(p.Key)).ToArray()),
                ["Values"] = new JsonArray(page.Select(p => (JsonNode)JsonValue.Create(p.Value)).ToArray()),
                ["StatusCode"] = complete ? "Complete" : "PartialData",
                ["Messages"] = new JsonArray(),
            });
        }
        var body = new JsonObject { ["MetricDataResults"] = output, ["Messages"] = new JsonArray() };
        if (truncated) body["NextToken"] = EncodeToken(DecodeToken(i.String("NextToken"), "InvalidNextToken") + maxDatapoints);
        return body;
    }

    private JsonObject ListMetrics(OperationInput i)
    {
        var filters = i.List("Dimensions").Select(n => i.Nested(Structure(n, "Dimensions"))).Select(d => (d.Required("Name"), d.String("Value"))).ToList();
        // CloudWatchRules holds RecentlyActive to its one value, PT3H.
        var recentlyActive = i.String("RecentlyActive") is not null;
        var metrics = _cloudWatch.ListMetrics(i.Scope, i.String("Namespace"), i.String("MetricName"), filters, recentlyActive);
        var from = DecodeToken(i.String("NextToken"), "InvalidNextToken");
        var body = new JsonObject
        {
            ["Metrics"] = new JsonArray(metrics.Skip(from).Take(ListMetricsPageSize).Select(m => (JsonNode)new JsonObject
            {
                ["Namespace"] = m.Namespace,
                ["MetricName"] = m.MetricName,
                ["Dimensions"] = DimensionsView(m.Dimensions),
            }).ToArray()),
        };
        if (from + ListMetricsPageSize < metrics.Count) body["NextToken"] = EncodeToken(from + ListMetricsPageSize);
        return body;
    }

    /// <summary>
    /// Metric alarms unless AlarmTypes asks for composites too, as on AWS; a page counts both kinds, metric alarms first.
    /// ChildrenOfAlarmName and ParentsOfAlarmName stand alone (with paging only), as AWS requires.
    /// </summary>
    private JsonObject DescribeAlarms(OperationInput i)
    {
        var maxRecords = i.Int("MaxRecords") ?? 50;
        var children = i.String("ChildrenOfAlarmName");
        var parents = i.String("ParentsOfAlarmName");
        IReadOnlyList<MetricAlarm> metric;
        IReadOnlyList<CompositeAlarm> composite;
        if (children is not null || parents is not null)
        {
            if ((children is not null && parents is not null) || i.Has("AlarmNames") || i.Has("AlarmNamePrefix") || i.Has("AlarmTypes") || i.Has("StateValue") || i.Has("ActionPrefix"))
                throw CloudWatchErrors.ValidationError("If you specify ChildrenOfAlarmName or ParentsOfAlarmName, you cannot specify other parameters except MaxRecords and NextToken.");
            (metric, composite) = children is not null ? _cloudWatch.ChildrenOf(i.Scope, children) : ([], _cloudWatch.ParentsOf(i.Scope, parents!));
        }
        else
        {
            var types = CloudWatchService.RequestedAlarmTypes(i.Strings("AlarmTypes"));
            var (names, prefix, state, action) = (i.Strings("AlarmNames"), i.String("AlarmNamePrefix"), i.String("StateValue"), i.String("ActionPrefix"));
            metric = types.Contains(AlarmTypes.Metric) ? _cloudWatch.DescribeAlarms(i.Scope, names, prefix, state, action) : [];
            composite = types.Contains(AlarmTypes.Composite) ? _cloudWatch.DescribeCompositeAlarms(i.Scope, names, prefix, state, action) : [];
        }
        var from = DecodeToken(i.String("NextToken"), "InvalidNextToken");
        var body = new JsonObject
        {
            ["MetricAlarms"] = new JsonArray(metric.Skip(from).Take(maxRecords).Select(a => (JsonNode)AlarmView(a)).ToArray()),
            ["CompositeAlarms"] = new JsonArray(composite.Skip(Math.Max(0, from - metric.Count)).Take(Math.Max(0, maxRecords - Math.Max(0, metric.Count - from)))
                .Select(a => (JsonNode)CompositeAlarmView(a)).ToArray()),
        };
        if (from + maxRecords < metric.Count + composite.Count) body["NextToken"] = EncodeToken(from + maxRecords);
        return body;
    }

    /// <summary>
    /// OutputFormat png (the default) answers the image in MetricWidgetImage, a blob (base64 in XML and JSON, bytes in CBOR);
    /// image/png, meant for hand-made HTTP requests, answers the PNG itself as the body with that content type, as on AWS.
    /// </summary>
    private OperationResult GetMetricWidgetImage(OperationInput i)
    {
        var format = i.String("OutputFormat") ?? "png";
        if (format is not ("png" or "image/png"))
            throw CloudWatchErrors.InvalidValue($"The value {format} for parameter OutputFormat is invalid. Only png and image/png are supported.");
        var image = _cloudWatch.GetMetricWidgetImage(i.Scope, i.Required("MetricWidget"));
        return format == "png"
            ? new JsonObject { ["MetricWidgetImage"] = JsonValue.Create(image) }
            : new OperationResult { RawBody = image, RawContentType = "image/png" };
    }

    private JsonObject DescribeAnomalyDetectors(OperationInput i)
    {
        // AWS: "The maximum value that you can specify is 100."
        var maxResults = i.Int("MaxResults") ?? 100;
        if (maxResults is < 1 or > 100) throw CloudWatchErrors.InvalidValue("The parameter MaxResults must be between 1 and 100.");
        var detectors = _cloudWatch.DescribeAnomalyDetectors(i.Scope, i.String("Namespace"), i.String("MetricName"), Dimensions(i), i.Strings("AnomalyDetectorTypes"));
        var from = DecodeToken(i.String("NextToken"), "InvalidNextToken");
        var body = new JsonObject
        {
            ["AnomalyDetectors"] = new JsonArray(detectors.Skip(from).Take(maxResults).Select(d => (JsonNode)AnomalyDetectorView(d.Detector, d.State)).ToArray()),
        };
        if (from + maxResults < detectors.Count) body["NextToken"] = EncodeToken(from + maxResults);
        return body;
    }

    /// <summary>A single-metric detector repeats its metric in the deprecated top-level members, as AWS still answers them.</summary>
    private static JsonObject AnomalyDetectorView(AnomalyDetector d, string state)
    {
        var view = new JsonObject
        {
            ["Configuration"] = new JsonObject
            {
                ["ExcludedTimeRanges"] = new JsonArray(d.ExcludedTimeRanges.Select(r => (JsonNode)new JsonObject { ["StartTime"] = r.StartTime, ["EndTime"] = r.EndTime }).ToArray()),
                ["MetricTimezone"] = d.MetricTimezone,
            },
            ["StateValue"] = state,
        };
        if (d.PeriodicSpikes is { } spikes) view["MetricCharacteristics"] = new JsonObject { ["PeriodicSpikes"] = spikes };
        if (d.SingleMetric is { } m)
        {
            (view["Namespace"], view["MetricName"], view["Dimensions"], view["Stat"]) = (m.Namespace, m.MetricName, DimensionsView(m.Dimensions), m.Stat);
            view["SingleMetricAnomalyDetector"] = new JsonObject
            {
                ["AccountId"] = d.AccountId,
                ["Namespace"] = m.Namespace,
                ["MetricName"] = m.MetricName,
                ["Dimensions"] = DimensionsView(m.Dimensions),
                ["Stat"] = m.Stat,
            };
        }
        else view["MetricMathAnomalyDetector"] = new JsonObject { ["MetricDataQueries"] = new JsonArray(d.MetricMathQueries.Select(q => (JsonNode)QueryView(q)).ToArray()) };
        return view;
    }

    private JsonObject ListDashboards(OperationInput i)
    {
        const int pageSize = 1000;
        var dashboards = _cloudWatch.ListDashboards(i.Scope, i.String("DashboardNamePrefix"));
        var from = DecodeToken(i.String("NextToken"), "InvalidNextToken");
        var body = new JsonObject
        {
            ["DashboardEntries"] = new JsonArray(dashboards.Skip(from).Take(pageSize).Select(d => (JsonNode)new JsonObject
            {
                ["DashboardName"] = d.Name,
                ["DashboardArn"] = d.Arn,
                ["LastModified"] = d.LastModified,
                ["Size"] = d.Size,
            }).ToArray()),
        };
        if (from + pageSize < dashboards.Count) body["NextToken"] = EncodeToken(from + pageSize);
        return body;
    }

    private static JsonObject CompositeAlarmView(CompositeAlarm a) => new()
    {
        ["ActionsEnabled"] = a.ActionsEnabled,
        ["AlarmActions"] = Strings(a.AlarmActions),
        ["AlarmArn"] = a.AlarmArn,
        ["AlarmConfigurationUpdatedTimestamp"] = a.AlarmConfigurationUpdatedTimestamp,
        ["AlarmDescription"] = a.AlarmDescription,
        ["AlarmName"] = a.AlarmName,
        ["AlarmRule"] = a.AlarmRule,
        ["InsufficientDataActions"] = Strings(a.InsufficientDataActions),
        ["OKActions"] = Strings(a.OKActions),
        ["StateReason"] = a.StateReason,
        ["StateReasonData"] = a.StateReasonData,
        ["StateUpdatedTimestamp"] = a.StateUpdatedTimestamp,
        ["StateValue"] = a.StateValue,
        ["StateTransitionedTimestamp"] = a.StateTransitionedTimestamp,
    };

    private JsonObject DescribeAlarmHistory(OperationInput i)
    {
        var type = i.String("HistoryItemType");
        var maxRecords = i.Int("MaxRecords") ?? 100;
        var items = _cloudWatch.DescribeAlarmHistory(i.Scope, i.String("AlarmName"), i.Strings("AlarmTypes"), type, i.Timestamp("StartDate"), i.Timestamp("EndDate"),
            i.String("ScanBy") == "TimestampAscending");
        var from = DecodeToken(i.String("NextToken"), "InvalidNextToken");
        var body = new JsonObject
        {
            ["AlarmHistoryItems"] = new JsonArray(items.Skip(from).Take(maxRecords).Select(h => (JsonNode)new JsonObject
            {
                ["AlarmName"] = h.AlarmName,
                ["AlarmType"] = h.AlarmType,
                ["Timestamp"] = h.Timestamp,
                ["HistoryItemType"] = h.HistoryItemType,
                ["HistorySummary"] = h.HistorySummary,
                ["HistoryData"] = h.HistoryData,
                ["AlarmContributorId"] = h.AlarmContributorId,
                ["AlarmContributorAttributes"] = h.AlarmContributorAttributes is { } attributes ? StringMap(attributes) : null,
            }).ToArray()),
        };
        if (from + maxRecords < items.Count) body["NextToken"] = EncodeToken(from + maxRecords);
        return body;
    }

    private JsonObject DescribeAlarmContributors(OperationInput i) => new()
    {
        ["AlarmContributors"] = new JsonArray(_cloudWatch.DescribeAlarmContributors(i.Scope, i.Required("AlarmName"), i.String("NextToken")).Select(c => (JsonNode)new JsonObject
        {
            ["ContributorId"] = c.ContributorId,
            ["ContributorAttributes"] = StringMap(c.Attributes),
            ["StateReason"] = c.StateReason,
            ["StateTransitionedTimestamp"] = c.StateTransitionedTimestamp,
        }).ToArray()),
    };

    private static JsonObject StringMap(Dictionary<string, string> map) => new(map.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));

    private static MetricAlarm AlarmInput(OperationInput i) =>
        MetricAlarm.Read(i, i.Scope, i.Required("AlarmName"), Dimensions(i).ToList(),
            i.List("Metrics").Select(n => MetricDataQuery.Read(i.Nested(Structure(n, "Metrics")))).ToList(), Tags(i));

    private static JsonObject AlarmView(MetricAlarm a)
    {
        var view = new JsonObject
        {
            ["AlarmName"] = a.AlarmName,
            ["AlarmArn"] = a.AlarmArn,
            ["AlarmDescription"] = a.AlarmDescription,
            ["AlarmConfigurationUpdatedTimestamp"] = a.AlarmConfigurationUpdatedTimestamp,
            ["ActionsEnabled"] = a.ActionsEnabled,
            ["OKActions"] = Strings(a.OKActions),
            ["AlarmActions"] = Strings(a.AlarmActions),
            ["InsufficientDataActions"] = Strings(a.InsufficientDataActions),
            ["StateValue"] = a.StateValue,
            ["StateReason"] = a.StateReason,
            ["StateReasonData"] = a.StateReasonData,
            ["StateUpdatedTimestamp"] = a.StateUpdatedTimestamp,
            ["MetricName"] = a.MetricName,
            ["Namespace"] = a.Namespace,
            ["Statistic"] = a.Statistic,
            ["ExtendedStatistic"] = a.ExtendedStatistic,
            ["Dimensions"] = DimensionsView(a.Dimensions),
            ["Period"] = a.Period,
            ["Unit"] = a.Unit,
            ["EvaluationPeriods"] = a.EvaluationPeriods,
            ["DatapointsToAlarm"] = a.DatapointsToAlarm,
            ["Threshold"] = a.Threshold,
            ["ThresholdMetricId"] = a.ThresholdMetricId,
            ["ComparisonOperator"] = a.ComparisonOperator,
            ["TreatMissingData"] = a.TreatMissingData,
            ["StateTransitionedTimestamp"] = a.StateTransitionedTimestamp,
        };
        if (a.Metrics.Count > 0) view["Metrics"] = new JsonArray(a.Metrics.Select(q => (JsonNode)QueryView(q)).ToArray());
        return view;
    }

    private static JsonObject QueryView(MetricDataQuery q)
    {
        var view = new JsonObject { ["Id"] = q.Id, ["Expression"] = q.Expression, ["Label"] = q.Label, ["ReturnData"] = q.ReturnData, ["Period"] = q.Period };
        if (q.MetricStat is { } stat)
            view["MetricStat"] = new JsonObject
            {
                ["Metric"] = new JsonObject { ["Namespace"] = stat.Namespace, ["MetricName"] = stat.MetricName, ["Dimensions"] = DimensionsView(stat.Dimensions) },
                ["Period"] = stat.Period,
                ["Stat"] = stat.Stat,
                ["Unit"] = stat.Unit,
            };
        return view;
    }

    private static MetricDataInput MetricDataInput(OperationInput d)
    {
        StatisticSet? set = null;
        if (d.Object("StatisticValues") is { } setObject)
        {
            var s = d.Nested(setObject);
            set = new StatisticSet(RequiredDouble(s, "SampleCount"), RequiredDouble(s, "Sum"), RequiredDouble(s, "Minimum"), RequiredDouble(s, "Maximum"));
        }
        return new MetricDataInput(d.Required("MetricName"), Dimensions(d), d.Timestamp("Timestamp"), d.Double("Value"), set,
            Doubles(d, "Values"), Doubles(d, "Counts"), d.String("Unit"), d.Int("StorageResolution") ?? 60);
    }

    private static double RequiredDouble(OperationInput i, string name) => i.Double(name) ?? throw i.Style.Missing(name);

    private static IReadOnlyList<double> Doubles(OperationInput i, string name) =>
        i.List(name).Select(n => n is JsonValue v && double.TryParse(v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString(),
            NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw i.Style.Invalid(name, "must be a list of numbers")).ToList();

    private static IReadOnlyList<MetricDimension> Dimensions(OperationInput i) =>
        i.List("Dimensions").Select(n => i.Nested(Structure(n, "Dimensions"))).Select(d => new MetricDimension(d.Required("Name"), d.Required("Value"))).ToList();

    private static JsonObject Structure(JsonNode node, string name) =>
        node as JsonObject ?? throw CloudWatchErrors.NotStructures(name);

    private static DateTimeOffset RequiredTimestamp(OperationInput i, string name) => i.Timestamp(name) ?? throw i.Style.Missing(name);

    private static JsonArray DimensionsView(IEnumerable<MetricDimension> dimensions) =>
        new(dimensions.Select(d => (JsonNode)new JsonObject { ["Name"] = d.Name, ["Value"] = d.Value }).ToArray());

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    private static string EncodeToken(int offset) => Convert.ToBase64String(Encoding.UTF8.GetBytes("stratus:" + offset.ToString(CultureInfo.InvariantCulture)));

    private static int DecodeToken(string? token, string errorCode)
    {
        if (token is null) return 0;
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            if (text.StartsWith("stratus:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(8), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
                return offset;
        }
        catch (FormatException)
        {
        }
        throw CloudWatchErrors.InvalidNextToken(errorCode);
    }
}
