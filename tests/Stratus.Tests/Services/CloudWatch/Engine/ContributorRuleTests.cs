using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Tests.Services.CloudWatch.Engine;

/// <summary>Contributor Insights rule definitions: parsed and refused as the documented syntax says, and evaluated over JSON and CLF events.</summary>
public sealed class ContributorRuleTests
{
    private static string Json(string contribution, string aggregate = "Count", string groups = """["/app/*"]""") => $$"""
        {"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": {{groups}}, "LogFormat": "JSON",
         "Contribution": {{contribution}}, "AggregateOn": "{{aggregate}}"}
        """;

    [Fact]
    public void A_JSON_rule_counts_each_matching_event_under_its_keys()
    {
        var rule = ContributorRule.Parse(Json("""{"Keys": ["$.ip", "$.request.method"]}"""));

        var contribution = rule.Evaluate("""{"ip": "10.0.0.1", "request": {"method": "GET"}}""");

        Assert.Equal(["10.0.0.1", "GET"], contribution!.Value.Keys);
        Assert.Equal(1, contribution.Value.Value);
        Assert.Equal(["$.ip", "$.request.method"], rule.KeyLabels);
        Assert.False(rule.AggregatesSum);
    }

    [Fact]
    public void An_event_without_a_key_or_not_JSON_is_not_counted()
    {
        var rule = ContributorRule.Parse(Json("""{"Keys": ["$.ip"]}"""));

        Assert.Null(rule.Evaluate("""{"host": "a"}"""));
        Assert.Null(rule.Evaluate("plain text line"));
        Assert.Null(rule.Evaluate("{broken json"));
        Assert.Null(rule.Evaluate("""{"ip": null}"""));
    }

    [Fact]
    public void A_Sum_rule_adds_ValueOf_and_skips_events_whose_value_is_not_a_number()
    {
        var rule = ContributorRule.Parse(Json("""{"Keys": ["$.ip"], "ValueOf": "$.bytes"}""", "Sum"));

        Assert.Equal(512, rule.Evaluate("""{"ip": "a", "bytes": 512}""")!.Value.Value);
        Assert.Equal(64, rule.Evaluate("""{"ip": "a", "bytes": "64"}""")!.Value.Value);
        Assert.Null(rule.Evaluate("""{"ip": "a", "bytes": "many"}"""));
        Assert.Null(rule.Evaluate("""{"ip": "a"}"""));
        Assert.True(rule.AggregatesSum);
    }

    [Theory]
    [InlineData("""{"Match": "$.method", "In": ["PUT", "POST"]}""", """{"k": "x", "method": "PUT"}""", true)]
    [InlineData("""{"Match": "$.method", "In": ["PUT", "POST"]}""", """{"k": "x", "method": "GET"}""", false)]
    [InlineData("""{"Match": "$.method", "NotIn": ["GET"]}""", """{"k": "x", "method": "PUT"}""", true)]
    [InlineData("""{"Match": "$.method", "NotIn": ["GET"]}""", """{"k": "x", "method": "GET"}""", false)]
    [InlineData("""{"Match": "$.path", "StartsWith": ["/api/"]}""", """{"k": "x", "path": "/api/orders"}""", true)]
    [InlineData("""{"Match": "$.path", "StartsWith": ["/api/"]}""", """{"k": "x", "path": "/static/a.css"}""", false)]
    [InlineData("""{"Match": "$.status", "EqualTo": 500}""", """{"k": "x", "status": 500}""", true)]
    [InlineData("""{"Match": "$.status", "EqualTo": 500}""", """{"k": "x", "status": 200}""", false)]
    [InlineData("""{"Match": "$.status", "NotEqualTo": 200}""", """{"k": "x", "status": 404}""", true)]
    [InlineData("""{"Match": "$.status", "GreaterThan": 499}""", """{"k": "x", "status": 503}""", true)]
    [InlineData("""{"Match": "$.status", "GreaterThan": 499}""", """{"k": "x", "status": 404}""", false)]
    [InlineData("""{"Match": "$.latency", "LessThan": 100}""", """{"k": "x", "latency": 12.5}""", true)]
    [InlineData("""{"Match": "$.latency", "LessThan": 100}""", """{"k": "x", "latency": "slow"}""", false)]
    [InlineData("""{"Match": "$.error", "IsPresent": true}""", """{"k": "x", "error": "boom"}""", true)]
    [InlineData("""{"Match": "$.error", "IsPresent": true}""", """{"k": "x"}""", false)]
    [InlineData("""{"Match": "$.error", "IsPresent": false}""", """{"k": "x"}""", true)]
    public void Each_filter_operator_decides_whether_an_event_counts(string filter, string message, bool counted)
    {
        var rule = ContributorRule.Parse(Json($$"""{"Keys": ["$.k"], "Filters": [{{filter}}]}"""));

        Assert.Equal(counted, rule.Evaluate(message) is not null);
    }

    [Fact]
    public void Filters_all_apply_and_matching_is_case_sensitive()
    {
        var rule = ContributorRule.Parse(Json("""{"Keys": ["$.k"], "Filters": [{"Match": "$.method", "In": ["PUT"]}, {"Match": "$.status", "GreaterThan": 399}]}"""));

        Assert.NotNull(rule.Evaluate("""{"k": "x", "method": "PUT", "status": 404}"""));
        Assert.Null(rule.Evaluate("""{"k": "x", "method": "PUT", "status": 200}"""));
        Assert.Null(rule.Evaluate("""{"k": "x", "method": "put", "status": 404}"""));
    }

    [Fact]
    public void A_CLF_rule_reads_fields_by_position_with_quoted_and_bracketed_fields_whole()
    {
        var rule = ContributorRule.Parse("""
            {"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["access"], "LogFormat": "CLF",
             "Fields": {"1": "IpAddress", "5": "Request", "6": "StatusCode", "7": "Bytes"},
             "Contribution": {"Keys": ["IpAddress", "Request"], "ValueOf": "Bytes", "Filters": [{"Match": "StatusCode", "EqualTo": 200}]},
             "AggregateOn": "Sum"}
            """);

        var hit = rule.Evaluate("""127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326""");

        Assert.Equal(["127.0.0.1", "GET /apache_pb.gif HTTP/1.0"], hit!.Value.Keys);
        Assert.Equal(2326, hit.Value.Value);
        Assert.Null(rule.Evaluate("""127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /missing HTTP/1.0" 404 -"""));
        Assert.Equal(["IpAddress", "Request"], rule.KeyLabels);
    }

    [Fact]
    public void Log_group_names_match_exactly_or_by_a_prefix_ending_in_a_star()
    {
        var rule = ContributorRule.Parse(Json("""{"Keys": ["$.k"]}""", groups: """["/app/*", "audit"]"""));

        Assert.True(rule.Reads("/app/orders"));
        Assert.True(rule.Reads("audit"));
        Assert.False(rule.Reads("audit-2"));
        Assert.False(rule.Reads("/other"));
    }

    [Theory]
    [InlineData("not json", "must be a JSON object")]
    [InlineData("""{"Schema": {"Name": "CloudWatchLogRule", "Version": 2}, "LogGroupNames": ["a"], "LogFormat": "JSON", "Contribution": {"Keys": ["$.a"]}, "AggregateOn": "Count"}""", "Schema must be")]
    [InlineData("""{"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": [], "LogFormat": "JSON", "Contribution": {"Keys": ["$.a"]}, "AggregateOn": "Count"}""", "LogGroupNames must be a list of 1 to 20")]
    [InlineData("""{"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["a*b"], "LogFormat": "JSON", "Contribution": {"Keys": ["$.a"]}, "AggregateOn": "Count"}""", "optionally ending in *")]
    [InlineData("""{"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["a"], "LogFormat": "XML", "Contribution": {"Keys": ["$.a"]}, "AggregateOn": "Count"}""", "LogFormat must be JSON or CLF")]
    [InlineData("""{"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["a"], "LogFormat": "JSON", "Contribution": {"Keys": ["$.a", "$.b", "$.c", "$.d", "$.e"]}, "AggregateOn": "Count"}""", "Keys must be a list of 1 to 4")]
    [InlineData("""{"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["a"], "LogFormat": "JSON", "Contribution": {"Keys": ["a"]}, "AggregateOn": "Count"}""", "must be a JSON path")]
    [InlineData("""{"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["a"], "LogFormat": "JSON", "Contribution": {"Keys": ["$.a"]}, "AggregateOn": "Sum"}""", "must name the field to sum")]
    [InlineData("""{"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["a"], "LogFormat": "JSON", "Contribution": {"Keys": ["$.a"]}, "AggregateOn": "Avg"}""", "AggregateOn must be Count or Sum")]
    [InlineData("""{"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["a"], "LogFormat": "JSON", "Contribution": {"Keys": ["$.a"], "Filters": [{"Match": "$.a", "In": ["x"], "NotIn": ["y"]}]}, "AggregateOn": "Count"}""", "exactly one of")]
    [InlineData("""{"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["a"], "LogFormat": "JSON", "Contribution": {"Keys": ["$.a"], "Filters": [{"Match": "$.a", "GreaterThan": "big"}]}, "AggregateOn": "Count"}""", "must be a number")]
    [InlineData("""{"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["a"], "LogFormat": "CLF", "Contribution": {"Keys": ["ip"]}, "AggregateOn": "Count"}""", "must name its fields in Fields")]
    [InlineData("""{"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["a"], "LogFormat": "CLF", "Fields": {"1": "ip"}, "Contribution": {"Keys": ["host"]}, "AggregateOn": "Count"}""", "the field host is not named in Fields")]
    [InlineData("""{"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["a"], "LogFormat": "JSON", "Contribution": {"Keys": ["$.a"]}, "AggregateOn": "Count", "Extra": 1}""", "unknown field Extra")]
    public void A_definition_outside_the_syntax_is_refused_with_the_reason(string definition, string reason)
    {
        var refused = Assert.Throws<ContributorRuleException>(() => ContributorRule.Parse(definition));

        Assert.StartsWith("The rule definition is invalid: ", refused.Message);
        Assert.Contains(reason, refused.Message);
    }

    [Fact]
    public void Parsing_is_bounded_in_depth_and_in_path_length()
    {
        var deep = Json("""{"Keys": ["$.a"], "Filters": [{"Match": "$.a", "In": [[[[[["x"]]]]]]}]}""");
        var longPath = Json($$"""{"Keys": ["$.{{string.Join(".", Enumerable.Repeat("a", 40))}}"]}""");

        Assert.Contains("levels", Assert.Throws<ContributorRuleException>(() => ContributorRule.Parse(deep)).Message);
        Assert.Contains("more than 32 parts", Assert.Throws<ContributorRuleException>(() => ContributorRule.Parse(longPath)).Message);
    }

    [Fact]
    public void A_report_ranks_contributors_by_their_sum_or_their_largest_period_and_keeps_the_top_N()
    {
        var report = new ContributorReport(60);
        void Add(long second, string key, double value) => report.Add(second * 1000, new Contribution(key, [key], value));
        // a: 5 + 5 over two periods (sum 10, largest 5); b: 8 in one period (sum 8, largest 8); c: 1.
        Add(0, "a", 5); Add(61, "a", 5); Add(10, "b", 3); Add(20, "b", 5); Add(70, "c", 1);

        var bySum = report.Result(2, orderByMaximum: false);
        var byMaximum = report.Result(3, orderByMaximum: true);

        Assert.Equal([("a", 10.0), ("b", 8.0)], bySum.Contributors.Select(c => (c.Keys[0], c.ApproximateAggregateValue)));
        Assert.Equal([("b", 8.0), ("a", 5.0), ("c", 1.0)], byMaximum.Contributors.Select(c => (c.Keys[0], c.ApproximateAggregateValue)));
        Assert.Equal([KeyValuePair.Create(0L, 5.0), KeyValuePair.Create(60L, 5.0)], bySum.Contributors[0].Datapoints);
        Assert.Equal(19, bySum.AggregateValue);
        Assert.Equal(3, bySum.UniqueCount);
        var first = bySum.Periods[0];
        Assert.Equal((0L, 2.0, 8.0, 3.0, 13.0, 3.0, 5.0, 6.5),
            (first.Start, first.UniqueContributors, first.MaxContributorValue, first.SampleCount, first.Sum, first.Minimum, first.Maximum, first.Average));
        Assert.Equal(60, bySum.Periods[1].Start);
    }
}
