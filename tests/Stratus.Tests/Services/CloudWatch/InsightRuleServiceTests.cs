using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudWatch;
using Stratus.Services.Logs;
using Stratus.Services.Logs.Engine;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>Contributor Insights rules in the CloudWatch domain, over log events a test hands in as Logs would.</summary>
public sealed class InsightRuleServiceTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private const string Definition = """
        {"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["/app/*"], "LogFormat": "JSON",
         "Contribution": {"Keys": ["$.ip"]}, "AggregateOn": "Count"}
        """;
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly StoredEvents _events = new();
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "stratus-insight-rules-" + Guid.NewGuid().ToString("N"));
    private readonly Scope _call = TestCalls.Call();

    public void Dispose()
    {
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
    }

    private CloudWatchService Open(StateStore store) =>
        new(store, _clock, new RefusingLambda(), NullLogger.Instance, TimeSpan.FromHours(1), () => _events);

    [Fact]
    public void A_report_counts_only_the_events_ingested_while_the_rule_was_enabled()
    {
        using var cloudWatch = Open(StateStore.Ephemeral());
        cloudWatch.PutInsightRule(_call, new InsightRuleInput("ips", "ENABLED", Definition, false, []));
        _events.Add("/app/web", T0.AddSeconds(10), """{"ip": "a"}""", ingested: _clock.GetUtcNow());
        _clock.Advance(TimeSpan.FromMinutes(1));
        cloudWatch.DisableInsightRules(_call, ["ips"]);
        _clock.Advance(TimeSpan.FromMinutes(1));
        _events.Add("/app/web", T0.AddSeconds(20), """{"ip": "b"}""", ingested: _clock.GetUtcNow());
        _clock.Advance(TimeSpan.FromSeconds(1));
        cloudWatch.EnableInsightRules(_call, ["ips"]);
        _clock.Advance(TimeSpan.FromMinutes(1));
        _events.Add("/app/web", T0.AddSeconds(30), """{"ip": "a"}""", ingested: _clock.GetUtcNow());
        _events.Add("/other", T0.AddSeconds(30), """{"ip": "c"}""", ingested: _clock.GetUtcNow());

        var report = cloudWatch.GetInsightRuleReport(_call, "ips", T0, T0.AddMinutes(5), 60, null, null).Report;

        Assert.Equal([("a", 2.0)], report.Contributors.Select(c => (c.Keys[0], c.ApproximateAggregateValue)));
        Assert.Equal(2, report.AggregateValue);
    }

    [Fact]
    public void Batch_operations_act_on_the_rules_that_exist_and_list_the_others_as_failures()
    {
        using var cloudWatch = Open(StateStore.Ephemeral());
        cloudWatch.PutInsightRule(_call, new InsightRuleInput("ips", "DISABLED", Definition, false, []));

        var enabled = cloudWatch.EnableInsightRules(_call, ["ips", "ghost"]);
        var deleted = cloudWatch.DeleteInsightRules(_call, ["ips", "ghost"]);

        Assert.Equal(["ghost"], enabled.Select(f => f.Resource));
        Assert.Equal("ResourceNotFoundException", deleted.Single().ExceptionType);
        Assert.Empty(cloudWatch.DescribeInsightRules(_call));
        Assert.Equal("ResourceNotFoundException", Assert.Throws<AwsException>(() => cloudWatch.GetInsightRuleReport(_call, "ips", T0, T0.AddMinutes(5), 60, null, null)).Code);
    }

    [Fact]
    public void Rules_are_limited_per_account_and_refused_with_CloudWatchs_errors()
    {
        using var cloudWatch = Open(StateStore.Ephemeral());
        for (var i = 0; i < CloudWatchService.MaxInsightRules; i++) cloudWatch.PutInsightRule(_call, new InsightRuleInput($"r{i}", "ENABLED", Definition, false, []));

        Assert.Equal("LimitExceededException", Assert.Throws<AwsException>(() => cloudWatch.PutInsightRule(_call, new InsightRuleInput("one-more", "ENABLED", Definition, false, []))).Code);
        // Replacing an existing rule is no new rule.
        cloudWatch.PutInsightRule(_call, new InsightRuleInput("r0", "DISABLED", Definition, false, []));
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => cloudWatch.PutInsightRule(_call, new InsightRuleInput("r0", "PAUSED", Definition, false, []))).Code);
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => cloudWatch.PutInsightRule(_call, new InsightRuleInput("r0", "ENABLED", "{}", false, []))).Code);
    }

    [Fact]
    public void Rules_their_state_and_the_time_they_were_enabled_survive_a_restart()
    {
        using (var store = StateStore.Open(_dataDir))
        using (var cloudWatch = Open(store))
        {
            cloudWatch.PutInsightRule(_call, new InsightRuleInput("ips", "ENABLED", Definition, false, new() { ["team"] = "web" }));
            _events.Add("/app/web", T0.AddSeconds(5), """{"ip": "a"}""", ingested: _clock.GetUtcNow());
            _clock.Advance(TimeSpan.FromMinutes(1));
            cloudWatch.DisableInsightRules(_call, ["ips"]);
        }
        _events.Add("/app/web", T0.AddSeconds(6), """{"ip": "b"}""", ingested: _clock.GetUtcNow());

        using (var store = StateStore.Open(_dataDir))
        using (var cloudWatch = Open(store))
        {
            var rule = Assert.Single(cloudWatch.DescribeInsightRules(_call));
            Assert.Equal(("ips", "DISABLED", Definition), (rule.Name, rule.State, rule.Definition));
            Assert.Equal("web", cloudWatch.ListTagsForResource(_call, "arn:aws:cloudwatch:us-east-1:111122223333:insight-rule/ips")["team"]);
            var report = cloudWatch.GetInsightRuleReport(_call, "ips", T0, T0.AddMinutes(5), 60, null, null).Report;
            Assert.Equal(["a"], report.Contributors.Select(c => c.Keys[0]));
        }
    }

    [Fact]
    public void INSIGHT_RULE_METRIC_draws_a_rules_metric_per_period_in_metric_math()
    {
        using var cloudWatch = Open(StateStore.Ephemeral());
        cloudWatch.PutInsightRule(_call, new InsightRuleInput("ips", "ENABLED", Definition, false, []));
        foreach (var (second, ip) in new[] { (5, "a"), (10, "b"), (15, "a"), (70, "c") })
            _events.Add("/app/web", T0.AddSeconds(second), $$"""{"ip": "{{ip}}"}""", ingested: _clock.GetUtcNow());

        var results = cloudWatch.GetMetricData(_call, [
            new MetricDataQuery("unique", null, "INSIGHT_RULE_METRIC(ips, UniqueContributors)", null, true, 60),
            new MetricDataQuery("doubled", null, "2 * INSIGHT_RULE_METRIC(\"ips\", 'SampleCount')", null, true, 60),
        ], T0, T0.AddMinutes(5));

        Assert.Equal([(T0, 2.0), (T0.AddMinutes(1), 1.0)], results[0].Points.Select(p => (p.Key, p.Value)));
        Assert.Equal([6.0, 2.0], results[1].Points.Select(p => p.Value));
        var unknown = Assert.Throws<AwsException>(() => cloudWatch.GetMetricData(_call,
            [new MetricDataQuery("m", null, "INSIGHT_RULE_METRIC(ghost, Sum)", null, true, 60)], T0, T0.AddMinutes(5)));
        Assert.Equal("ValidationError", unknown.Code);
        Assert.Contains("ghost", unknown.Message);
    }

    /// <summary>Log events as Logs keeps them: each with its ingestion time, by group.</summary>
    private sealed class StoredEvents : ILogEventReader
    {
        private readonly List<(string Group, LogEvent Event)> _events = [];

        public void Add(string group, DateTimeOffset timestamp, string message, DateTimeOffset ingested) =>
            _events.Add((group, new LogEvent(timestamp.ToUnixTimeMilliseconds(), message, ingested.ToUnixTimeMilliseconds(), _events.Count)));

        public IReadOnlyList<string> LogGroupNames(string accountId, string region) => _events.Select(e => e.Group).Distinct().ToList();

        public IEnumerable<LogEvent> EventsBetween(string accountId, string region, string groupName, long fromMs, long toMs) =>
            _events.Where(e => e.Group == groupName && e.Event.Timestamp >= fromMs && e.Event.Timestamp <= toMs).Select(e => e.Event);
    }
}
