using Stratus.Protocols;
using Stratus.Services.Logs.Engine;

namespace Stratus.Services.Logs;

/// <summary>
/// Live Tail (StartLiveTail): a session subscribes in process to what its groups ingest, through PutLogEvents and the
/// services' own log writes alike, and sees each event once it is stored, masked as every egress of a group with a data
/// protection policy is. Sessions are not state: they end with the client's connection, after three hours, or when
/// Stratus stops, and nothing of them is written.
/// </summary>
public sealed partial class LogsService
{
    /// <summary>AWS's quota of concurrent Live Tail sessions per account (adjustable on AWS, fixed here), counted per Region as the service is regional.</summary>
    public const int MaxLiveTailSessions = 15;

    private readonly Lock _liveTailGate = new();
    /// <summary>Replaced whole under the gate, read without it: ingestion never waits on a session starting or ending.</summary>
    private volatile LiveTailSession[] _liveTails = [];

    public LiveTailSession StartLiveTail(Scope scope, LiveTailCriteria criteria)
    {
        if (criteria.LogStreamNames is not null && criteria.LogStreamNamePrefixes is not null)
            throw LogsErrors.InvalidParameter("logStreamNames and logStreamNamePrefixes are mutually exclusive parameters.");
        if ((criteria.LogStreamNames ?? criteria.LogStreamNamePrefixes) is not null && criteria.LogGroupIdentifiers.Count != 1)
            throw LogsErrors.InvalidParameter("logStreamNames and logStreamNamePrefixes can be given only when logGroupIdentifiers names a single log group.");
        var pattern = ParseFilter(criteria.LogEventFilterPattern);
        var identifierByGroupKey = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var identifier in criteria.LogGroupIdentifiers)
        {
            var group = LiveTailGroup(scope, identifier);
            CheckReadable(group);
            identifierByGroupKey.TryAdd(GroupKey(group.AccountId, group.Region, group.Name), identifier);
        }
        lock (_liveTailGate)
        {
            if (_liveTails.Count(s => s.AccountId == scope.AccountId && s.Region == scope.Region) >= MaxLiveTailSessions)
                throw LogsErrors.TooManyLiveTailSessions(MaxLiveTailSessions);
            var session = new LiveTailSession(scope.AccountId, scope.Region, Guid.NewGuid().ToString(), scope.RequestId, criteria, identifierByGroupKey, pattern, EndLiveTail);
            _liveTails = [.. _liveTails, session];
            return session;
        }
    }

    /// <summary>The updates of a session until it times out, its client leaves (<paramref name="cancellation"/>) or Stratus stops.</summary>
    public async IAsyncEnumerable<LiveTailUpdate> LiveTailUpdatesAsync(LiveTailSession session,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(cancellation, _stopping.Token);
        await foreach (var update in session.UpdatesAsync(_clock, ending.Token)) yield return update;
    }

    /// <summary>
    /// A group a session names: by name, or by ARN, which must be the caller's account and Region (Live Tail across accounts
    /// needs CloudWatch cross-account observability, which Stratus does not serve) and may not end in an asterisk, as AWS documents.
    /// </summary>
    private LogGroup LiveTailGroup(Scope scope, string identifier)
    {
        if (!identifier.StartsWith("arn:", StringComparison.Ordinal)) return Group(scope, identifier);
        if (identifier.EndsWith('*')) throw LogsErrors.InvalidParameter($"The log group ARN {identifier} must not end with an asterisk (*).");
        var parts = identifier.Split(':', 7);
        if (parts.Length < 7 || parts[2] != "logs" || parts[5] != "log-group") throw LogsErrors.InvalidParameter($"{identifier} is not a log group ARN.");
        if (parts[3] != scope.Region || parts[4] != scope.AccountId) throw LogsErrors.LogGroupNotFound();
        return Group(scope, parts[6]);
    }

    private void EndLiveTail(LiveTailSession session)
    {
        lock (_liveTailGate) _liveTails = _liveTails.Where(s => s != session).ToArray();
    }

    private bool LiveTailWatches(LogGroup group)
    {
        var sessions = _liveTails;
        if (sessions.Length == 0) return false;
        var key = GroupKey(group.AccountId, group.Region, group.Name);
        return sessions.Any(s => s.Watches(key));
    }

    /// <summary>Offers a stream's newly stored events (as they leave the service, masked) to the sessions watching its group.</summary>
    private void TailLive(LogGroup group, string stream, IReadOnlyList<LogEvent> leaving)
    {
        var sessions = _liveTails;
        if (sessions.Length == 0 || leaving.Count == 0 || !Decrypts(group)) return;
        var key = GroupKey(group.AccountId, group.Region, group.Name);
        foreach (var session in sessions) session.Offer(key, stream, leaving);
    }
}
