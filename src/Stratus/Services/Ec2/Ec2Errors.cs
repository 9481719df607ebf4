using Stratus.Protocols;

namespace Stratus.Services.Ec2;

/// <summary>EC2's errors, with its codes and wording. EC2 answers every client error with status 400, not-found included.</summary>
public static class Ec2Errors
{
    public static AwsException AddressNotFound(string publicIp) => new("InvalidAddress.NotFound", $"Address '{publicIp}' not found.");

    public static AwsException AddressAlreadyAssociated(string allocationId) =>
        new("Resource.AlreadyAssociated", $"Elastic IP address [{allocationId}] is already associated");

    public static AwsException InvalidId(string id) => new("InvalidID", $"The ID '{id}' is not valid");

    /// <summary>How a malformed member is refused: EC2's InvalidParameterValue.</summary>
    public static readonly ValidationStyle Validation = new("InvalidParameterValue");

    public static AwsException MissingParameter(string name) => new("MissingParameter", $"The request must contain the parameter {name}");

    public static AwsException InvalidParameterValue(string message) => new("InvalidParameterValue", message);

    public static AwsException InvalidParameterCombination(string message) => new("InvalidParameterCombination", message);

    public static AwsException InvalidFilter(string name) => new("InvalidParameterValue", $"The filter '{name}' is invalid");

    /// <summary>An id that names nothing: InvalidVpcID.NotFound "The vpc ID 'vpc-1' does not exist", and so on for each type.</summary>
    public static AwsException NotFound(string id) => Ec2Ids.KindOf(id) switch
    {
        Ec2Ids.Kind.Vpc => new("InvalidVpcID.NotFound", $"The vpc ID '{id}' does not exist"),
        Ec2Ids.Kind.Subnet => new("InvalidSubnetID.NotFound", $"The subnet ID '{id}' does not exist"),
        Ec2Ids.Kind.SecurityGroup => new("InvalidGroup.NotFound", $"The security group '{id}' does not exist"),
        Ec2Ids.Kind.InternetGateway => new("InvalidInternetGatewayID.NotFound", $"The internetGateway ID '{id}' does not exist"),
        Ec2Ids.Kind.RouteTable => new("InvalidRouteTableID.NotFound", $"The routeTable ID '{id}' does not exist"),
        Ec2Ids.Kind.NatGateway => new("NatGatewayNotFound", $"The Nat Gateway {id} was not found"),
        Ec2Ids.Kind.Address => new("InvalidAllocationID.NotFound", $"The allocation ID '{id}' does not exist"),
        _ => new("InvalidID", $"The ID '{id}' is not valid"),
    };

    public static AwsException GroupNameNotFound(string name, string vpcId) =>
        new("InvalidGroup.NotFound", $"The security group '{name}' does not exist in default VPC '{vpcId}'");

    public static AwsException GroupDuplicate(string name, string vpcId) =>
        new("InvalidGroup.Duplicate", $"The security group '{name}' already exists for VPC '{vpcId}'");

    public static AwsException GroupReserved() =>
        new("InvalidParameterValue", "Value (default) for parameter GroupName is invalid. Group names may not be in the format sg-* or be named default.");

    public static AwsException CannotDeleteDefaultGroup(string groupId) =>
        new("CannotDelete", $"the specified group: \"{groupId}\" name: \"default\" cannot be deleted by a user");

    public static AwsException PermissionDuplicate(SecurityGroupRule rule) =>
        new("InvalidPermission.Duplicate", $"the specified rule \"peer: {Peer(rule)}, {Protocol(rule)}, ALLOW\" already exists");

    public static AwsException PermissionNotFound() =>
        new("InvalidPermission.NotFound", "The specified rule does not exist in this security group.");

    public static AwsException RuleNotFound(string ruleId) =>
        new("InvalidSecurityGroupRuleId.NotFound", $"The security group rule ID '{ruleId}' does not exist");

    public static AwsException DependencyViolation(string kind, string id) =>
        new("DependencyViolation", $"The {kind} '{id}' has dependencies and cannot be deleted.");

    public static AwsException GroupInUse(string groupId) => new("DependencyViolation", $"resource {groupId} has a dependent object");

    public static AwsException VpcRange(string cidr) => new("InvalidVpc.Range", $"The CIDR '{cidr}' is invalid.");

    public static AwsException SubnetRange(string cidr) => new("InvalidSubnet.Range", $"The CIDR '{cidr}' is invalid.");

    public static AwsException SubnetConflict(string cidr) => new("InvalidSubnet.Conflict", $"The CIDR '{cidr}' conflicts with another subnet");

    public static AwsException InvalidCidr(string name, string value) =>
        new("InvalidParameterValue", $"Value ({value}) for parameter {name} is invalid. This is not a valid CIDR block.");

    public static AwsException InvalidAvailabilityZone(string zone, IEnumerable<string> zones) =>
        new("InvalidParameterValue", $"Value ({zone}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: {string.Join(", ", zones)}.");

    public static AwsException AlreadyAttached(string gatewayId, string vpcId) =>
        new("Resource.AlreadyAssociated", $"resource {gatewayId} is already attached to network {vpcId}");

    public static AwsException VpcAlreadyHasGateway(string vpcId) =>
        new("InvalidParameterValue", $"Network {vpcId} already has an internet gateway attached");

    public static AwsException GatewayNotAttached(string gatewayId, string vpcId) =>
        new("Gateway.NotAttached", $"resource {gatewayId} is not attached to network {vpcId}");

    public static AwsException RouteAlreadyExists(string destination) =>
        new("RouteAlreadyExists", $"The route identified by {destination} already exists.");

    public static AwsException RouteNotFound(string destination, string routeTableId) =>
        new("InvalidRoute.NotFound", $"no route with destination-cidr-block {destination} in route table {routeTableId}");

    public static AwsException CannotDeleteLocalRoute(string destination) =>
        new("InvalidParameterValue", $"cannot remove local route {destination} in route table");

    public static AwsException AssociationNotFound(string associationId) =>
        new("InvalidAssociationID.NotFound", $"The association ID '{associationId}' does not exist");

    public static AwsException SubnetAlreadyAssociated(string subnetId, string routeTableId) =>
        new("Resource.AlreadyAssociated", $"the specified association for route table {routeTableId} conflicts with an existing association");

    public static AwsException CannotDisassociateMain() =>
        new("InvalidParameterValue", "cannot disassociate the main route table association");

    public static AwsException AddressLimitExceeded() => new("AddressLimitExceeded", "The maximum number of addresses has been reached.");

    public static AwsException AddressInUse(string allocationId) =>
        new("InvalidIPAddress.InUse", $"Address {allocationId} is in use.");

    public static AwsException VpcMismatch(string message) => new("InvalidParameter", message);

    public static AwsException UnsupportedAttribute(string attribute) =>
        new("InvalidParameterValue", $"Value ({attribute}) for parameter attribute is invalid. Unknown attribute.");

    private static string Peer(SecurityGroupRule r) => r.CidrIpv4 ?? r.CidrIpv6 ?? r.ReferencedGroupId ?? r.PrefixListId ?? "";

    private static string Protocol(SecurityGroupRule r) => r.IpProtocol switch
    {
        "-1" => "ALL",
        "tcp" or "udp" => $"{r.IpProtocol.ToUpperInvariant()}, from port: {r.FromPort}, to port: {r.ToPort}",
        _ => r.IpProtocol.ToUpperInvariant(),
    };
}
