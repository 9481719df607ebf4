using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.Iam;

/// <summary>SimulatePrincipalPolicy and SimulateCustomPolicy: the evaluation engine's answers in IAM's EvaluationResults shape.</summary>
public sealed partial class IamApi
{
    private void AddSimulationOperations(OperationTable table)
    {
        table.Add("GetContextKeysForPrincipalPolicy", i => ContextKeys(_iam.ContextKeys(i.Scope, i.Required("PolicySourceArn"), i.Strings("PolicyInputList"))));
        table.Add("GetContextKeysForCustomPolicy", i => ContextKeys(_iam.ContextKeys(i.Scope, null, i.Strings("PolicyInputList"))));
        table.Add("SimulatePrincipalPolicy", i => Simulation(i, i.Required("PolicySourceArn")));
        table.Add("SimulateCustomPolicy", i =>
        {
            if (i.Strings("PolicyInputList").Count == 0) throw IamNames.Errors.Missing("PolicyInputList");
            return Simulation(i, null);
        });
    }

    private static JsonObject ContextKeys(IReadOnlyList<string> keys) =>
        new() { ["ContextKeyNames"] = new JsonArray(keys.Select(k => (JsonNode)JsonValue.Create(k)).ToArray()) };

    private JsonObject Simulation(OperationInput i, string? policySourceArn)
    {
        var request = new SimulationRequest
        {
            PolicySourceArn = policySourceArn,
            ExtraPolicies = i.Strings("PolicyInputList"),
            BoundaryPolicies = i.Strings("PermissionsBoundaryPolicyInputList"),
            Actions = i.Strings("ActionNames"),
            Resources = i.Strings("ResourceArns"),
            ResourcePolicy = i.String("ResourcePolicy"),
            CallerArn = i.String("CallerArn"),
            Context = i.List("ContextEntries").OfType<JsonObject>().Select(e => i.Nested(e))
                .Select(e => new SimulationContextEntry(e.Required("ContextKeyName"), e.Strings("ContextKeyValues"))).ToList(),
        };
        return Paged(_iam.Simulate(i.Scope, request, i.String("Marker"), i.Int("MaxItems")), "EvaluationResults", EvaluationResult);
    }

    private static JsonObject EvaluationResult(SimulationResult result)
    {
        var evaluation = result.Evaluation;
        var body = new JsonObject
        {
            ["EvalActionName"] = result.Action,
            ["EvalResourceName"] = result.Resource,
            ["EvalDecision"] = DecisionName(evaluation.Decision),
            ["MatchedStatements"] = new JsonArray(evaluation.Matched.Select(m => (JsonNode)new JsonObject
            {
                ["SourcePolicyId"] = m.Source.SourceId,
                ["SourcePolicyType"] = SourceTypeName(m.Source.Kind),
                ["StartPosition"] = new JsonObject { ["Line"] = m.Statement.Start.Line, ["Column"] = m.Statement.Start.Column },
                ["EndPosition"] = new JsonObject { ["Line"] = m.Statement.End.Line, ["Column"] = m.Statement.End.Column },
            }).ToArray()),
            ["MissingContextValues"] = new JsonArray(evaluation.MissingContextKeys.Select(k => (JsonNode)JsonValue.Create(k)).ToArray()),
        };
        if (evaluation.AllowedByBoundary is { } allowed)
            body["PermissionsBoundaryDecisionDetail"] = new JsonObject { ["AllowedByPermissionsBoundary"] = allowed };
        return body;
    }

    private static string DecisionName(Decision decision) => decision switch
    {
        Decision.Allowed => "allowed",
        Decision.ExplicitDeny => "explicitDeny",
        _ => "implicitDeny",
    };

    private static string SourceTypeName(PolicySourceKind kind) => kind switch
    {
        PolicySourceKind.User => "user",
        PolicySourceKind.Group => "group",
        PolicySourceKind.Role => "role",
        PolicySourceKind.AwsManaged => "aws-managed",
        PolicySourceKind.UserManaged => "user-managed",
        PolicySourceKind.Resource => "resource",
        _ => "none",
    };
}
