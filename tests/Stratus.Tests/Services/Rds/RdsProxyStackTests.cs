using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsTestKit;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// AWS::RDS::DBProxy, DBProxyTargetGroup and DBProxyEndpoint in one stack in front of a MariaDB instance, read with
/// MySqlConnector: the proxy and its endpoint reach the instance, an update changes the pool settings, and deleting the
/// stack stops both listening.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsProxyStackTests
{
    private const string User = "admin1";
    private const string Password = "proxy-stack-pass";

    [Fact]
    public async Task A_stack_puts_a_proxy_in_front_of_an_instance_and_takes_it_away()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        const string Template = $$"""
            template = lambda percent: json.dumps(dict(
                Parameters=dict(Subnets=dict(Type="CommaDelimitedList")),
                Resources=dict(
                    Secret=dict(Type="AWS::SecretsManager::Secret", Properties=dict(SecretString=json.dumps({"username": "{{User}}", "password": "{{Password}}"}))),
                    Db=dict(Type="AWS::RDS::DBInstance", Properties=dict(Engine="mariadb", DBInstanceClass="db.t3.micro", AllocatedStorage="20",
                        MasterUsername="{{User}}", MasterUserPassword="{{Password}}", DBName="app")),
                    Proxy=dict(Type="AWS::RDS::DBProxy", Properties=dict(DBProxyName="stack-proxy", EngineFamily="MYSQL",
                        RoleArn="arn:aws:iam::000000000000:role/proxy", VpcSubnetIds={"Ref": "Subnets"},
                        Auth=[dict(AuthScheme="SECRETS", SecretArn={"Ref": "Secret"}, IAMAuth="DISABLED")])),
                    Targets=dict(Type="AWS::RDS::DBProxyTargetGroup", Properties=dict(DBProxyName={"Ref": "Proxy"}, TargetGroupName="default",
                        DBInstanceIdentifiers=[{"Ref": "Db"}], ConnectionPoolConfigurationInfo=dict(MaxConnectionsPercent=percent))),
                    Endpoint=dict(Type="AWS::RDS::DBProxyEndpoint", Properties=dict(DBProxyEndpointName="stack-proxy-rw", DBProxyName={"Ref": "Proxy"},
                        VpcSubnetIds={"Ref": "Subnets"}, TargetRole="READ_WRITE"))),
                Outputs=dict(
                    ProxyEndpoint=dict(Value={"Fn::GetAtt": ["Proxy", "Endpoint"]}),
                    ProxyArn=dict(Value={"Fn::GetAtt": ["Proxy", "DBProxyArn"]}),
                    EndpointAddress=dict(Value={"Fn::GetAtt": ["Endpoint", "Endpoint"]}),
                    TargetGroupArn=dict(Value={"Ref": "Targets"}))))
            subnets = ",".join(s["SubnetIdentifier"] for s in client("rds").describe_db_subnet_groups()["DBSubnetGroups"][0]["Subnets"])
            params = [{"ParameterKey": "Subnets", "ParameterValue": subnets}]
            cf = client("cloudformation")
            def wait(waiter):
                try:
                    cf.get_waiter(waiter).wait(StackName="proxied", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
                except botocore.exceptions.WaiterError:
                    raise SystemExit(json.dumps([e.get("ResourceStatusReason") for e in cf.describe_stack_events(StackName="proxied")["StackEvents"]]))

            """;
        var created = await Clients.Boto3Async(stratus.Url, Template + """
            cf.create_stack(StackName="proxied", TemplateBody=template(100), Parameters=params)
            wait("stack_create_complete")
            for o in cf.describe_stacks(StackName="proxied")["Stacks"][0]["Outputs"]:
                out[o["OutputKey"]] = o["OutputValue"]
            rds = client("rds")
            out["targets"] = [[t["Type"], t["TargetHealth"]["State"]] for t in rds.describe_db_proxy_targets(DBProxyName="stack-proxy")["Targets"]]
            """, TimeSpan.FromMinutes(6));
        Assert.Matches(@":db-proxy:prx-", created["ProxyArn"]!.GetValue<string>());
        Assert.Matches(@":target-group:prx-tg-", created["TargetGroupArn"]!.GetValue<string>());
        Assert.Equal("""[["RDS_INSTANCE","AVAILABLE"]]""", created["targets"]!.ToJsonString());
        var proxy = new DbEndpoint(created["ProxyEndpoint"]!.GetValue<string>(), 3306, "");
        var endpoint = new DbEndpoint(created["EndpointAddress"]!.GetValue<string>(), 3306, "");
        Assert.NotEqual(proxy.Address, endpoint.Address);
        foreach (var through in new[] { proxy, endpoint })
        {
            await using var connection = await ConnectAsync(through, User, Password, "app");
            await using var command = new MySqlConnector.MySqlCommand("SELECT DATABASE()", connection);
            Assert.Equal("app", await command.ExecuteScalarAsync());
        }

        var updated = await Clients.Boto3Async(stratus.Url, Template + """
            cf.update_stack(StackName="proxied", TemplateBody=template(60), Parameters=params)
            wait("stack_update_complete")
            out["percent"] = client("rds").describe_db_proxy_target_groups(DBProxyName="stack-proxy")["TargetGroups"][0]["ConnectionPoolConfig"]["MaxConnectionsPercent"]
            cf.delete_stack(StackName="proxied")
            wait("stack_delete_complete")
            out["gone"] = error(client("rds").describe_db_proxies, DBProxyName="stack-proxy")
            """, TimeSpan.FromMinutes(6));
        Assert.Equal(60, updated["percent"]!.GetValue<int>());
        Assert.Equal("DBProxyNotFoundFault", updated["gone"]!["code"]!.GetValue<string>());
        Assert.True(await NothingListensAsync(proxy.Address, 3306), $"nothing listens on {proxy.Address} once the stack is deleted");
        Assert.True(await NothingListensAsync(endpoint.Address, 3306), $"nothing listens on {endpoint.Address} once the stack is deleted");
        await stratus.StopAsync();
    }
}
