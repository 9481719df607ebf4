using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using static Stratus.Services.CloudFormation.Templates.LanguageExtensions.LanguageExtensionsTransform;

namespace Stratus.Services.CloudFormation.Templates.LanguageExtensions;

/// <summary>
/// Evaluates intrinsic functions as AWS::LanguageExtensions does, before any resource exists: from the template's
/// parameter values, mappings, conditions and the pseudo parameters known then (AWS::AccountId, AWS::Region,
/// AWS::Partition). A Ref or Fn::GetAtt of a resource, Fn::ImportValue, and the stack's own name or id cannot be resolved
/// then; where the transform needs a value (a loop's collection, Fn::Length, Fn::ToJsonString, a DeletionPolicy) that is
/// its failure.
/// </summary>
internal sealed class StaticResolver(JsonObject root, IReadOnlyDictionary<string, string> parameterValues, string accountId, string region)
{
    private readonly Dictionary<string, bool> _conditions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _evaluatingConditions = new(StringComparer.Ordinal);
    private IReadOnlyList<ParameterDefinition>? _parameters;
    private long _producedCharacters;

    /// <summary>ToJsonString's text: compact, and without escaping characters JSON allows as they are (AWS writes &lt; and é plainly).</summary>
    private static readonly JsonSerializerOptions JsonText = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Thrown inside evaluation when a value is not known before the stack's resources are; the caller decides if that fails the transform.</summary>
    private sealed class Unresolvable(string reason) : Exception(reason);

    public static bool IsNoValue(JsonNode? node) =>
        node is JsonObject { Count: 1 } o && o["Ref"] is JsonValue v && v.TryGetValue<string>(out var name) && name == PseudoParameters.NoValue;

    /// <summary>
    /// A section's content with the transform's own functions and forms replaced by plain CloudFormation; other intrinsic
    /// functions stay for the stack engine.
    /// </summary>
    public JsonNode? Rewrite(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj when FunctionName(obj) is { } function:
                var argument = obj.First().Value;
                switch (function)
                {
                    case "Fn::Length":
                        return JsonValue.Create(Length(argument));
                    case "Fn::ToJsonString":
                        return JsonValue.Create(Resolved(() => ToJsonString(argument), "Fn::ToJsonString"));
                    case "Fn::FindInMap" when argument is JsonArray { Count: 4 } || (argument is JsonArray { Count: 3 } keys && keys.Any(k => k is not JsonValue)):
                        return FindInMapRewritten((JsonArray)argument);
                    case "Ref" when argument is not JsonValue:
                        return new JsonObject { ["Ref"] = ResolveText(argument, "Ref") };
                    case "Fn::GetAtt" when argument is JsonArray { Count: 2 } pair && pair[0] is not JsonValue:
                        return new JsonObject { ["Fn::GetAtt"] = new JsonArray(ResolveText(pair[0], "Fn::GetAtt"), Rewrite(pair[1])) };
                    default:
                        return new JsonObject { [function] = Rewrite(argument) };
                }
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (key, child) in obj) result[key] = Rewrite(child);
                return result;
            case JsonArray array:
                return new JsonArray(array.Select(Rewrite).ToArray());
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>The value, every intrinsic function in it evaluated; the transform fails naming <paramref name="what"/> when one cannot be.</summary>
    public JsonNode? Resolve(JsonNode? node, string what) => Resolved(() => Eval(node), what);

    public string ResolveText(JsonNode? node, string what) => Text(Resolve(node, what), what);

    public List<string> ResolveList(JsonNode? node, string what) => Resolve(node, what) is JsonArray list && list.All(i => i is JsonValue)
        ? list.Select(i => Text(i, what)).ToList()
        : throw Failed($"{what} must resolve to a list of strings.");

    private static T Resolved<T>(Func<T> evaluate, string what)
    {
        try
        {
            return evaluate();
        }
        catch (Unresolvable e)
        {
            throw Failed($"{what} cannot be resolved before the stack's resources exist: {e.Message}.");
        }
    }

    /// <summary>The function a single-key object calls (Ref, Condition or any Fn:: name; the transform's own included).</summary>
    private static string? FunctionName(JsonObject obj)
    {
        if (obj.Count != 1) return null;
        var key = obj.First().Key;
        return key is "Ref" or "Condition" || (key.StartsWith("Fn::", StringComparison.Ordinal) && !IsLoop(key)) ? key : null;
    }

    private int Length(JsonNode? argument) => argument switch
    {
        // The items are counted, not evaluated: AWS counts [1, {"Ref": "Resource"}, 3] as 3.
        JsonArray list => list.Count,
        JsonObject => (Resolve(argument, "Fn::Length") as JsonArray ?? throw Layout("Fn::Length")).Count,
        _ => throw Layout("Fn::Length"),
    };

    private string ToJsonString(JsonNode? argument) =>
        Eval(argument) is var value && value is JsonObject or JsonArray ? Produced(value.ToJsonString(JsonText)) : throw Layout("Fn::ToJsonString");

    /// <summary>Fn::FindInMap with a DefaultValue or intrinsic keys: the mapped value, or the default when a key is absent.</summary>
    private JsonNode? FindInMapRewritten(JsonArray arguments)
    {
        if (arguments.Count == 3)
        {
            try
            {
                return Rewrite(FindInMap(arguments));
            }
            catch (Unresolvable)
            {
                // Keys only the stack engine knows: left for it, their own functions rewritten.
                return new JsonObject { ["Fn::FindInMap"] = Rewrite(arguments) };
            }
        }
        return Resolved(() => Rewrite(FindInMap(arguments)), "Fn::FindInMap");
    }

    /// <summary>The mapped value (unevaluated, as the Mappings section holds it), or the DefaultValue when a level is absent.</summary>
    private JsonNode? FindInMap(JsonArray arguments)
    {
        if (arguments.Count is not (3 or 4)) throw Layout("Fn::FindInMap");
        JsonNode? fallback = null;
        if (arguments.Count == 4)
            fallback = arguments[3] is JsonObject { Count: 1 } d && d.TryGetPropertyValue("DefaultValue", out var given) ? given : throw Layout("Fn::FindInMap");
        var map = Text(Eval(arguments[0]), "Fn::FindInMap");
        var top = Text(Eval(arguments[1]), "Fn::FindInMap");
        var second = Text(Eval(arguments[2]), "Fn::FindInMap");
        if (root["Mappings"]?[map] is JsonObject mapping && mapping[top] is JsonObject level && level.TryGetPropertyValue(second, out var value))
            return value?.DeepClone();
        if (arguments.Count == 4) return fallback?.DeepClone();
        if (root["Mappings"]?[map] is not JsonObject)
            throw TemplateError.Evaluation($"Mapping named '{map}' is not present in the 'Mappings' section of template.");
        throw TemplateError.Evaluation($"Unable to get mapping for {map}::{top}::{second}");
    }

    private JsonNode? Eval(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonValue value:
                return value.DeepClone();
            case JsonArray list:
                return new JsonArray(list.Select(Eval).Where(n => !IsNoValue(n)).ToArray());
            case JsonObject obj when FunctionName(obj) is { } function:
                return Call(function, obj.First().Value);
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (key, child) in obj)
                    if (Eval(child) is var evaluated && !IsNoValue(evaluated)) result[key] = evaluated;
                return result;
            default:
                return null;
        }
    }

    private JsonNode? Call(string function, JsonNode? argument) => function switch
    {
        "Ref" => Ref(Text(Eval(argument), "Ref")),
        "Fn::Sub" => Sub(argument),
        "Fn::Join" => Join(argument),
        "Fn::Select" => Select(argument),
        "Fn::Split" => Split(argument),
        "Fn::If" => Arguments(argument, function, 3) is var branches && Condition(Text(branches[0], function)) ? Eval(branches[1]) : Eval(branches[2]),
        "Fn::Equals" or "Fn::And" or "Fn::Or" or "Fn::Not" or "Condition" => JsonValue.Create(ConditionValue(new JsonObject { [function] = argument?.DeepClone() })),
        "Fn::FindInMap" => Eval(FindInMap(argument as JsonArray ?? throw Layout(function))),
        "Fn::Base64" => JsonValue.Create(Produced(Convert.ToBase64String(Encoding.UTF8.GetBytes(Text(Eval(argument), function))))),
        "Fn::GetAZs" => PseudoParameters.AvailabilityZones(Text(Eval(argument), function) is { Length: > 0 } named ? named : region),
        "Fn::Length" => JsonValue.Create(Length(argument)),
        "Fn::ToJsonString" => JsonValue.Create(ToJsonString(argument)),
        _ => throw new Unresolvable($"{function} is evaluated only as the stack's resources are created"),
    };

    private JsonNode? Ref(string name)
    {
        switch (name)
        {
            case PseudoParameters.NoValue: return new JsonObject { ["Ref"] = name };
            case "AWS::AccountId": return JsonValue.Create(accountId);
            case "AWS::Region": return JsonValue.Create(region);
            case "AWS::Partition": return JsonValue.Create("aws");
        }
        if (PseudoParameters.IsPseudo(name)) throw new Unresolvable($"{name} is known only to the stack");
        _parameters ??= ParameterDefinition.ReadAll(root["Parameters"] as JsonObject ?? []);
        if (_parameters.FirstOrDefault(p => p.Name == name) is not { } parameter)
            throw new Unresolvable(root["Resources"] is JsonObject resources && resources.ContainsKey(name) ? $"{name} is a resource" : $"{name} is not declared");
        var value = parameterValues.GetValueOrDefault(name) ?? parameter.Default;
        return value is not null ? parameter.Typed(value) : throw TemplateError.Validation($"Parameters: [{name}] must have values");
    }

    private JsonNode Sub(JsonNode? argument)
    {
        var (text, variables) = argument switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => (s, new JsonObject()),
            JsonArray { Count: 2 } pair when pair[0] is JsonValue v && v.TryGetValue<string>(out var s) && pair[1] is JsonObject map => (s, map),
            _ => throw Layout("Fn::Sub"),
        };
        var values = variables.ToDictionary(p => p.Key, p => Text(Eval(p.Value), "Fn::Sub"), StringComparer.Ordinal);
        return JsonValue.Create(Produced(Intrinsics.SubVariable().Replace(text, match =>
        {
            var name = match.Groups[1].Value.Trim();
            if (name.StartsWith('!')) return "${" + name[1..] + "}";
            if (values.TryGetValue(name, out var value)) return value;
            if (name.Contains('.') && !PseudoParameters.IsPseudo(name)) throw new Unresolvable($"${{{name}}} is a resource's attribute");
            return Text(Ref(name), "Fn::Sub");
        })));
    }

    private JsonNode Join(JsonNode? argument)
    {
        var args = Arguments(argument, "Fn::Join", 2);
        var delimiter = Text(Eval(args[0]), "Fn::Join");
        if (Eval(args[1]) is not JsonArray items) throw Layout("Fn::Join");
        return JsonValue.Create(Produced(string.Join(delimiter, items.Select(i => Text(i, "Fn::Join")))));
    }

    private JsonNode? Select(JsonNode? argument)
    {
        var args = Arguments(argument, "Fn::Select", 2);
        if (!int.TryParse(Text(Eval(args[0]), "Fn::Select"), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || Eval(args[1]) is not JsonArray list)
            throw Layout("Fn::Select");
        return index < list.Count ? list[index]?.DeepClone() : throw Failed($"Fn::Select cannot select nonexistent value at index {index}");
    }

    private JsonNode Split(JsonNode? argument)
    {
        var args = Arguments(argument, "Fn::Split", 2);
        var delimiter = Text(Eval(args[0]), "Fn::Split");
        if (delimiter.Length == 0) throw Layout("Fn::Split");
        return new JsonArray(Text(Eval(args[1]), "Fn::Split").Split(delimiter).Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
    }

    private bool Condition(string name)
    {
        if (_conditions.TryGetValue(name, out var known)) return known;
        if (root["Conditions"] is not JsonObject conditions || !conditions.TryGetPropertyValue(name, out var definition))
            throw TemplateError.Format($"Unresolved condition dependency {name}");
        if (_evaluatingConditions.Count >= TemplateEvaluator.MaxConditionChain)
            throw TemplateError.Format($"Conditions refer to one another more than {TemplateEvaluator.MaxConditionChain} deep (at {name}).");
        if (!_evaluatingConditions.Add(name)) throw TemplateError.Format($"Circular dependency between conditions: [{name}]");
        var value = ConditionValue(definition);
        _evaluatingConditions.Remove(name);
        return _conditions[name] = value;
    }

    private bool ConditionValue(JsonNode? node)
    {
        if (node is JsonObject obj && FunctionName(obj) is { } function)
        {
            var argument = obj.First().Value;
            switch (function)
            {
                case "Condition": return Condition(Text(argument, function));
                case "Fn::Equals":
                    var pair = Arguments(argument, function, 2);
                    return Text(Eval(pair[0]), function) == Text(Eval(pair[1]), function);
                case "Fn::Not": return !ConditionValue(Arguments(argument, function, 1)[0]);
                case "Fn::And" or "Fn::Or":
                    if (argument is not JsonArray { Count: >= 2 and <= 10 } list) throw Layout(function);
                    var values = list.Select(ConditionValue).ToList();
                    return function == "Fn::And" ? values.All(c => c) : values.Any(c => c);
            }
        }
        return Eval(node) is JsonValue v && (v.GetValueKind() == JsonValueKind.True || (v.TryGetValue<string>(out var s) && s == "true"));
    }

    /// <summary>Counts the text functions build against the stack engine's own bound: a 4 KB parameter substituted many times is not a 1 MB template.</summary>
    private string Produced(string text) =>
        (_producedCharacters += text.Length) > TemplateEvaluator.MaxProducedCharacters
            ? throw Failed($"the template's functions build more than {TemplateEvaluator.MaxProducedCharacters} characters.")
            : text;

    private static JsonArray Arguments(JsonNode? argument, string function, int count) =>
        argument is JsonArray list && list.Count == count ? list : throw Layout(function);

    private static string Text(JsonNode? node, string what) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "true",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "false",
        JsonValue v => v.ToJsonString(),
        null => "",
        _ when IsNoValue(node) => throw Failed($"AWS::NoValue cannot be used in {what}"),
        _ => throw Failed($"{what} expects a string, got {node.ToJsonString()}"),
    };
}
