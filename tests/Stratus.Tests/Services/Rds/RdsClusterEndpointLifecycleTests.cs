using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// What happens to custom endpoints around their cluster, driven by boto3: tags on their cluster-endpoint ARNs, the
/// "modifying" status ModifyDBClusterEndpoint reports until it applies, a deleted member leaving every endpoint's static
/// and excluded lists, and AWS::RDS::DBClusterEndpoint created, changed in place and deleted by a stack.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsClusterEndpointLifecycleTests
{
    private const string Engine = "aurora-mysql";

    [Fact]
    public async Task Endpoints_take_tags_report_modifying_drop_deleted_members_and_are_stack_resources()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var r = await Clients.Boto3Async(stratus.Url, RdsTestKit.WaitForEndpoint + $$"""
            rds = client("rds")
            rds.create_db_cluster(DBClusterIdentifier="cel", Engine="{{Engine}}", MasterUsername="aurora_admin", MasterUserPassword="aurora-master-pass")
            rds.create_db_instance(DBInstanceIdentifier="cel-writer", DBClusterIdentifier="cel", Engine="{{Engine}}", DBInstanceClass="db.r6g.large")
            rds.create_db_instance(DBInstanceIdentifier="cel-reader", DBClusterIdentifier="cel", Engine="{{Engine}}", DBInstanceClass="db.r6g.large")
            for member in ["cel-writer", "cel-reader"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            arn = rds.create_db_cluster_endpoint(DBClusterIdentifier="cel", DBClusterEndpointIdentifier="cel-static", EndpointType="READER",
                StaticMembers=["cel-writer", "cel-reader"], Tags=[{"Key": "team", "Value": "data"}])["DBClusterEndpointArn"]
            rds.create_db_cluster_endpoint(DBClusterIdentifier="cel", DBClusterEndpointIdentifier="cel-excluded", EndpointType="ANY", ExcludedMembers=["cel-reader"])
            wait_for_endpoint(rds, "cel-static", "available")
            wait_for_endpoint(rds, "cel-excluded", "available")

            # Tags on the endpoint's ARN, as on any RDS resource.
            out["arn"] = arn
            out["created"] = rds.list_tags_for_resource(ResourceName=arn)["TagList"]
            rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "bi"}])
            out["added"] = sorted([t["Key"], t["Value"]] for t in rds.list_tags_for_resource(ResourceName=arn)["TagList"])
            rds.remove_tags_from_resource(ResourceName=arn, TagKeys=["team"])
            out["removed"] = rds.list_tags_for_resource(ResourceName=arn)["TagList"]
            out["unknown"] = error(rds.list_tags_for_resource, ResourceName=arn.replace("cel-static", "nope"))["code"]

            # The reader's deletion runs in the cluster's queue; the modification waits behind it, "modifying" meanwhile.
            rds.delete_db_instance(DBInstanceIdentifier="cel-reader")
            m = rds.modify_db_cluster_endpoint(DBClusterEndpointIdentifier="cel-static", EndpointType="ANY")
            out["modifyStatus"] = m["Status"]
            out["describedWhileApplying"] = rds.describe_db_cluster_endpoints(DBClusterEndpointIdentifier="cel-static")["DBClusterEndpoints"][0]["Status"]
            out["modifyAgain"] = error(rds.modify_db_cluster_endpoint, DBClusterEndpointIdentifier="cel-static", EndpointType="READER")["code"]
            rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier="cel-reader", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            static = wait_for_endpoint(rds, "cel-static", "available")
            excluded = wait_for_endpoint(rds, "cel-excluded", "available")
            out["static"] = [static["CustomEndpointType"], static.get("StaticMembers", []), static.get("ExcludedMembers", [])]
            out["excluded"] = [excluded.get("StaticMembers", []), excluded.get("ExcludedMembers", [])]
            """, TimeSpan.FromMinutes(8));
        Assert.EndsWith(":cluster-endpoint:cel-static", r["arn"]!.GetValue<string>());
        Assert.Equal("""[{"Key":"team","Value":"data"}]""", r["created"]!.ToJsonString());
        Assert.Equal("""[["env","test"],["team","bi"]]""", r["added"]!.ToJsonString());
        Assert.Equal("""[{"Key":"env","Value":"test"}]""", r["removed"]!.ToJsonString());
        Assert.Equal("DBClusterEndpointNotFoundFault", r["unknown"]!.GetValue<string>());
        Assert.Equal("modifying", r["modifyStatus"]!.GetValue<string>());
        Assert.Equal("modifying", r["describedWhileApplying"]!.GetValue<string>());
        Assert.Equal("InvalidDBClusterEndpointStateFault", r["modifyAgain"]!.GetValue<string>());
        Assert.Equal("""["ANY",["cel-writer"],[]]""", r["static"]!.ToJsonString());
        Assert.Equal("[[],[]]", r["excluded"]!.ToJsonString());

        // AWS::RDS::DBClusterEndpoint: created, its type and members changed in place, then deleted with its stack.
        var stack = await Clients.Boto3Async(stratus.Url, RdsTestKit.WaitForEndpoint + """
            rds = client("rds")
            cf = client("cloudformation")
            FAST = {"Delay": 1, "MaxAttempts": 180}
            def template(properties):
                return json.dumps({"Resources": {"Analytics": {"Type": "AWS::RDS::DBClusterEndpoint", "Properties": properties}},
                    "Outputs": {"Ref": {"Value": {"Ref": "Analytics"}},
                                "Endpoint": {"Value": {"Fn::GetAtt": ["Analytics", "Endpoint"]}},
                                "Arn": {"Value": {"Fn::GetAtt": ["Analytics", "DBClusterEndpointArn"]}}}})
            def outputs():
                return {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName="cel-stack")["Stacks"][0]["Outputs"]}
            def waited(waiter):
                try:
                    cf.get_waiter(waiter).wait(StackName="cel-stack", WaiterConfig=FAST)
                except botocore.exceptions.WaiterError:
                    raise SystemExit(json.dumps(cf.describe_stack_events(StackName="cel-stack")["StackEvents"], default=str))
            cf.create_stack(StackName="cel-stack", TemplateBody=template({"DBClusterIdentifier": "cel", "DBClusterEndpointIdentifier": "cel-cfn",
                "EndpointType": "ANY", "StaticMembers": ["cel-writer"], "Tags": [{"Key": "stack", "Value": "yes"}]}))
            waited("stack_create_complete")
            out["created"] = outputs()
            e = rds.describe_db_cluster_endpoints(DBClusterEndpointIdentifier="cel-cfn")["DBClusterEndpoints"][0]
            out["createdEndpoint"] = [e["Status"], e["CustomEndpointType"], e["StaticMembers"], e["Endpoint"], e["DBClusterEndpointArn"]]
            out["createdTags"] = rds.list_tags_for_resource(ResourceName=e["DBClusterEndpointArn"])["TagList"]
            cf.update_stack(StackName="cel-stack", TemplateBody=template({"DBClusterIdentifier": "cel", "DBClusterEndpointIdentifier": "cel-cfn",
                "EndpointType": "READER"}))
            waited("stack_update_complete")
            out["updated"] = outputs()
            e = rds.describe_db_cluster_endpoints(DBClusterEndpointIdentifier="cel-cfn")["DBClusterEndpoints"][0]
            out["updatedEndpoint"] = [e["Status"], e["CustomEndpointType"], e.get("StaticMembers", []), e.get("ExcludedMembers", [])]
            out["updatedTags"] = rds.list_tags_for_resource(ResourceName=e["DBClusterEndpointArn"])["TagList"]
            cf.delete_stack(StackName="cel-stack")
            waited("stack_delete_complete")
            out["afterDelete"] = rds.describe_db_cluster_endpoints(DBClusterEndpointIdentifier="cel-cfn")["DBClusterEndpoints"]
            """, TimeSpan.FromMinutes(5));
        var created = stack["created"]!;
        var createdEndpoint = stack["createdEndpoint"]!.AsArray();
        Assert.Equal("cel-cfn", created["Ref"]!.GetValue<string>());
        Assert.Equal("available", createdEndpoint[0]!.GetValue<string>());
        Assert.Equal("ANY", createdEndpoint[1]!.GetValue<string>());
        Assert.Equal("""["cel-writer"]""", createdEndpoint[2]!.ToJsonString());
        Assert.Equal(createdEndpoint[3]!.GetValue<string>(), created["Endpoint"]!.GetValue<string>());
        Assert.Equal(createdEndpoint[4]!.GetValue<string>(), created["Arn"]!.GetValue<string>());
        Assert.Equal("""[{"Key":"stack","Value":"yes"}]""", stack["createdTags"]!.ToJsonString());
        Assert.Equal("cel-cfn", stack["updated"]!["Ref"]!.GetValue<string>());
        Assert.Equal("""["available","READER",[],[]]""", stack["updatedEndpoint"]!.ToJsonString());
        Assert.Equal("[]", stack["updatedTags"]!.ToJsonString());
        Assert.Equal("[]", stack["afterDelete"]!.ToJsonString());
    }
}
