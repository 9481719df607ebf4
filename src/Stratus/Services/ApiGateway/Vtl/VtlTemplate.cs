using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Stratus.Services.ApiGateway.Vtl;

/// <summary>An object a template can call into: API Gateway's $input and $util.</summary>
public interface IVtlObject
{
    bool TryGetProperty(string name, out object? value);
    bool TryInvoke(string name, IReadOnlyList<object?> arguments, out object? result);
}

/// <summary>
/// A parsed Velocity template. Values are .NET strings, longs, doubles, bools, null, <see cref="List{T}"/>
/// of values, <see cref="Dictionary{TKey,TValue}"/> (string keys, insertion order) and <see cref="IVtlObject"/>s;
/// Java's String, List and Map methods that templates call are answered on them.
/// </summary>
public sealed class VtlTemplate
{
    /// <summary>API Gateway stops #foreach after this many iterations.</summary>
    public const int MaxLoopIterations = 1000;

    private readonly IReadOnlyList<VtlNode> _nodes;

    private VtlTemplate(IReadOnlyList<VtlNode> nodes) => _nodes = nodes;

    public static VtlTemplate Parse(string source) => new(VtlParser.Parse(source));

    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        var scope = new Dictionary<string, object?>(variables, StringComparer.Ordinal);
        var output = new StringBuilder();
        new Evaluator(scope, output).Run(_nodes);
        return output.ToString();
    }

    private enum Flow { Normal, Break, Stop }

    private sealed class Evaluator(Dictionary<string, object?> scope, StringBuilder output)
    {
        public Flow Run(IReadOnlyList<VtlNode> nodes)
        {
            foreach (var node in nodes)
            {
                var flow = Run(node);
                if (flow != Flow.Normal) return flow;
            }
            return Flow.Normal;
        }

        private Flow Run(VtlNode node)
        {
            switch (node)
            {
                case TextNode text:
                    output.Append(text.Text);
                    break;
                case ReferenceNode reference:
                    var value = Evaluate(reference.Reference);
                    if (value is not null) output.Append(VtlValues.ToText(value));
                    else if (!reference.Silent && reference.Reference.Accessors.Count == 0) output.Append(reference.Source);
                    break;
                case SetNode set:
                    Assign(set.Target, Evaluate(set.Value));
                    break;
                case IfNode conditional:
                    foreach (var (condition, body) in conditional.Branches)
                        if (VtlValues.IsTrue(Evaluate(condition))) return Run(body);
                    return conditional.Else is { } otherwise ? Run(otherwise) : Flow.Normal;
                case ForeachNode loop:
                    return RunLoop(loop);
                case BreakNode:
                    return Flow.Break;
                case StopNode:
                    return Flow.Stop;
            }
            return Flow.Normal;
        }

        private Flow RunLoop(ForeachNode loop)
        {
            var items = VtlValues.Iterate(Evaluate(loop.Items)).ToList();
            var outerForeach = scope.GetValueOrDefault("foreach");
            var outerVariable = scope.GetValueOrDefault(loop.Variable);
            try
            {
                for (var i = 0; i < items.Count && i < MaxLoopIterations; i++)
                {
                    scope[loop.Variable] = items[i];
                    scope["foreach"] = new Dictionary<string, object?>
                    {
                        ["index"] = (long)i, ["count"] = (long)i + 1, ["hasNext"] = i + 1 < items.Count,
                        ["first"] = i == 0, ["last"] = i + 1 == items.Count, ["parent"] = outerForeach,
                    };
                    scope["velocityCount"] = (long)i + 1;
                    var flow = Run(loop.Body);
                    if (flow == Flow.Stop) return flow;
                    if (flow == Flow.Break) break;
                }
            }
            finally
            {
                scope["foreach"] = outerForeach;
                scope[loop.Variable] = outerVariable;
            }
            return Flow.Normal;
        }

        private void Assign(ReferenceExpr target, object? value)
        {
            if (target.Accessors.Count == 0)
            {
                scope[target.Name] = value;
                return;
            }
            var owner = Access(scope.GetValueOrDefault(target.Name), target.Accessors.Take(target.Accessors.Count - 1));
            var key = target.Accessors[^1] switch
            {
                PropertyAccessor property => (object)property.Name,
                IndexAccessor index => Evaluate(index.Index),
                _ => throw new VtlException("#set cannot assign to a method call"),
            };
            switch (owner)
            {
                case Dictionary<string, object?> map:
                    map[VtlValues.ToText(key)] = value;
                    break;
                case List<object?> list when VtlValues.AsLong(key) is { } i && i >= 0 && i < list.Count:
                    list[(int)i] = value;
                    break;
            }
        }

        private object? Evaluate(VtlExpr expr) => expr switch
        {
            LiteralExpr literal => literal.Value,
            InterpolatedExpr interpolated => Interpolate(interpolated),
            ReferenceExpr reference => Access(scope.GetValueOrDefault(reference.Name), reference.Accessors),
            ListExpr list => list.Items.Select(Evaluate).ToList(),
            RangeExpr range => Range(Evaluate(range.From), Evaluate(range.To)),
            MapExpr map => map.Entries.Aggregate(new Dictionary<string, object?>(StringComparer.Ordinal), (m, e) =>
            {
                m[VtlValues.ToText(Evaluate(e.Key))] = Evaluate(e.Value);
                return m;
            }),
            UnaryExpr { Operator: "!" } not => !VtlValues.IsTrue(Evaluate(not.Operand)),
            UnaryExpr negate => VtlValues.Arithmetic("-", 0L, Evaluate(negate.Operand)),
            BinaryExpr { Operator: "&&" } and => VtlValues.IsTrue(Evaluate(and.Left)) && VtlValues.IsTrue(Evaluate(and.Right)),
            BinaryExpr { Operator: "||" } or => VtlValues.IsTrue(Evaluate(or.Left)) || VtlValues.IsTrue(Evaluate(or.Right)),
            BinaryExpr binary => VtlValues.Binary(binary.Operator, Evaluate(binary.Left), Evaluate(binary.Right)),
            _ => throw new VtlException("unsupported expression"),
        };

        private string Interpolate(InterpolatedExpr interpolated)
        {
            var mark = output.Length;
            Run(interpolated.Parts);
            var text = output.ToString(mark, output.Length - mark);
            output.Length = mark;
            return text;
        }

        private static List<object?> Range(object? from, object? to)
        {
            if (VtlValues.AsLong(from) is not { } start || VtlValues.AsLong(to) is not { } end) return [];
            var step = start <= end ? 1 : -1;
            var items = new List<object?>();
            for (var i = start; items.Count <= MaxLoopIterations; i += step)
            {
                items.Add(i);
                if (i == end) break;
            }
            return items;
        }

        private object? Access(object? value, IEnumerable<Accessor> accessors)
        {
            foreach (var accessor in accessors)
            {
                if (value is null) return null;
                value = accessor switch
                {
                    PropertyAccessor property => VtlValues.Property(value, property.Name),
                    MethodAccessor method => VtlValues.Invoke(value, method.Name, method.Arguments.Select(Evaluate).ToList()),
                    IndexAccessor index => VtlValues.Index(value, Evaluate(index.Index)),
                    _ => null,
                };
            }
            return value;
        }
    }
}

/// <summary>How Velocity (on the JVM) treats values: truth, text, arithmetic, and Java's collection and string methods.</summary>
public static class VtlValues
{
    public static bool IsTrue(object? value) => value switch
    {
        null => false,
        bool b => b,
        _ => true,
    };

    public static string ToText(object? value) => value switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        long n => n.ToString(CultureInfo.InvariantCulture),
        int n => n.ToString(CultureInfo.InvariantCulture),
        double d => double.IsInteger(d) && Math.Abs(d) < 1e7 ? d.ToString("0.0", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture),
        List<object?> list => "[" + string.Join(", ", list.Select(ToText)) + "]",
        Dictionary<string, object?> map => "{" + string.Join(", ", map.Select(e => e.Key + "=" + ToText(e.Value))) + "}",
        _ => value.ToString() ?? "",
    };

    public static long? AsLong(object? value) => value switch
    {
        long n => n,
        int n => n,
        double d when double.IsInteger(d) => (long)d,
        string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };

    private static double? AsDouble(object? value) => value switch
    {
        long n => n,
        int n => n,
        double d => d,
        _ => null,
    };

    public static IEnumerable<object?> Iterate(object? value) => value switch
    {
        List<object?> list => list.ToList(),
        Dictionary<string, object?> map => map.Values.ToList(),
        null => [],
        _ => [value],
    };

    public static object? Binary(string op, object? left, object? right) => op switch
    {
        "==" => AreEqual(left, right),
        "!=" => !AreEqual(left, right),
        "<" or ">" or "<=" or ">=" => Compare(left, right) is { } c && op switch
        {
            "<" => c < 0, ">" => c > 0, "<=" => c <= 0, _ => c >= 0,
        },
        "+" when left is string || right is string => ToText(left) + ToText(right),
        _ => Arithmetic(op, left, right),
    };

    public static object? Arithmetic(string op, object? left, object? right)
    {
        if (left is long or int && right is long or int)
        {
            long a = AsLong(left)!.Value, b = AsLong(right)!.Value;
            return op switch
            {
                "+" => a + b, "-" => a - b, "*" => a * b,
                "/" => b == 0 ? null : a / b,
                "%" => b == 0 ? null : a % b,
                _ => null,
            };
        }
        if (AsDouble(left) is not { } x || AsDouble(right) is not { } y) return null;
        return op switch
        {
            "+" => x + y, "-" => x - y, "*" => x * y,
            "/" => y == 0 ? null : x / y,
            "%" => y == 0 ? null : x % y,
            _ => null,
        };
    }

    private static bool AreEqual(object? left, object? right)
    {
        if (left is null || right is null) return left is null && right is null;
        if (AsDouble(left) is { } x && AsDouble(right) is { } y) return x == y;
        return ToText(left) == ToText(right);
    }

    private static int? Compare(object? left, object? right)
    {
        if (AsDouble(left) is { } x && AsDouble(right) is { } y) return x.CompareTo(y);
        if (left is string a && right is string b) return string.CompareOrdinal(a, b);
        return null;
    }

    public static object? Property(object value, string name) => value switch
    {
        IVtlObject host => host.TryGetProperty(name, out var v) ? v : null,
        Dictionary<string, object?> map => map.GetValueOrDefault(name),
        string s when name == "empty" => s.Length == 0,
        List<object?> list when name == "empty" => list.Count == 0,
        _ => null,
    };

    public static object? Index(object value, object? index) => value switch
    {
        List<object?> list => AsLong(index) is { } i && i >= 0 && i < list.Count ? list[(int)i] : null,
        Dictionary<string, object?> map => map.GetValueOrDefault(ToText(index)),
        _ => null,
    };

    public static object? Invoke(object value, string name, IReadOnlyList<object?> args)
    {
        switch (value)
        {
            case IVtlObject host:
                return host.TryInvoke(name, args, out var result) ? result : null;
            case string s:
                return StringMethod(s, name, args);
            case List<object?> list:
                return ListMethod(list, name, args);
            case Dictionary<string, object?> map:
                return MapMethod(map, name, args);
        }
        return name switch
        {
            "toString" => ToText(value),
            "equals" => args.Count == 1 && AreEqual(value, args[0]),
            "intValue" or "longValue" => AsLong(value) ?? (AsDouble(value) is { } d ? (long)d : null),
            "doubleValue" => AsDouble(value),
            _ => null,
        };
    }

    private static object? StringMethod(string s, string name, IReadOnlyList<object?> args)
    {
        string Arg(int i) => ToText(args[i]);
        int Int(int i) => (int)(AsLong(args[i]) ?? 0);
        return (name, args.Count) switch
        {
            ("length", 0) => (long)s.Length,
            ("isEmpty", 0) => s.Length == 0,
            ("toString", 0) => s,
            ("trim", 0) => s.Trim(),
            ("toLowerCase", 0) => s.ToLowerInvariant(),
            ("toUpperCase", 0) => s.ToUpperInvariant(),
            ("contains", 1) => s.Contains(Arg(0), StringComparison.Ordinal),
            ("startsWith", 1) => s.StartsWith(Arg(0), StringComparison.Ordinal),
            ("endsWith", 1) => s.EndsWith(Arg(0), StringComparison.Ordinal),
            ("equals", 1) => args[0] is not null && s == Arg(0),
            ("equalsIgnoreCase", 1) => args[0] is not null && string.Equals(s, Arg(0), StringComparison.OrdinalIgnoreCase),
            ("indexOf", 1) => (long)s.IndexOf(Arg(0), StringComparison.Ordinal),
            ("lastIndexOf", 1) => (long)s.LastIndexOf(Arg(0), StringComparison.Ordinal),
            ("charAt", 1) when Int(0) >= 0 && Int(0) < s.Length => s[Int(0)].ToString(),
            ("substring", 1) when Int(0) >= 0 && Int(0) <= s.Length => s[Int(0)..],
            ("substring", 2) when Int(0) >= 0 && Int(0) <= Int(1) && Int(1) <= s.Length => s[Int(0)..Int(1)],
            ("replace", 2) => Arg(0).Length == 0 ? s : s.Replace(Arg(0), Arg(1), StringComparison.Ordinal),
            ("replaceAll", 2) => Regex.Replace(s, Arg(0), Arg(1)),
            ("replaceFirst", 2) => new Regex(Arg(0)).Replace(s, Arg(1), 1),
            ("matches", 1) => Regex.IsMatch(s, "^(?:" + Arg(0) + ")$"),
            ("split", 1) => JavaSplit(s, Arg(0)),
            ("concat", 1) => s + Arg(0),
            _ => null,
        };
    }

    /// <summary>Java's String.split: a regex, trailing empty strings dropped.</summary>
    private static List<object?> JavaSplit(string s, string pattern)
    {
        var parts = Regex.Split(s, pattern).ToList();
        if (parts.Count > 1 && parts[0].Length == 0 && Regex.Match(s, pattern) is { Success: true, Index: 0, Length: 0 }) parts.RemoveAt(0);
        while (parts.Count > 1 && parts[^1].Length == 0) parts.RemoveAt(parts.Count - 1);
        return parts.Cast<object?>().ToList();
    }

    private static object? ListMethod(List<object?> list, string name, IReadOnlyList<object?> args) => (name, args.Count) switch
    {
        ("size", 0) => (long)list.Count,
        ("isEmpty", 0) => list.Count == 0,
        ("get", 1) => Index(list, args[0]),
        ("contains", 1) => list.Any(item => AreEqual(item, args[0])),
        ("add", 1) => Mutate(() => list.Add(args[0])),
        ("remove", 1) when AsLong(args[0]) is { } i && i >= 0 && i < list.Count => RemoveAt(list, (int)i),
        ("indexOf", 1) => (long)list.FindIndex(item => AreEqual(item, args[0])),
        ("toString", 0) => ToText(list),
        _ => null,
    };

    private static object? RemoveAt(List<object?> list, int index)
    {
        var removed = list[index];
        list.RemoveAt(index);
        return removed;
    }

    private static object? MapMethod(Dictionary<string, object?> map, string name, IReadOnlyList<object?> args) => (name, args.Count) switch
    {
        ("get", 1) => map.GetValueOrDefault(ToText(args[0])),
        ("containsKey", 1) => map.ContainsKey(ToText(args[0])),
        ("put", 2) => Put(map, ToText(args[0]), args[1]),
        ("remove", 1) => map.Remove(ToText(args[0]), out var removed) ? removed : null,
        ("keySet", 0) => map.Keys.Cast<object?>().ToList(),
        ("values", 0) => map.Values.ToList(),
        ("entrySet", 0) => map.Select(e => (object?)new Dictionary<string, object?> { ["key"] = e.Key, ["value"] = e.Value }).ToList(),
        ("size", 0) => (long)map.Count,
        ("isEmpty", 0) => map.Count == 0,
        ("toString", 0) => ToText(map),
        _ => null,
    };

    private static object? Put(Dictionary<string, object?> map, string key, object? value)
    {
        var previous = map.GetValueOrDefault(key);
        map[key] = value;
        return previous;
    }

    // Java's add returns true; Velocity prints it when the call is used as a reference, so templates use #set or $!.
    private static object? Mutate(Action change)
    {
        change();
        return true;
    }
}
