using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>DB subnet groups over EC2's subnets, and instances placed in a named group with its VPC's security groups.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsSubnetGroupTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Subnet_groups_follow_rds_rules_and_place_instances_in_their_vpc()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            ec2 = client("ec2")
            rds = client("rds")
            vpc = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
            a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.70.0.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
            a2 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.70.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
            b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.70.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
            sg = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
            default_sg = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
            default_subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]["SubnetId"]

            out["one_az"] = error(rds.create_db_subnet_group, DBSubnetGroupName="one", DBSubnetGroupDescription="d", SubnetIds=[a, a2])
            out["unknown"] = error(rds.create_db_subnet_group, DBSubnetGroupName="bad", DBSubnetGroupDescription="d", SubnetIds=[a, "subnet-0000000000000000f"])
            out["two_vpcs"] = error(rds.create_db_subnet_group, DBSubnetGroupName="mixed", DBSubnetGroupDescription="d", SubnetIds=[a, default_subnet])
            out["reserved"] = error(rds.create_db_subnet_group, DBSubnetGroupName="default", DBSubnetGroupDescription="d", SubnetIds=[a, b])
            g = rds.create_db_subnet_group(DBSubnetGroupName="App-Db", DBSubnetGroupDescription="app", SubnetIds=[a, b])["DBSubnetGroup"]
            out["created"] = [g["DBSubnetGroupName"], g["VpcId"] == vpc, sorted(s["SubnetAvailabilityZone"]["Name"] for s in g["Subnets"]), g["DBSubnetGroupArn"]]
            out["dup"] = error(rds.create_db_subnet_group, DBSubnetGroupName="app-db", DBSubnetGroupDescription="d", SubnetIds=[a, b])
            out["modified"] = len(rds.modify_db_subnet_group(DBSubnetGroupName="app-db", SubnetIds=[a, a2, b])["DBSubnetGroup"]["Subnets"])
            out["listed"] = [x["DBSubnetGroupName"] for x in rds.describe_db_subnet_groups()["DBSubnetGroups"]]

            def create(name, **kw):
                return rds.create_db_instance(DBInstanceIdentifier=name, Engine="mysql", DBInstanceClass="db.t3.micro",
                                              MasterUsername="admin", MasterUserPassword="demo-cct-password", **kw)
            out["other_vpc_sg"] = error(create, "placed", DBSubnetGroupName="app-db", VpcSecurityGroupIds=[default_sg])
            out["unknown_sg"] = error(create, "placed", DBSubnetGroupName="app-db", VpcSecurityGroupIds=["sg-0000000000000000f"])
            out["unknown_group"] = error(create, "placed", DBSubnetGroupName="nope")
            i = create("placed", DBSubnetGroupName="app-db", VpcSecurityGroupIds=[sg])["DBInstance"]
            out["instance"] = [i["DBSubnetGroup"]["DBSubnetGroupName"], i["DBSubnetGroup"]["VpcId"] == vpc,
                               [x["VpcSecurityGroupId"] for x in i["VpcSecurityGroups"]] == [sg], i["AvailabilityZone"]]
            out["in_use"] = error(rds.delete_db_subnet_group, DBSubnetGroupName="app-db")
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="placed", WaiterConfig={"Delay": 1, "MaxAttempts": 180})
            d = rds.describe_db_instances(DBInstanceIdentifier="placed")["DBInstances"][0]
            out["described"] = [d["DBSubnetGroup"]["DBSubnetGroupName"], len(d["DBSubnetGroup"]["Subnets"])]
            rds.delete_db_instance(DBInstanceIdentifier="placed", SkipFinalSnapshot=True)
            rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier="placed", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            rds.delete_db_subnet_group(DBSubnetGroupName="app-db")
            out["deleted"] = error(rds.describe_db_subnet_groups, DBSubnetGroupName="app-db")
            """, TimeSpan.FromMinutes(5));

        Assert.Equal("DBSubnetGroupDoesNotCoverEnoughAZs", (string)r["one_az"]!["code"]!);
        Assert.Contains("Current AZ coverage: us-east-1a. Add subnets to cover at least 2 AZs.", (string)r["one_az"]!["message"]!);
        Assert.Equal("InvalidParameterValue", (string)r["unknown"]!["code"]!);
        Assert.Equal("Some input subnets in :[subnet-0000000000000000f] are invalid.", (string)r["unknown"]!["message"]!);
        Assert.Equal("InvalidSubnet", (string)r["two_vpcs"]!["code"]!);
        Assert.Equal("InvalidParameterValue", (string)r["reserved"]!["code"]!);
        Assert.Equal("app-db", (string)r["created"]![0]!);
        Assert.True((bool)r["created"]![1]!);
        Assert.Equal("""["us-east-1a","us-east-1b"]""", r["created"]![2]!.ToJsonString());
        Assert.Equal("arn:aws:rds:us-east-1:000000000000:subgrp:app-db", (string)r["created"]![3]!);
        Assert.Equal("DBSubnetGroupAlreadyExists", (string)r["dup"]!["code"]!);
        Assert.Equal(3, (int)r["modified"]!);
        Assert.Equal("""["app-db","default"]""", r["listed"]!.ToJsonString());
        Assert.Equal("InvalidParameterCombination", (string)r["other_vpc_sg"]!["code"]!);
        Assert.Equal("InvalidParameterValue", (string)r["unknown_sg"]!["code"]!);
        Assert.Equal("DBSubnetGroupNotFoundFault", (string)r["unknown_group"]!["code"]!);
        Assert.Equal("""["app-db",true,true,"us-east-1a"]""", r["instance"]!.ToJsonString());
        Assert.Equal("InvalidDBSubnetGroupStateFault", (string)r["in_use"]!["code"]!);
        Assert.Equal("""["app-db",3]""", r["described"]!.ToJsonString());
        Assert.Equal("DBSubnetGroupNotFoundFault", (string)r["deleted"]!["code"]!);
    }
}
