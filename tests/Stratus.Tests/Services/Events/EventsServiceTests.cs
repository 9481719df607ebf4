using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Events;
using Stratus.Services.Events.Engine;
using Stratus.Services.Lambda;
using Stratus.Tests.Services.CloudWatch;

namespace Stratus.Tests.Services.Events;

/// <summary>Records what EventBridge asks Lambda to run, as the domain hands it over.</summary>
internal sealed class RecordingLambda : ILambdaInvoker
{
    public ConcurrentQueue<LambdaInvokeRequest> Requests { get; } = new();

    public Task<LambdaInvokeResult> InvokeAsync(LambdaInvokeRequest request, CancellationToken cancellation)
    {
        Requests.Enqueue(request);
        return Task.FromResult(new LambdaInvokeResult(ReadOnlyMemory<byte>.Empty, null, "$LATEST"));
    }

    public List<JsonNode> Payloads => [.. Requests.Select(r => JsonNode.Parse(Encoding.UTF8.GetString(r.Payload.Span))!)];
}

/// <summary>EventBridge's domain: rules and targets as AWS keeps them, PutEvents delivery, and the scheduler driven by a fake clock.</summary>
public sealed class EventsServiceTests : IDisposable
{
    private const string Function = "arn:aws:lambda:us-east-1:123456789012:function:worker";
    private readonly Scope _scope = Scope.Of("123456789012", "us-east-1");
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-12-05T10:00:30Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly RecordingLambda _lambda = new();
    private readonly RecordingMetrics _metrics = new();
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "stratus-events-" + Guid.NewGuid().ToString("N"));
    private StateStore _store;
    private EventsService _events;

    public EventsServiceTests()
    {
        _store = StateStore.Open(_dataDir);
        _events = new EventsService(_store, _clock, _lambda, _metrics, NullLogger.Instance);
    }

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_dataDir, recursive: true);
    }

    private static RuleSettings Rule(string name, string? pattern = null, string? schedule = null, string? bus = null) =>
        new(name, bus, pattern, schedule, null, null, null, new Dictionary<string, string>());

    private static string Code(Action action) => Assert.Throws<AwsException>(action).Code;

    [Fact]
    public void Rules_are_kept_per_bus_with_aws_arns_and_errors()
    {
        var rule = _events.PutRule(_scope, Rule("orders", pattern: """{"source":["shop"]}"""));
        Assert.Equal("arn:aws:events:us-east-1:123456789012:rule/orders", rule.Arn);
        _events.CreateEventBus(_scope, "custom", null, new Dictionary<string, string>());
        Assert.Equal("arn:aws:events:us-east-1:123456789012:rule/custom/orders",
            _events.PutRule(_scope, Rule("orders", pattern: """{"source":["shop"]}""", bus: "custom")).Arn);
        Assert.Equal(["custom", "default"], _events.ListEventBuses(_scope, null).Select(b => b.Name));

        Assert.Equal("Parameter(s) EventPattern or ScheduleExpression must be specified.", Assert.Throws<AwsException>(() => _events.PutRule(_scope, Rule("none"))).Message);
        Assert.Equal("ScheduleExpression is supported only on the default event bus.",
            Assert.Throws<AwsException>(() => _events.PutRule(_scope, Rule("tick", schedule: "rate(1 minute)", bus: "custom"))).Message);
        Assert.Equal("InvalidEventPatternException", Code(() => _events.PutRule(_scope, Rule("bad", pattern: """{"source":"x"}"""))));
        Assert.Equal("Rule missing does not exist on EventBus default.", Assert.Throws<AwsException>(() => _events.DescribeRule(_scope, "missing", null)).Message);
        Assert.Equal("Event bus nope does not exist.", Assert.Throws<AwsException>(() => _events.PutRule(_scope, Rule("x", pattern: "{\"a\":[1]}", bus: "nope"))).Message);

        _events.PutTargets(_scope, "orders", null, [new EventTarget("w", Function, null, null, null)]);
        Assert.Equal("Rule can't be deleted since it has targets.", Assert.Throws<AwsException>(() => _events.DeleteRule(_scope, "orders", null, force: false)).Message);
        _events.RemoveTargets(_scope, "orders", null, ["w"]);
        _events.DeleteRule(_scope, "orders", null, force: false);
        Assert.Equal("ResourceNotFoundException", Code(() => _events.DescribeRule(_scope, "orders", null)));
        Assert.Equal("Event bus custom still has rules; Stratus deletes a custom bus once its rules are deleted.",
            Assert.Throws<AwsException>(() => _events.DeleteEventBus(_scope, "custom")).Message);
    }

    [Fact]
    public void Targets_are_checked_replaced_by_id_and_limited_to_five()
    {
        _events.PutRule(_scope, Rule("r", pattern: """{"source":["shop"]}"""));
        Assert.Contains("is not a Lambda function",
            Assert.Throws<AwsException>(() => _events.PutTargets(_scope, "r", null, [new EventTarget("q", "arn:aws:sqs:us-east-1:123456789012:q", null, null, null)])).Message);
        Assert.Equal("Only one of Input, InputPath, or InputTransformer must be provided for target t.",
            Assert.Throws<AwsException>(() => _events.PutTargets(_scope, "r", null, [new EventTarget("t", Function, "{}", "$.detail", null)])).Message);
        Assert.Equal("Input for target t is not valid JSON text.",
            Assert.Throws<AwsException>(() => _events.PutTargets(_scope, "r", null, [new EventTarget("t", Function, "{", null, null)])).Message);
        _events.PutTargets(_scope, "r", null, [new EventTarget("t", Function, null, null, null)]);
        _events.PutTargets(_scope, "r", null, [new EventTarget("t", Function + ":live", null, null, null)]);
        Assert.Equal(Function + ":live", Assert.Single(_events.DescribeRule(_scope, "r", null).Targets).Arn);
        _events.PutTargets(_scope, "r", null, [.. Enumerable.Range(1, 4).Select(i => new EventTarget($"t{i}", Function, null, null, null))]);
        Assert.Equal("LimitExceededException", Code(() => _events.PutTargets(_scope, "r", null, [new EventTarget("t9", Function, null, null, null)])));
    }

    [Fact]
    public async Task Put_events_reach_the_matching_enabled_rules_targets_as_queued_invocations_with_the_envelope()
    {
        _events.PutRule(_scope, Rule("orders", pattern: """{"source":["shop"],"detail":{"total":[{"numeric":[">",100]}]}}"""));
        _events.PutTargets(_scope, "orders", null, [
            new EventTarget("whole", Function, null, null, null),
            new EventTarget("part", Function, null, "$.detail", null),
            new EventTarget("shaped", Function, null, null, new InputTransformerSettings(
                new Dictionary<string, string> { ["total"] = "$.detail.total", ["who"] = "$.detail.customer" },
                """{"message":"<who> spent <total>","total":<total>,"who":<who>,"rule":"<aws.events.rule-name>"}""")),
        ]);
        _events.PutRule(_scope, Rule("off", pattern: """{"source":["shop"]}"""));
        _events.PutTargets(_scope, "off", null, [new EventTarget("off", Function, null, null, null)]);
        _events.SetRuleState(_scope, "off", null, enabled: false);

        var results = _events.PutEvents(_scope, [
            new EventEntry("shop", "Order Placed", """{"total":250,"customer":"ana"}""", [], null, null),
            new EventEntry("shop", "Order Placed", """{"total":5,"customer":"bo"}""", [], null, null),
            new EventEntry(null, "Order Placed", "{}", [], null, null),
            new EventEntry("shop", "Order Placed", "[1]", [], null, null),
        ]);
        Assert.NotNull(results[0].EventId);
        Assert.NotNull(results[1].EventId);
        Assert.Equal("InvalidArgument", results[2].ErrorCode);
        Assert.Equal("Parameter Source is not valid. Reason: Source is a required argument.", results[2].ErrorMessage);
        Assert.Equal("Parameter Detail is not valid. Reason: Detail is malformed.", results[3].ErrorMessage);

        await WaitFor(() => _lambda.Requests.Count >= 3);
        Assert.All(_lambda.Requests, r =>
        {
            Assert.True(r.Asynchronous);
            Assert.Equal("events.amazonaws.com", r.CallerPrincipal);
            Assert.Equal("arn:aws:events:us-east-1:123456789012:rule/orders", r.SourceArn);
        });
        var payloads = _lambda.Payloads.Select(p => p.ToJsonString()).ToList();
        var whole = JsonNode.Parse(payloads.Single(p => p.Contains("\"detail-type\"", StringComparison.Ordinal)))!;
        Assert.Equal(["0", "Order Placed", "shop", "123456789012", "2026-12-05T10:00:30Z", "us-east-1"],
            new[] { "version", "detail-type", "source", "account", "time", "region" }.Select(f => (string)whole[f]!));
        Assert.Contains("""{"total":250,"customer":"ana"}""", payloads);
        Assert.Contains("""{"message":"ana spent 250","total":250,"who":"ana","rule":"orders"}""", payloads);
        Assert.Equal(3, _lambda.Requests.Count);

        // AWS/Events counts the one matched event and the three invocations, per rule and overall; the disabled rule nothing.
        double Sum(string metric, bool perRule) => _metrics.Data
            .Where(d => d.Namespace == "AWS/Events" && d.MetricName == metric
                && (perRule ? d.Dimensions.SequenceEqual([KeyValuePair.Create("RuleName", "orders")]) : d.Dimensions.Count == 0))
            .Sum(d => d.Value);
        Assert.Equal([1, 1, 1, 3, 3, 0], new[] { Sum("MatchedEvents", true), Sum("MatchedEvents", false), Sum("TriggeredRules", true),
            Sum("Invocations", true), Sum("Invocations", false), Sum("FailedInvocations", true) });
        Assert.DoesNotContain(_metrics.Data, d => d.Dimensions.Any(x => x.Value == "off"));
    }

    [Fact]
    public void Test_event_pattern_requires_the_envelope()
    {
        const string envelope = """{"id":"1","account":"1","source":"shop","time":"t","region":"r","detail-type":"d","resources":[],"detail":{}}""";
        Assert.True(_events.TestEventPattern("""{"source":["shop"]}""", envelope));
        Assert.False(_events.TestEventPattern("""{"source":["other"]}""", envelope));
        Assert.StartsWith("Parameter Event is not valid. Reason: Provided Event must have fields",
            Assert.Throws<AwsException>(() => _events.TestEventPattern("""{"source":["shop"]}""", """{"source":"shop"}""")).Message);
    }

    [Fact]
    public async Task The_scheduler_fires_on_time_with_the_scheduled_event_and_keeps_its_place_across_a_restart()
    {
        _events.PutRule(_scope, Rule("tick", schedule: "rate(1 minute)"));
        _events.PutTargets(_scope, "tick", null, [new EventTarget("t", Function, null, null, null)]);
        var scheduler = new RuleScheduler(_events, _clock, NullLogger.Instance);

        Assert.Equal(DateTimeOffset.Parse("2026-12-05T10:01:00Z", System.Globalization.CultureInfo.InvariantCulture), await scheduler.FireDueAsync(_clock.GetUtcNow()));
        Assert.Empty(_lambda.Requests);
        _clock.Advance(TimeSpan.FromSeconds(30));
        await scheduler.FireDueAsync(_clock.GetUtcNow());
        var fired = Assert.Single(_lambda.Payloads);
        Assert.Equal("Scheduled Event", (string)fired["detail-type"]!);
        Assert.Equal("aws.events", (string)fired["source"]!);
        Assert.Equal("2026-12-05T10:01:00Z", (string)fired["time"]!);
        Assert.Equal("""["arn:aws:events:us-east-1:123456789012:rule/tick"]""", fired["resources"]!.ToJsonString());
        Assert.Equal("{}", fired["detail"]!.ToJsonString());

        // The same instant again fires nothing more; after a restart the fire time is still remembered.
        await scheduler.FireDueAsync(_clock.GetUtcNow());
        _store.Dispose();
        _store = StateStore.Open(_dataDir);
        _events = new EventsService(_store, _clock, _lambda, _metrics, NullLogger.Instance);
        scheduler = new RuleScheduler(_events, _clock, NullLogger.Instance);
        await scheduler.FireDueAsync(_clock.GetUtcNow());
        Assert.Single(_lambda.Requests);

        // Down for an hour: the missed times are not delivered late; the schedule goes on from now.
        _clock.Advance(TimeSpan.FromHours(1));
        await scheduler.FireDueAsync(_clock.GetUtcNow());
        Assert.Equal(2, _lambda.Requests.Count);
        Assert.Equal("2026-12-05T11:01:00Z", (string)_lambda.Payloads[^1]["time"]!);

        // Disabled rules do not fire.
        _events.SetRuleState(_scope, "tick", null, enabled: false);
        _clock.Advance(TimeSpan.FromMinutes(5));
        await scheduler.FireDueAsync(_clock.GetUtcNow());
        Assert.Equal(2, _lambda.Requests.Count);
    }

    [Fact]
    public async Task The_running_scheduler_follows_the_clock()
    {
        var scheduler = new RuleScheduler(_events, _clock, NullLogger.Instance);
        await using (scheduler)
        {
            scheduler.Start();
            _events.PutRule(_scope, Rule("tick", schedule: "rate(1 minute)"));
            _events.PutTargets(_scope, "tick", null, [new EventTarget("t", Function, null, null, null)]);
            for (var minute = 0; minute < 3; minute++)
            {
                // Give the loop time to arm its timer for the next minute, then move the clock past it.
                await Task.Delay(200);
                _clock.Advance(TimeSpan.FromMinutes(1));
                var expected = minute + 1;
                await WaitFor(() => _lambda.Requests.Count >= expected);
            }
        }
        Assert.Equal(3, _lambda.Requests.Count);
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(20);
        }
    }
}
