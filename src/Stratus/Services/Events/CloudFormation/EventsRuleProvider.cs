using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Events.CloudFormation;

/// <summary>
/// AWS::Events::Rule through EventBridge's domain: the rule (PutRule's members, EventPattern as a JSON object) and
/// its Targets. Ref is the rule's name (bus|name on a custom bus, as CloudFormation answers); GetAtt Arn.
/// </summary>
public sealed class EventsRuleProvider(EventsService events) : IResourceProvider
{
    public string Type => "AWS::Events::Rule";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "Name", "EventBusName" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var name = request.Properties.String("Name") ?? request.GeneratedName(64);
        var rule = events.PutRule(request.Scope, RuleSettings.Read(request.Properties, name));
        try
        {
            SetTargets(request, rule, []);
        }
        catch
        {
            // A rule whose targets were refused is not left behind half made.
            events.DeleteRule(request.Scope, rule.Name, rule.EventBusName, force: true);
            throw;
        }
        return Task.FromResult(Provisioned(rule));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var (bus, name) = Parse(current.PhysicalId);
        var before = events.DescribeRule(request.Scope, name, bus);
        var rule = events.PutRule(request.Scope, RuleSettings.Read(request.Properties, name));
        SetTargets(request, rule, before.Targets);
        return Task.FromResult(Provisioned(rule));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        var (bus, name) = Parse(current.PhysicalId);
        // CloudFormation removes the rule's targets with it.
        events.DeleteRule(request.Scope, name, bus, force: true);
        return Task.CompletedTask;
    }

    /// <summary>Brings the rule's targets to those the template states.</summary>
    private void SetTargets(ResourceRequest request, EventRule rule, IReadOnlyList<EventTarget> before)
    {
        var targets = ((IInputReader)request.Properties).Objects("Targets").Select(EventTarget.Read).ToList();
        var gone = before.Select(t => t.Id).Except(targets.Select(t => t.Id)).ToHashSet(StringComparer.Ordinal);
        if (gone.Count > 0) events.RemoveTargets(request.Scope, rule.Name, rule.EventBusName, gone);
        if (targets.Count > 0) events.PutTargets(request.Scope, rule.Name, rule.EventBusName, targets);
    }

    private static ProvisionedResource Provisioned(EventRule rule) => new(
        rule.EventBusName == EventsService.DefaultBus ? rule.Name : $"{rule.EventBusName}|{rule.Name}",
        new Dictionary<string, string> { ["Arn"] = rule.Arn });

    private static (string Bus, string Name) Parse(string physicalId) =>
        physicalId.Split('|') is [var bus, var name] ? (bus, name) : (EventsService.DefaultBus, physicalId);
}
