using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Stratus.Services.Iam.Engine;
using ConditionRequest = Stratus.Services.Iam.Engine.RequestContext;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>What a Lambda authorizer's policy says about one method ARN.</summary>
public enum PolicyDecision { Allow, ExplicitDeny, ImplicitDeny }

/// <summary>
/// A Lambda authorizer's policy document evaluated for <c>execute-api:Invoke</c> on a method ARN, as API Gateway evaluates
/// it: IAM's wildcards (actions without regard to case, resources with), Action/NotAction and Resource/NotResource, one
/// statement or a list, a value or a list; an explicit Deny wins, else an Allow is needed. A statement's Condition block is
/// evaluated by IAM's condition operators against the context keys API Gateway gives an authorizer's policy (aws:SourceIp,
/// aws:CurrentTime, aws:EpochTime; see <see cref="Keys"/>), with policy variables in 2012-10-17 documents; a key the request
/// lacks fails the condition unless the operator is IfExists or negated, as in IAM. A caller that passes no keys gets the
/// cautious reading: a statement with a Condition never applies. Shared by REST APIs and HTTP APIs.
/// </summary>
public static class AuthorizerPolicy
{
    public const string InvokeAction = "execute-api:Invoke";

    /// <param name="keys">The request's condition keys (<see cref="Keys"/>); null when the caller has none.</param>
    public static PolicyDecision Evaluate(JsonObject policy, string methodArn, ConditionRequest? keys = null)
    {
        // As in IAM, policy variables are substituted only in documents of version 2012-10-17.
        var variablesApply = (policy["Version"] as JsonValue)?.ToString() == "2012-10-17";
        var statements = policy["Statement"] switch
        {
            JsonArray list => list.OfType<JsonObject>().ToList(),
            JsonObject single => [single],
            _ => [],
        };
        var allowed = false;
        foreach (var statement in statements)
        {
            if (!Applies(statement, methodArn) || !ConditionsHold(statement, keys, variablesApply)) continue;
            var effect = (statement["Effect"] as JsonValue)?.ToString();
            if (effect == "Deny") return PolicyDecision.ExplicitDeny;
            if (effect == "Allow") allowed = true;
        }
        return allowed ? PolicyDecision.Allow : PolicyDecision.ImplicitDeny;
    }

    /// <summary>
    /// The condition keys API Gateway sets for an authorizer's policy: the caller's address (an IPv4 client seen through a
    /// dual-stack socket as its IPv4 address, as IpAddress ranges name it) and the time of the request.
    /// </summary>
    public static ConditionRequest Keys(string methodArn, string sourceIp, DateTimeOffset now)
    {
        var address = IPAddress.TryParse(sourceIp, out var parsed) && parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4().ToString() : sourceIp;
        return new ConditionRequest { Action = InvokeAction, Resource = methodArn }
            .With("aws:SourceIp", address)
            .With("aws:CurrentTime", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
            .With("aws:EpochTime", now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Whether every condition of the statement holds: each operator's every key, as IAM ANDs them.</summary>
    private static bool ConditionsHold(JsonObject statement, ConditionRequest? keys, bool variablesApply)
    {
        if (!statement.ContainsKey("Condition")) return true;
        if (keys is null || statement["Condition"] is not JsonObject block) return false;
        string? Substitute(string text) => variablesApply ? PolicyVariables.Substitute(text, keys) : text;
        foreach (var (op, byKey) in block)
        {
            if (byKey is not JsonObject conditions) return false;
            foreach (var (key, values) in conditions)
                if (!ConditionOperators.Holds(new PolicyCondition(op, key, Values(values).ToList()), keys, Substitute, missingKeys: null)) return false;
        }
        return true;
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
