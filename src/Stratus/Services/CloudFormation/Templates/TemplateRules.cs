using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Services.CloudFormation.Templates;

/// <summary>
/// A template's Rules section: each rule's RuleCondition (when present) and Assertions, evaluated over
/// the stack's parameter values (Parameter Store types already resolved) before any resource is
/// touched. A false assertion refuses the operation with a ValidationError carrying its
/// AssertDescription, as CloudFormation does. The rule functions are CloudFormation's own set.
/// </summary>
public static class TemplateRules
{
    private const int MaxDepth = 32;

    private static readonly HashSet<string> RuleFunctions =
    [
        "Ref", "Fn::And", "Fn::Or", "Fn::Not", "Fn::Equals", "Fn::Contains", "Fn::EachMemberEquals", "Fn::EachMemberIn",
        "Fn::RefAll", "Fn::ValueOf", "Fn::ValueOfAll",
    ];

    /// <summary>What can be checked without parameter values (ValidateTemplate): every rule has Assertions, each an Assert, using rule functions only.</summary>
    public static void CheckShape(JsonObject root)
    {
        if (root["Rules"] is null) return;
        if (root["Rules"] is not JsonObject rules) throw TemplateError.Format("Rules section must be an object");
        foreach (var (name, node) in rules)
        {
            if (node is not JsonObject rule || rule["Assertions"] is not JsonArray assertions)
                throw TemplateError.Format($"Rule {name} must contain an Assertions list");
            if (rule.Select(p => p.Key).FirstOrDefault(k => k is not ("RuleCondition" or "Assertions")) is { } unknown)
                throw TemplateError.Format($"Invalid rule property {unknown} in rule {name}");
            if (rule["RuleCondition"] is { } condition) CheckFunctions(condition, name, 0);
            foreach (var assertion in assertions)
            {
                if (assertion is not JsonObject a || a["Assert"] is not { } assert)
                    throw TemplateError.Format($"Every assertion of rule {name} must contain an Assert");
                CheckFunctions(assert, name, 0);
            }
        }
    }

    private static void CheckFunctions(JsonNode? node, string rule, int depth)
    {
        if (depth > MaxDepth) throw TemplateError.Format($"Rule {rule} is nested too deeply");
        switch (node)
        {
            case JsonObject call:
                foreach (var (key, argument) in call)
                {
                    if (key.StartsWith("Fn::", StringComparison.Ordinal) || key == "Ref")
                        if (!RuleFunctions.Contains(key)) throw TemplateError.Format($"{key} is not a function supported in Rules (rule {rule})");
                    CheckFunctions(argument, rule, depth + 1);
                }
                break;
            case JsonArray list:
                foreach (var item in list) CheckFunctions(item, rule, depth + 1);
                break;
        }
    }

    /// <summary>Evaluates every rule; the first failed assertion refuses the operation.</summary>
    public static void Check(Template template, IReadOnlyDictionary<string, string> values)
    {
        if (template.Root["Rules"] is not JsonObject rules) return;
        foreach (var (name, node) in rules)
        {
            var rule = (JsonObject)node!;
            if (rule["RuleCondition"] is { } condition && !Truth(Eval(template, values, condition, name, 0), name)) continue;
            foreach (var assertion in (JsonArray)rule["Assertions"]!)
            {
                var a = (JsonObject)assertion!;
                if (Truth(Eval(template, values, a["Assert"], name, 0), name)) continue;
                throw a["AssertDescription"] is { } description
                    ? TemplateError.Validation(Template.Text(description))
                    : TemplateError.Evaluation($"an assertion of rule {name} failed");
            }
        }
    }

    private static JsonNode? Eval(Template template, IReadOnlyDictionary<string, string> values, JsonNode? node, string rule, int depth)
    {
        if (depth > MaxDepth) throw TemplateError.Format($"Rule {rule} is nested too deeply");
        if (node is JsonArray list) return new JsonArray(list.Select(item => Eval(template, values, item, rule, depth + 1)).ToArray());
        if (node is not JsonObject call || call.Count != 1 || !RuleFunctions.Contains(call.First().Key)) return node?.DeepClone();
        var (function, argument) = call.First();
        JsonNode? Arg(int index) => Eval(template, values, Arguments(function, argument, rule)[index], rule, depth + 1);
        switch (function)
        {
            case "Ref":
                var parameterName = argument is null ? "" : Template.Text(argument);
                var parameter = template.Parameter(parameterName)
                    ?? throw TemplateError.Format($"Unresolved dependencies [{parameterName}]. Rules can reference parameters only (rule {rule})");
                return values.TryGetValue(parameterName, out var value) ? parameter.Typed(value) : JsonValue.Create("");
            case "Fn::Not":
                return JsonValue.Create(!Truth(Arg(0), rule));
            case "Fn::And":
                return JsonValue.Create(Arguments(function, argument, rule).All(a => Truth(Eval(template, values, a, rule, depth + 1), rule)));
            case "Fn::Or":
                return JsonValue.Create(Arguments(function, argument, rule).Any(a => Truth(Eval(template, values, a, rule, depth + 1), rule)));
            case "Fn::Equals":
                return JsonValue.Create(Text(Arg(0)) == Text(Arg(1)));
            case "Fn::Contains":
                return JsonValue.Create(Strings(Arg(0), function, rule).Contains(Text(Arg(1))));
            case "Fn::EachMemberEquals":
                var expected = Text(Arg(1));
                return JsonValue.Create(Strings(Arg(0), function, rule).All(member => member == expected));
            case "Fn::EachMemberIn":
                var allowed = Strings(Arg(1), function, rule);
                return JsonValue.Create(Strings(Arg(0), function, rule).All(allowed.Contains));
            default:
                // Fn::RefAll, Fn::ValueOf and Fn::ValueOfAll read the account's existing resources of an
                // AWS-specific parameter type (VPCs, subnets, ...), which Stratus does not keep.
                throw TemplateError.Evaluation($"{function} in rule {rule} reads AWS-specific resources (VPCs, subnets, ...), which Stratus does not have");
        }
    }

    private static JsonArray Arguments(string function, JsonNode? argument, string rule) =>
        argument as JsonArray ?? throw TemplateError.Evaluation($"{function} in rule {rule} takes a list of arguments");

    private static bool Truth(JsonNode? node, string rule) => node switch
    {
        JsonValue v when v.GetValueKind() is JsonValueKind.True => true,
        JsonValue v when v.GetValueKind() is JsonValueKind.False => false,
        JsonValue v when v.GetValueKind() is JsonValueKind.String && v.GetValue<string>() is "true" or "false" => v.GetValue<string>() == "true",
        _ => throw TemplateError.Evaluation($"rule {rule} must evaluate to a boolean"),
    };

    private static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonArray list => string.Join(",", list.Select(Text)),
        _ => Template.Text(node),
    };

    private static List<string> Strings(JsonNode? node, string function, string rule) => node switch
    {
        JsonArray list => list.Select(Text).ToList(),
        JsonValue v => [Text(v)],
        _ => throw TemplateError.Evaluation($"{function} in rule {rule} takes a list of strings"),
    };
}
