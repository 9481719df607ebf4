using Stratus.Protocols;
using Stratus.Protocols.RestJson;

namespace Stratus.Services.Lambda;

/// <summary>
/// The operations of botocore's lambda model that Stratus does not serve, each with the reason README's Lambda section
/// gives. They answer InvalidParameterValueException naming the operation and the reason, never a fake answer.
/// </summary>
public static class LambdaNotServed
{
    private static readonly (string Reason, RestRoute[] Routes)[] Groups =
    [
        ("Lambda Managed Instances (capacity providers and function scaling configs) run functions on EC2 instances, which Stratus does not serve",
        [
            new("POST", "/2025-11-30/capacity-providers", "CreateCapacityProvider"),
            new("DELETE", "/2025-11-30/capacity-providers/{CapacityProviderName}", "DeleteCapacityProvider"),
            new("GET", "/2025-11-30/capacity-providers/{CapacityProviderName}", "GetCapacityProvider"),
            new("GET", "/2025-11-30/capacity-providers", "ListCapacityProviders"),
            new("PUT", "/2025-11-30/capacity-providers/{CapacityProviderName}", "UpdateCapacityProvider"),
            new("GET", "/2025-11-30/capacity-providers/{CapacityProviderName}/function-versions", "ListFunctionVersionsByCapacityProvider"),
            new("GET", "/2025-11-30/functions/{FunctionName}/function-scaling-config", "GetFunctionScalingConfig"),
            new("PUT", "/2025-11-30/functions/{FunctionName}/function-scaling-config", "PutFunctionScalingConfig"),
        ]),
        ("event source mappings poll SQS, Kinesis, DynamoDB streams, Kafka or Amazon MQ, none of which Stratus serves",
        [
            new("POST", "/2015-03-31/event-source-mappings", "CreateEventSourceMapping"),
            new("DELETE", "/2015-03-31/event-source-mappings/{UUID}", "DeleteEventSourceMapping"),
            new("GET", "/2015-03-31/event-source-mappings/{UUID}", "GetEventSourceMapping"),
            new("GET", "/2015-03-31/event-source-mappings", "ListEventSourceMappings"),
            new("PUT", "/2015-03-31/event-source-mappings/{UUID}", "UpdateEventSourceMapping"),
        ])
    ];

    /// <summary>The refused operations with their reasons, as README lists them.</summary>
    public static readonly IReadOnlyList<(string Operation, string Reason)> Operations = NotServedOperations.Group(Groups);

    /// <summary>botocore's bindings of the refused operations, so that each is refused by name rather than as an unknown path.</summary>
    public static IEnumerable<RestRoute> Routes => Groups.SelectMany(g => g.Routes);
}
