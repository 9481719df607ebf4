using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>AWS::RDS::DBInstance made by a stack through RDS's own domain code: a real MariaDB the stack waits for.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsProviderTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_db_instance_stack_waits_for_a_reachable_server_updates_in_place_and_deletes_it()
    {
        var result = await Clients.Boto3Async(stratus.Url, $$"""
            import subprocess
            cf = client("cloudformation")
            rds = client("rds")
            FAST = {"Delay": 1, "MaxAttempts": 240}
            body = {{CloudFormationTemplates.Python("rds_stack.yml")}}
            def outputs():
                return {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName="db")["Stacks"][0]["Outputs"]}
            def describe(name):
                d = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]
                return [d["DBInstanceStatus"], d["BackupRetentionPeriod"], d.get("TagList")]

            cf.create_stack(StackName="db", TemplateBody=body, Parameters=[{"ParameterKey": "MasterPassword", "ParameterValue": "demo-cct-password"}])
            cf.get_waiter("stack_create_complete").wait(StackName="db", WaiterConfig=FAST)
            o = outputs()
            name = cf.describe_stack_resource(StackName="db", LogicalResourceId="AccountsDb")["StackResourceDetail"]["PhysicalResourceId"]
            d = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]
            out["created"] = describe(name)
            out["endpoint"] = [o["Address"] == d["Endpoint"]["Address"], o["Port"] == str(d["Endpoint"]["Port"]), o["Arn"] == d["DBInstanceArn"]]
            out["name"] = name
            sql = subprocess.run(["mariadb", "--protocol=TCP", "-h", o["Address"], "-P", o["Port"], "-u", "democct", "-pdemo-cct-password",
                                  "-D", "accounts", "-N", "-B", "-e", "select 1"], capture_output=True, text=True, timeout=60)
            out["select"] = sql.stdout.strip() or sql.stderr

            cf.update_stack(StackName="db", TemplateBody=body, Parameters=[{"ParameterKey": "MasterPassword", "UsePreviousValue": True},
                                                                          {"ParameterKey": "Retention", "ParameterValue": "3"},
                                                                          {"ParameterKey": "Team", "ParameterValue": "data"}])
            cf.get_waiter("stack_update_complete").wait(StackName="db", WaiterConfig=FAST)
            out["sameInstance"] = cf.describe_stack_resource(StackName="db", LogicalResourceId="AccountsDb")["StackResourceDetail"]["PhysicalResourceId"] == name
            out["updated"] = describe(name)

            cf.delete_stack(StackName="db")
            cf.get_waiter("stack_delete_complete").wait(StackName="db", WaiterConfig=FAST)
            out["gone"] = error(rds.describe_db_instances, DBInstanceIdentifier=name)["code"]
            """, TimeSpan.FromMinutes(6));

        Assert.StartsWith("db-accountsdb-", (string?)result["name"]);
        Assert.Equal("""["available",1,[{"Key":"Team","Value":"core"}]]""", result["created"]!.ToJsonString());
        Assert.Equal("[true,true,true]", result["endpoint"]!.ToJsonString());
        Assert.Equal("1", (string?)result["select"]);
        Assert.True((bool)result["sameInstance"]!);
        Assert.Equal("""["available",3,[{"Key":"Team","Value":"data"}]]""", result["updated"]!.ToJsonString());
        Assert.Equal("DBInstanceNotFound", (string?)result["gone"]);
    }
}
