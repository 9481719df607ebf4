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
/// Rendering is bounded: loops, the length of any text made, and the time taken (see the limits below).
/// </summary>
public sealed class VtlTemplate
{
    /// <summary>API Gateway stops #foreach after this many iterations.</summary>
    public const int MaxLoopIterations = 1000;

    /// <summary>API Gateway's quota on a mapping template's size: 300 KB.</summary>
    public const int MaxTemplateBytes = 300 * 1024;

    /// <summary>How long one rendering may take before it fails; a real template takes well under a millisecond.</summary>
    public static readonly TimeSpan DefaultTimeLimit = TimeSpan.FromSeconds(5);

    private readonly IReadOnlyList<VtlNode> _nodes;

    private VtlTemplate(IReadOnlyList<VtlNode> nodes) => _nodes = nodes;

    public static VtlTemplate Parse(string source)
    {
        var bytes = Encoding.UTF8.GetByteCount(source);
        if (bytes > MaxTemplateBytes)
            throw new VtlException($"the template is {bytes} bytes, over API Gateway's mapping template quota of {MaxTemplateBytes / 1024} KB");
        return new(VtlParser.Parse(source));
    }

    /// <summary>Renders the template; a template that fails or exceeds a limit throws <see cref="VtlException"/>, never anything else.</summary>
    public string Render(IReadOnlyDictionary<string, object?> variables, TimeSpan? timeLimit = null)
    {
        var scope = new Dictionary<string, object?>(variables, StringComparer.Ordinal);
        var output = new StringBuilder();
        try
        {
            new Evaluator(scope, output, Environment.TickCount64 + (long)(timeLimit ?? DefaultTimeLimit).TotalMilliseconds).Run(_nodes);
        }
        catch (Exception e) when (e is ArgumentException or ArithmeticException or FormatException or InvalidOperationException
                                       or RegexMatchTimeoutException or InsufficientExecutionStackException)
        {
            // What a template's Java methods would have thrown (bad regex, division overflow, too little stack) is the template's failure.
            throw new VtlException($"the template failed: {e.Message}");
        }
        return output.ToString();
    }

    /// <summary>All the new text one rendering may make, in characters: a few payloads' worth.</summary>
    public const long MaxTextMade = 8L * VtlValues.MaxTextLength;

    private enum Flow { Normal, Break, Stop }

    private sealed class Evaluator(Dictionary<string, object?> scope, StringBuilder output, long deadline)
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

        private void Write(string text)
        {
            if (output.Length + text.Length > VtlValues.MaxTextLength) throw VtlValues.TooLong();
            output.Append(text);
        }

        private void CheckTime()
        {
            if (Environment.TickCount64 > deadline) throw new VtlException("the template took too long to evaluate");
        }

        private Flow Run(VtlNode node)
        {
            switch (node)
            {
                case TextNode text:
                    Write(text.Text);
                    break;
                case ReferenceNode reference:
                    var value = Evaluate(reference.Reference);
                    if (value is not null) Write(VtlValues.ToText(value));
                    else if (!reference.Silent && reference.Reference.Accessors.Count == 0) Write(reference.Source);
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
                    CheckTime();
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
                    VtlValues.Put(map, VtlValues.ToText(key), value);
                    break;
                case List<object?> list when VtlValues.AsLong(key) is { } i && i >= 0 && i < list.Count:
                    list[(int)i] = value;
                    break;
            }
        }

        private long _textMade;

        /// <summary>
        /// An expression's value. Text longer than a payload can carry is refused as soon as it is made, and
        /// so is a template that keeps making new text (joining, interpolating, calling methods) past a
        /// budget, so strings held in variables and lists cannot pile up either.
        /// </summary>
        private object? Evaluate(VtlExpr expr)
        {
            var value = EvaluateUnchecked(expr);
            if (value is not string text) return value;
            if (text.Length > VtlValues.MaxTextLength) throw VtlValues.TooLong();
            if (expr is InterpolatedExpr or BinaryExpr or ReferenceExpr { Accessors: [.., MethodAccessor] }
                && (_textMade += text.Length) > MaxTextMade)
                throw new VtlException($"the template made more than {MaxTextMade} characters of text in all");
            return value;
        }

        private object? EvaluateUnchecked(VtlExpr expr) => expr switch
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
    /// <summary>The longest text a template may make or print: API Gateway's 10 MB payload quota, counted in characters.</summary>
    public const int MaxTextLength = 10 * 1024 * 1024;

    /// <summary>How deep lists and maps may nest to be printed; deeper (or containing themselves) is a template error.</summary>
    public const int MaxPrintDepth = 100;

    /// <summary>A regex from a template (replaceAll, matches, split) gets this long per call.</summary>
    private static readonly TimeSpan RegexTimeLimit = TimeSpan.FromSeconds(1);

    /// <summary>How many items a template may gather into one list or map.</summary>
    public const int MaxCollectionSize = 100_000;

    public static VtlException TooLong() => new($"the template made text longer than {MaxTextLength} characters, API Gateway's 10 MB payload quota");

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
        List<object?> or Dictionary<string, object?> => Print(value),
        _ => value.ToString() ?? "",
    };

    /// <summary>A list as Java prints it ("[a, b]"), a map as "{k=v}": bounded in depth and in length.</summary>
    private static string Print(object collection)
    {
        var text = new StringBuilder();
        void Append(object? value, int depth)
        {
            if (depth > MaxPrintDepth) throw new VtlException($"a list or map nested deeper than {MaxPrintDepth} levels (or holding itself) cannot be printed");
            switch (value)
            {
                case List<object?> list:
                    text.Append('[');
                    for (var i = 0; i < list.Count; i++)
                    {
                        if (i > 0) text.Append(", ");
                        Append(list[i], depth + 1);
                    }
                    text.Append(']');
                    break;
                case Dictionary<string, object?> map:
                    text.Append('{');
                    var first = true;
                    foreach (var (key, item) in map)
                    {
                        if (!first) text.Append(", ");
                        first = false;
                        text.Append(key).Append('=');
                        Append(item, depth + 1);
                    }
                    text.Append('}');
                    break;
                default:
                    text.Append(ToText(value));
                    break;
            }
            if (text.Length > MaxTextLength) throw TooLong();
        }
        Append(collection, 0);
        return text.ToString();
    }

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
        "+" when left is string || right is string => Concat(ToText(left), ToText(right)),
        _ => Arithmetic(op, left, right),
    };

    private static string Concat(string left, string right) =>
        (long)left.Length + right.Length > MaxTextLength ? throw TooLong() : left + right;

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
            ("replace", 2) => Replace(s, Arg(0), Arg(1)),
            ("replaceAll", 2) => RegexReplace(s, Arg(0), Arg(1), -1),
            ("replaceFirst", 2) => RegexReplace(s, Arg(0), Arg(1), 1),
            ("matches", 1) => Regex.IsMatch(s, "^(?:" + Arg(0) + ")$", RegexOptions.None, RegexTimeLimit),
            ("split", 1) => JavaSplit(s, Arg(0)),
            ("concat", 1) => Concat(s, Arg(0)),
            _ => null,
        };
    }

    /// <summary>String.replace, refused before it is made when the result would be longer than any payload.</summary>
    private static string Replace(string s, string target, string replacement)
    {
        if (target.Length == 0) return s;
        if (replacement.Length > target.Length)
        {
            long count = 0;
            for (var at = s.IndexOf(target, StringComparison.Ordinal); at >= 0; at = s.IndexOf(target, at + target.Length, StringComparison.Ordinal)) count++;
            if (s.Length + count * (replacement.Length - target.Length) > MaxTextLength) throw TooLong();
        }
        return s.Replace(target, replacement, StringComparison.Ordinal);
    }

    /// <summary>replaceAll and replaceFirst: the result is built match by match, so it stops at the bound.</summary>
    private static string RegexReplace(string s, string pattern, string replacement, int count)
    {
        var result = new StringBuilder();
        var copied = 0;
        var replaced = 0;
        // Each Match and NextMatch gets the regex time limit of its own, however long the whole replacement takes.
        for (var match = new Regex(pattern, RegexOptions.None, RegexTimeLimit).Match(s); match.Success && replaced != count; match = match.NextMatch(), replaced++)
        {
            var substitute = match.Result(replacement);
            if ((long)result.Length + (match.Index - copied) + substitute.Length > MaxTextLength) throw TooLong();
            result.Append(s, copied, match.Index - copied).Append(substitute);
            copied = match.Index + match.Length;
        }
        if ((long)result.Length + (s.Length - copied) > MaxTextLength) throw TooLong();
        return result.Append(s, copied, s.Length - copied).ToString();
    }

    /// <summary>Java's String.split: a regex, trailing empty strings dropped.</summary>
    private static List<object?> JavaSplit(string s, string pattern)
    {
        var regex = new Regex(pattern, RegexOptions.None, RegexTimeLimit);
        var parts = regex.Split(s).ToList();
        if (parts.Count > 1 && parts[0].Length == 0 && regex.Match(s) is { Success: true, Index: 0, Length: 0 }) parts.RemoveAt(0);
        while (parts.Count > 1 && parts[^1].Length == 0) parts.RemoveAt(parts.Count - 1);
        return parts.Cast<object?>().ToList();
    }

    private static object? ListMethod(List<object?> list, string name, IReadOnlyList<object?> args) => (name, args.Count) switch
    {
        ("size", 0) => (long)list.Count,
        ("isEmpty", 0) => list.Count == 0,
        ("get", 1) => Index(list, args[0]),
        ("contains", 1) => list.Any(item => AreEqual(item, args[0])),
        ("add", 1) => list.Count >= MaxCollectionSize ? throw TooMany() : Mutate(() => list.Add(args[0])),
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

    private static VtlException TooMany() => new($"a list or map in the template grew past {MaxCollectionSize} items");

    public static object? Put(Dictionary<string, object?> map, string key, object? value)
    {
        if (map.Count >= MaxCollectionSize && !map.ContainsKey(key)) throw TooMany();
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
