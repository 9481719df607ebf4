using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Logs;
using Stratus.Services.Logs.Engine;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.CloudWatch;

namespace Stratus.Tests.Services.Logs.Engine;

/// <summary>A Live Tail session's selection, its sampling and bounds as AWS documents them, its three hours, and its subscription's end.</summary>
public sealed class LiveTailSessionTests
{
    private const string Group = "000000000000/us-east-1/app";

    private static LiveTailSession Session(string pattern = "", IReadOnlyList<string>? prefixes = null, Action<LiveTailSession>? ended = null) =>
        new("000000000000", "us-east-1", "session", "request", new LiveTailCriteria(["app"], null, prefixes, pattern),
            new Dictionary<string, string> { [Group] = "app" }, FilterPattern.Parse(pattern), ended ?? (_ => { }));

    private static List<LogEvent> Events(int count, string text = "ERROR") =>
        Enumerable.Range(0, count).Select(i => new LogEvent(i, $"{text} {i}", i + 5, i)).ToList();

    [Fact]
    public void Only_the_watched_groups_streams_and_pattern_reach_an_update()
    {
        using var session = Session("ERROR", prefixes: ["web"]);
        session.Offer(Group, "web-1", [new LogEvent(1, "ERROR kept", 2, 1), new LogEvent(2, "INFO left", 3, 2)]);
        session.Offer(Group, "worker-1", [new LogEvent(3, "ERROR other stream", 4, 3)]);
        session.Offer("000000000000/us-east-1/other", "web-1", [new LogEvent(4, "ERROR other group", 5, 4)]);

        var update = session.TakeUpdate();

        Assert.False(update.Sampled);
        Assert.Equal(new LiveTailEvent("app", "web-1", "ERROR kept", 1, 2), Assert.Single(update.Events));
        Assert.Empty(session.TakeUpdate().Events);
    }

    [Fact]
    public void A_second_of_more_than_500_events_is_sampled_down_to_500_in_order()
    {
        using var session = Session();
        session.Offer(Group, "s", Events(1200));

        var update = session.TakeUpdate();

        Assert.True(update.Sampled);
        Assert.Equal(500, update.Events.Count);
        Assert.Equal("ERROR 0", update.Events[0].Message);
        Assert.Equal(update.Events.OrderBy(e => e.Timestamp), update.Events);
    }

    [Fact]
    public void A_slow_client_has_at_most_5000_events_waiting_the_oldest_dropped()
    {
        using var session = Session();
        session.Offer(Group, "s", Events(6000));

        var update = session.TakeUpdate();

        Assert.True(update.Sampled);
        Assert.Equal("ERROR 1000", update.Events[0].Message);
    }

    [Fact]
    public void What_waits_is_bounded_by_bytes_too()
    {
        using var session = Session();
        session.Offer(Group, "s", Events(100, new string('x', 100_000)));

        var update = session.TakeUpdate();

        Assert.True(update.Sampled);
        Assert.True(update.Events.Sum(e => e.Message.Length) <= LiveTailSession.MaxBufferedBytes);
        Assert.EndsWith(" 99", update.Events[^1].Message);
    }

    [Fact]
    public async Task Updates_come_every_second_for_three_hours_then_end()
    {
        var clock = new FakeTimeProvider();
        using var session = Session();
        await using var updates = session.UpdatesAsync(clock, CancellationToken.None).GetAsyncEnumerator();
        var count = 0;
        while (true)
        {
            var next = updates.MoveNextAsync();
            if (!next.IsCompleted) clock.Advance(LiveTailSession.UpdateInterval);
            if (!await next) break;
            count++;
        }

        Assert.Equal((int)(LiveTailSession.MaxDuration / LiveTailSession.UpdateInterval), count);
    }

    [Fact]
    public async Task The_service_feeds_what_PutLogEvents_stores_and_a_disposed_session_frees_its_place_in_the_quota()
    {
        using var logs = new LogsService(StateStore.Ephemeral(), TimeProvider.System, new RecordingMetrics(), NullLogger.Instance, new RecordingLambda(), () => null);
        var call = TestCalls.Call();
        logs.CreateLogGroup(call, "/app", []);
        logs.CreateLogStream(call, "/app", "web-1");
        var criteria = new LiveTailCriteria(["/app"], null, null, "");
        var sessions = Enumerable.Range(0, LogsService.MaxLiveTailSessions).Select(_ => logs.StartLiveTail(call, criteria)).ToList();
        Assert.Equal("LimitExceededException", Assert.Throws<AwsException>(() => logs.StartLiveTail(call, criteria)).Code);

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await logs.PutLogEventsAsync(call, "/app", "web-1", [(now, "hello")]);
        Assert.Equal("hello", Assert.Single(sessions[0].TakeUpdate().Events).Message);

        // What services write for themselves (Lambda's function logs) reaches sessions too, through the writer's channel.
        Assert.Equal("hello", Assert.Single(sessions[1].TakeUpdate().Events).Message);
        logs.Append(call.AccountId, call.Region, "/app", "function-stream", [new LogLine(DateTimeOffset.UtcNow, "from a function")]);
        var written = new List<LiveTailEvent>();
        for (var attempt = 0; attempt < 200 && written.Count == 0; attempt++)
        {
            written.AddRange(sessions[1].TakeUpdate().Events);
            if (written.Count == 0) await Task.Delay(50);
        }
        Assert.Equal(("function-stream", "from a function"), (Assert.Single(written).LogStreamName, written[0].Message));

        sessions[0].Dispose();
        using var again = logs.StartLiveTail(call, criteria);
        foreach (var session in sessions) session.Dispose();
    }
}
