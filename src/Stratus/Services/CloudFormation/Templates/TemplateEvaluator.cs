using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Services.CloudFormation.Templates;

/// <summary>What a created resource answers to Ref and Fn::GetAtt.</summary>
public sealed record ResourceValues(string Ref, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// Evaluates intrinsic functions in one stack's context: its parameters, pseudo parameters, conditions,
/// mappings, the resources created so far and the exports of other stacks.
/// </summary>
public sealed class TemplateEvaluator
{
    private readonly Template _template;
    private readonly IReadOnlyDictionary<string, string> _parameters;
    private readonly PseudoParameters _pseudo;
    private readonly Func<string, ResourceValues?> _resources;
    private readonly Func<string, string?> _exports;
    /// <summary>
    /// Guards <see cref="_conditions"/> and <see cref="_evaluatingConditions"/>: the stack engine evaluates resources in
    /// parallel with one evaluator, and a condition is evaluated once, by one thread, with its whole chain.
    /// </summary>
    private readonly Lock _conditionGate = new();
    private readonly Dictionary<string, bool> _conditions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _evaluatingConditions = new(StringComparer.Ordinal);
    private long _producedCharacters;

    /// <summary>
    /// How much text Fn::Sub, Fn::Join and Fn::Base64 may build in one stack operation. A template is at
    /// most 51,200 bytes, but substituting a 4,096-character parameter ten thousand times is not.
    /// </summary>
    public const long MaxProducedCharacters = 16 * 1024 * 1024;

    /// <summary>
    /// How many conditions may wait on one another ({"Condition": name} chains): each link recurses, and
    /// a 51,200-byte template can chain two thousand of them.
    /// </summary>
    public const int MaxConditionChain = 200;

    /// <summary>Stands for AWS::NoValue while evaluating; the property or list item holding it disappears.</summary>
    private static readonly JsonValue NoValue = JsonValue.Create("\u0000" + PseudoParameters.NoValue);

    public TemplateEvaluator(Template template, IReadOnlyDictionary<string, string> parameters, PseudoParameters pseudo,
        Func<string, ResourceValues?> resources, Func<string, string?> exports)
    {
        _template = template;
        _parameters = parameters;
        _pseudo = pseudo;
        _resources = resources;
        _exports = exports;
    }

    public JsonNode? Evaluate(JsonNode? node)
    {
        var result = Eval(node);
        return ReferenceEquals(result, NoValue) ? null : result;
    }

    public string EvaluateString(JsonNode? node, string what) => Stringify(Eval(node), what);

    public bool IsIncluded(string? condition) => condition is null || Condition(condition);

    public bool Condition(string name)
    {
        lock (_conditionGate) return EvaluateCondition(name);
    }

    private bool EvaluateCondition(string name)
    {
        if (_conditions.TryGetValue(name, out var known)) return known;
        if (!_template.Conditions.TryGetPropertyValue(name, out var definition))
            throw TemplateError.Format($"Unresolved condition dependency {name}");
        if (_evaluatingConditions.Count >= MaxConditionChain)
            throw TemplateError.Format($"Conditions refer to one another more than {MaxConditionChain} deep (at {name}).");
        if (!_evaluatingConditions.Add(name)) throw TemplateError.Format($"Circular dependency between conditions: [{name}]");
        var value = ConditionValue(definition);
        _evaluatingConditions.Remove(name);
        return _conditions[name] = value;
    }

    private bool ConditionValue(JsonNode? node)
    {
        if (node is JsonObject obj && Intrinsics.FunctionOf(obj) is { } function)
        {
            var argument = obj.First().Value;
            switch (function)
            {
                case "Condition": return Condition(Template.Text(argument!));
                case "Fn::Equals":
                    var pair = Arguments(argument, "Fn::Equals", 2);
                    return Stringify(Eval(pair[0]), "Fn::Equals") == Stringify(Eval(pair[1]), "Fn::Equals");
                case "Fn::Not": return !ConditionValue(Arguments(argument, "Fn::Not", 1)[0]);
                case "Fn::And": return Conditions(argument, "Fn::And").All(c => c);
                case "Fn::Or": return Conditions(argument, "Fn::Or").Any(c => c);
            }
        }
        var value = Eval(node);
        return value is JsonValue v && (v.GetValueKind() == JsonValueKind.True || (v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == "true"));
    }

    private List<bool> Conditions(JsonNode? argument, string function)
    {
        if (argument is not JsonArray { Count: >= 2 and <= 10 } list)
            throw TemplateError.Evaluation($"{function} requires a list of 2 to 10 conditions");
        return list.Select(ConditionValue).ToList();
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
                return new JsonArray(list.Select(Eval).Where(n => !ReferenceEquals(n, NoValue)).ToArray());
            case JsonObject obj:
                if (Intrinsics.FunctionOf(obj) is { } function && function != "Condition") return Call(function, obj.First().Value);
                var result = new JsonObject();
                foreach (var (key, child) in obj)
                {
                    var evaluated = Eval(child);
                    if (!ReferenceEquals(evaluated, NoValue)) result[key] = evaluated;
                }
                return result;
            default:
                return null;
        }
    }

    private JsonNode? Call(string function, JsonNode? argument) => function switch
    {
        "Ref" => Ref(Template.Text(argument!)),
        "Fn::GetAtt" => GetAtt(argument),
        "Fn::Sub" => Sub(argument),
        "Fn::Join" => Join(argument),
        "Fn::Select" => Select(argument),
        "Fn::Split" => Split(argument),
        "Fn::If" => If(argument),
        "Fn::Equals" or "Fn::And" or "Fn::Or" or "Fn::Not" => JsonValue.Create(ConditionValue(new JsonObject { [function] = argument?.DeepClone() })),
        "Fn::FindInMap" => FindInMap(argument),
        "Fn::GetAZs" => PseudoParameters.AvailabilityZones(Stringify(Eval(argument), "Fn::GetAZs") is { Length: > 0 } region ? region : _pseudo.Region),
        "Fn::Base64" => Produced(Convert.ToBase64String(Encoding.UTF8.GetBytes(Stringify(Eval(argument), "Fn::Base64"))), function),
        "Fn::ImportValue" => ImportValue(Stringify(Eval(argument), "Fn::ImportValue")),
        "Fn::Cidr" => Cidr(argument),
        _ => throw TemplateError.Evaluation($"encountered unsupported function: {function}"),
    };

    private JsonNode? Ref(string name)
    {
        if (name == PseudoParameters.NoValue) return NoValue;
        if (PseudoParameters.IsPseudo(name)) return _pseudo.Value(name);
        if (_template.Parameter(name) is { } parameter)
            return _parameters.TryGetValue(name, out var value) ? parameter.Typed(value) : throw TemplateError.Validation($"Parameters: [{name}] must have values");
        if (_template.Resources.ContainsKey(name))
            return _resources(name)?.Ref ?? throw TemplateError.Evaluation($"resource {name} is not available to Ref yet");
        throw TemplateError.Format($"Unresolved resource dependencies [{name}] in the Resources block of the template");
    }

    private JsonNode GetAtt(JsonNode? argument)
    {
        var (target, attribute) = argument switch
        {
            JsonArray { Count: 2 } pair => (Template.Text(pair[0]!), Stringify(Eval(pair[1]), "Fn::GetAtt")),
            JsonValue dotted when Template.Text(dotted).Split('.', 2) is [var t, var a] => (t, a),
            _ => throw TemplateError.Evaluation("every Fn::GetAtt object requires two non-empty parameters."),
        };
        return Attribute(target, attribute);
    }

    private JsonNode Attribute(string target, string attribute)
    {
        if (!_template.Resources.TryGetValue(target, out var resource))
            throw TemplateError.Evaluation($"instance of Fn::GetAtt references undefined resource {target}");
        var values = _resources(target) ?? throw TemplateError.Evaluation($"resource {target} is not available to Fn::GetAtt yet");
        return values.Attributes.TryGetValue(attribute, out var value)
            ? JsonValue.Create(value)
            : throw TemplateError.Evaluation($"resource {target} ({resource.Type}) does not support attribute type {attribute} in Fn::GetAtt");
    }

    private JsonNode Sub(JsonNode? argument)
    {
        var (text, variables) = argument switch
        {
            JsonValue v => (Template.Text(v), new JsonObject()),
            JsonArray { Count: 2 } pair when pair[0] is JsonValue v && pair[1] is JsonObject map => (Template.Text(v), map),
            _ => throw TemplateError.Evaluation("One or more Fn::Sub intrinsic functions don't specify expected arguments."),
        };
        var values = variables.ToDictionary(p => p.Key, p => Stringify(Eval(p.Value), "Fn::Sub"), StringComparer.Ordinal);
        return Produced(Intrinsics.SubVariable().Replace(text, match =>
        {
            var name = match.Groups[1].Value.Trim();
            if (name.StartsWith('!')) return "${" + name[1..] + "}";
            if (values.TryGetValue(name, out var value)) return value;
            var dot = name.IndexOf('.');
            if (dot > 0 && !PseudoParameters.IsPseudo(name))
                return Stringify(Attribute(name[..dot], name[(dot + 1)..]), "Fn::Sub");
            return Stringify(Ref(name), "Fn::Sub");
        }), "Fn::Sub");
    }

    private JsonNode Join(JsonNode? argument)
    {
        var args = Arguments(argument, "Fn::Join", 2);
        var delimiter = Stringify(Eval(args[0]), "Fn::Join");
        if (Eval(args[1]) is not JsonArray items) throw TemplateError.Evaluation("Fn::Join requires a list of values to join");
        return Produced(string.Join(delimiter, items.Select(i => Stringify(i, "Fn::Join"))), "Fn::Join");
    }

    private JsonNode? Select(JsonNode? argument)
    {
        var args = Arguments(argument, "Fn::Select", 2);
        if (!int.TryParse(Stringify(Eval(args[0]), "Fn::Select"), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            throw TemplateError.Evaluation("Fn::Select requires a non-negative integer index");
        if (Eval(args[1]) is not JsonArray list) throw TemplateError.Evaluation("Fn::Select requires a list to select from");
        if (index >= list.Count) throw TemplateError.Evaluation($"Fn::Select cannot select nonexistent value at index {index}");
        return list[index]?.DeepClone();
    }

    private JsonNode Split(JsonNode? argument)
    {
        var args = Arguments(argument, "Fn::Split", 2);
        var delimiter = Stringify(Eval(args[0]), "Fn::Split");
        if (delimiter.Length == 0) throw TemplateError.Evaluation("Fn::Split requires a non-empty delimiter");
        return new JsonArray(Stringify(Eval(args[1]), "Fn::Split").Split(delimiter).Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
    }

    private JsonNode? If(JsonNode? argument)
    {
        var args = Arguments(argument, "Fn::If", 3);
        return Condition(Template.Text(args[0]!)) ? Eval(args[1]) : Eval(args[2]);
    }

    private JsonNode? FindInMap(JsonNode? argument)
    {
        var args = Arguments(argument, "Fn::FindInMap", 3);
        var map = Stringify(Eval(args[0]), "Fn::FindInMap");
        var top = Stringify(Eval(args[1]), "Fn::FindInMap");
        var second = Stringify(Eval(args[2]), "Fn::FindInMap");
        if (_template.Mappings[map] is not JsonObject mapping)
            throw TemplateError.Evaluation($"Mapping named '{map}' is not present in the 'Mappings' section of template.");
        if (mapping[top] is not JsonObject level)
            throw TemplateError.Evaluation($"Unable to get mapping for {map}::{top}::{second}");
        return level.TryGetPropertyValue(second, out var value)
            ? value?.DeepClone()
            : throw TemplateError.Evaluation($"Unable to get mapping for {map}::{top}::{second}");
    }

    private JsonNode ImportValue(string name) =>
        _exports(name) is { } value ? JsonValue.Create(value) : throw TemplateError.Validation($"No export named {name} found.");

    private JsonNode Cidr(JsonNode? argument)
    {
        var args = Arguments(argument, "Fn::Cidr", 3);
        var block = Stringify(Eval(args[0]), "Fn::Cidr");
        if (!int.TryParse(Stringify(Eval(args[1]), "Fn::Cidr"), CultureInfo.InvariantCulture, out var count) || count is < 1 or > 256)
            throw TemplateError.Evaluation("Fn::Cidr requires a count between 1 and 256");
        if (!int.TryParse(Stringify(Eval(args[2]), "Fn::Cidr"), CultureInfo.InvariantCulture, out var hostBits) || hostBits is < 0 or > 32)
            throw TemplateError.Evaluation("Fn::Cidr requires cidrBits between 0 and 32");
        var parts = block.Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
            || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var prefix) || prefix is < 0 or > 32)
            throw TemplateError.Evaluation($"Fn::Cidr requires an IPv4 CIDR block, not {block}");
        var subnetPrefix = 32 - hostBits;
        if (subnetPrefix < prefix || (long)count << hostBits > 1L << (32 - prefix))
            throw TemplateError.Evaluation($"Fn::Cidr cannot fit {count} subnets of /{subnetPrefix} in {block}");
        var bytes = address.GetAddressBytes();
        var start = (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
        if (prefix < 32) start &= ~(uint.MaxValue >> prefix);
        var subnets = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            var network = start + (uint)((ulong)i << hostBits);
            subnets.Add($"{network >> 24}.{(network >> 16) & 255}.{(network >> 8) & 255}.{network & 255}/{subnetPrefix}");
        }
        return subnets;
    }

    /// <summary>Counts text an intrinsic built against <see cref="MaxProducedCharacters"/> (resources evaluate in parallel).</summary>
    private string Produced(string text, string function) =>
        Interlocked.Add(ref _producedCharacters, text.Length) > MaxProducedCharacters
            ? throw TemplateError.Evaluation($"{function} takes the template's intrinsic functions past {MaxProducedCharacters} characters of output in one stack operation.")
            : text;

    private static JsonArray Arguments(JsonNode? argument, string function, int count) =>
        argument is JsonArray list && list.Count == count
            ? list
            : throw TemplateError.Evaluation($"{function} requires a list of {count} arguments");

    public static string Stringify(JsonNode? node, string where) => node switch
    {
        JsonValue v when ReferenceEquals(v, NoValue) => throw TemplateError.Evaluation($"AWS::NoValue cannot be used in {where}"),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "true",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "false",
        JsonValue v => v.ToJsonString(),
        null => "",
        _ => throw TemplateError.Evaluation($"{where} expects a string, got {node.ToJsonString()}"),
    };
}
