using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.Iam;

/// <summary>IAM's access advisor: service last accessed reports and the policies granting a service, in IAM's shapes.</summary>
public sealed partial class IamApi
{
    private void AddLastAccessedOperations(OperationTable table)
    {
        table.Add("GenerateServiceLastAccessedDetails", i => new JsonObject
        {
            ["JobId"] = _iam.GenerateServiceLastAccessedDetails(i.Scope, i.Required("Arn"), i.String("Granularity")),
        });
        table.Add("GetServiceLastAccessedDetails", i =>
        {
            var job = _iam.GetServiceLastAccessedDetails(i.Scope, i.Required("JobId"));
            var page = IamService.Paginate(job.Services, s => s.Namespace, i.String("Marker"), i.Int("MaxItems"));
            var body = WithJob(job, Paged(page, "ServicesLastAccessed", ServiceLastAccessed));
            body["JobType"] = job.Granularity;
            return body;
        });
        table.Add("GetServiceLastAccessedDetailsWithEntities", i =>
        {
            var job = _iam.GetServiceLastAccessedDetails(i.Scope, i.Required("JobId"));
            var serviceNamespace = i.Required("ServiceNamespace");
            var entities = job.Services.FirstOrDefault(s => s.Namespace == serviceNamespace)?.Entities ?? [];
            var page = IamService.Paginate(entities.Select((e, n) => (Key: n.ToString("D8"), Entity: e)), e => e.Key, i.String("Marker"), i.Int("MaxItems"));
            return WithJob(job, Paged(page, "EntityDetailsList", e => EntityDetails(e.Entity)));
        });
        table.Add("ListPoliciesGrantingServiceAccess", i =>
        {
            var page = _iam.ListPoliciesGrantingServiceAccess(i.Scope, i.Required("Arn"), i.Strings("ServiceNamespaces"), i.String("Marker"));
            return Paged(page, "PoliciesGrantingServiceAccess", entry => new JsonObject
            {
                ["ServiceNamespace"] = entry.Namespace,
                ["Policies"] = new JsonArray(entry.Policies.Select(p => (JsonNode)GrantingPolicy(p)).ToArray()),
            });
        });
    }

    /// <summary>Reports are made when asked for, so a job is complete when it is first read.</summary>
    private static JsonObject WithJob(IamAccessReportJob job, JsonObject body)
    {
        body["JobStatus"] = "COMPLETED";
        body["JobCreationDate"] = job.Created;
        body["JobCompletionDate"] = job.Created;
        return body;
    }

    private static JsonObject ServiceLastAccessed(IamServiceAccess service)
    {
        var body = new JsonObject
        {
            ["ServiceName"] = ServiceNamespaces.Names[service.Namespace],
            ["ServiceNamespace"] = service.Namespace,
        };
        var used = service.Entities.Where(e => e.LastAuthenticated is not null).ToList();
        if (used.MaxBy(e => e.LastAuthenticated) is { } last)
        {
            body["LastAuthenticated"] = last.LastAuthenticated;
            body["LastAuthenticatedEntity"] = last.Arn;
            body["LastAuthenticatedRegion"] = last.Region;
            body["TotalAuthenticatedEntities"] = used.Count;
        }
        if (service.Actions is { } actions)
            body["TrackedActionsLastAccessed"] = new JsonArray(actions.Select(a => (JsonNode)new JsonObject
            {
                ["ActionName"] = a.ActionName,
                ["LastAccessedEntity"] = a.EntityArn,
                ["LastAccessedTime"] = a.When,
                ["LastAccessedRegion"] = a.Region,
            }).ToArray());
        return body;
    }

    private static JsonObject EntityDetails(IamEntityAccess entity)
    {
        var body = new JsonObject
        {
            ["EntityInfo"] = new JsonObject
            {
                ["Arn"] = entity.Arn,
                ["Name"] = entity.Name,
                ["Type"] = entity.Type,
                ["Id"] = entity.Id,
                ["Path"] = entity.Path,
            },
        };
        if (entity.LastAuthenticated is { } when) body["LastAuthenticated"] = when;
        return body;
    }

    private static JsonObject GrantingPolicy(IamGrantingPolicy policy)
    {
        var body = new JsonObject { ["PolicyName"] = policy.PolicyName, ["PolicyType"] = policy.PolicyType };
        if (policy.PolicyArn is { } arn) body["PolicyArn"] = arn;
        if (policy.EntityType is { } type) body["EntityType"] = type;
        if (policy.EntityName is { } name) body["EntityName"] = name;
        return body;
    }
}
