using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Rds.CloudFormation;

/// <summary>AWS::RDS::EventSubscription through RdsService: recorded, as Stratus has no SNS to deliver to. Ref is the subscription name.</summary>
public sealed class RdsEventSubscriptionProvider(RdsService rds) : IResourceProvider
{
    public string Type => "AWS::RDS::EventSubscription";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "SubscriptionName", "SourceIds" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var subscription = rds.CreateEventSubscription(request.Scope, p.String("SubscriptionName") ?? request.GeneratedName(255).ToLowerInvariant(),
            p.Required("SnsTopicArn"), p.String("SourceType"), p.Strings("EventCategories"), p.Strings("SourceIds"), p.Bool("Enabled"), RdsTag.List(p));
        return Task.FromResult(new ProvisionedResource(subscription.Name, new Dictionary<string, string>()));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        rds.ModifyEventSubscription(request.Scope, current.PhysicalId, p.Required("SnsTopicArn"), p.String("SourceType"), p.Strings("EventCategories"), p.Bool("Enabled") ?? true);
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => rds.DeleteEventSubscription(request.Scope, current.PhysicalId), "SubscriptionNotFound");
        return Task.CompletedTask;
    }
}
