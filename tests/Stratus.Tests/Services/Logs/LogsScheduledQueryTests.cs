using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Iam;
using Stratus.Services.Logs;
using Stratus.Services.S3;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.CloudWatch;

namespace Stratus.Tests.Services.Logs;

/// <summary>
/// Scheduled queries run by their schedule, the clock driven through a fake time provider (the smallest schedule AWS takes,
/// rate(1 minute), is too slow to wait for): the run's Insights result lands in S3 as rows the test counts itself from the
/// events it wrote, the history shows the run and its delivery, a disabled query does not run, SQL is refused.
/// </summary>
public sealed class LogsScheduledQueryTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 30, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private readonly Scope _call = Scope.Of("123456789012", "us-east-1");
    private readonly string _root = Directory.CreateTempSubdirectory("stratus-s14-schedq-").FullName;
    private readonly S3Service _s3;
    private readonly IamService _iam;
    private readonly LogsService _logs;
    private readonly string _role;

    public LogsScheduledQueryTests()
    {
        var store = StateStore.Ephemeral();
        _s3 = new S3Service(store, _clock, _root, TimeSpan.FromHours(1));
        _iam = new IamService(store, _clock);
        _logs = new LogsService(store, _clock, new RecordingMetrics(), NullLogger.Instance, new RecordingLambda(), () => _s3, roles: _iam);
        _role = _iam.CreateRole(_call, "scheduled-queries", new RoleSettings(null,
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}""",
            null, null), []).Arn;
        _s3.CreateBucket(_call, "query-results", null);
        _logs.CreateLogGroup(_call, "/app/orders", []);
        _logs.CreateLogStream(_call, "/app/orders", "web-1");
    }

    public void Dispose()
    {
        _logs.Dispose();
        _s3.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private ScheduledQuerySettings Settings(string language = "CWLI", string state = ScheduledQueryStates.Enabled) => new(
        null, language, "stats count(*) as n by status", ["/app/orders"], "rate(1 minute)", null, null,
        new ScheduledQueryS3Destination("s3://query-results/reports", _role, null, null), null, null, _role, state);

    [Fact]
    public async Task A_due_query_writes_its_rows_to_S3_and_its_history_and_a_disabled_one_does_not_run()
    {
        int[] statuses = [200, 500, 200, 404, 500, 200];
        var at = Start.AddSeconds(-25).ToUnixTimeMilliseconds();
        await _logs.PutLogEventsAsync(_call, "/app/orders", "web-1",
            statuses.Select((s, i) => (at + i * 1000L, $$"""{"status": {{s}}, "path": "/orders/{{i}}"}""")).ToList());
        var query = _logs.CreateScheduledQuery(_call, "status-counts", Settings(), null);
        var paused = _logs.CreateScheduledQuery(_call, "paused", Settings(state: ScheduledQueryStates.Disabled), null);

        // rate(1 minute) made at 12:00:30 is first due at 12:01:00; nothing runs before.
        Assert.Equal(Start.AddSeconds(30), await _logs.RunDueScheduledQueriesAsync(_clock.GetUtcNow()));
        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(Start.AddSeconds(90), await _logs.RunDueScheduledQueriesAsync(_clock.GetUtcNow()));

        var (_, runs) = _logs.GetScheduledQueryHistory(_call, query.Arn, 0, long.MaxValue, []);
        var run = Assert.Single(runs);
        Assert.Equal(ScheduledQueryExecutionStatus.Complete, run.ExecutionStatus);
        Assert.Equal(Start.AddSeconds(30).ToUnixTimeMilliseconds(), run.TriggeredTimestamp);
        var delivery = Assert.Single(run.Destinations);
        Assert.Equal("COMPLETE", delivery.Status);
        Assert.Equal($"s3://query-results/reports/{query.Id}/{run.QueryId}.json", delivery.ProcessedIdentifier);
        Assert.Empty(_logs.GetScheduledQueryHistory(_call, query.Name, 0, long.MaxValue, [ScheduledQueryExecutionStatus.Failed]).Runs);
        Assert.Equal(ScheduledQueryExecutionStatus.Complete, _logs.GetScheduledQuery(_call, "status-counts").LastExecutionStatus);

        var version = _s3.GetObject(_call, "query-results", $"reports/{query.Id}/{run.QueryId}.json", null);
        using var content = new StreamReader(_s3.OpenContent(version, 0, version.Size));
        var document = JsonNode.Parse(await content.ReadToEndAsync())!;
        var rows = document["results"]!.AsArray().Select(r => ((string)r!["status"]!, (string)r["n"]!)).Order().ToList();
        var expected = statuses.GroupBy(s => s).Select(g => (g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), g.Count().ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .Order().ToList();
        Assert.Equal(expected, rows);
        Assert.Equal(query.Arn, (string)document["scheduledQueryArn"]!);
        Assert.Equal(Start.AddSeconds(-30).ToUnixTimeMilliseconds(), (long)document["startTime"]!);

        Assert.Empty(_logs.GetScheduledQueryHistory(_call, paused.Name, 0, long.MaxValue, []).Runs);
        Assert.Null(_logs.GetScheduledQuery(_call, paused.Arn).LastTriggeredTime);
    }

    [Fact]
    public void SQL_PPL_a_missing_role_and_a_bad_schedule_are_refused()
    {
        foreach (var language in new[] { "SQL", "PPL" })
        {
            var refused = Assert.Throws<AwsException>(() => _logs.CreateScheduledQuery(_call, "q", Settings(language), null));
            Assert.Equal("ValidationException", refused.Code);
            Assert.Contains(language, refused.Message, StringComparison.Ordinal);
        }
        var noRole = Settings() with { ExecutionRoleArn = "arn:aws:iam::123456789012:role/missing" };
        Assert.Equal("ValidationException", Assert.Throws<AwsException>(() => _logs.CreateScheduledQuery(_call, "q", noRole, null)).Code);
        var badSchedule = Settings() with { ScheduleExpression = "every minute" };
        Assert.Equal("ValidationException", Assert.Throws<AwsException>(() => _logs.CreateScheduledQuery(_call, "q", badSchedule, null)).Code);
        _logs.CreateScheduledQuery(_call, "q", Settings(), null);
        Assert.Equal("ConflictException", Assert.Throws<AwsException>(() => _logs.CreateScheduledQuery(_call, "q", Settings(), null)).Code);
        Assert.Equal("ResourceNotFoundException", Assert.Throws<AwsException>(() => _logs.GetScheduledQuery(_call, "other")).Code);
    }
}
