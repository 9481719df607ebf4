using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Events.CloudFormation;

/// <summary>AWS::Events::EventBus: a custom bus. Ref is its name; GetAtt Arn and Name.</summary>
public sealed class EventsEventBusProvider(EventsService events) : IResourceProvider
{
    public string Type => "AWS::Events::EventBus";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "Name", "EventSourceName" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        if (p.String("EventSourceName") is not null) throw p.Invalid("EventSourceName", "Stratus does not serve partner event sources");
        var bus = events.CreateEventBus(request.Scope, p.Required("Name"), p.String("Description"), ((IInputReader)p).TagMap() ?? []);
        return Task.FromResult(Provisioned(bus));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(Provisioned(events.DescribeEventBus(request.Scope, current.PhysicalId)));

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        events.DeleteEventBus(request.Scope, current.PhysicalId);
        return Task.CompletedTask;
    }

    private static ProvisionedResource Provisioned(EventBus bus) =>
        new(bus.Name, new Dictionary<string, string> { ["Arn"] = bus.Arn, ["Name"] = bus.Name });
}
