using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Ec2;

/// <summary>EC2's VPC networking through boto3: the default VPC, each object type, filters, tags and AWS's errors.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class Ec2Boto3Tests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task The_default_vpc_is_made_on_first_use_and_is_what_rds_reports()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            ec2 = client("ec2")
            rds = client("rds")
            out["zones"] = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
            out["zone_ids"] = [z["ZoneId"] for z in ec2.describe_availability_zones(ZoneNames=["us-east-1b"])["AvailabilityZones"]]
            out["west"] = [z["ZoneName"] for z in client("ec2", region="us-west-2").describe_availability_zones()["AvailabilityZones"]]
            attrs = {a["AttributeName"]: [v["AttributeValue"] for v in a["AttributeValues"]] for a in ec2.describe_account_attributes()["AccountAttributes"]}
            out["attrs"] = attrs
            vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
            out["vpc"] = {k: vpcs[0][k] for k in ("VpcId", "CidrBlock", "IsDefault", "State")}
            subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
            out["subnets"] = sorted([s["AvailabilityZone"], s["CidrBlock"], s["VpcId"], s["MapPublicIpOnLaunch"]] for s in subnets)
            group = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]
            out["group"] = [group["GroupName"], group["VpcId"], group["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == group["GroupId"],
                            group["IpPermissionsEgress"][0]["IpRanges"][0]["CidrIp"]]
            igw = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [out["vpc"]["VpcId"]]}])["InternetGateways"]
            out["igw"] = [a["State"] for a in igw[0]["Attachments"]]
            main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [out["vpc"]["VpcId"]]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
            out["routes"] = sorted([r["DestinationCidrBlock"], r["GatewayId"]] for r in main["Routes"])
            group_rds = rds.describe_db_subnet_groups(DBSubnetGroupName="default")["DBSubnetGroups"][0]
            out["rds_vpc"] = group_rds["VpcId"]
            out["rds_subnets"] = sorted(s["SubnetIdentifier"] for s in group_rds["Subnets"]) == sorted(s["SubnetId"] for s in subnets)
            out["cannot_delete_default_group"] = error(ec2.delete_security_group, GroupId=group["GroupId"])
            """);

        Assert.Equal(["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"], r["zones"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(["use1-az2"], r["zone_ids"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"], r["west"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("""["VPC"]""", r["attrs"]!["supported-platforms"]!.ToJsonString());
        var vpcId = (string)r["vpc"]!["VpcId"]!;
        Assert.Equal($"""["{vpcId}"]""", r["attrs"]!["default-vpc"]!.ToJsonString());
        Assert.Equal("172.31.0.0/16", (string)r["vpc"]!["CidrBlock"]!);
        Assert.True((bool)r["vpc"]!["IsDefault"]!);
        Assert.Equal(6, r["subnets"]!.AsArray().Count);
        Assert.Equal($"""["us-east-1a","172.31.0.0/20","{vpcId}",true]""", r["subnets"]![0]!.ToJsonString());
        Assert.Equal($"""["us-east-1b","172.31.16.0/20","{vpcId}",true]""", r["subnets"]![1]!.ToJsonString());
        Assert.Equal($"""["default","{vpcId}",true,"0.0.0.0/0"]""", r["group"]!.ToJsonString());
        Assert.Equal("""["available"]""", r["igw"]!.ToJsonString());
        Assert.Equal("0.0.0.0/0", (string)r["routes"]![0]![0]!);
        Assert.StartsWith("igw-", (string)r["routes"]![0]![1]!);
        Assert.Equal("""["172.31.0.0/16","local"]""", r["routes"]![1]!.ToJsonString());
        Assert.Equal(vpcId, (string)r["rds_vpc"]!);
        Assert.True((bool)r["rds_subnets"]!);
        Assert.Equal("CannotDelete", (string)r["cannot_delete_default_group"]!["code"]!);
    }

    [Fact]
    public async Task Vpcs_subnets_groups_gateways_routes_and_addresses_are_recorded_checked_and_deleted_in_order()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            ec2 = client("ec2")
            def tags(kind, name): return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}, {"Key": "team", "Value": "vpc"}]}]
            vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16", TagSpecifications=tags("vpc", "app"))["Vpc"]
            v = vpc["VpcId"]
            out["vpc_tags"] = sorted(t["Key"] for t in vpc["Tags"])
            out["bad_vpc_cidr"] = error(ec2.create_vpc, CidrBlock="10.0.0.0/8")
            out["not_cidr"] = error(ec2.create_vpc, CidrBlock="10.0.0.1/33")
            out["dns"] = ec2.describe_vpc_attribute(VpcId=v, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"]
            ec2.modify_vpc_attribute(VpcId=v, EnableDnsHostnames={"Value": True})
            out["dns_after"] = ec2.describe_vpc_attribute(VpcId=v, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"]
            out["by_name"] = [x["VpcId"] for x in ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["ap*"]}])["Vpcs"]] == [v]
            out["bad_filter"] = error(ec2.describe_vpcs, Filters=[{"Name": "no-such-filter", "Values": ["x"]}])

            a = ec2.create_subnet(VpcId=v, CidrBlock="10.20.0.0/24", AvailabilityZone="us-east-1a", TagSpecifications=tags("subnet", "a"))["Subnet"]
            b = ec2.create_subnet(VpcId=v, CidrBlock="10.20.1.0/24", AvailabilityZoneId="use1-az2")["Subnet"]
            out["subnet_b"] = [b["AvailabilityZone"], b["AvailableIpAddressCount"], b["DefaultForAz"]]
            out["conflict"] = error(ec2.create_subnet, VpcId=v, CidrBlock="10.20.0.128/25")
            out["outside"] = error(ec2.create_subnet, VpcId=v, CidrBlock="10.21.0.0/24")
            out["bad_zone"] = error(ec2.create_subnet, VpcId=v, CidrBlock="10.20.9.0/24", AvailabilityZone="us-east-1z")
            out["no_vpc"] = error(ec2.create_subnet, VpcId="vpc-0000000000000000a", CidrBlock="10.20.9.0/24")
            out["subnets_of_vpc"] = sorted(s["CidrBlock"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [v]}])["Subnets"])
            ec2.modify_subnet_attribute(SubnetId=a["SubnetId"], MapPublicIpOnLaunch={"Value": True})
            out["public"] = ec2.describe_subnets(SubnetIds=[a["SubnetId"]])["Subnets"][0]["MapPublicIpOnLaunch"]

            web = ec2.create_security_group(GroupName="web", Description="web tier", VpcId=v)["GroupId"]
            db = ec2.create_security_group(GroupName="db", Description="db tier", VpcId=v)["GroupId"]
            out["dup_group"] = error(ec2.create_security_group, GroupName="web", Description="again", VpcId=v)
            out["reserved"] = error(ec2.create_security_group, GroupName="default", Description="x", VpcId=v)
            rules = ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "UserIdGroupPairs": [{"GroupId": web, "Description": "from web"}]},
                {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": "10.20.0.0/16"}]}])["SecurityGroupRules"]
            out["rules"] = sorted([x["IpProtocol"], x["FromPort"], x.get("CidrIpv4", ""), x.get("ReferencedGroupInfo", {}).get("GroupId") == web] for x in rules)
            out["dup_rule"] = error(ec2.authorize_security_group_ingress, GroupId=db, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": "10.20.0.0/16"}]}])
            out["no_ports"] = error(ec2.authorize_security_group_ingress, GroupId=db, IpPermissions=[{"IpProtocol": "tcp", "IpRanges": [{"CidrIp": "1.2.3.4/32"}]}])
            described = ec2.describe_security_groups(GroupIds=[db])["SecurityGroups"][0]["IpPermissions"]
            out["grouped"] = [len(described), len(described[0]["IpRanges"]), len(described[0]["UserIdGroupPairs"])]
            out["group_filter"] = [g["GroupName"] for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [v]}, {"Name": "group-name", "Values": ["db"]}])["SecurityGroups"]]
            out["rule_listing"] = len(ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [db]}])["SecurityGroupRules"])
            out["in_use"] = error(ec2.delete_security_group, GroupId=web)
            ec2.revoke_security_group_ingress(GroupId=db, SecurityGroupRuleIds=[x["SecurityGroupRuleId"] for x in rules])
            out["revoke_missing"] = error(ec2.revoke_security_group_ingress, GroupId=db, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "IpRanges": [{"CidrIp": "1.1.1.1/32"}]}])
            ec2.authorize_security_group_egress(GroupId=web, IpPermissions=[{"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "10.20.0.2/32"}]}])
            ec2.revoke_security_group_egress(GroupId=web, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
            out["egress"] = [[p["IpProtocol"], p.get("FromPort")] for p in ec2.describe_security_groups(GroupIds=[web])["SecurityGroups"][0]["IpPermissionsEgress"]]

            igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=v)
            out["attach_twice"] = error(ec2.attach_internet_gateway, InternetGatewayId=igw, VpcId=v)
            rt = ec2.create_route_table(VpcId=v)["RouteTable"]["RouteTableId"]
            ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
            out["route_twice"] = error(ec2.create_route, RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
            assoc = ec2.associate_route_table(RouteTableId=rt, SubnetId=a["SubnetId"])["AssociationId"]
            eip = ec2.allocate_address(Domain="vpc")
            nat = ec2.create_nat_gateway(SubnetId=a["SubnetId"], AllocationId=eip["AllocationId"])["NatGateway"]
            out["nat"] = [nat["State"], nat["NatGatewayAddresses"][0]["PublicIp"] == eip["PublicIp"], nat["NatGatewayAddresses"][0]["PrivateIp"]]
            private_rt = ec2.create_route_table(VpcId=v)["RouteTable"]["RouteTableId"]
            ec2.create_route(RouteTableId=private_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat["NatGatewayId"])
            table = ec2.describe_route_tables(RouteTableIds=[rt])["RouteTables"][0]
            out["table"] = [sorted(r["DestinationCidrBlock"] for r in table["Routes"]), [x["SubnetId"] for x in table["Associations"]]]
            out["release_in_use"] = error(ec2.release_address, AllocationId=eip["AllocationId"])
            out["vpc_busy"] = error(ec2.delete_vpc, VpcId=v)
            out["igw_busy"] = error(ec2.delete_internet_gateway, InternetGatewayId=igw)
            out["rt_busy"] = error(ec2.delete_route_table, RouteTableId=rt)

            ec2.create_tags(Resources=[v, a["SubnetId"]], Tags=[{"Key": "env", "Value": "test"}])
            out["tags_env"] = sorted(t["ResourceType"] for t in ec2.describe_tags(Filters=[{"Name": "key", "Values": ["env"]}])["Tags"])
            ec2.delete_tags(Resources=[v], Tags=[{"Key": "env"}])
            out["tags_after"] = sorted(t["Key"] for t in ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [v]}])["Tags"])
            out["tag_missing"] = error(ec2.create_tags, Resources=["subnet-0000000000000000a"], Tags=[{"Key": "k", "Value": "v"}])

            # Teardown in the order AWS requires.
            ec2.delete_route(RouteTableId=private_rt, DestinationCidrBlock="0.0.0.0/0")
            ec2.delete_route_table(RouteTableId=private_rt)
            ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
            out["nat_deleted"] = ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0]["State"]
            ec2.release_address(AllocationId=eip["AllocationId"])
            ec2.disassociate_route_table(AssociationId=assoc)
            ec2.delete_route_table(RouteTableId=rt)
            ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=v)
            ec2.delete_internet_gateway(InternetGatewayId=igw)
            ec2.delete_security_group(GroupId=db)
            ec2.delete_security_group(GroupId=web)
            ec2.delete_subnet(SubnetId=a["SubnetId"])
            ec2.delete_subnet(SubnetId=b["SubnetId"])
            ec2.delete_vpc(VpcId=v)
            out["gone"] = error(ec2.describe_vpcs, VpcIds=[v])
            out["tags_gone"] = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [v]}])["Tags"]
            """);

        Assert.Equal("""["Name","team"]""", r["vpc_tags"]!.ToJsonString());
        Assert.Equal("InvalidVpc.Range", (string)r["bad_vpc_cidr"]!["code"]!);
        Assert.Equal("InvalidParameterValue", (string)r["not_cidr"]!["code"]!);
        Assert.False((bool)r["dns"]!);
        Assert.True((bool)r["dns_after"]!);
        Assert.True((bool)r["by_name"]!);
        Assert.Equal("InvalidParameterValue", (string)r["bad_filter"]!["code"]!);
        Assert.Equal("""["us-east-1b",251,false]""", r["subnet_b"]!.ToJsonString());
        Assert.Equal("InvalidSubnet.Conflict", (string)r["conflict"]!["code"]!);
        Assert.Equal("The CIDR '10.20.0.128/25' conflicts with another subnet", (string)r["conflict"]!["message"]!);
        Assert.Equal("InvalidSubnet.Range", (string)r["outside"]!["code"]!);
        Assert.Equal("InvalidParameterValue", (string)r["bad_zone"]!["code"]!);
        Assert.Equal("InvalidVpcID.NotFound", (string)r["no_vpc"]!["code"]!);
        Assert.Equal(400, (int)r["no_vpc"]!["status"]!);
        Assert.Equal("""["10.20.0.0/24","10.20.1.0/24"]""", r["subnets_of_vpc"]!.ToJsonString());
        Assert.True((bool)r["public"]!);
        Assert.Equal("InvalidGroup.Duplicate", (string)r["dup_group"]!["code"]!);
        Assert.Equal("InvalidParameterValue", (string)r["reserved"]!["code"]!);
        Assert.Equal("""[["tcp",3306,"",true],["tcp",3306,"10.20.0.0/16",false]]""", r["rules"]!.ToJsonString());
        Assert.Equal("InvalidPermission.Duplicate", (string)r["dup_rule"]!["code"]!);
        Assert.Equal("InvalidParameterValue", (string)r["no_ports"]!["code"]!);
        Assert.Equal("[1,1,1]", r["grouped"]!.ToJsonString());
        Assert.Equal("""["db"]""", r["group_filter"]!.ToJsonString());
        Assert.Equal(3, (int)r["rule_listing"]!);
        Assert.Equal("DependencyViolation", (string)r["in_use"]!["code"]!);
        Assert.Equal("InvalidPermission.NotFound", (string)r["revoke_missing"]!["code"]!);
        Assert.Equal("""[["udp",53]]""", r["egress"]!.ToJsonString());
        Assert.Equal("Resource.AlreadyAssociated", (string)r["attach_twice"]!["code"]!);
        Assert.Equal("RouteAlreadyExists", (string)r["route_twice"]!["code"]!);
        Assert.Equal("""["available",true,"10.20.0.4"]""", r["nat"]!.ToJsonString());
        Assert.Equal("""["0.0.0.0/0","10.20.0.0/16"]""", r["table"]![0]!.ToJsonString());
        Assert.Single(r["table"]![1]!.AsArray());
        Assert.Equal("InvalidIPAddress.InUse", (string)r["release_in_use"]!["code"]!);
        Assert.Equal("DependencyViolation", (string)r["vpc_busy"]!["code"]!);
        Assert.Equal("DependencyViolation", (string)r["igw_busy"]!["code"]!);
        Assert.Equal("DependencyViolation", (string)r["rt_busy"]!["code"]!);
        Assert.Equal("""["subnet","vpc"]""", r["tags_env"]!.ToJsonString());
        Assert.Equal("""["Name","team"]""", r["tags_after"]!.ToJsonString());
        Assert.Equal("InvalidSubnetID.NotFound", (string)r["tag_missing"]!["code"]!);
        Assert.Equal("deleted", (string)r["nat_deleted"]!);
        Assert.Equal("InvalidVpcID.NotFound", (string)r["gone"]!["code"]!);
        Assert.Empty(r["tags_gone"]!.AsArray());
    }
}
