namespace Stratus.Services.CloudWatch;

/// <summary>Contributor Insights' wire operations: rules, their batch state changes with partial Failures, and reports.</summary>
public sealed partial class CloudWatchApi
{
    private const int DescribeInsightRulesPageSize = 500;

    private void AddInsightRuleOperations(OperationTable table)
    {
        table.Add("PutInsightRule", i =>
        {
            _cloudWatch.PutInsightRule(i.Scope, InsightRuleInput.Read(i, i.Required("RuleName")));
            return (JsonObject?)null;
        });
        table.Add("DescribeInsightRules", DescribeInsightRules);
        table.Add("EnableInsightRules", i => Failures(_cloudWatch.EnableInsightRules(i.Scope, i.Strings("RuleNames"))));
        table.Add("DisableInsightRules", i => Failures(_cloudWatch.DisableInsightRules(i.Scope, i.Strings("RuleNames"))));
        table.Add("DeleteInsightRules", i => Failures(_cloudWatch.DeleteInsightRules(i.Scope, i.Strings("RuleNames"))));
        table.Add("GetInsightRuleReport", GetInsightRuleReport);
        table.Add("ListManagedInsightRules", i =>
        {
            CloudWatchService.ListManagedInsightRules(i.Required("ResourceARN"));
            DecodeToken(i.String("NextToken"), "InvalidNextToken");
            return new JsonObject { ["ManagedRules"] = new JsonArray() };
        });
        table.Add("PutManagedInsightRules", PutManagedInsightRules);
    }

    private static JsonObject PutManagedInsightRules(OperationInput i) =>
        throw CloudWatchErrors.ManagedRuleTemplatesUnavailable(i.List("ManagedRules").Select(n => i.Nested(Structure(n, "ManagedRules")).Required("TemplateName")));

    private JsonObject DescribeInsightRules(OperationInput i)
    {
        var maxResults = i.Int("MaxResults") ?? DescribeInsightRulesPageSize;
        var rules = _cloudWatch.DescribeInsightRules(i.Scope);
        var from = DecodeToken(i.String("NextToken"), "InvalidNextToken");
        var body = new JsonObject
        {
            ["InsightRules"] = new JsonArray(rules.Skip(from).Take(maxResults).Select(r => (JsonNode)new JsonObject
            {
                ["Name"] = r.Name,
                ["State"] = r.State,
                ["Schema"] = InsightRuleStates.Schema,
                ["Definition"] = r.Definition,
                ["ManagedRule"] = false,
                ["ApplyOnTransformedLogs"] = r.ApplyOnTransformedLogs,
            }).ToArray()),
        };
        if (from + maxResults < rules.Count) body["NextToken"] = EncodeToken(from + maxResults);
        return body;
    }

    /// <summary>Only the Metrics asked for appear in each MetricDatapoints entry, beside its Timestamp, as on AWS.</summary>
    private JsonObject GetInsightRuleReport(OperationInput i)
    {
        var metrics = i.Strings("Metrics");
        CloudWatchService.ValidateReportMetrics(metrics);
        var answer = _cloudWatch.GetInsightRuleReport(i.Scope, i.Required("RuleName"), RequiredTimestamp(i, "StartTime"), RequiredTimestamp(i, "EndTime"),
            i.RequiredInt("Period"), i.Int("MaxContributorCount"), i.String("OrderBy"));
        var report = answer.Report;
        var body = new JsonObject
        {
            ["KeyLabels"] = Strings(answer.KeyLabels),
            ["AggregationStatistic"] = answer.AggregationStatistic,
            ["AggregateValue"] = report.AggregateValue,
            ["ApproximateUniqueCount"] = report.UniqueCount,
            ["Contributors"] = new JsonArray(report.Contributors.Select(c => (JsonNode)new JsonObject
            {
                ["Keys"] = Strings(c.Keys),
                ["ApproximateAggregateValue"] = c.ApproximateAggregateValue,
                ["Datapoints"] = new JsonArray(c.Datapoints.Select(p => (JsonNode)new JsonObject
                {
                    ["Timestamp"] = DateTimeOffset.FromUnixTimeSeconds(p.Key),
                    ["ApproximateValue"] = p.Value,
                }).ToArray()),
            }).ToArray()),
        };
        if (metrics.Count > 0)
            body["MetricDatapoints"] = new JsonArray(report.Periods.Select(p =>
            {
                var point = new JsonObject { ["Timestamp"] = DateTimeOffset.FromUnixTimeSeconds(p.Start) };
                foreach (var metric in metrics.Distinct(StringComparer.Ordinal)) point[metric] = p.Metric(metric);
                return (JsonNode)point;
            }).ToArray());
        return body;
    }

    private static JsonObject Failures(IReadOnlyList<InsightRuleFailure> failures) => new()
    {
        ["Failures"] = new JsonArray(failures.Select(f => (JsonNode)new JsonObject
        {
            ["FailureResource"] = f.Resource,
            ["ExceptionType"] = f.ExceptionType,
            ["FailureCode"] = f.Code,
            ["FailureDescription"] = f.Description,
        }).ToArray()),
    };
}
