using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Templates;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.CloudFormation.Engine;

/// <summary>
/// A stack policy: which update actions (Update:Modify, Update:Replace, Update:Delete) a stack update may take on
/// which resources (LogicalResourceId/Name, with * and ? wildcards, or by ResourceType condition). As on AWS, once
/// a stack has a policy every resource is protected unless a statement allows the action, and a Deny wins.
/// </summary>
public sealed class StackPolicy
{
    /// <summary>AWS's limit on a stack policy body.</summary>
    public const int MaxBodyBytes = 16_384;
    private const int MaxDepth = 16;

    public const string Modify = "Update:Modify";
    public const string Replace = "Update:Replace";
    public const string Delete = "Update:Delete";
    private static readonly string[] Actions = [Modify, Replace, Delete];

    private sealed record Statement(int Number, bool Allow, string[]? Action, string[]? NotAction, string[]? Resource, string[]? NotResource,
        (string Operator, string[] Types)[] TypeConditions);

    private readonly IReadOnlyList<Statement> _statements;

    private StackPolicy(IReadOnlyList<Statement> statements) => _statements = statements;

    /// <summary>Parses and checks a policy body; an unusable one is refused with CloudFormation's ValidationError.</summary>
    public static StackPolicy Parse(string body)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(body) > MaxBodyBytes)
            throw Invalid($"the policy is longer than {MaxBodyBytes} bytes");
        JsonNode? root;
        try { root = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth }); }
        catch (JsonException) { throw Invalid("the policy is not valid JSON"); }
        if (root is not JsonObject document || document["Statement"] is not { } statementNode)
            throw Invalid("the policy needs a Statement");
        var statements = (statementNode is JsonArray array ? array.ToList() : [statementNode]).Select((node, index) =>
        {
            var number = index + 1;
            if (node is not JsonObject statement) throw Invalid($"statement #{number} is not an object");
            var effect = Text(statement["Effect"]);
            if (effect is not ("Allow" or "Deny")) throw Invalid($"statement #{number} needs an Effect of Allow or Deny");
            var action = Texts(statement["Action"]);
            var notAction = Texts(statement["NotAction"]);
            if ((action is null) == (notAction is null)) throw Invalid($"statement #{number} needs exactly one of Action and NotAction");
            foreach (var a in (action ?? notAction)!)
                if (!Actions.Any(known => Wildcard.Matches(a, known, ignoreCase: false)))
                    throw Invalid($"statement #{number} names the unknown action {a}");
            var resource = Texts(statement["Resource"]);
            var notResource = Texts(statement["NotResource"]);
            if ((resource is null) == (notResource is null)) throw Invalid($"statement #{number} needs exactly one of Resource and NotResource");
            if (statement["Principal"] is { } principal && Text(principal) != "*")
                throw Invalid($"statement #{number}: a stack policy's Principal can only be *");
            return new Statement(number, effect == "Allow", action, notAction, resource, notResource, TypeConditions(statement["Condition"], number));
        }).ToList();
        return new StackPolicy(statements);
    }

    /// <summary>Why the action on the resource is refused (the resource event's reason, in AWS's words), or null when allowed.</summary>
    public string? Refusal(string action, string logicalId, string resourceType)
    {
        var resource = "LogicalResourceId/" + logicalId;
        var applying = _statements.Where(s => Covers(s, action, resource, resourceType)).ToList();
        if (applying.FirstOrDefault(s => !s.Allow) is { } deny)
            return $"Action denied by stack policy: Statement [#{deny.Number}] does not allow [{action}] for resource [{resource}]";
        return applying.Any(s => s.Allow) ? null : $"Action not allowed by stack policy: no statement allows [{action}] for resource [{resource}]";
    }

    private static bool Covers(Statement s, string action, string resource, string resourceType) =>
        (s.Action?.Any(a => Wildcard.Matches(a, action, ignoreCase: false)) ?? !s.NotAction!.Any(a => Wildcard.Matches(a, action, ignoreCase: false)))
        && (s.Resource?.Any(r => Wildcard.Matches(r, resource, ignoreCase: false)) ?? !s.NotResource!.Any(r => Wildcard.Matches(r, resource, ignoreCase: false)))
        && s.TypeConditions.All(c => c.Operator == "StringEquals"
            ? c.Types.Contains(resourceType, StringComparer.Ordinal)
            : c.Types.Any(t => Wildcard.Matches(t, resourceType, ignoreCase: false)));

    /// <summary>Stack policies condition only on ResourceType, with StringEquals or StringLike.</summary>
    private static (string, string[])[] TypeConditions(JsonNode? condition, int number)
    {
        if (condition is null) return [];
        if (condition is not JsonObject operators) throw Invalid($"statement #{number}: Condition must be an object");
        return operators.Select(o =>
        {
            if (o.Key is not ("StringEquals" or "StringLike")) throw Invalid($"statement #{number}: the condition operator {o.Key} is not one of StringEquals, StringLike");
            if (o.Value is not JsonObject keys || keys.Count != 1 || keys.First() is not { Key: "ResourceType" } key || Texts(key.Value) is not { } types)
                throw Invalid($"statement #{number}: a condition names ResourceType and its values");
            return (o.Key, types);
        }).ToArray();
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static string[]? Texts(JsonNode? node) => node switch
    {
        null => null,
        JsonArray array => array.Select(Text).OfType<string>().ToArray() is { Length: > 0 } items && items.Length == array.Count
            ? items : throw Invalid("a list holds only strings"),
        _ => Text(node) is { } one ? [one] : throw Invalid("a member holds a string or a list of strings"),
    };

    private static Exception Invalid(string reason) => TemplateError.Validation("Error validating stack policy: " + reason);
}
