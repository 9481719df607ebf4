using System.Text.Json.Nodes;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>What a Lambda authorizer's policy says about one method ARN.</summary>
public enum PolicyDecision { Allow, ExplicitDeny, ImplicitDeny }

/// <summary>
/// A Lambda authorizer's policy document evaluated for <c>execute-api:Invoke</c> on a method ARN, as API Gateway evaluates
/// it: IAM's wildcards (actions without regard to case, resources with), Action/NotAction and Resource/NotResource, one
/// statement or a list, a value or a list; an explicit Deny wins, else an Allow is needed. Conditions are not evaluated:
/// a statement with a Condition never applies, so it cannot allow what it would only allow under a condition.
/// Shared by REST APIs and HTTP APIs.
/// </summary>
public static class AuthorizerPolicy
{
    public const string InvokeAction = "execute-api:Invoke";

    public static PolicyDecision Evaluate(JsonObject policy, string methodArn)
    {
        var statements = policy["Statement"] switch
        {
            JsonArray list => list.OfType<JsonObject>().ToList(),
            JsonObject single => [single],
            _ => [],
        };
        var allowed = false;
        foreach (var statement in statements)
        {
            if (statement.ContainsKey("Condition") || !Applies(statement, methodArn)) continue;
            var effect = (statement["Effect"] as JsonValue)?.ToString();
            if (effect == "Deny") return PolicyDecision.ExplicitDeny;
            if (effect == "Allow") allowed = true;
        }
        return allowed ? PolicyDecision.Allow : PolicyDecision.ImplicitDeny;
    }

    private static bool Applies(JsonObject statement, string methodArn)
    {
        var action = statement.ContainsKey("Action")
            ? Values(statement["Action"]).Any(a => Wildcard.Matches(a, InvokeAction, ignoreCase: true))
            : statement.ContainsKey("NotAction") && !Values(statement["NotAction"]).Any(a => Wildcard.Matches(a, InvokeAction, ignoreCase: true));
        var resource = statement.ContainsKey("Resource")
            ? Values(statement["Resource"]).Any(r => Wildcard.Matches(r, methodArn, ignoreCase: false))
            : statement.ContainsKey("NotResource") && !Values(statement["NotResource"]).Any(r => Wildcard.Matches(r, methodArn, ignoreCase: false));
        return action && resource;
    }

    private static IEnumerable<string> Values(JsonNode? node) => node switch
    {
        JsonArray list => list.OfType<JsonValue>().Select(v => v.ToString()),
        JsonValue single => [single.ToString()],
        _ => [],
    };
}
