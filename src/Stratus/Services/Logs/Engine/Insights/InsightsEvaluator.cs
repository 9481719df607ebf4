using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Stratus.Services.Logs.Engine.Insights;

/// <summary>One stored event as a query sees it: @log is "account:group", as AWS names it.</summary>
public sealed record InsightsRecord(long Timestamp, string Message, long IngestionTime, string LogStream, string Log);

/// <summary>A point in time (epoch milliseconds): compares as a number, shown as AWS shows timestamps.</summary>
public readonly record struct Instant(long Milliseconds)
{
    public override string ToString() =>
        DateTimeOffset.FromUnixTimeMilliseconds(Milliseconds).ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
}

/// <summary>What a query answered: its rows as (field, value) lists and what it read to get there.</summary>
public sealed record InsightsResult(IReadOnlyList<IReadOnlyList<(string Field, string Value)>> Rows, long RecordsMatched, long RecordsScanned, long BytesScanned);

/// <summary>
/// Runs a parsed query over records: each command a stage over the rows the previous one yields, streaming
/// except where a command needs every row (stats, sort, dedup). A record's fields are @timestamp, @message,
/// @logStream, @log, @ingestionTime and, when the message is a JSON object, its members flattened as AWS
/// discovers them (a.b for nested objects, a.0 for array elements).
/// </summary>
public static class InsightsEvaluator
{
    public const int MaxDiscoveredFields = 1000;

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

    public static InsightsResult Run(InsightsQuery query, IEnumerable<InsightsRecord> records, int limit, CancellationToken cancel)
    {
        long scanned = 0, bytes = 0, matched = 0;
        IEnumerable<Row> rows = records.Select(r =>
        {
            if ((++scanned & 1023) == 0) cancel.ThrowIfCancellationRequested();
            bytes += System.Text.Encoding.UTF8.GetByteCount(r.Message);
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
        if (visible.Count == 0) visible.AddRange(["@timestamp", "@message", "@logStream", "@log"]);
        var output = rows.Take(limit).Select(row => (IReadOnlyList<(string, string)>)visible
            .Select(f => (Field: f, Value: row.Get(f)))
            .Where(f => f.Value is not null)
            .Select(f => (f.Field, Render(f.Value)))
            .ToList()).ToList();
        return new InsightsResult(output, matched, scanned, bytes);
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
        switch (command)
        {
            case FieldsCommand fields:
                AddVisible(visible, fields.Fields.Select(f => f.Name));
                return rows.Select(row =>
                {
                    foreach (var f in fields.Fields.Where(f => f.Expr is not FieldRef)) row.Set(f.Name, Eval(f.Expr, row));
                    return row;
                });
            case FilterCommand filter:
                return rows.Where(row => Truthy(Eval(filter.Condition, row)));
            case ParseCommand parse:
                AddVisible(visible, parse.Names);
                return rows.Select(row => ParseInto(parse, row));
            case StatsCommand stats:
                visible.Clear();
                AddVisible(visible, stats.GroupBy.Select(b => b.Name).Concat(stats.Aggregates.Select(a => a.Name)));
                return Stats(stats, rows);
            case SortCommand sort:
                return Sort(sort, rows);
            case LimitCommand limit:
                return rows.Take(limit.Count);
            case DisplayCommand display:
                visible.Clear();
                AddVisible(visible, display.Fields);
                return rows;
            case DedupCommand dedup:
                return Dedup(dedup, rows);
            default:
                throw new InvalidOperationException($"No evaluation for {command.GetType().Name}");
        }
    }

    private static void AddVisible(List<string> visible, IEnumerable<string> names)
    {
        foreach (var name in names)
            if (!visible.Contains(name)) visible.Add(name);
    }

    private static Row ParseInto(ParseCommand parse, Row row)
    {
        var source = Eval(parse.Source, row);
        var match = source is null ? Match.Empty : parse.Pattern.Match(Render(source));
        for (var i = 0; i < parse.Names.Count; i++)
        {
            var group = match.Groups[parse.Groups[i]];
            row.Set(parse.Names[i], match.Success && group.Success ? group.Value : null);
        }
        return row;
    }

    private static IEnumerable<Row> Sort(SortCommand sort, IEnumerable<Row> rows)
    {
        var all = rows.Select(r => (Row: r, Keys: sort.Keys.Select(k => Eval(k.Key, r)).ToArray())).ToList();
        all.Sort((a, b) =>
        {
            for (var i = 0; i < sort.Keys.Count; i++)
            {
                // Rows without the field sort last either way.
                var (x, y) = (a.Keys[i], b.Keys[i]);
                if (x is null || y is null)
                {
                    if (x is null && y is null) continue;
                    return x is null ? 1 : -1;
                }
                var order = Compare(x, y);
                if (order != 0) return sort.Keys[i].Descending ? -order : order;
            }
            return 0;
        });
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
        var calls = stats.Aggregates.SelectMany(a => AggregateCalls(a.Expr)).ToList();
        var groups = new Dictionary<GroupKey, (object?[] Keys, Accumulator[] Accumulators)>();
        // Each row's values are read into one scratch array; only a new group keeps a copy.
        var scratch = new object?[stats.GroupBy.Count];
        foreach (var row in rows)
        {
            for (var i = 0; i < scratch.Length; i++) scratch[i] = Eval(stats.GroupBy[i].Expr, row);
            if (!groups.TryGetValue(new GroupKey(scratch), out var group))
            {
                var keys = (object?[])scratch.Clone();
                groups[new GroupKey(keys)] = group = (keys, calls.Select(c => new Accumulator(c)).ToArray());
            }
            foreach (var accumulator in group.Accumulators) accumulator.Add(row);
        }
        if (stats.GroupBy.Count == 0 && groups.Count == 0)
            groups[new GroupKey([])] = ([], calls.Select(c => new Accumulator(c)).ToArray());
        foreach (var (keys, accumulators) in groups.Values)
        {
            var results = new Dictionary<Call, object?>(ReferenceEqualityComparer.Instance);
            foreach (var accumulator in accumulators) results[accumulator.Call] = accumulator.Result();
            var row = new Row(null);
            for (var i = 0; i < keys.Length; i++) row.Set(stats.GroupBy[i].Name, keys[i]);
            foreach (var aggregate in stats.Aggregates) row.Set(aggregate.Name, Eval(aggregate.Expr, row, results));
            yield return row;
        }
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

        public Call Call { get; } = call;

        public void Add(Row row)
        {
            if (Call.Args.Count == 0 || Call.Args[0] is Literal { Value: "*" })
            {
                _count++;
                return;
            }
            var value = Eval(Call.Args[0], row);
            if (value is null) return;
            _count++;
            _distinct?.Add(Render(value));
            if (Call.Function is "min" or "max")
            {
                if (_min is null || Compare(value, _min) < 0) _min = value;
                if (_max is null || Compare(value, _max) > 0) _max = value;
            }
            if (Number(value) is { } n)
            {
                _sum += n;
                _values?.Add(n);
            }
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
            if (_values!.Count == 0 || Number(Eval(Call.Args[1], new Row(null))) is not { } p) return null;
            _values.Sort();
            var rank = (int)Math.Ceiling(Math.Clamp(p, 0, 100) / 100 * _values.Count);
            return _values[Math.Clamp(rank - 1, 0, _values.Count - 1)];
        }
    }

    // ---- expressions ----

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

    private static object? Function(Call call, Row row, IReadOnlyDictionary<Call, object?>? aggregates)
    {
        if (call.Function == "bin")
        {
            var period = (long)(double)((Literal)call.Args[0]).Value!;
            return row.Get("@timestamp") is Instant t ? new Instant(t.Milliseconds - Modulo(t.Milliseconds, period)) : null;
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
    private sealed class Row(InsightsRecord? record)
    {
        private Dictionary<string, object?>? _values;
        private Dictionary<string, object?>? _json;

        public void Set(string name, object? value) => (_values ??= new(StringComparer.Ordinal))[name] = value;

        public object? Get(string name)
        {
            if (_values is not null && _values.TryGetValue(name, out var value)) return value;
            if (record is null) return null;
            switch (name)
            {
                case "@timestamp": return new Instant(record.Timestamp);
                case "@message": return record.Message;
                case "@logStream": return record.LogStream;
                case "@log": return record.Log;
                case "@ingestionTime": return new Instant(record.IngestionTime);
            }
            _json ??= Discover(record.Message);
            return _json.GetValueOrDefault(name);
        }

        private static Dictionary<string, object?> Discover(string message)
        {
            var fields = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (!message.AsSpan().TrimStart().StartsWith("{")) return fields;
            try
            {
                using var document = JsonDocument.Parse(message);
                Flatten(document.RootElement, "", fields);
            }
            catch (JsonException)
            {
                // Not JSON after all: the event has only its built-in fields.
            }
            return fields;
        }

        private static void Flatten(JsonElement element, string prefix, Dictionary<string, object?> fields)
        {
            if (fields.Count >= MaxDiscoveredFields) return;
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var member in element.EnumerateObject()) Flatten(member.Value, prefix.Length == 0 ? member.Name : prefix + "." + member.Name, fields);
                    break;
                case JsonValueKind.Array:
                    var index = 0;
                    foreach (var item in element.EnumerateArray()) Flatten(item, prefix + "." + index++.ToString(CultureInfo.InvariantCulture), fields);
                    break;
                case JsonValueKind.Number:
                    fields[prefix] = element.GetDouble();
                    break;
                case JsonValueKind.String:
                    fields[prefix] = element.GetString();
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    fields[prefix] = element.GetRawText();
                    break;
            }
        }
    }
}
