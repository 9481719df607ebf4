using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Logs.CloudFormation;

/// <summary>
/// AWS::Logs::ScheduledQuery through LogsService, its properties read with CreateScheduledQuery's own input. Ref and
/// ScheduledQueryArn are the query's ARN; a new Name replaces the query, anything else updates it in place.
/// </summary>
public sealed class LogsScheduledQueryProvider(LogsService logs) : IResourceProvider
{
    public string Type => "AWS::Logs::ScheduledQuery";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "Name" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var query = logs.CreateScheduledQuery(request.Scope, p.String("Name") ?? request.GeneratedName(255), ScheduledQuerySettings.Read(p, null), p.TagMap());
        return Task.FromResult(Provisioned(query));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(Provisioned(logs.UpdateScheduledQuery(request.Scope, current.PhysicalId, ScheduledQuerySettings.Read(request.Properties, null))));

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => logs.DeleteScheduledQuery(request.Scope, current.PhysicalId), "ResourceNotFoundException");
        return Task.CompletedTask;
    }

    private static ProvisionedResource Provisioned(ScheduledQuery query) =>
        new(query.Arn, new Dictionary<string, string> { ["ScheduledQueryArn"] = query.Arn });
}
