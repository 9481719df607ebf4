using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.StackSets;

namespace Stratus.Services.CloudFormation;

/// <summary>CloudFormation's stack set operations on the wire (SELF_MANAGED, in Stratus's one account across its Regions).</summary>
public sealed partial class CloudFormationApi
{
    private StackSetService StackSets => _cfn.StackSets;

    private void AddStackSetOperations(OperationTable operations)
    {
        operations.Add("CreateStackSet", i =>
        {
            RefuseOrganizations(i);
            if (i.String("StackId") is not null)
                throw CloudFormationErrors.NotServed("CreateStackSet with StackId", "importing a stack into a new stack set is not built");
            return new JsonObject { ["StackSetId"] = StackSets.CreateStackSet(i.Scope, SetRequest(i, TemplateOf(i))).StackSetId };
        });
        operations.Add("DescribeStackSet", i => new JsonObject { ["StackSet"] = StackSet(StackSets.Find(i.Scope, i.Required("StackSetName"))) });
        operations.Add("ListStackSets", i => Paged(i, "Summaries", StackSets.ListStackSets(i.Scope, i.String("Status")), StackSetSummary, i.Int("MaxResults") ?? PageSize));
        operations.Add("UpdateStackSet", i =>
        {
            RefuseOrganizations(i);
            var usePrevious = i.Bool("UsePreviousTemplate") == true;
            var template = usePrevious ? null : TemplateOf(i);
            // Accounts and Regions narrow the update to those instances; without them it reaches every instance.
            var targets = i.Has("Regions") || i.Has("Accounts") || i.Has("DeploymentTargets") ? Targets(i) : null;
            return new JsonObject
            {
                ["OperationId"] = StackSets.UpdateStackSet(i.Scope, SetRequest(i, template), usePrevious, targets,
                    StackSetInputs.Preferences(Reader(i).Object("OperationPreferences")), i.String("OperationId")),
            };
        });
        operations.Add("DeleteStackSet", i => Empty(() =>
        {
            RefuseOrganizations(i);
            StackSets.DeleteStackSet(i.Scope, i.Required("StackSetName"));
        }));
        operations.Add("CreateStackInstances", i => OperationId(StackSets.CreateStackInstances(i.Scope, i.Required("StackSetName"), Targets(i),
            StackSetInputs.Parameters(Reader(i).Objects("ParameterOverrides")))));
        operations.Add("UpdateStackInstances", i => OperationId(StackSets.UpdateStackInstances(i.Scope, i.Required("StackSetName"), Targets(i),
            i.Has("ParameterOverrides") ? StackSetInputs.Parameters(Reader(i).Objects("ParameterOverrides")) : null)));
        operations.Add("ImportStacksToStackSet", i =>
        {
            RefuseOrganizations(i);
            if (i.Strings("OrganizationalUnitIds").Count > 0) throw CloudFormationErrors.NeedsOrganizations("OrganizationalUnitIds");
            if (i.String("StackIdsUrl") is not null)
                throw CloudFormationErrors.NotServed("ImportStacksToStackSet with StackIdsUrl", "give the stacks' ids in StackIds");
            return OperationId(StackSets.ImportStacks(i.Scope, i.Required("StackSetName"), i.Strings("StackIds"),
                StackSetInputs.Preferences(Reader(i).Object("OperationPreferences")), i.String("OperationId")));
        });
        operations.Add("DeleteStackInstances", i => OperationId(StackSets.DeleteStackInstances(i.Scope, i.Required("StackSetName"), Targets(i),
            i.Bool("RetainStacks") ?? throw TemplateErrors.Missing("RetainStacks"))));
        operations.Add("DetectStackSetDrift", i =>
        {
            RefuseOrganizations(i);
            return OperationId(StackSets.DetectStackSetDrift(i.Scope, i.Required("StackSetName"),
                StackSetInputs.Preferences(Reader(i).Object("OperationPreferences")), i.String("OperationId")));
        });
        operations.Add("DescribeStackSetOperation", i => new JsonObject
        {
            ["StackSetOperation"] = StackSetOperation(StackSets.FindOperation(i.Scope, i.Required("StackSetName"), i.Required("OperationId"))),
        });
        operations.Add("ListStackSetOperations", i =>
            Paged(i, "Summaries", StackSets.Operations(i.Scope, i.Required("StackSetName")), StackSetOperationSummary, i.Int("MaxResults") ?? PageSize));
        operations.Add("ListStackSetOperationResults", i =>
        {
            var operation = StackSets.FindOperation(i.Scope, i.Required("StackSetName"), i.Required("OperationId"));
            var statuses = FilterValues(i, "OPERATION_RESULT_STATUS");
            return Paged(i, "Summaries", operation.Results.Where(r => statuses is null || statuses.Contains(r.Status)).ToList(),
                ResultSummary, i.Int("MaxResults") ?? PageSize);
        });
        operations.Add("StopStackSetOperation", i => Empty(() => StackSets.StopOperation(i.Scope, i.Required("StackSetName"), i.Required("OperationId"))));
        operations.Add("DescribeStackInstance", i => new JsonObject
        {
            ["StackInstance"] = StackInstance(StackSets.FindInstance(i.Scope, i.Required("StackSetName"), i.Required("StackInstanceAccount"),
                i.Required("StackInstanceRegion")), summary: false),
        });
        operations.Add("ListStackInstances", i =>
        {
            var stackSet = StackSets.Find(i.Scope, i.Required("StackSetName"));
            var account = i.String("StackInstanceAccount");
            var region = i.String("StackInstanceRegion");
            var detailed = FilterValues(i, "DETAILED_STATUS");
            var lastOperation = FilterValues(i, "LAST_OPERATION_ID");
            var drift = FilterValues(i, "DRIFT_STATUS");
            var instances = StackSets.InstancesOf(stackSet.StackSetId).Where(s => (account is null || s.Account == account) && (region is null || s.Region == region)
                && (detailed is null || detailed.Contains(s.DetailedStatus)) && (lastOperation is null || lastOperation.Contains(s.LastOperationId ?? ""))
                && (drift is null || drift.Contains(s.DriftStatus))).ToList();
            return Paged(i, "Summaries", instances, s => StackInstance(s, summary: true), i.Int("MaxResults") ?? PageSize);
        });
        operations.Add("ListStackInstanceResourceDrifts", i =>
        {
            var (stack, resources) = StackSets.InstanceResourceDrifts(i.Scope, i.Required("StackSetName"), i.Required("StackInstanceAccount"),
                i.Required("StackInstanceRegion"), i.Required("OperationId"), i.Strings("StackInstanceResourceDriftStatuses"));
            return Paged(i, "Summaries", resources, r => InstanceResourceDrift(stack, r), i.Int("MaxResults") ?? PageSize);
        });
    }

    private static IInputReader Reader(OperationInput i) => i;

    private static readonly ValidationStyle TemplateErrors = new(Templates.TemplateError.Code);

    private static void RefuseOrganizations(OperationInput i) =>
        StackSetService.RefuseOrganizations(i.String("PermissionModel"), Reader(i).Object("AutoDeployment")?.Bool("Enabled") == true, i.String("CallAs"));

    private static StackSetRequest SetRequest(OperationInput i, string? template)
    {
        if (Reader(i).Object("ManagedExecution")?.Bool("Active") == true)
            throw CloudFormationErrors.NotServed("ManagedExecution Active", "managed execution (queued, concurrent stack set operations) is not built; operations run one at a time");
        return new StackSetRequest(
            i.Required("StackSetName"),
            i.String("Description"),
            template,
            i.Has("Parameters") ? StackSetInputs.Parameters(Reader(i).Objects("Parameters")) : null,
            i.Has("Capabilities") ? i.Strings("Capabilities") : null,
            i.Has("Tags") ? i.Tags().Select(t => new StackTag(t.Key, t.Value)).ToList() : null,
            i.String("AdministrationRoleARN"),
            i.String("ExecutionRoleName"),
            i.String("ClientRequestToken"));
    }

    private static InstanceTargets Targets(OperationInput i)
    {
        RefuseOrganizations(i);
        return new InstanceTargets(StackSetInputs.Accounts(i), i.Strings("Regions"),
            StackSetInputs.Preferences(Reader(i).Object("OperationPreferences")), i.String("OperationId"));
    }

    /// <summary>The values of the request's Filters entry with this name, or null when it has none.</summary>
    private static HashSet<string>? FilterValues(OperationInput i, string name)
    {
        var values = Reader(i).Objects("Filters").Where(f => f.String("Name") == name).Select(f => f.Required("Values")).ToHashSet(StringComparer.Ordinal);
        return values.Count == 0 ? null : values;
    }

    private static JsonObject OperationId(string id) => new() { ["OperationId"] = id };

    private static JsonArray Parameters(IReadOnlyDictionary<string, string> values) =>
        Array(values.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new JsonObject { ["ParameterKey"] = p.Key, ["ParameterValue"] = p.Value }));

    private JsonObject StackSet(StackSetRecord s)
    {
        var result = new JsonObject { ["StackSetName"] = s.StackSetName, ["StackSetId"] = s.StackSetId };
        if (s.Description is not null) result["Description"] = s.Description;
        result["Status"] = s.Status;
        result["TemplateBody"] = s.TemplateBody;
        result["Parameters"] = Parameters(s.Parameters);
        result["Capabilities"] = Array(s.Capabilities.Select(c => JsonValue.Create(c)));
        result["Tags"] = Array(s.Tags.Select(t => new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value }));
        result["StackSetARN"] = s.Arn;
        result["AdministrationRoleARN"] = s.AdministrationRoleArn;
        result["ExecutionRoleName"] = s.ExecutionRoleName;
        result["StackSetDriftDetectionDetails"] = DriftDetails(s.Drift);
        result["PermissionModel"] = "SELF_MANAGED";
        result["ManagedExecution"] = new JsonObject { ["Active"] = false };
        result["Regions"] = Array(StackSets.InstancesOf(s.StackSetId).Select(i => i.Region).Distinct().Select(r => JsonValue.Create(r)));
        return result;
    }

    private static JsonObject StackSetSummary(StackSetRecord s)
    {
        var summary = new JsonObject { ["StackSetName"] = s.StackSetName, ["StackSetId"] = s.StackSetId };
        if (s.Description is not null) summary["Description"] = s.Description;
        summary["Status"] = s.Status;
        summary["PermissionModel"] = "SELF_MANAGED";
        summary["DriftStatus"] = s.Drift?.DriftStatus ?? StackDrift.NotChecked;
        if (s.Drift?.CheckedAt is { } checkedAt) summary["LastDriftCheckTimestamp"] = checkedAt;
        summary["ManagedExecution"] = new JsonObject { ["Active"] = false };
        return summary;
    }

    private static JsonObject DriftDetails(StackSetDriftDetails? d)
    {
        var details = new JsonObject { ["DriftStatus"] = d?.DriftStatus ?? StackDrift.NotChecked };
        if (d is null) return details;
        details["DriftDetectionStatus"] = d.DetectionStatus;
        if (d.CheckedAt is { } checkedAt) details["LastDriftCheckTimestamp"] = checkedAt;
        details["TotalStackInstancesCount"] = d.Total;
        details["DriftedStackInstancesCount"] = d.Drifted;
        details["InSyncStackInstancesCount"] = d.InSync;
        details["InProgressStackInstancesCount"] = d.InProgress;
        details["FailedStackInstancesCount"] = d.Failed;
        return details;
    }

    private static JsonObject Preferences(OperationPreferences p)
    {
        var result = new JsonObject { ["RegionConcurrencyType"] = p.RegionConcurrencyType ?? "SEQUENTIAL" };
        if (p.RegionOrder.Count > 0) result["RegionOrder"] = Array(p.RegionOrder.Select(r => JsonValue.Create(r)));
        if (p.FailureToleranceCount is { } failureCount) result["FailureToleranceCount"] = failureCount;
        if (p.FailureTolerancePercentage is { } failurePercent) result["FailureTolerancePercentage"] = failurePercent;
        if (p.MaxConcurrentCount is { } concurrentCount) result["MaxConcurrentCount"] = concurrentCount;
        if (p.MaxConcurrentPercentage is { } concurrentPercent) result["MaxConcurrentPercentage"] = concurrentPercent;
        if (p.ConcurrencyMode is not null) result["ConcurrencyMode"] = p.ConcurrencyMode;
        return result;
    }

    private static JsonObject StackSetOperationSummary(StackSetOperationRecord o)
    {
        var summary = new JsonObject
        {
            ["OperationId"] = o.OperationId,
            ["Action"] = o.Action,
            ["Status"] = o.Status,
            ["CreationTimestamp"] = o.CreationTimestamp,
        };
        if (o.EndTimestamp is { } ended) summary["EndTimestamp"] = ended;
        if (o.StatusReason is not null) summary["StatusReason"] = o.StatusReason;
        summary["StatusDetails"] = new JsonObject { ["FailedStackInstancesCount"] = o.Results.Count(r => r.Status == InstanceStatus.Failed) };
        summary["OperationPreferences"] = Preferences(o.Preferences);
        return summary;
    }

    private static JsonObject StackSetOperation(StackSetOperationRecord o)
    {
        var result = new JsonObject
        {
            ["OperationId"] = o.OperationId,
            ["StackSetId"] = o.StackSetId,
            ["Action"] = o.Action,
            ["Status"] = o.Status,
            ["OperationPreferences"] = Preferences(o.Preferences),
        };
        if (o.RetainStacks is { } retain) result["RetainStacks"] = retain;
        result["AdministrationRoleARN"] = o.AdministrationRoleArn;
        result["ExecutionRoleName"] = o.ExecutionRoleName;
        result["CreationTimestamp"] = o.CreationTimestamp;
        if (o.EndTimestamp is { } ended) result["EndTimestamp"] = ended;
        result["DeploymentTargets"] = new JsonObject { ["Accounts"] = Array(o.Accounts.Select(a => JsonValue.Create(a))) };
        if (o.Drift is not null) result["StackSetDriftDetectionDetails"] = DriftDetails(o.Drift);
        if (o.StatusReason is not null) result["StatusReason"] = o.StatusReason;
        result["StatusDetails"] = new JsonObject { ["FailedStackInstancesCount"] = o.Results.Count(r => r.Status == InstanceStatus.Failed) };
        return result;
    }

    private static JsonObject ResultSummary(OperationResultRecord r)
    {
        var result = new JsonObject { ["Account"] = r.Account, ["Region"] = r.Region, ["Status"] = r.Status };
        if (r.StatusReason is not null) result["StatusReason"] = r.StatusReason;
        return result;
    }

    private static JsonObject StackInstance(StackInstanceRecord s, bool summary)
    {
        var result = new JsonObject { ["StackSetId"] = s.StackSetId, ["Region"] = s.Region, ["Account"] = s.Account };
        if (s.StackId is not null) result["StackId"] = s.StackId;
        if (!summary) result["ParameterOverrides"] = Parameters(s.ParameterOverrides);
        result["Status"] = s.Status;
        result["StackInstanceStatus"] = new JsonObject { ["DetailedStatus"] = s.DetailedStatus };
        if (s.StatusReason is not null) result["StatusReason"] = s.StatusReason;
        result["DriftStatus"] = s.DriftStatus;
        if (s.DriftCheckedAt is { } checkedAt) result["LastDriftCheckTimestamp"] = checkedAt;
        if (s.LastOperationId is not null) result["LastOperationId"] = s.LastOperationId;
        return result;
    }

    private static JsonObject InstanceResourceDrift(StackRecord stack, StackResourceRecord r)
    {
        var drift = r.Drift!;
        var result = new JsonObject { ["StackId"] = stack.StackId, ["LogicalResourceId"] = r.LogicalId };
        if (r.PhysicalId is not null) result["PhysicalResourceId"] = r.PhysicalId;
        result["ResourceType"] = r.Type;
        result["PropertyDifferences"] = Array(drift.Differences.Select(d => new JsonObject
        {
            ["PropertyPath"] = d.PropertyPath,
            ["ExpectedValue"] = d.ExpectedValue,
            ["ActualValue"] = d.ActualValue,
            ["DifferenceType"] = d.DifferenceType,
        }));
        result["StackResourceDriftStatus"] = drift.Status;
        result["Timestamp"] = drift.Timestamp;
        return result;
    }
}
