using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stratus.Services.CloudFormation.Templates;

public enum ReferenceKind { Ref, GetAtt, Sub }

/// <summary>A name a template expression points at: a parameter, pseudo parameter or resource.</summary>
public readonly record struct Reference(ReferenceKind Kind, string Target);

/// <summary>Static facts about intrinsic functions: which exist, and what an expression refers to.</summary>
public static partial class Intrinsics
{
    public static readonly IReadOnlySet<string> Functions = new HashSet<string>(StringComparer.Ordinal)
    {
        "Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::If", "Fn::Equals", "Fn::And", "Fn::Or",
        "Fn::Not", "Fn::FindInMap", "Fn::GetAZs", "Fn::Base64", "Fn::ImportValue", "Fn::Cidr", "Condition",
    };

    [GeneratedRegex(@"\$\{([^}]*)\}")]
    public static partial Regex SubVariable();

    /// <summary>The function an object calls, when it is a single-key intrinsic; unknown Fn:: names are refused.</summary>
    public static string? FunctionOf(JsonObject node)
    {
        if (node.Count != 1) return null;
        var name = node.First().Key;
        if (Functions.Contains(name)) return name;
        if (name.StartsWith("Fn::", StringComparison.Ordinal))
            throw TemplateError.Format($"Encountered unsupported function: {name} Supported functions are: [{string.Join(", ", Functions.Where(f => f.StartsWith("Fn::", StringComparison.Ordinal)))}]");
        return null;
    }

    public static IEnumerable<Reference> References(JsonNode? node)
    {
        switch (node)
        {
            case JsonArray list:
                foreach (var item in list)
                    foreach (var reference in References(item)) yield return reference;
                break;
            case JsonObject obj:
                var function = FunctionOf(obj);
                var argument = function is null ? null : obj.First().Value;
                switch (function)
                {
                    case "Ref":
                        if (argument is JsonValue) yield return new Reference(ReferenceKind.Ref, Template.Text(argument));
                        else throw TemplateError.Format("Ref must be a string");
                        yield break;
                    case "Fn::GetAtt":
                        yield return new Reference(ReferenceKind.GetAtt, GetAttTarget(argument));
                        if (argument is JsonArray { Count: 2 } pair)
                            foreach (var reference in References(pair[1])) yield return reference;
                        yield break;
                    case "Fn::Sub":
                        foreach (var reference in SubReferences(argument)) yield return reference;
                        yield break;
                }
                foreach (var (_, child) in obj)
                    foreach (var reference in References(child)) yield return reference;
                break;
        }
    }

    /// <summary>Condition names used by Fn::If and by {"Condition": name} inside conditions.</summary>
    public static IEnumerable<string> ConditionNames(JsonNode? node)
    {
        switch (node)
        {
            case JsonArray list:
                foreach (var name in list.SelectMany(ConditionNames)) yield return name;
                break;
            case JsonObject obj:
                var function = FunctionOf(obj);
                if (function == "Fn::If" && obj["Fn::If"] is JsonArray { Count: 3 } branches && branches[0] is JsonValue condition)
                    yield return Template.Text(condition);
                if (function == "Condition" && obj["Condition"] is JsonValue named) yield return Template.Text(named);
                foreach (var (key, child) in obj)
                    if (key != "Condition" || function == "Condition")
                        foreach (var name in ConditionNames(child)) yield return name;
                break;
        }
    }

    public static string GetAttTarget(JsonNode? argument) => argument switch
    {
        JsonArray { Count: 2 } pair when pair[0] is JsonValue target => Template.Text(target),
        JsonValue dotted when Template.Text(dotted).IndexOf('.') > 0 => Template.Text(dotted).Split('.', 2)[0],
        _ => throw TemplateError.Evaluation("every Fn::GetAtt object requires two non-empty parameters."),
    };

    private static IEnumerable<Reference> SubReferences(JsonNode? argument)
    {
        var (text, variables) = argument switch
        {
            JsonValue v => (Template.Text(v), null),
            JsonArray { Count: 2 } pair when pair[0] is JsonValue v && pair[1] is JsonObject map => (Template.Text(v), map),
            _ => throw TemplateError.Evaluation("One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string"),
        };
        foreach (Match match in SubVariable().Matches(text))
        {
            var name = match.Groups[1].Value.Trim();
            if (name.StartsWith('!') || (variables?.ContainsKey(name) ?? false)) continue;
            var dot = name.IndexOf('.');
            yield return dot > 0 && !name.StartsWith("AWS::", StringComparison.Ordinal)
                ? new Reference(ReferenceKind.GetAtt, name[..dot])
                : new Reference(ReferenceKind.Sub, name);
        }
        if (variables is not null)
            foreach (var reference in References(variables)) yield return reference;
    }
}
