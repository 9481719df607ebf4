using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudWatch;
using Stratus.Services.Logs;
using Stratus.Services.Logs.Engine;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.CloudWatch;

namespace Stratus.Tests.Services.Logs;

public sealed class LogsServiceTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Now);
    private readonly LogsService _logs;
    private readonly Scope _call = TestCalls.Call();
    private readonly long _nowMs = Now.ToUnixTimeMilliseconds();
    private readonly RecordingMetrics _published = new();
    private readonly RecordingLambda _invoked = new() { Allowed = ["logs.amazonaws.com"] };

    public LogsServiceTests()
    {
        _logs = new LogsService(StateStore.Ephemeral(), _clock, _published, NullLogger.Instance, _invoked, () => null);
        _logs.CreateLogGroup(_call, "/app/orders", []);
        _logs.CreateLogStream(_call, "/app/orders", "web-1");
    }

    public void Dispose() => _logs.Dispose();

    // Without a state file the commit is immediate, so the call completes (or throws) synchronously.
    private PutLogEventsOutcome Put(params (long, string)[] events) => _logs.PutLogEventsAsync(_call, "/app/orders", "web-1", events).GetAwaiter().GetResult();

    private static string Refused(Action action) => Assert.Throws<AwsException>(action).Message;

    [Fact]
    public void Batches_are_validated_as_the_service_does()
    {
        Assert.Equal("Log events in a single PutLogEvents request must be in chronological order.",
            Refused(() => Put((_nowMs, "b"), (_nowMs - 1, "a"))));
        Assert.Equal("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
            Refused(() => Put((_nowMs - 25 * 3_600_000L, "old"), (_nowMs, "new"))));
        Assert.StartsWith("Upload too large", Refused(() => Put(Enumerable.Range(0, 5).Select(i => (_nowMs, new string('x', 250_000))).ToArray())));
        Assert.Contains("less than or equal to 10000", Refused(() => Put(Enumerable.Range(0, 10_001).Select(i => (_nowMs, "x")).ToArray())));
        Assert.Equal("ResourceNotFoundException", Assert.Throws<AwsException>(() => _logs.PutLogEventsAsync(_call, "/app/orders", "missing", [(_nowMs, "x")]).GetAwaiter().GetResult()).Code);

        Assert.Empty(_logs.GetLogEvents(_call, "/app/orders", "web-1", null, null, null, 100, true).Events);
    }

    [Fact]
    public void Too_old_too_new_and_expired_events_are_rejected_by_index_and_the_rest_kept()
    {
        const long day = 86_400_000L;
        Assert.Equal(new PutLogEventsOutcome(null, 1, null), Put((_nowMs - 14 * day - 1, "too old"), (_nowMs - 14 * day + 3_600_000L, "kept 1")));
        Assert.Equal(new PutLogEventsOutcome(1, null, null), Put((_nowMs, "kept 2"), (_nowMs + 2 * 3_600_000L + 1, "too new")));
        _logs.PutRetentionPolicy(_call, "/app/orders", 1);
        Assert.Equal(new PutLogEventsOutcome(null, null, 2), Put((_nowMs - day - 2, "expired"), (_nowMs - day - 1, "expired"), (_nowMs - day + 3_600_000L, "kept 3")));

        // Retention also removed "kept 1", older than a day.
        Assert.Equal(["kept 3", "kept 2"], _logs.GetLogEvents(_call, "/app/orders", "web-1", null, null, null, 100, true).Events.Select(e => e.Message));
    }

    [Fact]
    public void Retention_drops_events_older_than_the_policy()
    {
        Put((_nowMs - 3 * 86_400_000L + 1000, "three days ago"), (_nowMs - 2 * 86_400_000L, "two days ago"));
        Put((_nowMs, "today"));

        _logs.PutRetentionPolicy(_call, "/app/orders", 1);

        Assert.Equal(["today"], _logs.GetLogEvents(_call, "/app/orders", "web-1", null, null, null, 100, true).Events.Select(e => e.Message));
        Assert.Contains("enum value set", Refused(() => _logs.PutRetentionPolicy(_call, "/app/orders", 2)));
    }

    [Fact]
    public void Forward_and_backward_tokens_page_through_the_stream_and_repeat_at_its_ends()
    {
        Put(Enumerable.Range(1, 5).Select(i => (_nowMs + i, $"event {i}")).ToArray());

        var head = _logs.GetLogEvents(_call, "/app/orders", "web-1", null, null, null, 2, startFromHead: true);
        Assert.Equal(["event 1", "event 2"], head.Events.Select(e => e.Message));
        var next = _logs.GetLogEvents(_call, "/app/orders", "web-1", null, null, head.ForwardToken, 2, false);
        Assert.Equal(["event 3", "event 4"], next.Events.Select(e => e.Message));
        var last = _logs.GetLogEvents(_call, "/app/orders", "web-1", null, null, next.ForwardToken, 2, false);
        Assert.Equal(["event 5"], last.Events.Select(e => e.Message));
        var end = _logs.GetLogEvents(_call, "/app/orders", "web-1", null, null, last.ForwardToken, 2, false);
        Assert.Empty(end.Events);
        Assert.Equal(last.ForwardToken, end.ForwardToken);

        var tail = _logs.GetLogEvents(_call, "/app/orders", "web-1", null, null, null, 2, startFromHead: false);
        Assert.Equal(["event 4", "event 5"], tail.Events.Select(e => e.Message));
        var earlier = _logs.GetLogEvents(_call, "/app/orders", "web-1", null, null, tail.BackwardToken, 2, false);
        Assert.Equal(["event 2", "event 3"], earlier.Events.Select(e => e.Message));

        Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() =>
            _logs.GetLogEvents(_call, "/app/orders", "web-1", null, null, "f/bogus", 2, false)).Code);
    }

    [Fact]
    public async Task Filtering_spans_streams_in_time_order_and_pages_with_a_token()
    {
        _logs.CreateLogStream(_call, "/app/orders", "web-2");
        Put((_nowMs + 1, "ERROR one"), (_nowMs + 3, "INFO two"), (_nowMs + 5, "ERROR three"));
        await _logs.PutLogEventsAsync(_call, "/app/orders", "web-2", [(_nowMs + 2, "ERROR four"), (_nowMs + 4, "ERROR five")]);

        var first = _logs.FilterLogEvents(_call, "/app/orders", [], null, null, null, "ERROR", null, 3);
        Assert.Equal(["ERROR one", "ERROR four", "ERROR five"], first.Events.Select(e => e.Event.Message));
        Assert.Equal(["web-1", "web-2", "web-2"], first.Events.Select(e => e.LogStreamName));
        Assert.NotNull(first.NextToken);
        var second = _logs.FilterLogEvents(_call, "/app/orders", [], null, null, null, "ERROR", first.NextToken, 3);
        Assert.Equal(["ERROR three"], second.Events.Select(e => e.Event.Message));
        Assert.Null(second.NextToken);

        var windowed = _logs.FilterLogEvents(_call, "/app/orders", ["web-2"], null, _nowMs + 3, null, null, null, 100);
        Assert.Equal(["ERROR five"], windowed.Events.Select(e => e.Event.Message));
        Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() =>
            _logs.FilterLogEvents(_call, "/app/orders", [], null, null, null, "{ $.a = ", null, 10)).Code);
    }

    [Fact]
    public void Log_writers_create_the_group_and_stream_they_need()
    {
        _logs.Append(_call.AccountId, _call.Region, "/aws/lambda/fn", "2026/03/01/[$LATEST]abc", [new LogLine(Now, "START RequestId: r1 Version: $LATEST")]);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        // The writer creates the group, then appends: wait for the events, not just the group.
        while (!_logs.AllGroups().Any(g => g.Name == "/aws/lambda/fn" && _logs.RecentEvents(g, 1).Count > 0) && DateTime.UtcNow < deadline) Thread.Sleep(20);
        var events = _logs.GetLogEvents(_call, "/aws/lambda/fn", "2026/03/01/[$LATEST]abc", null, null, null, 10, true).Events;
        Assert.Equal("START RequestId: r1 Version: $LATEST", Assert.Single(events).Message);
    }

    [Fact]
    public void A_stream_read_newest_first_keeps_equal_timestamps_in_the_order_they_were_stored()
    {
        var store = new LogEventStore(StateStore.Ephemeral());
        store.Append("stream", [(_nowMs, "a"), (_nowMs + 70_000, "c"), (_nowMs, "b"), (_nowMs + 70_000, "d"), (_nowMs + 1, "é")], _nowMs);

        Assert.Equal(["c", "d", "é", "a", "b"], store.EventsBetween("stream", 0, long.MaxValue, newestFirst: true).Select(e => e.Message));
        Assert.Equal(["a", "b", "é", "c", "d"], store.EventsBetween("stream", 0, long.MaxValue).Select(e => e.Message));
        var accented = store.Events("stream")[2];
        Assert.Equal(2, accented.MessageBytes);
        // The size follows from the message: it is not written with the event.
        Assert.DoesNotContain("MessageBytes", System.Text.Json.JsonSerializer.Serialize(accented), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unsorted_query_answers_the_newest_events_of_every_stream_first_and_a_limit_past_AWS_maximum_is_refused()
    {
        _logs.CreateLogStream(_call, "/app/orders", "web-2");
        await _logs.PutLogEventsAsync(_call, "/app/orders", "web-1", [(_nowMs - 3_000, "a1"), (_nowMs - 1_000, "a2"), (_nowMs, "a3"), (_nowMs, "a4")]);
        await _logs.PutLogEventsAsync(_call, "/app/orders", "web-2", [(_nowMs - 2_000, "b1"), (_nowMs - 500, "b2")]);
        StartQueryInput Query(string text, int? limit) => new(["/app/orders"], _nowMs / 1000 - 60, _nowMs / 1000 + 1, text, limit, null);

        var id = _logs.StartQuery(_call, Query("fields @message | limit 5", null));
        var info = await _logs.FinishedAsync(_call, id, CancellationToken.None);
        Assert.Equal(["a3", "a4", "b2", "a2", "b1"], info.Result!.Rows.Select(r => r.Single(f => f.Field == "@message").Value));
        // StartQuery's limit goes up to 100,000 results, as AWS documents it.
        Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() => _logs.StartQuery(_call, Query("fields @message", 100_001))).Code);
        info = await _logs.FinishedAsync(_call, _logs.StartQuery(_call, Query("sort @timestamp asc", 100_000)), CancellationToken.None);
        Assert.Equal(["a1", "b1", "a2", "b2", "a3", "a4"], info.Result!.Rows.Select(r => r.Single(f => f.Field == "@message").Value));
    }

    [Fact]
    public void A_stream_keeps_its_newest_events_within_the_bound()
    {
        var store = new LogEventStore(StateStore.Ephemeral());
        store.Append("stream", Enumerable.Range(0, LogEventStore.MaxEventsPerStream + 10).Select(i => (_nowMs + i, $"event {i}")), _nowMs);

        var events = store.Events("stream");
        Assert.Equal(LogEventStore.MaxEventsPerStream, events.Count);
        Assert.Equal("event 10", events[0].Message);
        Assert.Equal(_nowMs + 10, store.Statistics("stream").FirstEventTimestamp);
    }

    [Fact]
    public void Beyond_the_store_limit_the_oldest_blocks_of_any_stream_go_first()
    {
        var store = new LogEventStore(StateStore.Ephemeral(), maxStoredBytes: 5_000);
        var message = new string('x', 974);
        const long tenMinutes = 600_000;
        store.Append("old", Enumerable.Range(0, 2).Select(i => (_nowMs - 3 * tenMinutes + i, message)), _nowMs);
        store.Append("new", Enumerable.Range(0, 2).Select(i => (_nowMs - 2 * tenMinutes + i, message)), _nowMs);
        store.Append("old", Enumerable.Range(0, 2).Select(i => (_nowMs + i, message)), _nowMs);

        store.EnforceLimit();

        Assert.Equal([_nowMs, _nowMs + 1], store.Events("old").Select(e => e.Timestamp));
        Assert.Equal(2, store.Events("new").Count);
        Assert.Equal(4_000, store.Statistics("old").StoredBytes + store.Statistics("new").StoredBytes);
    }

    [Fact]
    public void The_chunks_group_commits_write_are_compacted_into_one_per_block()
    {
        var directory = Directory.CreateTempSubdirectory("stratus-logs-").FullName;
        try
        {
            int Documents(StateStore state) => state.Load(LogEventStore.Collection).Count(d => d.Key.StartsWith("busy", StringComparison.Ordinal));
            using (var state = StateStore.Open(directory))
            {
                var store = new LogEventStore(state);
                for (var call = 0; call < 5; call++)
                {
                    store.Append("busy", [(_nowMs + call, $"call {call}")], _nowMs);
                    store.Flush();
                }
                Assert.Equal(5, Documents(state));
                store.Flush(compact: true);
                Assert.Equal(1, Documents(state));
                store.Append("busy", [(_nowMs + 5, "call 5")], _nowMs);
                store.Flush(compact: true);
                Assert.Equal(2, Documents(state));
            }
            using (var state = StateStore.Open(directory))
                Assert.Equal(Enumerable.Range(0, 6).Select(i => $"call {i}"), new LogEventStore(state).Events("busy").Select(e => e.Message));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Persisted_events_come_back_after_appends_trims_drops_and_an_earlier_version_s_whole_blocks()
    {
        var directory = Directory.CreateTempSubdirectory("stratus-logs-").FullName;
        try
        {
            const long minute = 60_000;
            var start = _nowMs - _nowMs % minute;
            using (var state = StateStore.Open(directory))
            {
                // As an earlier Stratus wrote it: one document per stream and 10-minute block, rewritten in place.
                var legacy = new[] { new LogEvent(start - 5 * minute, "legacy 1", start, 1), new LogEvent(start - 4 * minute, "legacy 2", start, 2) };
                state.Apply([new StoreWrite(LogEventStore.Collection, $"kept\u001f{start - 10 * minute}", System.Text.Json.JsonSerializer.Serialize(legacy))]);
            }
            using (var state = StateStore.Open(directory))
            {
                var store = new LogEventStore(state);
                Assert.Equal(["legacy 1", "legacy 2"], store.Events("kept").Select(e => e.Message));
                for (var flush = 0; flush < 3; flush++)
                {
                    store.Append("kept", Enumerable.Range(0, 5).Select(i => (start + flush * 10 + i, $"event {flush}.{i}")), _nowMs);
                    store.Append("removed", [(start, "gone")], _nowMs);
                    store.Flush();
                }
                store.Expire("kept", start - 4 * minute);
                store.RemoveStream("removed");
                store.Flush();
            }
            using (var state = StateStore.Open(directory))
            {
                var store = new LogEventStore(state);
                var events = store.Events("kept");
                Assert.Equal(16, events.Count);
                Assert.Equal(["legacy 2", "event 0.0"], events.Take(2).Select(e => e.Message));
                Assert.Equal("event 2.4", events[^1].Message);
                Assert.Empty(store.Events("removed"));
                Assert.Equal(16, events.Select(e => e.Id).Distinct().Count());
                // The legacy document, the removed stream's chunks: nothing left behind in the state file.
                Assert.DoesNotContain(state.Load(LogEventStore.Collection), d => d.Key.StartsWith("removed", StringComparison.Ordinal) || !d.Key.Contains('.') && !d.Key.EndsWith("trim", StringComparison.Ordinal));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_removed_stream_s_journaled_events_stay_removed_when_replayed()
    {
        var directory = Directory.CreateTempSubdirectory("stratus-logs-").FullName;
        try
        {
            using (var state = StateStore.Open(directory))
            {
                var store = new LogEventStore(state);
                store.Append("folded", [(_nowMs, "folded then removed")], _nowMs);
                store.Flush();
                store.Append("journaled", [(_nowMs, "journaled then removed")], _nowMs);
                store.Append("kept", [(_nowMs, "kept")], _nowMs);
                store.RemoveStream("folded");
                store.RemoveStream("journaled");
                await store.CommitAsync();
                // No fold after the removals: as after a kill -9, only the journal holds them.
            }
            using (var state = StateStore.Open(directory))
            {
                var store = new LogEventStore(state);
                Assert.Empty(store.Events("folded"));
                Assert.Empty(store.Events("journaled"));
                Assert.Equal(["kept"], store.Events("kept").Select(e => e.Message));
                store.Flush();
                Assert.DoesNotContain(state.Load(LogEventStore.Collection), d => d.Key.StartsWith("folded", StringComparison.Ordinal));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Metric_filters_turn_matching_events_into_data_points()
    {
        _logs.PutMetricFilter(_call, "/app/orders", "errors", "{ $.level = \"ERROR\" }",
            new MetricTransformation("Errors", "App", "1", null, new() { ["Service"] = "$.service" }, "Count"));
        _logs.PutMetricFilter(_call, "/app/orders", "latency", "{ $.latency > 0 }",
            new MetricTransformation("Latency", "App", "$.latency", null, [], "Milliseconds"));
        _logs.PutMetricFilter(_call, "/app/orders", "timeouts", "timeout", new MetricTransformation("Timeouts", "App", "1", 0, [], null));

        Put((_nowMs, "{\"level\":\"ERROR\",\"service\":\"cart\",\"latency\":120}"), (_nowMs + 1, "{\"level\":\"INFO\",\"latency\":7}"), (_nowMs + 2, "plain text"));

        Assert.Equal(["App/Errors Service=cart 1 Count", "App/Latency  120 Milliseconds", "App/Latency  7 Milliseconds", "App/Timeouts  0 None"],
            _published.Data.Select(d => $"{d.Namespace}/{d.MetricName} {string.Join(",", d.Dimensions.Select(x => x.Key + "=" + x.Value))} {d.Value} {d.Unit}").Order());
        Assert.Equal(3, _logs.MetricFilterCount(_logs.DescribeLogGroups(_call, "/app/orders", null)[0]));
        Assert.Equal(["latency"], _logs.DescribeMetricFilters(_call, "/app/orders", null, "Latency", "App").Select(f => f.FilterName));
        Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() => _logs.PutMetricFilter(_call, "/app/orders", "bad", "{ $.a = ",
            new MetricTransformation("X", "App", "1", null, [], null))).Code);
        Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() => _logs.PutMetricFilter(_call, "/app/orders", "bad", "",
            new MetricTransformation("X", "App", "many", null, [], null))).Code);
        _logs.DeleteMetricFilter(_call, "/app/orders", "latency");
        Assert.Equal("ResourceNotFoundException", Assert.Throws<AwsException>(() => _logs.DeleteMetricFilter(_call, "/app/orders", "latency")).Code);
    }

    [Fact]
    public void Names_and_duplicates_are_refused()
    {
        Assert.Equal("ResourceAlreadyExistsException", Assert.Throws<AwsException>(() => _logs.CreateLogGroup(_call, "/app/orders", [])).Code);
        Assert.Equal("ResourceAlreadyExistsException", Assert.Throws<AwsException>(() => _logs.CreateLogStream(_call, "/app/orders", "web-1")).Code);
        Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() => _logs.CreateLogGroup(_call, "bad name!", [])).Code);
        Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() => _logs.CreateLogStream(_call, "/app/orders", "a:b")).Code);
        Assert.Equal("ResourceNotFoundException", Assert.Throws<AwsException>(() => _logs.CreateLogStream(_call, "/nope", "a")).Code);
    }

    [Fact]
    public async Task A_subscription_filter_sends_its_matching_events_to_the_function_as_AWS_gzips_them()
    {
        await _logs.PutSubscriptionFilterAsync(_call, Subscription("errors", "ERROR"), CancellationToken.None);
        await _logs.PutLogEventsAsync(_call, "/app/orders", "web-1", [(_nowMs, "INFO fine"), (_nowMs + 1, "ERROR broken"), (_nowMs + 2, "ERROR again")]);

        var delivered = await _invoked.WaitForAsync(r => !r.DryRun);
        Assert.True(delivered.Asynchronous);
        Assert.Equal("logs.amazonaws.com", delivered.CallerPrincipal);
        Assert.Equal($"arn:aws:logs:{_call.Region}:{_call.AccountId}:log-group:/app/orders:*", delivered.SourceArn);
        var message = Decoded(delivered);
        Assert.Equal("DATA_MESSAGE", (string)message["messageType"]!);
        Assert.Equal(_call.AccountId, (string)message["owner"]!);
        Assert.Equal("/app/orders", (string)message["logGroup"]!);
        Assert.Equal("web-1", (string)message["logStream"]!);
        Assert.Equal(["errors"], message["subscriptionFilters"]!.AsArray().Select(f => (string)f!));
        Assert.Equal(["ERROR broken", "ERROR again"], message["logEvents"]!.AsArray().Select(e => (string)e!["message"]!));
        Assert.Equal(_nowMs + 1, (long)message["logEvents"]![0]!["timestamp"]!);
    }

    [Fact]
    public async Task Subscription_deliveries_and_metric_filters_see_events_masked_as_at_every_egress_point()
    {
        _logs.PutDataProtectionPolicy(_call, "/app/orders", EmailPolicy);
        await _logs.PutSubscriptionFilterAsync(_call, Subscription("all", ""), CancellationToken.None);
        // A pattern naming the hidden value cannot find it, as FilterLogEvents cannot: the filter sees the masked text.
        _logs.PutMetricFilter(_call, "/app/orders", "by-address", "\"ann@example.com\"", new MetricTransformation("ByAddress", "App", "1", null, [], null));
        _logs.PutMetricFilter(_call, "/app/orders", "mails", "mail", new MetricTransformation("Mails", "App", "1", null, [], null));

        await _logs.PutLogEventsAsync(_call, "/app/orders", "web-1", [(_nowMs, "mail to ann@example.com")]);

        var message = Decoded(await _invoked.WaitForAsync(r => !r.DryRun));
        Assert.Equal(["mail to ***************"], message["logEvents"]!.AsArray().Select(e => (string)e!["message"]!));
        Assert.Equal(["App/Mails"], _published.Data.Select(d => $"{d.Namespace}/{d.MetricName}"));
        // Stored as it came: a reader allowed to unmask still sees the value.
        Assert.Equal("mail to ann@example.com", _logs.GetLogEvents(_call, "/app/orders", "web-1", null, null, null, 10, true, unmask: true).Events.Single().Message);
    }

    [Fact]
    public async Task A_subscription_filter_is_refused_when_the_function_does_not_let_CloudWatch_Logs_invoke_it()
    {
        _invoked.Allowed = [];
        var refused = await Assert.ThrowsAsync<AwsException>(() => _logs.PutSubscriptionFilterAsync(_call, Subscription("errors", ""), CancellationToken.None));
        Assert.Equal("InvalidParameterException", refused.Code);
        Assert.Equal("Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute your function.", refused.Message);
        Assert.Empty(_logs.DescribeSubscriptionFilters(_call, "/app/orders", null));
    }

    [Fact]
    public async Task A_log_group_takes_two_subscription_filters_and_a_third_is_over_AWS_limit()
    {
        _invoked.Allowed = ["logs.us-east-1.amazonaws.com"];
        await _logs.PutSubscriptionFilterAsync(_call, Subscription("one", ""), CancellationToken.None);
        await _logs.PutSubscriptionFilterAsync(_call, Subscription("two", ""), CancellationToken.None);
        await _logs.PutSubscriptionFilterAsync(_call, Subscription("two", "ERROR"), CancellationToken.None);
        var refused = await Assert.ThrowsAsync<AwsException>(() => _logs.PutSubscriptionFilterAsync(_call, Subscription("three", ""), CancellationToken.None));
        Assert.Equal("LimitExceededException", refused.Code);
        var filters = _logs.DescribeSubscriptionFilters(_call, "/app/orders", null);
        Assert.Equal(["one", "two"], filters.Select(f => f.FilterName));
        Assert.Equal("ERROR", filters[1].FilterPattern);
        Assert.All(filters, f => Assert.Equal("logs.us-east-1.amazonaws.com", f.InvokePrincipal));
    }

    [Fact]
    public async Task Kinesis_and_Firehose_destinations_are_refused_by_name()
    {
        var refused = await Assert.ThrowsAsync<AwsException>(() => _logs.PutSubscriptionFilterAsync(_call,
            Subscription("stream", "") with { DestinationArn = "arn:aws:kinesis:us-east-1:000000000000:stream/orders" }, CancellationToken.None));
        Assert.Equal("InvalidParameterException", refused.Code);
        Assert.Contains("arn:aws:kinesis:us-east-1:000000000000:stream/orders", refused.Message);
    }

    /// <summary>A data protection policy masking email addresses.</summary>
    private const string EmailPolicy = """
        {"Statement": [
            {"DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"], "Operation": {"Audit": {"FindingsDestination": {}}}},
            {"DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"], "Operation": {"Deidentify": {"MaskConfig": {}}}}]}
        """;

    /// <summary>The DATA_MESSAGE document a delivery carries, un-base64ed and un-gzipped as a function would.</summary>
    internal static System.Text.Json.Nodes.JsonNode Decoded(Stratus.Services.Lambda.LambdaInvokeRequest delivery)
    {
        var wrapper = System.Text.Json.Nodes.JsonNode.Parse(delivery.Payload.Span)!;
        using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(Convert.FromBase64String((string)wrapper["awslogs"]!["data"]!)),
            System.IO.Compression.CompressionMode.Decompress);
        return System.Text.Json.Nodes.JsonNode.Parse(gzip)!;
    }

    private SubscriptionFilter Subscription(string name, string pattern) =>
        new(_call.AccountId, _call.Region, "/app/orders", name, pattern, $"arn:aws:lambda:{_call.Region}:{_call.AccountId}:function:sink", null, "ByLogStream", 0, "");
}
