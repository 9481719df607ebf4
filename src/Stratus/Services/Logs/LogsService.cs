using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudWatch;
using Stratus.Services.Lambda;
using Stratus.Services.S3;
using Stratus.Services.Logs.Engine;
using Stratus.Services.Logs.Engine.Insights;

namespace Stratus.Services.Logs;

/// <summary>
/// CloudWatch Logs' domain: groups, streams and their events, with the service's validation of
/// PutLogEvents batches, retention policies applied on a schedule, and <see cref="ILogWriter"/> for
/// services writing their own logs (through a channel, so writers never wait). PutLogEvents answers once its
/// events are committed; what services write for themselves (Lambda's function logs) is committed within a
/// second by the housekeeping flush, off the invoke path, as AWS also delivers function logs asynchronously.
/// </summary>
public sealed partial class LogsService : ILogWriter, ILogEventReader, IDisposable
{
    public static readonly int[] RetentionDays = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
    private const int MaxBatchBytes = 1_048_576;
    private const int MaxBatchEvents = 10_000;
    private const int MaxEventBytes = 262_144;
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetentionInterval = TimeSpan.FromMinutes(1);

    private readonly ResourceTable<LogGroup> _groups;
    private readonly ResourceTable<LogStream> _streams;
    private readonly LogEventStore _events;
    private readonly ResourceTable<LogMetricFilter> _metricFilters;
    private readonly ResourceTable<QueryDefinition> _queryDefinitions;
    private readonly Dictionary<string, QueryRun> _queries = new(StringComparer.Ordinal);
    private readonly IMetricPublisher _metrics;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Lock _createGate = new();
    private readonly Channel<(string Account, string Region, string Group, string Stream, IReadOnlyList<LogLine> Lines)> _appended =
        Channel.CreateBounded<(string, string, string, string, IReadOnlyList<LogLine>)>(new BoundedChannelOptions(50_000)
            { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _writer;
    private readonly Task _housekeeper;

    /// <param name="lambda">Where subscription filters deliver (Lambda's domain, with its permission check).</param>
    /// <param name="s3">Where export tasks write: resolved at the first export, since S3 is built after Logs.</param>
    /// <param name="kmsKeys">KMS's checks of the keys log groups are encrypted under; with <paramref name="kmsEncryption"/>, null only in unit tests (no group can have a key).</param>
    /// <param name="roles">IAM's roles, which scheduled queries' roles must be; null only in unit tests (no role is checked).</param>
    public LogsService(StateStore store, TimeProvider clock, IMetricPublisher metrics, ILogger logger, ILambdaInvoker lambda, Func<S3Service?> s3,
        Kms.IKmsKeyUse? kmsKeys = null, Kms.IKmsEncryption? kmsEncryption = null, Iam.IIamRoles? roles = null)
    {
        _roles = roles;
        _scheduledQueries = new ResourceTable<ScheduledQuery>(store, "logs.scheduled-queries");
        _scheduledRuns = new ResourceTable<ScheduledQueryExecution>(store, "logs.scheduled-query-runs");
        _scheduledQueryLoop = new DueWorkLoop("The scheduled query runner", RunDueScheduledQueriesAsync, clock, logger);
        _kmsKeys = kmsKeys;
        _kmsEncryption = kmsEncryption;
        _queryResultKeys = new ResourceTable<QueryResultKey>(store, "logs.query-result-keys");
        _lookupTables = new ResourceTable<LookupTable>(store, "logs.lookup-tables");
        _lambda = lambda;
        _s3 = s3;
        _subscriptionFilters = new ResourceTable<SubscriptionFilter>(store, "logs.subscription-filters");
        _exportTasks = new ResourceTable<ExportTask>(store, "logs.export-tasks");
        _resourcePolicies = new ResourceTable<LogsResourcePolicy>(store, "logs.resource-policies");
        _transformers = new ResourceTable<StoredTransformer>(store, "logs.transformers");
        _dataProtection = new ResourceTable<StoredDataProtection>(store, "logs.data-protection");
        _accountPolicies = new ResourceTable<AccountPolicy>(store, "logs.account-policies");
        _indexPolicies = new ResourceTable<StoredIndexPolicy>(store, "logs.index-policies");
        _metricFilters = new ResourceTable<LogMetricFilter>(store, "logs.metric-filters");
        _queryDefinitions = new ResourceTable<QueryDefinition>(store, "logs.query-definitions");
        _metrics = metrics;
        _groups = new ResourceTable<LogGroup>(store, "logs.groups");
        _streams = new ResourceTable<LogStream>(store, "logs.streams");
        _clock = clock;
        _logger = logger;
        foreach (var group in _groups.Values) StartSealing(group);
        _events = new LogEventStore(store, sealer: this);
        _writer = Task.Run(WriteAppendedAsync);
        _housekeeper = Task.Run(KeepHouseAsync);
        _deliverer = Task.Run(DeliverAsync);
        ResumeExportTasks();
    }

    private readonly Iam.IIamRoles? _roles;

    private long NowMs => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- groups and streams ----

    public LogGroup CreateLogGroup(Scope scope, string name, Dictionary<string, string> tags, LogGroupSettings? settings = null)
    {
        ValidateGroupName(name);
        var group = new LogGroup(scope.AccountId, scope.Region, name, NowMs, null, tags,
            settings?.DeletionProtectionEnabled ?? false, settings?.LogGroupClass ?? LogGroupClasses.Standard);
        if (settings?.KmsKeyId is { } kmsKeyId)
        {
            if (_groups.Get(GroupKey(scope.AccountId, scope.Region, name)) is not null) throw LogsErrors.LogGroupExists();
            group = group with { KmsKeyId = kmsKeyId, DataKeys = [NewDataKey(scope, kmsKeyId, group.Arn)] };
        }
        lock (_createGate)
        {
            if (!_groups.TryAdd(GroupKey(scope.AccountId, scope.Region, name), group))
                throw LogsErrors.LogGroupExists();
            StartSealing(group);
        }
        return group;
    }

    /// <summary>Deletes the group, its streams and their events; completes once the events' removal is journaled (see <see cref="DeleteLogStreamAsync"/>).</summary>
    public Task DeleteLogGroupAsync(Scope scope, string name)
    {
        var group = Group(scope, name);
        if (group.DeletionProtectionEnabled) throw LogsErrors.DeletionProtected();
        foreach (var stream in StreamsOf(group).ToList()) DeleteStream(stream);
        foreach (var filter in FiltersOf(group).ToList()) _metricFilters.Remove(FilterKey(filter));
        foreach (var subscription in SubscriptionsOf(group).ToList()) _subscriptionFilters.Remove(SubscriptionKey(subscription));
        DeleteTransformerOf(group);
        DeleteDataProtectionOf(group);
        DeleteIndexPolicyOf(group);
        _groups.Remove(GroupKey(group.AccountId, group.Region, group.Name));
        ForgetSealers(group);
        return _events.CommitAsync();
    }

    public IReadOnlyList<LogGroup> DescribeLogGroups(Scope scope, string? prefix, string? pattern)
    {
        if (prefix is not null && pattern is not null)
            throw LogsErrors.InvalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.");
        return _groups.Values
            .Where(g => g.AccountId == scope.AccountId && g.Region == scope.Region)
            .Where(g => prefix is null || g.Name.StartsWith(prefix, StringComparison.Ordinal))
            .Where(g => pattern is null || g.Name.Contains(pattern, StringComparison.OrdinalIgnoreCase))
            .OrderBy(g => g.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>PutLogGroupDeletionProtection: the group by name or ARN.</summary>
    public void PutLogGroupDeletionProtection(Scope scope, string identifier, bool enabled)
    {
        var group = Group(scope, identifier);
        _groups.Update(GroupKey(group.AccountId, group.Region, group.Name), g => g with { DeletionProtectionEnabled = enabled });
    }

    /// <summary>
    /// ListLogGroups: the groups whose names match <paramref name="pattern"/> (AWS's restricted regular expression: up to
    /// five alternatives of 3 to 24 name characters, each optionally anchored with ^, which the model's pattern checks
    /// before this runs; matched case-sensitively), of <paramref name="logGroupClass"/> when given. The expression is run by .NET's
    /// non-backtracking engine, so no name can make it run long.
    /// </summary>
    public IReadOnlyList<LogGroup> ListLogGroups(Scope scope, string? pattern, string? logGroupClass)
    {
        var regex = pattern is null ? null : new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        return _groups.Values
            .Where(g => g.AccountId == scope.AccountId && g.Region == scope.Region)
            .Where(g => logGroupClass is null || g.LogGroupClass == logGroupClass)
            .Where(g => regex is null || regex.IsMatch(g.Name))
            .OrderBy(g => g.Name, StringComparer.Ordinal)
            .ToList();
    }

    public long StoredBytes(LogGroup group) => StreamsOf(group).Sum(s => _events.Statistics(StreamKey(s)).StoredBytes);

    public void PutRetentionPolicy(Scope scope, string name, int days)
    {
        if (!RetentionDays.Contains(days))
            throw LogsErrors.Validation.Rejected("retentionInDays", days, $"Member must satisfy enum value set: [{string.Join(", ", RetentionDays)}]");
        var group = Group(scope, name);
        _groups.Update(GroupKey(group.AccountId, group.Region, group.Name), g => g with { RetentionInDays = days });
        ApplyRetention(group with { RetentionInDays = days });
    }

    public void DeleteRetentionPolicy(Scope scope, string name)
    {
        var group = Group(scope, name);
        _groups.Update(GroupKey(group.AccountId, group.Region, group.Name), g => g with { RetentionInDays = null });
    }

    public void TagLogGroup(Scope scope, string name, Dictionary<string, string> tags)
    {
        var group = Group(scope, name);
        _groups.Update(GroupKey(group.AccountId, group.Region, group.Name), g => g with { Tags = new Dictionary<string, string>(g.Tags.Concat(tags).GroupBy(t => t.Key).Select(t => t.Last())) });
    }

    public Dictionary<string, string> ListTagsLogGroup(Scope scope, string name) => Group(scope, name).Tags;

    public void UntagLogGroup(Scope scope, string name, IReadOnlyList<string> keys)
    {
        var group = Group(scope, name);
        _groups.Update(GroupKey(group.AccountId, group.Region, group.Name), g => g with { Tags = g.Tags.Where(t => !keys.Contains(t.Key)).ToDictionary() });
    }

    public void CreateLogStream(Scope scope, string groupName, string name)
    {
        ValidateStreamName(name);
        var group = Group(scope, groupName);
        if (!_streams.TryAdd(StreamKey(group.AccountId, group.Region, group.Name, name), new LogStream(group.AccountId, group.Region, group.Name, name, NowMs)))
            throw LogsErrors.LogStreamExists();
    }

    /// <summary>
    /// Deletes the stream and its events. Events live in the journal until a fold writes them to the state file, so
    /// their removal is journaled too, and the call completes once that is synced: a restart cannot bring them back
    /// under a stream created again with the same name.
    /// </summary>
    public Task DeleteLogStreamAsync(Scope scope, string groupName, string name)
    {
        DeleteStream(Stream(scope, groupName, name));
        return _events.CommitAsync();
    }

    public IReadOnlyList<(LogStream Stream, StreamStatistics Statistics)> DescribeLogStreams(Scope scope, string groupName, string? prefix, string orderBy, bool descending)
    {
        if (orderBy is not ("LogStreamName" or "LastEventTime"))
            throw LogsErrors.Validation.Rejected("orderBy", orderBy, "Member must satisfy enum value set: [LogStreamName, LastEventTime]");
        if (orderBy == "LastEventTime" && prefix is not null)
            throw LogsErrors.InvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.");
        var group = Group(scope, groupName);
        var streams = StreamsOf(group)
            .Where(s => prefix is null || s.Name.StartsWith(prefix, StringComparison.Ordinal))
            .Select(s => (Stream: s, Statistics: _events.Statistics(StreamKey(s))));
        var ordered = orderBy == "LastEventTime"
            ? streams.OrderBy(s => s.Statistics.LastEventTimestamp ?? s.Stream.CreationTime).ThenBy(s => s.Stream.Name, StringComparer.Ordinal)
            : streams.OrderBy(s => s.Stream.Name, StringComparer.Ordinal);
        var list = ordered.ToList();
        if (descending) list.Reverse();
        return list;
    }

    // ---- events ----

    /// <summary>Stores a batch and completes once it is on disk (group commit): an acknowledged event survives a kill -9.</summary>
    public async Task<PutLogEventsOutcome> PutLogEventsAsync(Scope scope, string groupName, string streamName, IReadOnlyList<(long Timestamp, string Message)> events)
    {
        if (events.Count == 0)
            throw LogsErrors.Validation.Rejected("logEvents", "[]", "Member must have length greater than or equal to 1");
        if (events.Count > MaxBatchEvents)
            throw LogsErrors.Validation.Rejected("logEvents", $"Member must have length less than or equal to {MaxBatchEvents}");
        long batchBytes = 0;
        for (var i = 0; i < events.Count; i++)
        {
            var size = Encoding.UTF8.GetByteCount(events[i].Message);
            if (size == 0)
                throw LogsErrors.Validation.Rejected($"logEvents.{i + 1}.member.message", "", "Member must have length greater than or equal to 1");
            if (size + 26 > MaxEventBytes) throw LogsErrors.InvalidParameter($"Log event too large: {size + 26} bytes exceeds limit of {MaxEventBytes}");
            if (events[i].Timestamp < 0)
                throw LogsErrors.Validation.Rejected($"logEvents.{i + 1}.member.timestamp", events[i].Timestamp, "Member must have value greater than or equal to 0");
            if (i > 0 && events[i].Timestamp < events[i - 1].Timestamp)
                throw LogsErrors.InvalidParameter("Log events in a single PutLogEvents request must be in chronological order.");
            batchBytes += size + 26;
        }
        if (batchBytes > MaxBatchBytes)
            throw LogsErrors.InvalidParameter($"Upload too large: {batchBytes} bytes exceeds limit of {MaxBatchBytes}");
        if (events[^1].Timestamp - events[0].Timestamp > 24 * 3_600_000L)
            throw LogsErrors.InvalidParameter("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");

        var stream = Stream(scope, groupName, streamName);
        var group = Group(scope, groupName);
        CheckWritable(group);
        var now = NowMs;
        var tooOldBefore = now - 14 * 86_400_000L;
        var expiredBefore = group.RetentionInDays is { } days ? now - days * 86_400_000L : long.MinValue;
        var tooNewAfter = now + 2 * 3_600_000L;
        int? tooOld = null, expired = null, tooNew = null;
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].Timestamp < tooOldBefore) tooOld = i + 1;
            if (events[i].Timestamp < expiredBefore) expired = i + 1;
            if (events[i].Timestamp > tooNewAfter) { tooNew = i; break; }
        }
        var accepted = Transformed(group, stream.Name, events.Take(tooNew ?? events.Count).Skip(Math.Max(tooOld ?? 0, expired ?? 0)).ToList());
        var stored = _events.Append(StreamKey(stream), accepted, now);
        var leaving = Egress(group, stored);
        PublishMetrics(group, leaving);
        await _events.CommitAsync();
        // Delivered once acknowledged: a subscriber never sees an event the caller was not told was stored.
        QueueDeliveries(group, stream.Name, leaving);
        TailLive(group, stream.Name, leaving);
        Audit(group, stream.Name, stored);
        return new PutLogEventsOutcome(tooNew, tooOld, expired);
    }

    /// <summary>
    /// A page of one stream's events, as GetLogEvents pages: tokens name a position in the stream's
    /// order; reading past the end returns the same token again, which is how clients know to stop.
    /// </summary>
    public GetLogEventsPage GetLogEvents(Scope scope, string groupName, string streamName, long? startTime, long? endTime, string? token, int limit, bool startFromHead,
        bool unmask = false)
    {
        var stream = Stream(scope, groupName, streamName);
        var group = Group(scope, groupName);
        CheckReadable(group);
        var viewer = Viewer(group, unmask);
        var events = _events.Events(StreamKey(stream))
            .Where(e => (startTime is null || e.Timestamp >= startTime) && (endTime is null || e.Timestamp < endTime)).ToList();
        var (direction, position) = ParsePositionToken(token);
        IReadOnlyList<LogEvent> page;
        if (direction == 'f' || (direction is null && startFromHead))
            page = TakeWithinBytes(events.Where(e => position is null || string.CompareOrdinal(e.Position, position) > 0), limit);
        else
            page = Enumerable.Reverse(TakeWithinBytes(events.Where(e => position is null || string.CompareOrdinal(e.Position, position) < 0).Reverse(), limit)).ToList();

        var start = new string('0', 38);
        var forward = page.Count > 0 ? page[^1].Position : position ?? start;
        var backward = page.Count > 0 ? page[0].Position : position ?? start;
        return new GetLogEventsPage(viewer is null ? page : page.Select(viewer).ToList(), "f/" + forward, "b/" + backward);
    }

    public FilterLogEventsPage FilterLogEvents(Scope scope, string groupName, IReadOnlyList<string> streamNames, string? streamPrefix,
        long? startTime, long? endTime, string? pattern, string? token, int limit, bool unmask = false)
    {
        if (streamNames.Count > 0 && streamPrefix is not null)
            throw LogsErrors.InvalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.");
        if (startTime is { } s && endTime is { } e && s > e)
            throw LogsErrors.InvalidParameter("endTime must be greater than or equal to startTime.");
        var filter = ParseFilter(pattern);
        var group = Group(scope, groupName);
        CheckReadable(group);
        var streams = StreamsOf(group)
            .Where(st => streamNames.Count == 0 || streamNames.Contains(st.Name))
            .Where(st => streamPrefix is null || st.Name.StartsWith(streamPrefix, StringComparison.Ordinal))
            .OrderBy(st => st.Name, StringComparer.Ordinal).ToList();
        var after = token is null ? null : ParseFilterToken(token);
        // Filtered as the caller sees the events: a pattern cannot find a value its masking hides.
        var viewer = Viewer(group, unmask);
        var matches = streams
            .SelectMany(st => _events.Events(StreamKey(st)).Select(ev => new FilteredEvent(st.Name, viewer is null ? ev : viewer(ev))))
            .Where(m => (startTime is null || m.Event.Timestamp >= startTime) && (endTime is null || m.Event.Timestamp <= endTime))
            .Where(m => after is null || string.CompareOrdinal(m.Event.Position, after) > 0)
            .OrderBy(m => m.Event.Position, StringComparer.Ordinal)
            .Where(m => filter.Matches(m.Event.Message));
        var page = new List<FilteredEvent>();
        long bytes = 0;
        var more = false;
        foreach (var match in matches)
        {
            if (page.Count >= limit || bytes + LogEventStore.Size(match.Event) > MaxBatchBytes)
            {
                more = true;
                break;
            }
            page.Add(match);
            bytes += LogEventStore.Size(match.Event);
        }
        var next = more ? Convert.ToBase64String(Encoding.UTF8.GetBytes("filter:" + page[^1].Event.Position)) : null;
        return new FilterLogEventsPage(page, streams.Select(st => st.Name).ToList(), next);
    }

    /// <summary>Which of the messages a filter pattern matches, 1-based, as TestMetricFilter reports.</summary>
    public IReadOnlyList<int> TestFilterPattern(string pattern, IReadOnlyList<string> messages)
    {
        if (messages.Count is 0 or > 50)
            throw LogsErrors.Validation.Rejected("logEventMessages", "Member must have length between 1 and 50");
        var filter = ParseFilter(pattern);
        return Enumerable.Range(0, messages.Count).Where(i => filter.Matches(messages[i])).Select(i => i + 1).ToList();
    }

    private static FilterPattern ParseFilter(string? pattern)
    {
        try
        {
            return FilterPattern.Parse(pattern);
        }
        catch (FilterPatternException error)
        {
            throw LogsErrors.InvalidParameter(error.Message);
        }
    }

    private static List<LogEvent> TakeWithinBytes(IEnumerable<LogEvent> events, int limit)
    {
        var page = new List<LogEvent>();
        long bytes = 0;
        foreach (var e in events)
        {
            if (page.Count >= limit || bytes + LogEventStore.Size(e) > MaxBatchBytes) break;
            page.Add(e);
            bytes += LogEventStore.Size(e);
        }
        return page;
    }

    private static (char? Direction, string? Position) ParsePositionToken(string? token)
    {
        if (token is null) return (null, null);
        if (token.Length == 40 && token[0] is 'f' or 'b' && token[1] == '/' && token.AsSpan(2).IndexOfAnyExceptInRange('0', '9') < 0)
            return (token[0], token[2..]);
        throw LogsErrors.InvalidNextToken();
    }

    private static string ParseFilterToken(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            if (text.StartsWith("filter:", StringComparison.Ordinal) && text.Length == 45) return text[7..];
        }
        catch (FormatException)
        {
        }
        throw LogsErrors.InvalidNextToken();
    }

    public IReadOnlyList<string> LogGroupNames(string accountId, string region) =>
        _groups.Values.Where(g => g.AccountId == accountId && g.Region == region).Select(g => g.Name).ToList();

    public IEnumerable<LogEvent> EventsBetween(string accountId, string region, string groupName, long fromMs, long toMs) =>
        _groups.Get(GroupKey(accountId, region, groupName)) is { } group
            ? StreamsOf(group).ToList().SelectMany(stream => _events.EventsBetween(StreamKey(stream), fromMs, toMs))
            : [];

    /// <summary>Every log group of every account and region, for the console.</summary>
    public IEnumerable<LogGroup> AllGroups() => _groups.Values.OrderBy(g => g.Name, StringComparer.Ordinal);

    /// <summary>A group's newest events across its streams, oldest first, for the console.</summary>
    public IReadOnlyList<FilteredEvent> RecentEvents(LogGroup group, int count) =>
        StreamsOf(group).SelectMany(s => _events.Events(StreamKey(s)).TakeLast(count).Select(e => new FilteredEvent(s.Name, e)))
            .OrderBy(e => e.Event.Position, StringComparer.Ordinal).TakeLast(count).ToList();

    // ---- metric filters ----

    public const int MaxMetricFiltersPerGroup = 100;

    public void PutMetricFilter(Scope scope, string groupName, string filterName, string pattern, MetricTransformation transformation)
    {
        if (filterName.Length is 0 or > 512 || filterName.Any(c => c is ':' or '*'))
            throw LogsErrors.Validation.Rejected("filterName", filterName, "Member must satisfy regular expression pattern: [^:*]*");
        ParseFilter(pattern);
        if (!LogMetricFilter.IsValidValue(transformation.MetricValue))
            throw LogsErrors.InvalidParameter($"Invalid metric value '{transformation.MetricValue}': use a number or a JSON selector such as $.latency.");
        if (transformation.DefaultValue is not null && transformation.Dimensions.Count > 0)
            throw LogsErrors.InvalidParameter("A metric transformation cannot have both a default value and dimensions.");
        if (transformation.Dimensions.Count > 3)
            throw LogsErrors.InvalidParameter("A metric transformation can have at most 3 dimensions.");
        var group = Group(scope, groupName);
        var filter = new LogMetricFilter(group.AccountId, group.Region, group.Name, filterName, pattern, transformation, NowMs);
        lock (_createGate)
        {
            var existing = _metricFilters.Get(FilterKey(filter));
            if (existing is null && FiltersOf(group).Count() >= MaxMetricFiltersPerGroup)
                throw LogsErrors.TooManyMetricFilters(MaxMetricFiltersPerGroup);
            _metricFilters.Put(FilterKey(filter), existing is null ? filter : filter with { CreationTime = existing.CreationTime });
        }
    }

    public void DeleteMetricFilter(Scope scope, string groupName, string filterName)
    {
        var group = Group(scope, groupName);
        if (_metricFilters.Remove(FilterKey(group.AccountId, group.Region, group.Name, filterName)) is null)
            throw LogsErrors.MetricFilterNotFound();
    }

    public IReadOnlyList<LogMetricFilter> DescribeMetricFilters(Scope scope, string? groupName, string? prefix, string? metricName, string? metricNamespace)
    {
        if (prefix is not null && groupName is null)
            throw LogsErrors.InvalidParameter("logGroupName is required when filterNamePrefix is given.");
        if ((metricName is null) != (metricNamespace is null))
            throw LogsErrors.InvalidParameter("metricName and metricNamespace must be given together.");
        var group = groupName is null ? null : Group(scope, groupName);
        return _metricFilters.Values
            .Where(f => f.AccountId == scope.AccountId && f.Region == scope.Region && (group is null || f.GroupName == group.Name))
            .Where(f => prefix is null || f.FilterName.StartsWith(prefix, StringComparison.Ordinal))
            .Where(f => metricName is null || (f.Transformation.MetricName == metricName && f.Transformation.MetricNamespace == metricNamespace))
            .OrderBy(f => f.GroupName, StringComparer.Ordinal).ThenBy(f => f.FilterName, StringComparer.Ordinal)
            .ToList();
    }

    public int MetricFilterCount(LogGroup group) => FiltersOf(group).Count();

    /// <summary>The data points the group's metric filters make of newly stored events (as they leave: masked, see <see cref="Egress"/>).</summary>
    private void PublishMetrics(LogGroup group, IReadOnlyList<LogEvent> stored)
    {
        IReadOnlyList<(long Timestamp, string Message)>? events = null;
        foreach (var filter in FiltersOf(group))
            foreach (var datum in filter.DataPoints(events ??= stored.Select(e => (e.Timestamp, e.Message)).ToList()))
                _metrics.Publish(datum);
    }

    private IEnumerable<LogMetricFilter> FiltersOf(LogGroup group) =>
        _metricFilters.Values.Where(f => f.AccountId == group.AccountId && f.Region == group.Region && f.GroupName == group.Name);

    private static string FilterKey(LogMetricFilter f) => FilterKey(f.AccountId, f.Region, f.GroupName, f.FilterName);
    private static string FilterKey(string account, string region, string group, string name) => ResourceTable<LogMetricFilter>.Key(account, region, group, name);

    // ---- Logs Insights ----

    /// <summary>StartQuery's limit when none is given, and the most it takes, as AWS documents them (10,000 and 100,000 results).</summary>
    public const int DefaultQueryLimit = 10_000;
    public const int MaxQueryLimit = 100_000;
    public const int MaxConcurrentQueries = 30;
    public const int MaxQueryGroups = 50;
    public const int MaxKeptQueries = 1000;
    public const int MaxQueryDefinitions = 1000;

    /// <summary>
    /// Starts a query on a background task over the groups' events in the time range (epoch seconds, both ends
    /// included, as AWS reads them) and answers its id at once; the query compiles first, so a malformed one
    /// is refused here with AWS's MalformedQueryException. Queries and their results live in memory: like AWS's
    /// (kept for a while, then gone) they are not resources, and a restart forgets them.
    /// </summary>
    public string StartQuery(Scope scope, StartQueryInput input)
    {
        if (input.QueryLanguage is not (null or "CWLI"))
            throw LogsErrors.InvalidParameter($"Query language {input.QueryLanguage} is not served by Stratus; use CWLI (the Logs Insights query language).");
        if (input.LogGroups.Count == 0)
            throw LogsErrors.InvalidParameter("Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified.");
        if (input.LogGroups.Count > MaxQueryGroups)
            throw LogsErrors.InvalidParameter($"A query can search at most {MaxQueryGroups} log groups.");
        if (input.EndTime < input.StartTime)
            throw LogsErrors.InvalidParameter("endTime must be greater than or equal to startTime.");
        var limit = input.Limit ?? DefaultQueryLimit;
        LogsErrors.Validation.CheckRange("limit", limit, 1, MaxQueryLimit);
        InsightsQuery query;
        try
        {
            query = InsightsParser.Parse(input.QueryString);
        }
        catch (InsightsSyntaxException error)
        {
            throw LogsErrors.MalformedQuery(error.Message);
        }
        query = WithLookupTables(scope, query);
        var groups = input.LogGroups.Select(g => Group(scope, g)).DistinctBy(g => g.Name).ToList();
        foreach (var group in groups) CheckReadable(group);
        var run = new QueryRun(new QueryInfo(scope.AccountId, scope.Region, Guid.NewGuid().ToString(), input.QueryString, groups[0].Name, NowMs, QueryStatus.Scheduled, null, null));
        lock (_queries)
        {
            if (_queries.Values.Count(q => q.Info.AccountId == scope.AccountId && q.Info.Status is QueryStatus.Scheduled or QueryStatus.Running) >= MaxConcurrentQueries)
                throw LogsErrors.TooManyConcurrentQueries(MaxConcurrentQueries);
            foreach (var old in _queries.Values.Where(q => q.Task.IsCompleted).OrderBy(q => q.Info.CreateTime).Take(Math.Max(0, _queries.Count + 1 - MaxKeptQueries)).ToList())
                _queries.Remove(old.Info.Id);
            _queries[run.Info.Id] = run;
            run.Task = Task.Run(() => RunQuery(run, query, groups, input.StartTime * 1000, input.EndTime * 1000 + 999, limit));
        }
        return run.Info.Id;
    }

    private void RunQuery(QueryRun run, InsightsQuery query, IReadOnlyList<LogGroup> groups, long fromMs, long toMs, int limit)
    {
        var started = NowMs;
        if (!run.TryMove(QueryStatus.Scheduled, QueryStatus.Running)) return;
        try
        {
            // A stream's events are read when its turn comes: a scan holds a stream's (at most MaxEventsPerStream) at a time.
            // filterIndex lookups skip the streams (and events) their field indexes say cannot match.
            var lookups = query.IndexLookups();
            var streams = groups.SelectMany(g => StreamsOf(g).Select(s => (Group: g, Stream: s, Log: $"{g.AccountId}:{g.Name}", Only: IndexCandidates(g, s, lookups))))
                .Where(s => s.Only is not { Count: 0 }).ToList();
            // Every group named is scanned, except, under a filterIndex, those whose field indexes rule out all of their streams.
            run.Scanned([.. groups.Where(g => lookups.Count == 0 || streams.Any(s => s.Group == g)).Select(g => g.Arn)]);
            // Newest first, the order Insights returns unsorted events in, merged from the streams read newest first: a query
            // that stops at its limit reads little more than that many events. A query whose stats or sort reorders them skips
            // the merge (a sort by @timestamp descending still reads each stream newest first, which its top-N heap prefers).
            var newestFirst = InsightsEvaluator.ReadsNewestFirst(query);
            IReadOnlyList<IEnumerable<InsightsRecord>> partitions = streams.Select(s => QueryRecords(s.Stream, s.Log, fromMs, toMs, newestFirst, s.Only)).ToList();
            if (InsightsEvaluator.NeedsEventOrder(query)) partitions = [InsightsEvaluator.NewestFirst(partitions)];
            var result = InsightsEvaluator.Run(query, partitions, limit, run.Cancel.Token);
            run.Finish(QueryStatus.Complete, result, NowMs - started);
        }
        catch (OperationCanceledException)
        {
            run.Finish(QueryStatus.Cancelled, null, NowMs - started);
        }
        catch (Exception e)
        {
            // A regular expression over its time bound, or a fault of the evaluator: the query fails, Stratus goes on.
            _logger.LogWarning(e, "Logs Insights query {Id} failed", run.Info.Id);
            run.Finish(QueryStatus.Failed, null, NowMs - started);
        }
    }

    /// <summary>
    /// A stream's events as Insights reads them: masked by the group's data protection, the stored message kept beside a
    /// masked one for the unmask() command (which StartQuery authorizes with logs:Unmask). Only the events in
    /// <paramref name="only"/> when given (those a field index says can match), the others never read further.
    /// </summary>
    private IEnumerable<InsightsRecord> QueryRecords(LogStream stream, string log, long fromMs, long toMs, bool newestFirst, IReadOnlySet<long>? only)
    {
        var group = _groups.Get(GroupKey(stream.AccountId, stream.Region, stream.GroupName));
        var viewer = group is null ? null : Viewer(group, unmask: false);
        foreach (var e in _events.EventsBetween(StreamKey(stream), fromMs, toMs, newestFirst))
        {
            if (only is not null && !only.Contains(e.Id)) continue;
            var message = viewer is null ? e.Message : viewer(e).Message;
            yield return new InsightsRecord(e.Timestamp, message, e.IngestionTime, stream.Name, log, e.MessageBytes, e.Id,
                ReferenceEquals(message, e.Message) ? null : e.Message);
        }
    }

    public QueryInfo GetQueryResults(Scope scope, string id)
    {
        var info = Query(scope, id).Info;
        CheckQueryResultsReadable(scope);
        return info;
    }

    /// <summary>The query's state once it has finished (the console's query box waits for it); throws when <paramref name="cancellation"/> fires first.</summary>
    public async Task<QueryInfo> FinishedAsync(Scope scope, string id, CancellationToken cancellation)
    {
        var run = Query(scope, id);
        await run.Task.WaitAsync(cancellation);
        return run.Info;
    }

    /// <summary>Stops a scheduled or running query; false when it had already finished, as AWS answers.</summary>
    public bool StopQuery(Scope scope, string id)
    {
        var run = Query(scope, id);
        if (run.TryMove(QueryStatus.Scheduled, QueryStatus.Cancelled)) return true;
        if (run.Info.Status != QueryStatus.Running) return false;
        run.Cancel.Cancel();
        return true;
    }

    public IReadOnlyList<QueryInfo> DescribeQueries(Scope scope, string? groupName, string? status)
    {
        if (status is not (null or QueryStatus.Scheduled or QueryStatus.Running or QueryStatus.Complete or QueryStatus.Failed or QueryStatus.Cancelled or "Timeout" or "Unknown"))
            throw LogsErrors.Validation.Rejected("status", status, "Member must satisfy enum value set: [Scheduled, Running, Complete, Failed, Cancelled, Timeout, Unknown]");
        var name = groupName is null ? null : Group(scope, groupName).Name;
        lock (_queries)
            return _queries.Values.Select(q => q.Info)
                .Where(q => q.AccountId == scope.AccountId && q.Region == scope.Region)
                .Where(q => (name is null || q.LogGroupName == name) && (status is null || q.Status == status))
                .OrderByDescending(q => q.CreateTime).ToList();
    }

    private QueryRun Query(Scope scope, string id)
    {
        lock (_queries)
            return _queries.GetValueOrDefault(id) is { } run && run.Info.AccountId == scope.AccountId && run.Info.Region == scope.Region
                ? run
                : throw LogsErrors.QueryNotFound(id);
    }

    /// <summary>A query's state, moved only forward (Scheduled, Running, then one final status).</summary>
    private sealed class QueryRun(QueryInfo info)
    {
        private readonly Lock _gate = new();

        public QueryInfo Info { get; private set; } = info;
        public CancellationTokenSource Cancel { get; } = new();
        public Task Task { get; set; } = Task.CompletedTask;

        public bool TryMove(string from, string to)
        {
            lock (_gate)
            {
                if (Info.Status != from) return false;
                Info = Info with { Status = to };
                return true;
            }
        }

        public void Scanned(IReadOnlyList<string> groupArns)
        {
            lock (_gate) Info = Info with { ScannedGroupArns = groupArns };
        }

        public void Finish(string status, InsightsResult? result, long durationMs)
        {
            lock (_gate) Info = Info with { Status = status, Result = result, DurationMs = durationMs };
        }
    }

    // ---- query definitions ----

    public string PutQueryDefinition(Scope scope, string? id, string name, string queryString, IReadOnlyList<string> groupNames)
    {
        if (name.Length is 0 or > 255)
            throw LogsErrors.Validation.Rejected("name", name, "Member must have length between 1 and 255");
        try
        {
            InsightsParser.Parse(queryString);
        }
        catch (InsightsSyntaxException error)
        {
            throw LogsErrors.MalformedQuery(error.Message);
        }
        lock (_createGate)
        {
            if (id is not null && _queryDefinitions.Get(DefinitionKey(scope.AccountId, scope.Region, id)) is null)
                throw LogsErrors.QueryDefinitionNotFound();
            if (id is null && _queryDefinitions.Values.Count(d => d.AccountId == scope.AccountId && d.Region == scope.Region) >= MaxQueryDefinitions)
                throw LogsErrors.TooManyQueryDefinitions(MaxQueryDefinitions);
            var definition = new QueryDefinition(scope.AccountId, scope.Region, id ?? Guid.NewGuid().ToString(), name, queryString, [.. groupNames], NowMs);
            _queryDefinitions.Put(DefinitionKey(scope.AccountId, scope.Region, definition.Id), definition);
            return definition.Id;
        }
    }

    public IReadOnlyList<QueryDefinition> DescribeQueryDefinitions(Scope scope, string? prefix) =>
        _queryDefinitions.Values
            .Where(d => d.AccountId == scope.AccountId && d.Region == scope.Region)
            .Where(d => prefix is null || d.Name.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(d => d.Name, StringComparer.Ordinal).ThenBy(d => d.Id, StringComparer.Ordinal).ToList();

    public void DeleteQueryDefinition(Scope scope, string id)
    {
        if (_queryDefinitions.Remove(DefinitionKey(scope.AccountId, scope.Region, id)) is null)
            throw LogsErrors.QueryDefinitionNotFound();
    }

    private static string DefinitionKey(string account, string region, string id) => ResourceTable<QueryDefinition>.Key(account, region, id);

    // ---- services writing their own logs ----

    public void Append(string accountId, string region, string logGroup, string logStream, IReadOnlyList<LogLine> lines) =>
        _appended.Writer.TryWrite((accountId, region, logGroup, logStream, lines));

    private async Task WriteAppendedAsync()
    {
        var reader = _appended.Reader;
        while (await reader.WaitToReadAsync())
            while (reader.TryRead(out var batch))
            {
                try
                {
                    var groupKey = GroupKey(batch.Account, batch.Region, batch.Group);
                    var streamKey = StreamKey(batch.Account, batch.Region, batch.Group, batch.Stream);
                    var now = NowMs;
                    lock (_createGate)
                    {
                        _groups.TryAdd(groupKey, new LogGroup(batch.Account, batch.Region, batch.Group, now, null, []));
                        _streams.TryAdd(streamKey, new LogStream(batch.Account, batch.Region, batch.Group, batch.Stream, now));
                    }
                    IReadOnlyList<(long, string)> events = batch.Lines.Where(l => l.Message.Length > 0).Select(l => (l.Timestamp.ToUnixTimeMilliseconds(), l.Message)).ToList();
                    if (_groups.Get(groupKey) is { } transforming) events = Transformed(transforming, batch.Stream, events);
                    var stored = _events.Append(streamKey, events, now);
                    if (_groups.Get(groupKey) is { } group)
                    {
                        var leaving = Egress(group, stored);
                        PublishMetrics(group, leaving);
                        QueueDeliveries(group, batch.Stream, leaving);
                        TailLive(group, batch.Stream, leaving);
                        Audit(group, batch.Stream, stored);
                    }
                }
                catch (Exception e)
                {
                    _logger.LogWarning(e, "Writing log events to {Group} failed", batch.Group);
                }
            }
    }

    // ---- housekeeping ----

    private async Task KeepHouseAsync()
    {
        using var timer = new PeriodicTimer(FlushInterval, _clock);
        var lastRetention = DateTimeOffset.MinValue;
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    if (_clock.GetUtcNow() - lastRetention >= RetentionInterval)
                    {
                        foreach (var group in _groups.Values.Where(g => g.RetentionInDays is not null)) ApplyRetention(group);
                        _events.EnforceLimit();
                        lastRetention = _clock.GetUtcNow();
                    }
                    _events.Flush(compact: true);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogError(e, "Persisting log events failed");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void ApplyRetention(LogGroup group)
    {
        if (group.RetentionInDays is not { } days) return;
        var cutoff = NowMs - days * 86_400_000L;
        foreach (var stream in StreamsOf(group)) _events.Expire(StreamKey(stream), cutoff);
    }

    public void Dispose()
    {
        _appended.Writer.TryComplete();
        _deliveries.Writer.TryComplete();
        _stopping.Cancel();
        _scheduledQueryLoop.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
        lock (_queries)
            foreach (var run in _queries.Values) run.Cancel.Cancel();
        try
        {
            Task.WaitAll([_writer, _housekeeper, _deliverer, .. RunningExports()], TimeSpan.FromSeconds(10));
        }
        catch (AggregateException e)
        {
            _logger.LogError(e, "A Logs background task failed");
        }
        _events.Flush(compact: true);
        _events.Dispose();
        _stopping.Dispose();
    }

    // ---- lookups ----

    /// <summary>A group by name or ARN (the logGroupIdentifier form, with or without a trailing :*).</summary>
    private LogGroup Group(Scope scope, string nameOrArn)
    {
        var name = nameOrArn.StartsWith("arn:", StringComparison.Ordinal) && nameOrArn.IndexOf(":log-group:", StringComparison.Ordinal) is var at and >= 0
            ? nameOrArn[(at + 11)..].TrimEnd('*').TrimEnd(':')
            : nameOrArn;
        return _groups.Get(GroupKey(scope.AccountId, scope.Region, name))
            ?? throw LogsErrors.LogGroupNotFound();
    }

    private LogStream Stream(Scope scope, string groupName, string name)
    {
        var group = Group(scope, groupName);
        return _streams.Get(StreamKey(group.AccountId, group.Region, group.Name, name))
            ?? throw LogsErrors.LogStreamNotFound();
    }

    private IEnumerable<LogStream> StreamsOf(LogGroup group) =>
        _streams.Values.Where(s => s.AccountId == group.AccountId && s.Region == group.Region && s.GroupName == group.Name);

    /// <summary>The events' removal is journaled first: a crash between the two leaves an empty stream, never a deleted one whose events come back.</summary>
    private void DeleteStream(LogStream stream)
    {
        _events.RemoveStream(StreamKey(stream));
        _streams.Remove(StreamKey(stream));
        _fieldIndexes.TryRemove(StreamKey(stream), out _);
    }

    private static void ValidateGroupName(string name)
    {
        if (name.Length is 0 or > 512 || !GroupNamePattern().IsMatch(name))
            throw LogsErrors.Validation.Rejected("logGroupName", name, "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+");
    }

    private static void ValidateStreamName(string name)
    {
        if (name.Length is 0 or > 512 || name.Any(c => c is ':' or '*' || char.IsControl(c)))
            throw LogsErrors.Validation.Rejected("logStreamName", name, "Member must satisfy regular expression pattern: [^:*]*");
    }

    [GeneratedRegex(@"^[\.\-_/#A-Za-z0-9]+$")]
    private static partial Regex GroupNamePattern();

    private static string GroupKey(string account, string region, string name) => ResourceTable<LogGroup>.Key(account, region, name);
    private static string StreamKey(string account, string region, string group, string name) => ResourceTable<LogStream>.Key(account, region, group, name);
    private static string StreamKey(LogStream s) => StreamKey(s.AccountId, s.Region, s.GroupName, s.Name);
}
