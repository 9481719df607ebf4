using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.StackRefactors;

namespace Stratus.Services.CloudFormation;

/// <summary>CloudFormation's stack refactor operations on the wire.</summary>
public sealed partial class CloudFormationApi
{
    private void AddRefactorOperations(OperationTable operations)
    {
        operations.Add("CreateStackRefactor", i => new JsonObject
        {
            ["StackRefactorId"] = _cfn.CreateStackRefactor(i.Scope, i.String("Description"), i.Bool("EnableStackCreation") ?? false,
                i.List("StackDefinitions").OfType<JsonObject>().Select(d =>
                {
                    var definition = i.Nested(d);
                    return new StackDefinition(definition.Required("StackName"),
                        _cfn.TemplateOf(i.Scope, definition.String("TemplateBody"), definition.String("TemplateURL")));
                }).ToList(),
                i.List("ResourceMappings").OfType<JsonObject>().Select(m =>
                {
                    var mapping = i.Nested(m);
                    return new ResourceMapping(Location(i, mapping.Object("Source")), Location(i, mapping.Object("Destination")));
                }).ToList()).StackRefactorId,
        });
        operations.Add("DescribeStackRefactor", i =>
        {
            var refactor = _cfn.StackRefactor(i.Scope, i.Required("StackRefactorId"));
            var result = RefactorSummary(refactor);
            result["StackIds"] = Array(refactor.Stacks.Select(s => JsonValue.Create(s.StackId)));
            return result;
        });
        operations.Add("ExecuteStackRefactor", i =>
        {
            _cfn.ExecuteStackRefactor(i.Scope, i.Required("StackRefactorId"));
            return new JsonObject();
        });
        operations.Add("ListStackRefactorActions", i => Paged(i, "StackRefactorActions",
            _cfn.StackRefactor(i.Scope, i.Required("StackRefactorId")).Actions, RefactorAction, i.Int("MaxResults") ?? PageSize));
        operations.Add("ListStackRefactors", i => Paged(i, "StackRefactorSummaries",
            _cfn.StackRefactors(i.Scope, i.Strings("ExecutionStatusFilter")), RefactorSummary, i.Int("MaxResults") ?? PageSize));
    }

    /// <summary>A ResourceMappings Source or Destination; both members are required by the model, whose rules refuse the call without them.</summary>
    private static ResourceLocation Location(OperationInput i, JsonObject? location)
    {
        var reader = i.Nested(location ?? []);
        return new ResourceLocation(reader.Required("StackName"), reader.Required("LogicalResourceId"));
    }

    private static JsonObject RefactorSummary(StackRefactorRecord r)
    {
        var summary = new JsonObject { ["StackRefactorId"] = r.StackRefactorId };
        if (r.Description is not null) summary["Description"] = r.Description;
        summary["ExecutionStatus"] = r.ExecutionStatus;
        if (r.ExecutionStatusReason is not null) summary["ExecutionStatusReason"] = r.ExecutionStatusReason;
        summary["Status"] = r.Status;
        if (r.StatusReason is not null) summary["StatusReason"] = r.StatusReason;
        return summary;
    }

    private static JsonObject RefactorAction(StackRefactorAction a)
    {
        var action = new JsonObject { ["Action"] = a.Action, ["Entity"] = a.Entity };
        if (a.PhysicalResourceId is not null) action["PhysicalResourceId"] = a.PhysicalResourceId;
        if (a.Description is not null) action["Description"] = a.Description;
        if (a.Detection is not null) action["Detection"] = a.Detection;
        if (a.Mapping is { } mapping)
            action["ResourceMapping"] = new JsonObject
            {
                ["Source"] = new JsonObject { ["StackName"] = mapping.Source.StackName, ["LogicalResourceId"] = mapping.Source.LogicalResourceId },
                ["Destination"] = new JsonObject { ["StackName"] = mapping.Destination.StackName, ["LogicalResourceId"] = mapping.Destination.LogicalResourceId },
            };
        return action;
    }
}
