using Stratus.Protocols;
using Stratus.Protocols.RestJson;

namespace Stratus.Services.ApiGateway;

/// <summary>
/// The operations of botocore's apigateway model that Stratus does not serve, each with the reason README's API Gateway
/// section gives. They answer BadRequestException naming the operation and the reason, never a fake answer.
/// </summary>
public static class ApiGatewayNotServed
{
    private static readonly (string Reason, RestRoute[] Routes)[] Groups =
    [
        ("private custom domain name access associations need VPC endpoints, which Stratus does not serve",
        [
            new("POST", "/domainnameaccessassociations", "CreateDomainNameAccessAssociation"),
            new("DELETE", "/domainnameaccessassociations/{domain_name_access_association_arn}", "DeleteDomainNameAccessAssociation"),
            new("GET", "/domainnameaccessassociations", "GetDomainNameAccessAssociations"),
            new("POST", "/rejectdomainnameaccessassociations", "RejectDomainNameAccessAssociation"),
        ]),
        ("VPC links carry traffic into a VPC through a Network Load Balancer, which Stratus does not serve",
        [
            new("POST", "/vpclinks", "CreateVpcLink"),
            new("DELETE", "/vpclinks/{vpclink_id}", "DeleteVpcLink"),
            new("GET", "/vpclinks/{vpclink_id}", "GetVpcLink"),
            new("GET", "/vpclinks", "GetVpcLinks"),
            new("PATCH", "/vpclinks/{vpclink_id}", "UpdateVpcLink"),
        ]),
    ];

    /// <summary>The refused operations with their reasons, as README lists them.</summary>
    public static readonly IReadOnlyList<(string Operation, string Reason)> Operations = NotServedOperations.Group(Groups);

    /// <summary>botocore's bindings of the refused operations, so that each is refused by name rather than as an unknown path.</summary>
    public static IEnumerable<RestRoute> Routes => Groups.SelectMany(g => g.Routes);
}
