using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Events.Engine;
using Stratus.Services.Logs.Engine.Insights;

namespace Stratus.Services.Logs;

/// <summary>
/// Scheduled queries (CreateScheduledQuery and its siblings): a Logs Insights query run when its schedule says, over the
/// window before each run, its results written to an S3 bucket through S3's domain as the account. The schedule is
/// EventBridge's expression (cron(...) or rate(...), minute precision, as the model says), read in the query's timezone;
/// the runs are timed by a <see cref="DueWorkLoop"/> from the stored records, so a restart keeps every timer (runs due
/// while Stratus was down are skipped, not run late). Each run is kept as GetScheduledQueryHistory reports it.
/// SQL and PPL are refused by name: Stratus runs the Insights query language only.
/// </summary>
public sealed partial class LogsService
{
    /// <summary>Stratus's bound on scheduled queries per account and Region (AWS publishes its quota per account; this one is ours).</summary>
    public const int MaxScheduledQueries = 1000;
    /// <summary>Stratus's bound on the runs kept per scheduled query (the oldest go first).</summary>
    public const int MaxScheduledQueryHistory = 1000;

    private readonly ResourceTable<ScheduledQuery> _scheduledQueries;
    private readonly ResourceTable<ScheduledQueryExecution> _scheduledRuns;
    private readonly DueWorkLoop _scheduledQueryLoop;

    /// <summary>Starts running scheduled queries on time (the composed Stratus does; unit tests call <see cref="RunDueScheduledQueriesAsync"/>).</summary>
    public void StartScheduledQueries() => _scheduledQueryLoop.Start();

    public ScheduledQuery CreateScheduledQuery(Scope scope, string name, ScheduledQuerySettings settings, Dictionary<string, string>? tags)
    {
        CheckScheduledQuery(scope, settings);
        var now = NowMs;
        var query = new ScheduledQuery(scope.AccountId, scope.Region, Guid.NewGuid().ToString(), name, settings, tags, now, now);
        lock (_createGate)
        {
            var existing = ScheduledQueriesOf(scope).ToList();
            if (existing.Any(q => q.Name == name)) throw LogsErrors.ScheduledQueryExists(name);
            if (existing.Count >= MaxScheduledQueries) throw LogsErrors.TooManyScheduledQueries(MaxScheduledQueries);
            _scheduledQueries.Put(ScheduledQueryKey(query), query);
        }
        _scheduledQueryLoop.Wake();
        return query;
    }

    public ScheduledQuery GetScheduledQuery(Scope scope, string identifier) => FindScheduledQuery(scope, identifier);

    /// <summary>UpdateScheduledQuery: the query as stated anew; its schedule starts again from now, its history stays.</summary>
    public ScheduledQuery UpdateScheduledQuery(Scope scope, string identifier, ScheduledQuerySettings settings)
    {
        CheckScheduledQuery(scope, settings);
        var query = FindScheduledQuery(scope, identifier);
        var updated = _scheduledQueries.Update(ScheduledQueryKey(query), q => q with { Settings = settings, LastUpdatedTime = NowMs, LastScheduledTime = null })
            ?? throw LogsErrors.ScheduledQueryNotFound(identifier);
        _scheduledQueryLoop.Wake();
        return updated;
    }

    public void DeleteScheduledQuery(Scope scope, string identifier)
    {
        var query = FindScheduledQuery(scope, identifier);
        _scheduledQueries.Remove(ScheduledQueryKey(query));
        foreach (var (key, _) in RunsOf(query).ToList()) _scheduledRuns.Remove(key);
        _scheduledQueryLoop.Wake();
    }

    public IReadOnlyList<ScheduledQuery> ListScheduledQueries(Scope scope, string? state) =>
        ScheduledQueriesOf(scope).Where(q => state is null || q.Settings.State == state).OrderBy(q => q.Name, StringComparer.Ordinal).ToList();

    /// <summary>GetScheduledQueryHistory: the runs triggered within [startTime, endTime] (epoch ms) in the statuses asked for, newest first.</summary>
    public (ScheduledQuery Query, IReadOnlyList<ScheduledQueryExecution> Runs) GetScheduledQueryHistory(Scope scope, string identifier, long startTime, long endTime,
        IReadOnlyList<string> statuses)
    {
        if (endTime < startTime) throw LogsErrors.ScheduledQueryInvalid("endTime must be greater than or equal to startTime.");
        foreach (var status in statuses.Where(s => !ScheduledQueryExecutionStatus.All.Contains(s)))
            throw LogsErrors.Validation.Rejected("executionStatuses", status, $"Member must satisfy enum value set: [{string.Join(", ", ScheduledQueryExecutionStatus.All)}]");
        var query = FindScheduledQuery(scope, identifier);
        return (query, RunsOf(query).Select(r => r.Run)
            .Where(r => r.TriggeredTimestamp >= startTime && r.TriggeredTimestamp <= endTime && (statuses.Count == 0 || statuses.Contains(r.ExecutionStatus)))
            .OrderByDescending(r => r.TriggeredTimestamp).ToList());
    }

    /// <summary>
    /// Runs every enabled scheduled query due at <paramref name="now"/> and completes once their runs have finished; answers the
    /// earliest time one is due next. A due time that passed more than <see cref="DueWorkLoop.LateFireWindow"/> ago (Stratus was
    /// down) is skipped: the query resumes from the window's start.
    /// </summary>
    public async Task<DateTimeOffset?> RunDueScheduledQueriesAsync(DateTimeOffset now)
    {
        DateTimeOffset? earliest = null;
        List<Task> runs = [];
        foreach (var query in _scheduledQueries.Values.Where(q => q.Settings.State == ScheduledQueryStates.Enabled).ToList())
        {
            var schedule = ScheduleOf(query.Settings);
            var anchor = DateTimeOffset.FromUnixTimeMilliseconds(Math.Max(query.LastUpdatedTime, query.Settings.ScheduleStartTime ?? 0));
            var previous = query.LastScheduledTime is { } last ? DateTimeOffset.FromUnixTimeMilliseconds(last) : anchor;
            var next = schedule.NextAfter(previous, anchor);
            if (next is { } missed && now - missed > DueWorkLoop.LateFireWindow)
            {
                previous = now - DueWorkLoop.LateFireWindow;
                next = schedule.NextAfter(previous, anchor);
            }
            if (query.Settings.ScheduleEndTime is { } end && next?.ToUnixTimeMilliseconds() > end) continue;
            if (next is { } due && due <= now)
            {
                // Its place in the schedule is stored before it runs: a restart while it runs does not run it twice.
                if (_scheduledQueries.Update(ScheduledQueryKey(query), q => q with { LastScheduledTime = due.ToUnixTimeMilliseconds() }) is not { } marked) continue;
                runs.Add(RunScheduledQueryAsync(marked, query.LastScheduledTime is null ? null : previous, due));
                next = schedule.NextAfter(due, anchor);
                if (query.Settings.ScheduleEndTime is { } stop && next?.ToUnixTimeMilliseconds() > stop) next = null;
            }
            if (next is { } upcoming && (earliest is null || upcoming < earliest)) earliest = upcoming;
        }
        await Task.WhenAll(runs);
        return earliest;
    }

    /// <summary>
    /// One run: the query over [due - startTimeOffset, due) (without an offset, from the previous run, or one schedule period
    /// before the first), then its results as one JSON object in the destination. Recorded as Running first, then as it ended.
    /// </summary>
    private async Task RunScheduledQueryAsync(ScheduledQuery query, DateTimeOffset? previousRun, DateTimeOffset due)
    {
        var scope = Scope.Of(query.AccountId, query.Region);
        var settings = query.Settings;
        var triggered = due.ToUnixTimeMilliseconds();
        var destination = settings.Destination is { } s3Destination
            ? new ScheduledQueryDelivery("S3", s3Destination.DestinationIdentifier, "IN_PROGRESS", null, null)
            : null;
        var run = new ScheduledQueryExecution(query.AccountId, query.Region, query.Id, null, ScheduledQueryExecutionStatus.Running, triggered, null,
            destination is null ? [] : [destination]);
        var runKey = ResourceTable<ScheduledQueryExecution>.Key(query.AccountId, query.Region, query.Id, triggered.ToString("D19", CultureInfo.InvariantCulture));
        _scheduledRuns.Put(runKey, run);
        ForgetOldRuns(query);
        var from = WindowStart(settings, previousRun, due);
        try
        {
            CheckRoleExists("executionRoleArn", settings.ExecutionRoleArn);
            string queryId;
            try
            {
                // Insights' window is in whole seconds, both ends included: [from, due - 1 s] covers the events before the run.
                queryId = StartQuery(scope, new StartQueryInput(settings.LogGroupIdentifiers ?? [], from.ToUnixTimeSeconds(), due.ToUnixTimeSeconds() - 1,
                    settings.QueryString, null, "CWLI"));
            }
            catch (AwsException invalid) when (invalid.Code is "MalformedQueryException")
            {
                run = run with { ExecutionStatus = ScheduledQueryExecutionStatus.InvalidQuery, ErrorMessage = invalid.Message, Destinations = [] };
                return;
            }
            run = run with { QueryId = queryId };
            _scheduledRuns.Put(runKey, run);
            var info = await FinishedAsync(scope, queryId, _stopping.Token);
            if (info.Status != QueryStatus.Complete || info.Result is not { } result)
            {
                run = run with { ExecutionStatus = ScheduledQueryExecutionStatus.Failed, ErrorMessage = $"The query ended {info.Status}.", Destinations = [] };
                return;
            }
            run = run with { ExecutionStatus = ScheduledQueryExecutionStatus.Complete };
            if (settings.Destination is { } target)
                run = run with { Destinations = [await DeliverScheduledResultsAsync(scope, query, target, queryId, from, due, result)] };
        }
        catch (OperationCanceledException)
        {
            run = run with { ExecutionStatus = ScheduledQueryExecutionStatus.Failed, ErrorMessage = "Stratus stopped while the query ran.", Destinations = [] };
        }
        catch (AwsException e)
        {
            run = run with { ExecutionStatus = ScheduledQueryExecutionStatus.Failed, ErrorMessage = e.Message, Destinations = [] };
        }
        finally
        {
            // A query deleted while it ran keeps no history, as its deletion removed the rest.
            if (_scheduledQueries.Update(ScheduledQueryKey(query), q => q with { LastTriggeredTime = triggered, LastExecutionStatus = run.ExecutionStatus }) is null)
                _scheduledRuns.Remove(runKey);
            else
                _scheduledRuns.Put(runKey, run);
        }
    }

    /// <summary>
    /// Writes a run's results to <c>PREFIX/SCHEDULED-QUERY-ID/QUERY-ID.json</c> in the destination bucket (AWS documents JSON files
    /// under the destination's prefix but not their names or fields; this layout is Stratus's): the query, its window, its
    /// statistics, and its rows as objects of field to value.
    /// </summary>
    private async Task<ScheduledQueryDelivery> DeliverScheduledResultsAsync(Scope scope, ScheduledQuery query, ScheduledQueryS3Destination target, string queryId,
        DateTimeOffset from, DateTimeOffset to, InsightsResult result)
    {
        var (bucket, prefix) = ParseS3Uri(target.DestinationIdentifier);
        var key = Key(prefix, query.Id, queryId + ".json");
        var uri = $"s3://{bucket}/{key}";
        var document = new JsonObject
        {
            ["scheduledQueryArn"] = query.Arn,
            ["scheduledQueryName"] = query.Name,
            ["queryId"] = queryId,
            ["queryString"] = query.Settings.QueryString,
            ["startTime"] = from.ToUnixTimeMilliseconds(),
            ["endTime"] = to.ToUnixTimeMilliseconds(),
            ["statistics"] = new JsonObject
            {
                ["recordsMatched"] = result.RecordsMatched,
                ["recordsScanned"] = result.RecordsScanned,
                ["bytesScanned"] = result.BytesScanned,
            },
            ["results"] = new JsonArray(result.Rows.Select(RowObject).ToArray()),
        };
        try
        {
            CheckRoleExists("destinationConfiguration.s3Configuration.roleArn", target.RoleArn);
            var s3 = _s3() ?? throw new InvalidOperationException("S3 is not composed yet.");
            await WriteObjectAsync(s3, scope, bucket, key, Encoding.UTF8.GetBytes(document.ToJsonString()), _stopping.Token);
            return new ScheduledQueryDelivery("S3", target.DestinationIdentifier, "COMPLETE", uri, null);
        }
        catch (AwsException refused)
        {
            // The bucket is missing or not the account's, or the role is gone: the caller's to fix, as AWS's CLIENT_ERROR says.
            return new ScheduledQueryDelivery("S3", target.DestinationIdentifier, "CLIENT_ERROR", null, refused.Message);
        }
    }

    /// <summary>A result row as an object of field to value (a field named twice keeps its last value, as the row displays it).</summary>
    private static JsonNode RowObject(IReadOnlyList<(string Field, string Value)> row)
    {
        var fields = new JsonObject();
        foreach (var (field, value) in row) fields[field] = value;
        return fields;
    }

    /// <summary>The checks a create or update makes before anything is stored.</summary>
    private void CheckScheduledQuery(Scope scope, ScheduledQuerySettings settings)
    {
        if (settings.QueryLanguage != "CWLI") throw LogsErrors.QueryLanguageNotServed(settings.QueryLanguage);
        try
        {
            InsightsParser.Parse(settings.QueryString);
        }
        catch (InsightsSyntaxException error)
        {
            throw LogsErrors.MalformedQuery(error.Message);
        }
        if (settings.LogGroupIdentifiers is not { Count: > 0 } groups)
            throw LogsErrors.ScheduledQueryInvalid("A CWLI scheduled query must name the log groups it queries in logGroupIdentifiers.");
        foreach (var group in groups) Group(scope, group);
        ScheduleOf(settings);
        if (settings.StartTimeOffset is < 0) throw LogsErrors.ScheduledQueryInvalid("startTimeOffset must not be negative.");
        if (settings.ScheduleEndTime is { } end && settings.ScheduleStartTime is { } start && end <= start)
            throw LogsErrors.ScheduledQueryInvalid("scheduleEndTime must be after scheduleStartTime.");
        CheckRoleExists("executionRoleArn", settings.ExecutionRoleArn);
        if (settings.Destination is { } destination)
        {
            ParseS3Uri(destination.DestinationIdentifier);
            CheckRoleExists("destinationConfiguration.s3Configuration.roleArn", destination.RoleArn);
            if (destination.KmsKeyId is not null)
                throw LogsErrors.ScheduledQueryInvalid("Stratus does not encrypt scheduled query results under KMS keys: leave kmsKeyId out (the bucket's own settings apply).");
        }
    }

    /// <summary>A role the query names must be one of IAM's (checked when IAM is composed; unit tests without it check none).</summary>
    private void CheckRoleExists(string member, string roleArn)
    {
        if (_roles is not null && _roles.FindRoleByArn(roleArn) is null) throw LogsErrors.RoleNotFound(member, roleArn);
    }

    /// <summary>Where a run's window starts: startTimeOffset seconds before it; without one, at the previous run, or one schedule period before the first.</summary>
    private static DateTimeOffset WindowStart(ScheduledQuerySettings settings, DateTimeOffset? previousRun, DateTimeOffset due)
    {
        if (settings.StartTimeOffset is { } offset) return due.AddSeconds(-offset);
        if (previousRun is { } previous) return previous;
        return ScheduleOf(settings).NextAfter(due, due) is { } following ? due - (following - due) : due;
    }

    /// <summary>The schedule, in the query's timezone (IANA name; UTC without one); an expression EventBridge would refuse is refused.</summary>
    private static ZonedSchedule ScheduleOf(ScheduledQuerySettings settings)
    {
        ScheduleExpression expression;
        try
        {
            expression = ScheduleExpression.Parse(settings.ScheduleExpression);
        }
        catch (AwsException)
        {
            throw LogsErrors.ScheduledQueryInvalid($"The schedule expression {settings.ScheduleExpression} is not valid: use cron(minutes hours day-of-month month day-of-week year) or rate(value unit).");
        }
        if (settings.Timezone is not { } zone) return new ZonedSchedule(expression, TimeZoneInfo.Utc);
        try
        {
            return new ZonedSchedule(expression, TimeZoneInfo.FindSystemTimeZoneById(zone));
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw LogsErrors.ScheduledQueryInvalid($"The timezone {zone} is not a known time zone.");
        }
    }

    /// <summary>
    /// A schedule read in a time zone: a cron's fields are the zone's wall-clock time (a time the zone skips runs an hour later);
    /// a rate counts the same whatever the zone.
    /// </summary>
    private sealed record ZonedSchedule(ScheduleExpression Expression, TimeZoneInfo Zone)
    {
        public DateTimeOffset? NextAfter(DateTimeOffset after, DateTimeOffset anchor)
        {
            if (Expression is not ScheduleExpression.Cron || Zone == TimeZoneInfo.Utc) return Expression.NextAfter(after, anchor);
            var wallAfter = new DateTimeOffset(TimeZoneInfo.ConvertTime(after, Zone).DateTime, TimeSpan.Zero);
            if (Expression.NextAfter(wallAfter, wallAfter) is not { } wallNext) return null;
            var local = DateTime.SpecifyKind(wallNext.DateTime, DateTimeKind.Unspecified);
            if (Zone.IsInvalidTime(local)) local = local.AddHours(1);
            return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(local, Zone), TimeSpan.Zero);
        }
    }

    /// <summary>s3://bucket/prefix as the model's pattern has it: the bucket and the prefix (without its slashes at either end).</summary>
    private static (string Bucket, string Prefix) ParseS3Uri(string uri)
    {
        if (S3UriPattern().Match(uri) is not { Success: true } match)
            throw LogsErrors.ScheduledQueryInvalid($"The destinationIdentifier {uri} is not an S3 URI (s3://bucket/prefix).");
        return (match.Groups[1].Value, match.Groups[2].Value.Trim('/'));
    }

    [GeneratedRegex(@"^s3://([a-z0-9][.\-a-z0-9]{1,61}[a-z0-9])(/.*)?$")]
    private static partial Regex S3UriPattern();

    /// <summary>A scheduled query by its name or its ARN, as the model's identifier takes either.</summary>
    private ScheduledQuery FindScheduledQuery(Scope scope, string identifier) =>
        ScheduledQueriesOf(scope).FirstOrDefault(q => q.Name == identifier || q.Arn == identifier) ?? throw LogsErrors.ScheduledQueryNotFound(identifier);

    private IEnumerable<ScheduledQuery> ScheduledQueriesOf(Scope scope) =>
        _scheduledQueries.Values.Where(q => q.AccountId == scope.AccountId && q.Region == scope.Region);

    private IEnumerable<(string Key, ScheduledQueryExecution Run)> RunsOf(ScheduledQuery query) =>
        _scheduledRuns.Entries.Where(e => e.Value.AccountId == query.AccountId && e.Value.Region == query.Region && e.Value.ScheduledQueryId == query.Id)
            .Select(e => (e.Key, e.Value));

    private void ForgetOldRuns(ScheduledQuery query)
    {
        var runs = RunsOf(query).OrderBy(r => r.Run.TriggeredTimestamp).ToList();
        foreach (var (key, _) in runs.Take(runs.Count - MaxScheduledQueryHistory)) _scheduledRuns.Remove(key);
    }

    private static string ScheduledQueryKey(ScheduledQuery q) => ResourceTable<ScheduledQuery>.Key(q.AccountId, q.Region, q.Id);
}
