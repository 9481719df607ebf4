using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Generator;

namespace Stratus.Services.CloudFormation;

/// <summary>CloudFormation's IaC generator on the wire: resource scans and the templates generated from their resources.</summary>
public sealed partial class CloudFormationApi
{
    private IacGenerator Generator => _cfn.Generator;

    private void AddGeneratorOperations(OperationTable operations)
    {
        operations.Add("StartResourceScan", i => new JsonObject
        {
            ["ResourceScanId"] = Generator.StartScan(i.Scope, i.String("ClientRequestToken"),
                i.List("ScanFilters").OfType<JsonObject>().SelectMany(f => i.Nested(f).Strings("Types")).ToList()).ResourceScanId,
        });
        operations.Add("DescribeResourceScan", i => ResourceScan(Generator.Scan(i.Scope, i.Required("ResourceScanId"))));
        operations.Add("ListResourceScans", i => Paged(i, "ResourceScanSummaries", Generator.Scans(i.Scope, i.String("ScanTypeFilter")), s =>
        {
            var summary = ScanTimes(s);
            summary["ScanType"] = s.ScanType;
            return summary;
        }, i.Int("MaxResults") ?? 10));
        operations.Add("ListResourceScanResources", i => Paged(i, "Resources",
            Generator.ScanResources(i.Scope, i.Required("ResourceScanId"), i.String("ResourceIdentifier"), i.String("ResourceTypePrefix"),
                i.String("TagKey"), i.String("TagValue")), ScannedResource, i.Int("MaxResults") ?? PageSize));
        operations.Add("ListResourceScanRelatedResources", i => Paged(i, "RelatedResources",
            Generator.RelatedResources(i.Scope, i.Required("ResourceScanId"), TemplateResources(i, "Resources")), ScannedResource, i.Int("MaxResults") ?? PageSize));

        operations.Add("CreateGeneratedTemplate", i => new JsonObject
        {
            ["GeneratedTemplateId"] = Generator.CreateTemplate(i.Scope, i.Required("GeneratedTemplateName"), TemplateResources(i, "Resources"),
                i.String("StackName"), Configuration(i)).GeneratedTemplateId,
        });
        operations.Add("UpdateGeneratedTemplate", i => new JsonObject
        {
            ["GeneratedTemplateId"] = Generator.UpdateTemplate(i.Scope, i.Required("GeneratedTemplateName"), i.String("NewGeneratedTemplateName"),
                TemplateResources(i, "AddResources"), i.Strings("RemoveResources"), Configuration(i)).GeneratedTemplateId,
        });
        operations.Add("DescribeGeneratedTemplate", i => GeneratedTemplate(Generator.Template(i.Scope, i.Required("GeneratedTemplateName"))));
        operations.Add("GetGeneratedTemplate", i =>
        {
            var template = Generator.Template(i.Scope, i.Required("GeneratedTemplateName"));
            return new JsonObject { ["Status"] = template.Status, ["TemplateBody"] = IacGenerator.Body(template, i.String("Format") ?? "JSON") };
        });
        operations.Add("DeleteGeneratedTemplate", i => Empty(() => Generator.DeleteTemplate(i.Scope, i.Required("GeneratedTemplateName"))));
        operations.Add("ListGeneratedTemplates", i => Paged(i, "Summaries", Generator.Templates(i.Scope), t => new JsonObject
        {
            ["GeneratedTemplateId"] = t.GeneratedTemplateId,
            ["GeneratedTemplateName"] = t.GeneratedTemplateName,
            ["Status"] = t.Status,
            ["CreationTime"] = t.CreationTime,
            ["LastUpdatedTime"] = t.LastUpdatedTime,
            ["NumberOfResources"] = t.Resources.Count,
        }, i.Int("MaxResults") ?? PageSize));
    }

    private static List<TemplateResourceRequest> TemplateResources(OperationInput i, string member) =>
        i.List(member).OfType<JsonObject>().Select(r =>
        {
            var resource = i.Nested(r);
            return new TemplateResourceRequest(resource.Required("ResourceType"), resource.String("LogicalResourceId"), resource.StringMap("ResourceIdentifier"));
        }).ToList();

    private static TemplateConfiguration Configuration(OperationInput i) =>
        i.Object("TemplateConfiguration") is { } configuration && i.Nested(configuration) is var c
            ? new TemplateConfiguration(c.String("DeletionPolicy"), c.String("UpdateReplacePolicy"))
            : new TemplateConfiguration(null, null);

    /// <summary>The members a scan's description and its summary share.</summary>
    private static JsonObject ScanTimes(ResourceScanRecord s)
    {
        var result = new JsonObject { ["ResourceScanId"] = s.ResourceScanId, ["Status"] = s.Status };
        if (s.StatusReason is not null) result["StatusReason"] = s.StatusReason;
        result["StartTime"] = s.StartTime;
        if (s.EndTime is { } end) result["EndTime"] = end;
        result["PercentageCompleted"] = s.Status == "IN_PROGRESS" ? 0.0 : 100.0;
        return result;
    }

    private static JsonObject ResourceScan(ResourceScanRecord s)
    {
        var result = ScanTimes(s);
        SetList(result, "ResourceTypes", s.ResourceTypes.Select(t => JsonValue.Create(t)));
        if (s.Status != "IN_PROGRESS")
        {
            // Each resource listed is read in the same pass, so the two counts agree.
            result["ResourcesScanned"] = s.Resources.Count;
            result["ResourcesRead"] = s.Resources.Count;
        }
        if (s.TypeFilters.Count > 0) result["ScanFilters"] = new JsonArray(new JsonObject { ["Types"] = Array(s.TypeFilters.Select(t => JsonValue.Create(t))) });
        return result;
    }

    private static JsonObject ScannedResource(ScannedResource r) => new()
    {
        ["ResourceType"] = r.ResourceType,
        ["ResourceIdentifier"] = new JsonObject(r.ResourceIdentifier.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
        ["ManagedByStack"] = r.ManagedByStack,
    };

    private static JsonObject GeneratedTemplate(GeneratedTemplateRecord t)
    {
        var result = new JsonObject
        {
            ["GeneratedTemplateId"] = t.GeneratedTemplateId,
            ["GeneratedTemplateName"] = t.GeneratedTemplateName,
            ["Resources"] = Array(t.Resources.Select(r =>
            {
                var resource = new JsonObject
                {
                    ["ResourceType"] = r.ResourceType,
                    ["LogicalResourceId"] = r.LogicalResourceId,
                    ["ResourceIdentifier"] = new JsonObject(r.ResourceIdentifier.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
                    ["ResourceStatus"] = r.Status,
                    ["Warnings"] = new JsonArray(),
                };
                if (r.StatusReason is not null) resource["ResourceStatusReason"] = r.StatusReason;
                return resource;
            })),
            ["Status"] = t.Status,
        };
        if (t.StatusReason is not null) result["StatusReason"] = t.StatusReason;
        result["CreationTime"] = t.CreationTime;
        result["LastUpdatedTime"] = t.LastUpdatedTime;
        result["Progress"] = new JsonObject
        {
            ["ResourcesSucceeded"] = t.Resources.Count(r => r.Status == "COMPLETE"),
            ["ResourcesFailed"] = t.Resources.Count(r => r.Status == "FAILED"),
            ["ResourcesProcessing"] = 0,
            ["ResourcesPending"] = 0,
        };
        result["TemplateConfiguration"] = new JsonObject { ["DeletionPolicy"] = t.DeletionPolicy, ["UpdateReplacePolicy"] = t.UpdateReplacePolicy };
        result["TotalWarnings"] = 0;
        return result;
    }
}
