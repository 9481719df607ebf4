using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.CloudFormation;

namespace Stratus.Tests.Services.Ec2;

/// <summary>
/// A stack in the shape CDK's ec2.Vpc and rds.DatabaseInstance synthesize: the VPC's objects, a DB subnet group
/// over two AZs, security groups and an instance placed in them; deleting it leaves the final snapshot
/// DeletionPolicy: Snapshot asks for, and nothing else.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class Ec2StackTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_vpc_and_database_stack_deploys_places_the_instance_and_deletes_cleanly_keeping_a_snapshot()
    {
        var r = await Clients.Boto3Async(stratus.Url, $$"""
            cf = client("cloudformation")
            rds = client("rds")
            ec2 = client("ec2")
            FAST = {"Delay": 1, "MaxAttempts": 300}
            cf.create_stack(StackName="vpcdb", TemplateBody={{CloudFormationTemplates.Python("vpc_database_stack.yml")}},
                            Parameters=[{"ParameterKey": "MasterPassword", "ParameterValue": "demo-cct-password"}])
            try:
                cf.get_waiter("stack_create_complete").wait(StackName="vpcdb", WaiterConfig=FAST)
            except botocore.exceptions.WaiterError:
                events = cf.describe_stack_events(StackName="vpcdb")["StackEvents"]
                raise SystemExit(json.dumps([[e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")] for e in events]))
            o = {x["OutputKey"]: x["OutputValue"] for x in cf.describe_stacks(StackName="vpcdb")["Stacks"][0]["Outputs"]}
            out["outputs"] = o
            physical = {x["LogicalResourceId"]: x["PhysicalResourceId"] for x in cf.describe_stack_resources(StackName="vpcdb")["StackResources"]}
            vpc = o["VpcId"]
            out["vpc"] = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlock"]
            out["dns"] = ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"]
            out["default_group"] = ec2.describe_security_groups(GroupIds=[o["DefaultSecurityGroup"]])["SecurityGroups"][0]["GroupName"]
            out["subnets"] = sorted([s["CidrBlock"], s["MapPublicIpOnLaunch"]] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"])
            private_rt = ec2.describe_route_tables(RouteTableIds=[physical["PrivateSubnet1RouteTable"]])["RouteTables"][0]
            out["private_route"] = [r.get("NatGatewayId") == physical["PublicSubnet1NatGateway"] for r in private_rt["Routes"] if r["DestinationCidrBlock"] == "0.0.0.0/0"]
            out["nat"] = ec2.describe_nat_gateways(NatGatewayIds=[physical["PublicSubnet1NatGateway"]])["NatGateways"][0]["NatGatewayAddresses"][0]["PublicIp"] == o["Eip"]
            db_group = ec2.describe_security_groups(GroupIds=[o["DbSecurityGroupId"]])["SecurityGroups"][0]
            out["db_ingress"] = [[p["IpProtocol"], p["FromPort"], p["UserIdGroupPairs"][0]["GroupId"] == physical["AppSecurityGroup"]] for p in db_group["IpPermissions"]]
            out["db_egress"] = [[p["IpProtocol"], p["IpRanges"][0]["CidrIp"]] for p in db_group["IpPermissionsEgress"]]
            subnet_group = rds.describe_db_subnet_groups(DBSubnetGroupName=physical["DbSubnetGroup"])["DBSubnetGroups"][0]
            out["subnet_group"] = [subnet_group["VpcId"] == vpc, sorted(s["SubnetIdentifier"] for s in subnet_group["Subnets"]) == sorted([physical["PrivateSubnet1"], physical["PrivateSubnet2"]])]
            db = rds.describe_db_instances(DBInstanceIdentifier=physical["Db"])["DBInstances"][0]
            out["db"] = [db["DBInstanceStatus"], db["DBSubnetGroup"]["DBSubnetGroupName"] == physical["DbSubnetGroup"], db["DBSubnetGroup"]["VpcId"] == vpc,
                         [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [o["DbSecurityGroupId"]], db["AvailabilityZone"] in o["PrivateZones"].split(",")]

            cf.delete_stack(StackName="vpcdb")
            try:
                cf.get_waiter("stack_delete_complete").wait(StackName="vpcdb", WaiterConfig=FAST)
            except botocore.exceptions.WaiterError:
                events = cf.describe_stack_events(StackName="vpcdb")["StackEvents"]
                raise SystemExit(json.dumps([[e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")] for e in events]))
            snapshots = rds.describe_db_snapshots(DBInstanceIdentifier=physical["Db"])["DBSnapshots"]
            out["snapshots"] = [[s["Status"], s["VpcId"] == vpc, s["SnapshotType"]] for s in snapshots]
            out["instance_gone"] = error(rds.describe_db_instances, DBInstanceIdentifier=physical["Db"])
            out["vpc_gone"] = error(ec2.describe_vpcs, VpcIds=[vpc])
            out["group_gone"] = error(rds.describe_db_subnet_groups, DBSubnetGroupName=physical["DbSubnetGroup"])
            out["addresses_left"] = len(ec2.describe_addresses()["Addresses"])
            rds.delete_db_snapshot(DBSnapshotIdentifier=snapshots[0]["DBSnapshotIdentifier"])
            """, TimeSpan.FromMinutes(8));

        Assert.StartsWith("vpc-", (string)r["outputs"]!["VpcId"]!);
        Assert.Equal("us-east-1a,us-east-1b", (string)r["outputs"]!["PrivateZones"]!);
        Assert.Equal("10.0.0.0/16", (string)r["vpc"]!);
        Assert.True((bool)r["dns"]!);
        Assert.Equal("default", (string)r["default_group"]!);
        Assert.Equal("""[["10.0.0.0/18",true],["10.0.128.0/18",false],["10.0.192.0/18",false],["10.0.64.0/18",true]]""", r["subnets"]!.ToJsonString());
        Assert.Equal("[true]", r["private_route"]!.ToJsonString());
        Assert.True((bool)r["nat"]!);
        Assert.Equal("""[["tcp",3306,true]]""", r["db_ingress"]!.ToJsonString());
        Assert.Equal("""[["-1","0.0.0.0/0"]]""", r["db_egress"]!.ToJsonString());
        Assert.Equal("[true,true]", r["subnet_group"]!.ToJsonString());
        Assert.Equal("""["available",true,true,true,true]""", r["db"]!.ToJsonString());
        Assert.Equal("""[["available",true,"manual"]]""", r["snapshots"]!.ToJsonString());
        Assert.Equal("DBInstanceNotFound", (string)r["instance_gone"]!["code"]!);
        Assert.Equal("InvalidVpcID.NotFound", (string)r["vpc_gone"]!["code"]!);
        Assert.Equal("DBSubnetGroupNotFoundFault", (string)r["group_gone"]!["code"]!);
        Assert.Equal(0, (int)r["addresses_left"]!);
    }
}
