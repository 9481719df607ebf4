using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stratus.Services.CloudFormation.Templates;

/// <summary>A template parameter: its type, default and the constraints a supplied value must meet.</summary>
public sealed record ParameterDefinition
{
    public required string Name { get; init; }
    public required string Type { get; init; }
    public string? Default { get; init; }
    public bool NoEcho { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<string>? AllowedValues { get; init; }
    public string? AllowedPattern { get; init; }
    public int? MinLength { get; init; }
    public int? MaxLength { get; init; }
    public double? MinValue { get; init; }
    public double? MaxValue { get; init; }
    public string? ConstraintDescription { get; init; }

    private const string ParameterStorePrefix = "AWS::SSM::Parameter::Value<";

    /// <summary>An AWS::SSM::Parameter::Value&lt;T&gt; parameter: its supplied value names a parameter in Parameter Store, whose value the stack uses.</summary>
    public bool IsParameterStoreValue => Type.StartsWith(ParameterStorePrefix, StringComparison.Ordinal) && Type.EndsWith('>');

    /// <summary>The type of the value the stack uses: T for a Parameter Store parameter, else the type itself.</summary>
    private string ValueType => IsParameterStoreValue ? Type[ParameterStorePrefix.Length..^1] : Type;

    public bool IsList => ValueType is "CommaDelimitedList" or "List<Number>" or "List<String>" || ValueType.StartsWith("List<AWS::", StringComparison.Ordinal);
    private bool IsNumeric => Type is "Number" or "List<Number>";

    public static IReadOnlyList<ParameterDefinition> ReadAll(JsonObject section)
    {
        var parameters = new List<ParameterDefinition>();
        foreach (var (name, node) in section)
        {
            if (node is not JsonObject p || p["Type"] is not { } type)
                throw TemplateError.Format($"Every Parameters object must contain a Type member ({name}).");
            var typeName = Template.Text(type);
            if (!IsKnownType(typeName)) throw TemplateError.Format($"Unrecognized parameter type: {typeName}");
            parameters.Add(new ParameterDefinition
            {
                Name = name,
                Type = typeName,
                Default = p["Default"] is { } d ? ListOrText(d) : null,
                NoEcho = p["NoEcho"] is { } e && Template.Text(e).Equals("true", StringComparison.OrdinalIgnoreCase),
                Description = p["Description"] is { } desc ? Template.Text(desc) : null,
                AllowedValues = p["AllowedValues"] switch
                {
                    null => null,
                    JsonArray values => values.Select(v => v is null ? "" : Template.Text(v)).ToList(),
                    _ => throw TemplateError.Format($"AllowedValues of parameter {name} must be a list"),
                },
                AllowedPattern = p["AllowedPattern"] is { } pattern ? Template.Text(pattern) : null,
                MinLength = Integer(p, "MinLength", name),
                MaxLength = Integer(p, "MaxLength", name),
                MinValue = Number(p, "MinValue", name),
                MaxValue = Number(p, "MaxValue", name),
                ConstraintDescription = p["ConstraintDescription"] is { } cd ? Template.Text(cd) : null,
            });
        }
        return parameters;
    }

    private static bool IsKnownType(string type) =>
        type is "String" or "Number" or "List<Number>" or "CommaDelimitedList"
        || type.StartsWith("AWS::", StringComparison.Ordinal) || type.StartsWith("List<AWS::", StringComparison.Ordinal);

    // A YAML list default for a list parameter means the same as its comma-joined text.
    private static string ListOrText(JsonNode node) =>
        node is JsonArray list ? string.Join(",", list.Select(v => v is null ? "" : Template.Text(v))) : Template.Text(node);

    private static int? Integer(JsonObject p, string member, string name) =>
        Number(p, member, name) is { } value ? (int)value : null;

    private static double? Number(JsonObject p, string member, string name)
    {
        if (p[member] is not { } node) return null;
        return double.TryParse(Template.Text(node), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw TemplateError.Format($"{member} of parameter {name} must be a number");
    }

    /// <summary>Checks a supplied or default value against the type and constraints, as CloudFormation words it.</summary>
    public void Check(string value)
    {
        // A Parameter Store parameter's supplied value is one name, whatever the type of the value it names.
        var items = IsList && !IsParameterStoreValue ? value.Split(',').Select(v => v.Trim()).ToList() : [value];
        foreach (var item in items)
        {
            if (IsNumeric && !double.TryParse(item, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                throw Violation($"Parameter '{Name}' must be a number");
            if (AllowedValues is not null && !AllowedValues.Contains(item))
                throw Violation($"Parameter '{Name}' must be one of AllowedValues");
        }
        if (AllowedPattern is not null && !Regex.IsMatch(value, $"^(?:{AllowedPattern})$"))
            throw Violation($"Parameter '{Name}' must match pattern {AllowedPattern}");
        if (MinLength is { } min && value.Length < min)
            throw Violation($"Parameter '{Name}' must contain at least {min} characters");
        if (MaxLength is { } max && value.Length > max)
            throw Violation($"Parameter '{Name}' must contain at most {max} characters");
        if (Type == "Number" && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            if (MinValue is { } low && number < low)
                throw Violation($"Parameter '{Name}' must be a number not less than {low.ToString(CultureInfo.InvariantCulture)}");
            if (MaxValue is { } high && number > high)
                throw Violation($"Parameter '{Name}' must be a number not greater than {high.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    private Protocols.AwsException Violation(string message) =>
        TemplateError.Validation(ConstraintDescription is null ? message : $"Parameter '{Name}' failed to satisfy constraint: {ConstraintDescription}");

    /// <summary>The value Ref gives: a list for list types, otherwise the text.</summary>
    public JsonNode Typed(string value) =>
        IsList ? new JsonArray(value.Split(',').Select(v => (JsonNode?)JsonValue.Create(v.Trim())).ToArray()) : JsonValue.Create(value);

    /// <summary>
    /// The values a stack runs with: supplied ones, else (on update, when asked) the previous ones, else
    /// defaults; every one checked. Unknown or missing names are refused together, as CloudFormation does.
    /// </summary>
    public static Dictionary<string, string> Resolve(Template template, IReadOnlyList<SuppliedParameter> supplied, IReadOnlyDictionary<string, string>? previous)
    {
        var unknown = supplied.Select(s => s.Key).Where(k => template.Parameter(k) is null).Distinct().ToList();
        if (unknown.Count > 0) throw TemplateError.Validation($"Parameters: [{string.Join(", ", unknown)}] do not exist in the template");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var parameter in template.Parameters)
        {
            var given = supplied.LastOrDefault(s => s.Key == parameter.Name);
            string? value;
            if (given is { UsePreviousValue: true })
            {
                if (previous is null || !previous.TryGetValue(parameter.Name, out value))
                    throw TemplateError.Validation($"Invalid input for parameter key {parameter.Name}. Cannot specify usePreviousValue as true for a parameter key not in the previous template");
            }
            else value = given?.Value ?? parameter.Default;
            if (value is null)
            {
                missing.Add(parameter.Name);
                continue;
            }
            parameter.Check(value);
            values[parameter.Name] = value;
        }
        if (missing.Count > 0) throw TemplateError.Validation($"Parameters: [{string.Join(", ", missing)}] must have values");
        return values;
    }
}

public sealed record SuppliedParameter(string Key, string? Value, bool UsePreviousValue);
