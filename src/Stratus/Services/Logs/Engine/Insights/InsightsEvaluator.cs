using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Stratus.Services.Logs.Engine.Insights;

/// <summary>
/// One stored event as a query sees it: @log is "account:group", as AWS names it. <see cref="MessageBytes"/> is the
/// message's UTF-8 size, which the store counted once, so a scan's bytes scanned need not read the message.
/// <see cref="EventId"/> is the store's id of the event, which its @ptr carries. <see cref="Message"/> is what the caller
/// may see (masked by the group's data protection); <see cref="UnmaskedMessage"/>, set only when that differs, is the event
/// as stored, which only the unmask() command shows.
/// </summary>
public readonly record struct InsightsRecord(long Timestamp, string Message, long IngestionTime, string LogStream, string Log, int MessageBytes, long EventId = 0,
    string? UnmaskedMessage = null)
{
    public InsightsRecord(long timestamp, string message, long ingestionTime, string logStream, string log)
        : this(timestamp, message, ingestionTime, logStream, log, Encoding.UTF8.GetByteCount(message))
    {
    }
}

/// <summary>A point in time (epoch milliseconds): compares as a number, shown as AWS shows timestamps.</summary>
public readonly record struct Instant(long Milliseconds)
{
    public override string ToString() =>
        DateTimeOffset.FromUnixTimeMilliseconds(Milliseconds).ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
}

/// <summary>
/// What a query answered: its rows as (field, value) lists and what it read to get there. <see cref="Pointers"/> has, for
/// each row, the event it shows (its @ptr), or null for a row that is no one event's (a stats group).
/// </summary>
public sealed record InsightsResult(IReadOnlyList<IReadOnlyList<(string Field, string Value)>> Rows, long RecordsMatched, long RecordsScanned, long BytesScanned,
    IReadOnlyList<LogRecordPointer?> Pointers);

/// <summary>
/// Runs a parsed query over records: each command a stage over the rows the previous one yields, streaming
/// except where a command needs every row (stats, sort, dedup). A record's fields are @timestamp, @message,
/// @logStream, @log, @ingestionTime and, when the message is a JSON object, its members flattened as AWS
/// discovers them (a.b for nested objects, a.0 for array elements).
/// </summary>
public static class InsightsEvaluator
{
    /// <summary>
    /// Whether the query's answer depends on the order events arrive in: it does unless a stats or sort command
    /// reorders the rows before any limit or dedup picks some (stats groups then come in no particular order, as on AWS).
    /// </summary>
    public static bool NeedsEventOrder(InsightsQuery query)
    {
        foreach (var command in query.Commands)
        {
            if (command is StatsCommand or SortCommand) return false;
            if (command is LimitCommand or DedupCommand) return true;
        }
        return true;
    }

    /// <summary>
    /// Whether the query is best given each partition newest first: one that needs the events' order (they are then merged
    /// newest first), and a sort whose first key is @timestamp descending (the newest rows fill its bounded heap at once,
    /// and every older record is refused on its timestamp alone). Any other query answers the same in either order.
    /// </summary>
    public static bool ReadsNewestFirst(InsightsQuery query) =>
        NeedsEventOrder(query) || query.Commands.SkipWhile(IsRowCommand).FirstOrDefault() is SortCommand { Keys: [(FieldRef { Name: "@timestamp" }, true), ..] };

    private static bool IsRowCommand(InsightsCommand command) => command is FieldsCommand or FilterCommand or ParseCommand or LookupCommand;

    public static InsightsResult Run(InsightsQuery query, IEnumerable<InsightsRecord> records, int limit, CancellationToken cancel) =>
        Run(query, [records], limit, cancel);

    /// <summary>
    /// Merges partitions that each come newest first into one newest-first sequence, read lazily: a query that stops at its
    /// limit reads about that many events of each partition. Equal timestamps come in partition order, then in each
    /// partition's own, as a stable sort of the partitions one after the other would leave them.
    /// </summary>
    public static IEnumerable<InsightsRecord> NewestFirst(IReadOnlyList<IEnumerable<InsightsRecord>> partitions)
    {
        var heads = new PriorityQueue<IEnumerator<InsightsRecord>, (long Timestamp, int Partition)>(
            Comparer<(long Timestamp, int Partition)>.Create((a, b) => a.Timestamp != b.Timestamp ? b.Timestamp.CompareTo(a.Timestamp) : a.Partition.CompareTo(b.Partition)));
        var readers = new List<IEnumerator<InsightsRecord>>(partitions.Count);
        try
        {
            for (var i = 0; i < partitions.Count; i++)
            {
                var reader = partitions[i].GetEnumerator();
                readers.Add(reader);
                if (reader.MoveNext()) heads.Enqueue(reader, (reader.Current.Timestamp, i));
            }
            while (heads.TryDequeue(out var reader, out var head))
            {
                yield return reader.Current;
                if (reader.MoveNext()) heads.Enqueue(reader, (reader.Current.Timestamp, head.Partition));
            }
        }
        finally
        {
            // A partition's reader holds pooled buffers until it is disposed.
            foreach (var reader in readers) reader.Dispose();
        }
    }

    /// <summary>
    /// Runs the query over records given in partitions (a log stream's events each). When the query starts with commands
    /// that look at one row at a time (fields, filter, parse) followed by stats, and so does not depend on the order of the
    /// events, the partitions are scanned in parallel, each into its own stats groups, merged in partition order (the
    /// groups keep the order they were first seen in); any other query sees the partitions one after the other.
    /// </summary>
    public static InsightsResult Run(InsightsQuery query, IReadOnlyList<IEnumerable<InsightsRecord>> partitions, int limit, CancellationToken cancel)
    {
        var leading = query.Commands.TakeWhile(IsRowCommand).Count();
        if (leading < query.Commands.Count && query.Commands[leading] is StatsCommand stats)
            return RunStatsFirst(query, partitions, leading, stats, limit, cancel);
        if (leading < query.Commands.Count && query.Commands[leading] is SortCommand sort && SortedRowsUsed(query, leading, limit) is { } used)
            return RunSortFirst(query, partitions, leading, sort, used, limit, cancel);
        long scanned = 0, bytes = 0, matched = 0;
        IEnumerable<Row> rows = partitions.SelectMany(p => p).Select(r =>
        {
            if ((++scanned & 1023) == 0) cancel.ThrowIfCancellationRequested();
            bytes += r.MessageBytes;
            return new Row(r);
        });
        var visible = new List<string>();
        var counted = false;
        foreach (var command in query.Commands)
        {
            if (command is StatsCommand && !counted)
            {
                rows = Count(rows, () => matched++);
                counted = true;
            }
            rows = Apply(command, rows, visible);
        }
        if (!counted) rows = Count(rows, () => matched++);
        // The statistics count as the rows go by: read once the answer is.
        var (answer, pointers) = Answer(rows, visible, limit);
        return new InsightsResult(answer, matched, scanned, bytes, pointers);
    }

    private static InsightsResult RunStatsFirst(InsightsQuery query, IReadOnlyList<IEnumerable<InsightsRecord>> partitions, int leading, StatsCommand stats, int limit, CancellationToken cancel)
    {
        var rowCommands = query.Commands.Take(leading).ToArray();
        var tables = ScanEach(partitions, (records, _) => Scan(rowCommands, stats, records, cancel), cancel);
        var table = tables.Length == 0 ? new StatsTable(stats) : tables[0];
        foreach (var other in tables.Skip(1)) table.Merge(other);
        var visible = new List<string>();
        foreach (var command in query.Commands.Take(leading + 1)) Declare(command, visible);
        var rows = table.Rows();
        foreach (var command in query.Commands.Skip(leading + 1)) rows = Apply(command, rows, visible);
        var (answer, pointers) = Answer(rows, visible, limit);
        return new InsightsResult(answer, table.Matched, table.Scanned, table.Bytes, pointers);
    }

    /// <summary>Each partition scanned on its own, in parallel when there are several; throws once cancelled.</summary>
    private static T[] ScanEach<T>(IReadOnlyList<IEnumerable<InsightsRecord>> partitions, Func<IEnumerable<InsightsRecord>, int, T> scan, CancellationToken cancel)
    {
        var results = new T[partitions.Count];
        if (partitions.Count == 1) results[0] = scan(partitions[0], 0);
        else
            Parallel.For(0, partitions.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                i => results[i] = scan(partitions[i], i));
        cancel.ThrowIfCancellationRequested();
        return results;
    }

    /// <summary>
    /// How many rows of a sort's output the answer can use, when the commands after it keep rows one for one (fields,
    /// parse, display) or cut them (limit): the smallest limit, the query's own included. Null when a later command
    /// filters, deduplicates, sorts again or groups, which needs every sorted row.
    /// </summary>
    private static int? SortedRowsUsed(InsightsQuery query, int sortAt, int limit)
    {
        var used = limit;
        foreach (var command in query.Commands.Skip(sortAt + 1))
            switch (command)
            {
                case LimitCommand cut:
                    used = Math.Min(used, cut.Count);
                    break;
                case FieldsCommand or ParseCommand or DisplayCommand or LookupCommand:
                    break;
                default:
                    return null;
            }
        return used;
    }

    /// <summary>
    /// A query of row commands, then a sort whose first <paramref name="used"/> rows are all the answer needs: each partition
    /// is scanned in parallel into a bounded heap of its best rows (top-N, memory of N rows, not of every match), and the
    /// heaps are merged. Ties keep the order the rows came in, partition after partition, as a stable sort of them all would.
    /// </summary>
    private static InsightsResult RunSortFirst(InsightsQuery query, IReadOnlyList<IEnumerable<InsightsRecord>> partitions, int leading, SortCommand sort, int used, int limit, CancellationToken cancel)
    {
        var rowCommands = query.Commands.Take(leading).ToArray();
        var order = new SortedRowOrder(sort);
        // A record older (or newer) than the worst row kept is refused before the row commands see it, unless one of them sets @timestamp.
        var byTimestamp = sort.Keys[0].Key is FieldRef { Name: "@timestamp" } && !rowCommands.Any(SetsTimestamp);
        var tops = ScanEach(partitions, (records, partition) => ScanTop(rowCommands, sort, order, byTimestamp, used, records, partition, cancel), cancel);
        var best = tops.SelectMany(t => t.Rows).ToList();
        best.Sort(order);
        long matched = 0;
        var visible = new List<string>();
        foreach (var command in query.Commands.Take(leading + 1)) Declare(command, visible);
        var rows = best.Take(used).Select(r => r.Row);
        foreach (var command in query.Commands.Skip(leading + 1)) rows = Apply(command, rows, visible);
        var (answer, pointers) = Answer(Count(rows, () => matched++), visible, limit);
        return new InsightsResult(answer, matched, tops.Sum(t => t.Scanned), tops.Sum(t => t.Bytes), pointers);
    }

    /// <summary>One partition's records through the row commands, keeping the <paramref name="count"/> first in the sort's order; stops early once cancelled.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (List<SortedRow> Rows, long Scanned, long Bytes) ScanTop(InsightsCommand[] rowCommands, SortCommand sort, SortedRowOrder order, bool byTimestamp, int count, IEnumerable<InsightsRecord> records, int partition, CancellationToken cancel)
    {
        // The heap's top is the worst row kept, the one a better row replaces.
        var kept = new PriorityQueue<SortedRow, SortedRow>(Comparer<SortedRow>.Create((a, b) => order.Compare(b, a)));
        long scanned = 0, bytes = 0, sequence = 0;
        // A row and an entry dropped (by a filter, or not among the best) serve the next record: a full heap allocates nothing.
        Row? spare = null;
        SortedRow? spareEntry = null;
        foreach (var record in records)
        {
            if ((++scanned & 1023) == 0 && cancel.IsCancellationRequested) break;
            bytes += record.MessageBytes;
            if (byTimestamp && kept.Count == count && order.RefusesTimestamp(record.Timestamp, kept.Peek())) continue;
            var row = spare ?? new Row();
            spare = null;
            row.Reset(record);
            var passed = true;
            foreach (var command in rowCommands)
                if (!Step(command, row))
                {
                    passed = false;
                    break;
                }
            if (!passed)
            {
                spare = row;
                continue;
            }
            var candidate = spareEntry ?? new SortedRow(row, new object?[sort.Keys.Count], partition, 0);
            spareEntry = null;
            candidate.Row = row;
            candidate.Sequence = sequence++;
            for (var i = 0; i < candidate.Keys.Length; i++) candidate.Keys[i] = Eval(sort.Keys[i].Key, row);
            if (kept.Count < count) kept.Enqueue(candidate, candidate);
            else
            {
                if (order.Compare(candidate, kept.Peek()) < 0) candidate = kept.DequeueEnqueue(candidate, candidate);
                spareEntry = candidate;
                spare = candidate.Row;
            }
        }
        return (kept.UnorderedItems.Select(item => item.Element).ToList(), scanned, bytes);
    }

    /// <summary>Whether a row command may set @timestamp, which a sort by it then has to evaluate after them.</summary>
    private static bool SetsTimestamp(InsightsCommand command) => command switch
    {
        FieldsCommand fields => fields.Fields.Any(f => f.Name == "@timestamp" && f.Expr is not FieldRef),
        ParseCommand parse => parse.Names.Contains("@timestamp"),
        LookupCommand lookup => lookup.Outputs.Contains("@timestamp"),
        _ => false,
    };

    /// <summary>A row with its sort keys and where it came from (partition, then place in it), which orders ties; reused once dropped.</summary>
    private sealed class SortedRow(Row row, object?[] keys, int partition, long sequence)
    {
        public Row Row { get; set; } = row;
        public object?[] Keys { get; } = keys;
        public int Partition { get; } = partition;
        public long Sequence { get; set; } = sequence;
    }

    /// <summary>A sort command's order over rows: rows without a key's value last either way, ties in the order the rows came.</summary>
    private sealed class SortedRowOrder(SortCommand sort) : IComparer<SortedRow>
    {
        /// <summary>
        /// Whether a record whose sort starts with @timestamp orders strictly after <paramref name="worst"/> on its timestamp
        /// alone (a tie needs the other keys): it cannot be among the best, whatever the row commands do with it.
        /// </summary>
        public bool RefusesTimestamp(long timestamp, SortedRow worst)
        {
            if (worst.Keys[0] is not Instant kept) return false;
            var order = timestamp.CompareTo(kept.Milliseconds);
            return (sort.Keys[0].Descending ? -order : order) > 0;
        }

        public int Compare(SortedRow? a, SortedRow? b)
        {
            for (var i = 0; i < sort.Keys.Count; i++)
            {
                var (x, y) = (a!.Keys[i], b!.Keys[i]);
                if (x is null || y is null)
                {
                    if (x is null && y is null) continue;
                    return x is null ? 1 : -1;
                }
                var order = InsightsEvaluator.Compare(x, y);
                if (order != 0) return sort.Keys[i].Descending ? -order : order;
            }
            return a!.Partition != b!.Partition ? a.Partition.CompareTo(b.Partition) : a.Sequence.CompareTo(b.Sequence);
        }
    }

    /// <summary>One partition's records through the row commands into its own stats groups; stops early once cancelled.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static StatsTable Scan(InsightsCommand[] rowCommands, StatsCommand stats, IEnumerable<InsightsRecord> records, CancellationToken cancel)
    {
        var table = new StatsTable(stats);
        // One row serves every record in turn: stats keeps values, never the row.
        var row = new Row();
        foreach (var record in records)
        {
            if ((++table.Scanned & 1023) == 0 && cancel.IsCancellationRequested) break;
            table.Bytes += record.MessageBytes;
            row.Reset(record);
            var kept = true;
            foreach (var command in rowCommands)
                if (!Step(command, row))
                {
                    kept = false;
                    break;
                }
            if (kept) table.Add(row);
        }
        return table;
    }

    /// <summary>
    /// The first <paramref name="limit"/> rows as (field, value) lists of the visible fields (the built-in ones when no command
    /// chose), and each row's event (for its @ptr) when it shows one.
    /// </summary>
    private static (List<IReadOnlyList<(string Field, string Value)>> Rows, List<LogRecordPointer?> Pointers) Answer(IEnumerable<Row> rows, List<string> visible, int limit)
    {
        if (visible.Count == 0) visible.AddRange(["@timestamp", "@message", "@logStream", "@log"]);
        var answer = new List<IReadOnlyList<(string Field, string Value)>>();
        var pointers = new List<LogRecordPointer?>();
        foreach (var row in rows.Take(limit))
        {
            answer.Add(visible
                .Select(f => (Field: f, Value: row.Get(f)))
                .Where(f => f.Value is not null)
                .Select(f => (f.Field, Render(f.Value)))
                .ToList());
            pointers.Add(row.Record is { } record ? LogRecordPointer.Of(record) : null);
        }
        return (answer, pointers);
    }

    private static IEnumerable<Row> Count(IEnumerable<Row> rows, Action seen)
    {
        foreach (var row in rows)
        {
            seen();
            yield return row;
        }
    }

    private static IEnumerable<Row> Apply(InsightsCommand command, IEnumerable<Row> rows, List<string> visible)
    {
        Declare(command, visible);
        return command switch
        {
            FieldsCommand or FilterCommand or ParseCommand or LookupCommand => rows.Where(row => Step(command, row)),
            StatsCommand stats => Stats(stats, rows),
            SortCommand sort => Sort(sort, rows),
            LimitCommand limit => rows.Take(limit.Count),
            DisplayCommand => rows,
            DedupCommand dedup => Dedup(dedup, rows),
            _ => throw new InvalidOperationException($"No evaluation for {command.GetType().Name}"),
        };
    }

    /// <summary>The fields a command shows in the results, from then on.</summary>
    private static void Declare(InsightsCommand command, List<string> visible)
    {
        switch (command)
        {
            case FieldsCommand fields:
                AddVisible(visible, fields.Fields.Select(f => f.Name));
                break;
            case ParseCommand parse:
                AddVisible(visible, parse.Names);
                break;
            case LookupCommand lookup:
                AddVisible(visible, lookup.Outputs);
                break;
            case StatsCommand stats:
                visible.Clear();
                AddVisible(visible, stats.GroupBy.Select(b => b.Name).Concat(stats.Aggregates.Select(a => a.Name)));
                break;
            case DisplayCommand display:
                visible.Clear();
                AddVisible(visible, display.Fields);
                break;
        }
    }

    /// <summary>A command that looks at one row at a time (fields, filter, parse) applied to a row: false when it drops the row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Step(InsightsCommand command, Row row)
    {
        switch (command)
        {
            case FilterCommand filter:
                return Truthy(Eval(filter.Condition, row));
            case ParseCommand parse:
                ParseInto(parse, row);
                return true;
            case LookupCommand lookup:
                LookupInto(lookup, row);
                return true;
            case FieldsCommand fields:
                foreach (var f in fields.Fields)
                    if (f.Expr is not FieldRef) row.Set(f.Name, Eval(f.Expr, row));
                return true;
            default:
                throw new InvalidOperationException($"{command.GetType().Name} is not a row command");
        }
    }

    private static void AddVisible(List<string> visible, IEnumerable<string> names)
    {
        foreach (var name in names)
            if (!visible.Contains(name)) visible.Add(name);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ParseInto(ParseCommand parse, Row row)
    {
        var source = Eval(parse.Source, row);
        var captures = row.Captures(parse.Names.Count);
        // A value that does not match leaves every field of the pattern empty, hiding fields of the same name.
        if (source is null || !parse.Pattern.Match(Render(source), captures)) Array.Clear(captures);
        for (var i = 0; i < captures.Length; i++) row.Set(parse.Names[i], captures[i]);
    }

    /// <summary>A row whose log fields match no table row (or lack one) gets no value for the output fields.</summary>
    private static void LookupInto(LookupCommand lookup, Row row)
    {
        var table = lookup.Table ?? throw new InvalidOperationException($"The lookup table {lookup.TableName} was not given to the query");
        var values = new string[lookup.Keys.Count];
        string[]? match = null;
        for (var i = 0; i < values.Length; i++)
        {
            if (row.Get(lookup.Keys[i].LogField) is not { } value) break;
            values[i] = Render(value);
            if (i == values.Length - 1) table.RowsByKey.TryGetValue(LookupTableData.Key(values), out match);
        }
        for (var i = 0; i < lookup.Outputs.Count; i++) row.Set(lookup.Outputs[i], match?[table.OutputColumns[i]]);
    }

    /// <summary>Every row sorted, for a sort whose rows a later command needs all of (a filter, dedup, stats after it).</summary>
    private static IEnumerable<Row> Sort(SortCommand sort, IEnumerable<Row> rows)
    {
        long sequence = 0;
        var all = rows.Select(r => new SortedRow(r, sort.Keys.Select(k => Eval(k.Key, r)).ToArray(), 0, sequence++)).ToList();
        all.Sort(new SortedRowOrder(sort));
        return all.Select(a => a.Row);
    }

    private static IEnumerable<Row> Dedup(DedupCommand dedup, IEnumerable<Row> rows)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var values = dedup.Fields.Select(row.Get).ToList();
            // As AWS documents: rows missing a deduplicated field are kept, never considered duplicates.
            if (values.Any(v => v is null) || seen.Add(string.Join('\u001f', values.Select(Render))))
                yield return row;
        }
    }

    private static IEnumerable<Row> Stats(StatsCommand stats, IEnumerable<Row> rows)
    {
        var table = new StatsTable(stats);
        foreach (var row in rows) table.Add(row);
        foreach (var row in table.Rows()) yield return row;
    }

    /// <summary>A stats command's groups, each with its aggregates' running state, and what went into them.</summary>
    private sealed class StatsTable(StatsCommand stats)
    {
        private readonly Call[] _calls = stats.Aggregates.SelectMany(a => AggregateCalls(a.Expr)).ToArray();
        private readonly Dictionary<GroupKey, (object?[] Keys, Accumulator[] Accumulators)> _groups = [];
        // Each row's values are read into one scratch array; only a new group keeps a copy.
        private readonly object?[] _scratch = new object?[stats.GroupBy.Count];
        private (object?[] Keys, Accumulator[] Accumulators) _last;
        // Grouped by bin() alone (the usual time series), a row's bin is read as a number from its timestamp and compared
        // with the last group's: consecutive events of one bin (events come in time order) then cost no evaluation at all.
        private readonly long _binPeriod = stats.GroupBy is [{ Expr: Call { Function: "bin" } bin }] ? BinPeriod(bin) : 0;
        private long? _lastBin;

        public long Matched { get; private set; }
        public long Scanned { get; set; }
        public long Bytes { get; set; }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Add(Row row)
        {
            Matched++;
            var group = _last;
            // In the last bin when its start <= t < its end: a subtraction and a comparison, no division.
            if (_lastBin is not { } lastBin || row.TimestampMs() is not { } t || (ulong)(t - lastBin) >= (ulong)_binPeriod)
                group = FindGroup(row);
            foreach (var accumulator in group.Accumulators) accumulator.Add(row);
        }

        private (object?[] Keys, Accumulator[] Accumulators) FindGroup(Row row)
        {
            for (var i = 0; i < _scratch.Length; i++) _scratch[i] = Eval(stats.GroupBy[i].Expr, row);
            // Consecutive events often share their group (events come in time order, so bins do): no lookup then.
            var group = _last;
            if (group.Keys is null || !_scratch.AsSpan().SequenceEqual(group.Keys))
            {
                if (!_groups.TryGetValue(new GroupKey(_scratch), out group))
                {
                    var keys = (object?[])_scratch.Clone();
                    _groups[new GroupKey(keys)] = group = (keys, NewAccumulators());
                }
                _last = group;
            }
            _lastBin = _binPeriod > 0 && group.Keys[0] is Instant start ? start.Milliseconds : null;
            return group;
        }

        /// <summary>Takes in another partition's groups, which come after this one's in the events' order.</summary>
        public void Merge(StatsTable other)
        {
            Matched += other.Matched;
            Scanned += other.Scanned;
            Bytes += other.Bytes;
            foreach (var (key, theirs) in other._groups)
            {
                if (!_groups.TryGetValue(key, out var ours))
                {
                    _groups[key] = theirs;
                    continue;
                }
                for (var i = 0; i < ours.Accumulators.Length; i++) ours.Accumulators[i].Merge(theirs.Accumulators[i]);
            }
        }

        public IEnumerable<Row> Rows()
        {
            if (stats.GroupBy.Count == 0 && _groups.Count == 0) _groups[new GroupKey([])] = ([], NewAccumulators());
            foreach (var (keys, accumulators) in _groups.Values)
            {
                var results = new Dictionary<Call, object?>(ReferenceEqualityComparer.Instance);
                foreach (var accumulator in accumulators) results[accumulator.Call] = accumulator.Result();
                var row = new Row();
                for (var i = 0; i < keys.Length; i++) row.Set(stats.GroupBy[i].Name, keys[i]);
                foreach (var aggregate in stats.Aggregates) row.Set(aggregate.Name, Eval(aggregate.Expr, row, results));
                yield return row;
            }
        }

        private Accumulator[] NewAccumulators() => Array.ConvertAll(_calls, c => new Accumulator(c));
    }

    /// <summary>A stats group's values compared by value (a number, a string, a bin's instant), without rendering them.</summary>
    private readonly struct GroupKey(object?[] values) : IEquatable<GroupKey>
    {
        private readonly object?[] _values = values;

        public bool Equals(GroupKey other) => _values.AsSpan().SequenceEqual(other._values);

        public override bool Equals(object? obj) => obj is GroupKey other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (var value in _values) hash.Add(value);
            return hash.ToHashCode();
        }
    }

    private static IEnumerable<Call> AggregateCalls(InsightsExpr expr) => expr switch
    {
        Call c when InsightsParser.Aggregates.Contains(c.Function) => [c],
        Call c => c.Args.SelectMany(AggregateCalls),
        Binary b => AggregateCalls(b.Left).Concat(AggregateCalls(b.Right)),
        Unary u => AggregateCalls(u.Operand),
        _ => [],
    };

    /// <summary>One aggregate function's running state over a group's rows.</summary>
    private sealed class Accumulator(Call call)
    {
        private long _count;
        private double _sum;
        private object? _min, _max;
        private readonly List<double>? _values = call.Function == "pct" ? [] : null;
        private readonly HashSet<string>? _distinct = call.Function == "count_distinct" ? new(StringComparer.Ordinal) : null;
        private readonly bool _countsRows = call.Args.Count == 0 || call.Args[0] is Literal { Value: "*" };
        private readonly bool _ordersValues = call.Function is "min" or "max";

        public Call Call { get; } = call;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Add(Row row)
        {
            if (_countsRows)
            {
                _count++;
                return;
            }
            var value = Eval(Call.Args[0], row);
            if (value is null) return;
            _count++;
            _distinct?.Add(Render(value));
            if (_ordersValues) Extend(value, value);
            if (Number(value) is { } n)
            {
                _sum += n;
                _values?.Add(n);
            }
        }

        /// <summary>Adds the state of the same call over rows that come after this one's.</summary>
        public void Merge(Accumulator other)
        {
            _count += other._count;
            _sum += other._sum;
            _values?.AddRange(other._values!);
            _distinct?.UnionWith(other._distinct!);
            if (other._min is not null) Extend(other._min, other._max!);
        }

        /// <summary>Ties keep the value seen first, as one pass over the rows does.</summary>
        private void Extend(object min, object max)
        {
            if (_min is null || Compare(min, _min) < 0) _min = min;
            if (_max is null || Compare(max, _max) > 0) _max = max;
        }

        public object? Result() => Call.Function switch
        {
            "count" => (double)_count,
            "count_distinct" => (double)_distinct!.Count,
            "sum" => _count == 0 ? null : _sum,
            "avg" => _count == 0 ? null : _sum / _count,
            "min" => _min,
            "max" => _max,
            "pct" => Percentile(),
            _ => throw new InvalidOperationException($"No aggregate {Call.Function}"),
        };

        /// <summary>The nearest-rank percentile: the smallest value with at least p% of the values at or below it.</summary>
        private object? Percentile()
        {
            if (_values!.Count == 0 || Number(Eval(Call.Args[1], new Row())) is not { } p) return null;
            _values.Sort();
            var rank = (int)Math.Ceiling(Math.Clamp(p, 0, 100) / 100 * _values.Count);
            return _values[Math.Clamp(rank - 1, 0, _values.Count - 1)];
        }
    }

    // ---- expressions ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static object? Eval(InsightsExpr expr, Row row, IReadOnlyDictionary<Call, object?>? aggregates = null)
    {
        switch (expr)
        {
            case Literal literal: return literal.Value;
            case FieldRef field: return row.Get(field.Name);
            case RegexLiteral regex: return regex.Pattern;
            case Unary { Op: "not" } not: return !Truthy(Eval(not.Operand, row, aggregates));
            case Unary negate: return Number(Eval(negate.Operand, row, aggregates)) is { } n ? -n : null;
            case InList list:
                // Like the comparisons, a missing field is neither in nor not in a list.
                if (Eval(list.Value, row, aggregates) is not { } value) return false;
                return list.Items.Any(item => Eval(item, row, aggregates) is { } candidate && Compare(value, candidate) == 0) != list.Negated;
            case Binary { Op: "and" } and: return Truthy(Eval(and.Left, row, aggregates)) && Truthy(Eval(and.Right, row, aggregates));
            case Binary { Op: "or" } or: return Truthy(Eval(or.Left, row, aggregates)) || Truthy(Eval(or.Right, row, aggregates));
            case Binary binary: return Operate(binary.Op, Eval(binary.Left, row, aggregates), Eval(binary.Right, row, aggregates));
            case Call call when aggregates is not null && aggregates.TryGetValue(call, out var result): return result;
            case Call call: return Function(call, row, aggregates);
            default: throw new InvalidOperationException($"No evaluation for {expr.GetType().Name}");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static object? Operate(string op, object? left, object? right)
    {
        if (op == "like")
        {
            if (left is null) return false;
            var text = Render(left);
            return right is Regex regex ? regex.IsMatch(text) : text.Contains(Render(right!), StringComparison.Ordinal);
        }
        if (op is "=" or "!=" or "<" or "<=" or ">" or ">=")
        {
            // A missing field matches no comparison (so != too is false), as Insights filters behave.
            if (left is null || right is null) return false;
            var order = Compare(left, right);
            return op switch { "=" => order == 0, "!=" => order != 0, "<" => order < 0, "<=" => order <= 0, ">" => order > 0, _ => order >= 0 };
        }
        if (Number(left) is not { } a || Number(right) is not { } b) return null;
        return op switch
        {
            "+" => a + b,
            "-" => a - b,
            "*" => a * b,
            "/" => b == 0 ? null : a / b,
            _ => b == 0 ? null : a % b,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static object? Function(Call call, Row row, IReadOnlyDictionary<Call, object?>? aggregates)
    {
        if (call.Function == "unmask") return row.Unmasked(((FieldRef)call.Args[0]).Name);
        if (call.Function == "bin")
        {
            var period = BinPeriod(call);
            return row.TimestampMs() is { } t ? row.BoxedInstant(t - Modulo(t, period)) : null;
        }
        var args = call.Args.Select(a => Eval(a, row, aggregates)).ToList();
        return call.Function switch
        {
            "ispresent" => args[0] is not null,
            "isempty" => args[0] is null || Render(args[0]).Length == 0,
            "strlen" => args[0] is null ? null : (double)Render(args[0]).Length,
            "tolower" => args[0] is null ? null : Render(args[0]).ToLowerInvariant(),
            "toupper" => args[0] is null ? null : Render(args[0]).ToUpperInvariant(),
            "concat" => string.Concat(args.Where(a => a is not null).Select(Render)),
            "abs" => Number(args[0]) is { } n ? Math.Abs(n) : null,
            "floor" => Number(args[0]) is { } n ? Math.Floor(n) : null,
            "ceil" => Number(args[0]) is { } n ? Math.Ceiling(n) : null,
            _ => throw new InvalidOperationException($"No function {call.Function}"),
        };
    }

    private static long Modulo(long value, long period) => ((value % period) + period) % period;

    /// <summary>A bin() call's period in milliseconds, which the parser made a number literal.</summary>
    private static long BinPeriod(Call bin) => (long)(double)((Literal)bin.Args[0]).Value!;

    private static bool Truthy(object? value) => value switch
    {
        null => false,
        bool b => b,
        double d => d != 0,
        string s => s.Length > 0,
        _ => true,
    };

    private static double? Number(object? value) => value switch
    {
        double d => d,
        Instant t => t.Milliseconds,
        bool b => b ? 1 : 0,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    /// <summary>
    /// Keys under which a value is found by any value <see cref="Compare"/> holds equal to it: its number when it reads as
    /// one, its text when it does not or is a boolean (true equals both 1 and "true"). Two values Compare holds equal share
    /// a key, so an index keyed by them never misses an event = or in would match (it may hold a few that do not match).
    /// </summary>
    public static IEnumerable<string> EqualityKeys(object value)
    {
        var number = Number(value);
        if (number is { } n) yield return "#" + n.ToString("R", CultureInfo.InvariantCulture);
        if (number is null || value is bool) yield return "s:" + Render(value);
    }

    /// <summary>Numerically when both sides read as numbers (a parsed "200" equals 200), else as ordinal strings.</summary>
    private static int Compare(object left, object right)
    {
        if (left is not string || right is not string)
            if (Number(left) is { } a && Number(right) is { } b) return a.CompareTo(b);
        return string.CompareOrdinal(Render(left), Render(right));
    }

    public static string Render(object? value) => value switch
    {
        null => "",
        string s => s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => value.ToString() ?? "",
    };

    /// <summary>A record's fields, with the values commands set over them; JSON members are discovered on first use.</summary>
    private sealed class Row
    {
        /// <summary>Beyond this many set fields they are also indexed by name (a row usually has a few, set by parse or fields).</summary>
        private const int IndexedFrom = 8;
        private string[]? _names;
        private object?[]? _values;
        private int _count;
        private Dictionary<string, int>? _index;
        private Dictionary<string, object?>? _json;
        private Dictionary<string, object?>? _unmaskedJson;
        private InsightsRecord _record;
        private bool _hasRecord;
        private string?[]? _captures;
        private object? _lastInstant;

        /// <summary>A row of no record (a stats group's).</summary>
        public Row()
        {
        }

        public Row(InsightsRecord record) => Reset(record);

        /// <summary>Makes the row the given record's, with no field set.</summary>
        public void Reset(InsightsRecord record)
        {
            _record = record;
            _hasRecord = true;
            _count = 0;
            _index = null;
            _json = null;
            _unmaskedJson = null;
        }

        /// <summary>
        /// An instant as a value, the same object as the last one asked for when equal: a scan's consecutive events mostly
        /// fall in the same bin, and its one row then boxes a bin once, not once per event.
        /// </summary>
        public object BoxedInstant(long milliseconds) =>
            _lastInstant is Instant last && last.Milliseconds == milliseconds ? _lastInstant : _lastInstant = new Instant(milliseconds);

        /// <summary>The event the row shows, or null for a row of no record (a stats group's).</summary>
        public InsightsRecord? Record => _hasRecord ? _record : null;

        /// <summary>A scratch array for a parse's captures, reused from record to record.</summary>
        public string?[] Captures(int count) => _captures is { } captures && captures.Length == count ? captures : _captures = new string?[count];

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Set(string name, object? value)
        {
            var at = Find(name);
            if (at >= 0)
            {
                _values![at] = value;
                return;
            }
            if (_names is null || _count == _names.Length)
            {
                Array.Resize(ref _names, Math.Max(4, _count * 2));
                Array.Resize(ref _values, _names.Length);
            }
            _names[_count] = name;
            _values![_count] = value;
            if (_index is not null) _index[name] = _count;
            else if (_count + 1 == IndexedFrom)
            {
                _index = new(StringComparer.Ordinal);
                for (var i = 0; i <= _count; i++) _index[_names[i]] = i;
            }
            _count++;
        }

        private int Find(string name)
        {
            if (_index is not null) return _index.GetValueOrDefault(name, -1);
            for (var i = 0; i < _count; i++)
                if (string.Equals(_names![i], name, StringComparison.Ordinal)) return i;
            return -1;
        }

        /// <summary>@timestamp in milliseconds (null when a command set it to something else), without boxing it.</summary>
        public long? TimestampMs()
        {
            if (_count > 0 && Find("@timestamp") is var at and >= 0) return _values![at] is Instant t ? t.Milliseconds : null;
            return _hasRecord ? _record.Timestamp : null;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public object? Get(string name)
        {
            if (_count > 0 && Find(name) is var at and >= 0) return _values![at];
            if (!_hasRecord) return null;
            switch (name)
            {
                case "@timestamp": return new Instant(_record.Timestamp);
                case "@message": return _record.Message;
                case "@logStream": return _record.LogStream;
                case "@log": return _record.Log;
                case "@ingestionTime": return new Instant(_record.IngestionTime);
            }
            _json ??= DiscoveredFields.Of(_record.Message);
            return _json.GetValueOrDefault(name);
        }

        /// <summary>
        /// A field as the event was stored, before masking (unmask()): @message and the JSON fields discovered in it. A field a
        /// command set, and every field of an event nothing masked, is the same either way.
        /// </summary>
        public object? Unmasked(string name)
        {
            if (!_hasRecord || _record.UnmaskedMessage is not { } stored || (_count > 0 && Find(name) >= 0)) return Get(name);
            if (name == "@message") return stored;
            if (DiscoveredFields.BuiltIn.Contains(name)) return Get(name);
            _unmaskedJson ??= DiscoveredFields.Of(stored);
            return _unmaskedJson.GetValueOrDefault(name);
        }
    }
}
