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
        ("API Gateway portals (portals, portal products and their pages) are not built",
        [
            new("POST", "/v2/portals", "CreatePortal"),
            new("DELETE", "/v2/portals/{portalId}", "DeletePortal"),
            new("DELETE", "/v2/portals/{portalId}/publish", "DisablePortal"),
            new("GET", "/v2/portals/{portalId}", "GetPortal"),
            new("GET", "/v2/portals", "ListPortals"),
            new("POST", "/v2/portals/{portalId}/preview", "PreviewPortal"),
            new("POST", "/v2/portals/{portalId}/publish", "PublishPortal"),
            new("PATCH", "/v2/portals/{portalId}", "UpdatePortal"),
            new("POST", "/v2/portalproducts", "CreatePortalProduct"),
            new("DELETE", "/v2/portalproducts/{portalProductId}", "DeletePortalProduct"),
            new("GET", "/v2/portalproducts/{portalProductId}", "GetPortalProduct"),
            new("GET", "/v2/portalproducts", "ListPortalProducts"),
            new("PATCH", "/v2/portalproducts/{portalProductId}", "UpdatePortalProduct"),
            new("DELETE", "/v2/portalproducts/{portalProductId}/sharingpolicy", "DeletePortalProductSharingPolicy"),
            new("GET", "/v2/portalproducts/{portalProductId}/sharingpolicy", "GetPortalProductSharingPolicy"),
            new("PUT", "/v2/portalproducts/{portalProductId}/sharingpolicy", "PutPortalProductSharingPolicy"),
            new("POST", "/v2/portalproducts/{portalProductId}/productpages", "CreateProductPage"),
            new("DELETE", "/v2/portalproducts/{portalProductId}/productpages/{productPageId}", "DeleteProductPage"),
            new("GET", "/v2/portalproducts/{portalProductId}/productpages/{productPageId}", "GetProductPage"),
            new("GET", "/v2/portalproducts/{portalProductId}/productpages", "ListProductPages"),
            new("PATCH", "/v2/portalproducts/{portalProductId}/productpages/{productPageId}", "UpdateProductPage"),
            new("POST", "/v2/portalproducts/{portalProductId}/productrestendpointpages", "CreateProductRestEndpointPage"),
            new("DELETE", "/v2/portalproducts/{portalProductId}/productrestendpointpages/{productRestEndpointPageId}", "DeleteProductRestEndpointPage"),
            new("GET", "/v2/portalproducts/{portalProductId}/productrestendpointpages/{productRestEndpointPageId}", "GetProductRestEndpointPage"),
            new("GET", "/v2/portalproducts/{portalProductId}/productrestendpointpages", "ListProductRestEndpointPages"),
            new("PATCH", "/v2/portalproducts/{portalProductId}/productrestendpointpages/{productRestEndpointPageId}", "UpdateProductRestEndpointPage"),
        ]),
    ];

    /// <summary>The refused operations with their reasons, as README lists them.</summary>
    public static readonly IReadOnlyList<(string Operation, string Reason)> Operations = NotServedOperations.Group(Groups);

    /// <summary>botocore's bindings of the refused operations, so that each is refused by name rather than as an unknown path.</summary>
    public static IEnumerable<RestRoute> Routes => Groups.SelectMany(g => g.Routes);
}
