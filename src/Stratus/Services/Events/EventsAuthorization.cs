using Stratus.Protocols;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.Events;

/// <summary>
/// What `--auth enforce` authorizes EventBridge's operations against (Service Authorization Reference):
/// a rule, arn:aws:events:REGION:ACCOUNT:rule/NAME on the default bus and rule/BUS/NAME on another; an
/// event bus, event-bus/NAME, for bus operations and PutEvents (each entry's bus).
/// </summary>
public static class EventsAuthorization
{
    /// <summary>A rule's RoleArn and each target's RoleArn are passed to EventBridge: iam:PassRole on each, with iam:PassedToService events.amazonaws.com.</summary>
    private static readonly Dictionary<string, PassedRole> PassedRoles = new(StringComparer.Ordinal)
    {
        ["PutRule"] = new("RoleArn", "events.amazonaws.com"),
        ["PutTargets"] = new("RoleArn", "events.amazonaws.com", InListMember: "Targets"),
    };

    public static AuthorizationTable Table() => new("events", unlisted: i =>
        (i.String("Name") ?? i.String("Rule")) is { } rule && i.String("ResourceARN") is null ? [Rule(i, rule)]
        : i.String("ResourceARN") is { } arn ? [arn]
        : [], passedRoles: PassedRoles)
    {
        { ["CreateEventBus", "DeleteEventBus", "DescribeEventBus"], i => Bus(i, i.String("Name") ?? "default") },
        { "PutEvents", i => ((IInputReader)i).Objects("Entries").Select(e => Bus(i, e.String("EventBusName") ?? "default")) },
    };

    private static string Rule(OperationInput i, string name)
    {
        if (name.StartsWith("arn:", StringComparison.Ordinal)) return name;
        var bus = i.String("EventBusName") is { } b && b != "default" ? $"{BusName(b)}/" : "";
        return AuthorizationTable.Arn(i, "events", $"rule/{bus}{name}");
    }

    private static string Bus(OperationInput i, string name) => AuthorizationTable.ArnOrBuild(name, n => AuthorizationTable.Arn(i, "events", $"event-bus/{n}"));

    private static string BusName(string nameOrArn) => nameOrArn.StartsWith("arn:", StringComparison.Ordinal) ? nameOrArn[(nameOrArn.LastIndexOf('/') + 1)..] : nameOrArn;
}
