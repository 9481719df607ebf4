using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.CloudFormation;

/// <summary>
/// Hooks on the wire. Stratus registers no hooks (the extension registry is not built), so no hook is planned for a change
/// set and none has ever run: these operations answer that, truthfully, in the model's shapes.
/// </summary>
public sealed partial class CloudFormationApi
{
    private void AddHookOperations(OperationTable operations)
    {
        // The change set's hooks: none. Their planning is done once the change set is (PLANNED); a failed change set has none
        // to plan (UNAVAILABLE). AWS does not document the statuses further; this reading is Stratus's.
        operations.Add("DescribeChangeSetHooks", i =>
        {
            var changeSet = _cfn.FindChangeSet(i.Scope, i.Required("ChangeSetName"), i.String("StackName"));
            return new JsonObject
            {
                ["ChangeSetId"] = changeSet.ChangeSetId,
                ["ChangeSetName"] = changeSet.ChangeSetName,
                ["Hooks"] = new JsonArray(),
                ["Status"] = changeSet.Status == "FAILED" ? "UNAVAILABLE" : "PLANNED",
                ["StackId"] = changeSet.StackId,
                ["StackName"] = changeSet.StackName,
            };
        });
        operations.Add("ListHookResults", i =>
        {
            var result = new JsonObject();
            if (i.String("TargetType") is { } targetType) result["TargetType"] = targetType;
            if (i.String("TargetId") is { } targetId) result["TargetId"] = targetId;
            result["HookResults"] = new JsonArray();
            return result;
        });
        operations.Add("GetHookResult", NoHookResult);
    }

    private static JsonObject NoHookResult(OperationInput i) => throw CloudFormationErrors.HookResultNotFound(i.String("HookResultId") ?? "");
}
