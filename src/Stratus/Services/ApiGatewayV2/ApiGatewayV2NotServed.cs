using Stratus.Protocols;
using Stratus.Protocols.RestJson;

namespace Stratus.Services.ApiGatewayV2;

/// <summary>
/// The operations of botocore's apigatewayv2 model that Stratus does not serve, each with the reason README's HTTP APIs
/// section gives. They answer BadRequestException naming the operation and the reason, never a fake answer.
/// </summary>
public static class ApiGatewayV2NotServed
{
    private static readonly (string Reason, RestRoute[] Routes)[] Groups =
    [
        ("VPC links carry traffic into a VPC through load balancers, which Stratus does not serve",
        [
            new("POST", "/v2/vpclinks", "CreateVpcLink"),
            new("DELETE", "/v2/vpclinks/{vpcLinkId}", "DeleteVpcLink"),
            new("GET", "/v2/vpclinks/{vpcLinkId}", "GetVpcLink"),
            new("GET", "/v2/vpclinks", "GetVpcLinks"),
            new("PATCH", "/v2/vpclinks/{vpcLinkId}", "UpdateVpcLink"),
        ]),
    ];

    /// <summary>The refused operations with their reasons, as README lists them.</summary>
    public static readonly IReadOnlyList<(string Operation, string Reason)> Operations = NotServedOperations.Group(Groups);

    /// <summary>botocore's bindings of the refused operations, so that each is refused by name rather than as an unknown path.</summary>
    public static IEnumerable<RestRoute> Routes => Groups.SelectMany(g => g.Routes);
}
