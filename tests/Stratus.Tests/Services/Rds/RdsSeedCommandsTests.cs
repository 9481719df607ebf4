using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsTestKit;

namespace Stratus.Tests.Services.Rds;

/// <summary>The seed's RDS commands, verbatim, through the aws CLI, and a real database behind them.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsSeedCommandsTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Seed_create_gives_a_MariaDB_on_port_3306_that_the_master_user_can_use_and_delete_frees_it()
    {
        var created = await Clients.AwsAsync(stratus.Url, "rds", "create-db-instance",
            "--db-name", SeedDatabase,
            "--db-instance-identifier", "demo-cct-db",
            "--db-instance-class", "db.t3.small",
            "--port", "3306",
            "--engine", "mysql",
            "--no-publicly-accessible",
            "--master-username", SeedUser,
            "--tags", "Key=Environment,Value=demo-cct-paas",
            "--master-user-password", SeedPassword,
            "--allocated-storage", "20");
        Assert.True(created.ExitCode == 0, created.ToString());
        var instance = JsonNode.Parse(created.Stdout)!["DBInstance"]!;
        Assert.Equal("creating", instance["DBInstanceStatus"]!.GetValue<string>());
        Assert.Equal("arn:aws:rds:us-east-1:000000000000:db:demo-cct-db", instance["DBInstanceArn"]!.GetValue<string>());

        var endpoint = await WaitAvailableAsync(stratus.Url, "demo-cct-db");
        var cliWait = await Clients.AwsAsync(stratus.Url, "rds", "wait", "db-instance-available", "--db-instance-identifier", "demo-cct-db");
        Assert.True(cliWait.ExitCode == 0, cliWait.ToString());

        var address = await Clients.AwsAsync(stratus.Url, "rds", "describe-db-instances", "--db-instance-identifier", "demo-cct-db",
            "--query", "DBInstances[0].Endpoint.Address", "--output", "text");
        Assert.Equal(endpoint.Address, address.Stdout.Trim());
        Assert.StartsWith("127.0.0.", endpoint.Address);
        Assert.NotEqual("127.0.0.1", endpoint.Address);
        Assert.Equal(3306, endpoint.Port);

        var subnets = await Clients.AwsAsync(stratus.Url, "rds", "describe-db-instances", "--db-instance-identifier", "demo-cct-db",
            "--query", "DBInstances[0].DBSubnetGroup.Subnets[*].SubnetIdentifier", "--output", "json");
        var subnetIds = JsonNode.Parse(subnets.Stdout)!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.NotEmpty(subnetIds);
        Assert.All(subnetIds, id => Assert.StartsWith("subnet-", id));
        var groups = await Clients.AwsAsync(stratus.Url, "rds", "describe-db-instances", "--db-instance-identifier", "demo-cct-db",
            "--query", "DBInstances[0].VpcSecurityGroups[*].VpcSecurityGroupId", "--output", "json");
        Assert.StartsWith("sg-", JsonNode.Parse(groups.Stdout)!.AsArray().Single()!.GetValue<string>());
        var tags = await Clients.AwsAsync(stratus.Url, "rds", "list-tags-for-resource", "--resource-name", "arn:aws:rds:us-east-1:000000000000:db:demo-cct-db",
            "--query", "TagList[?Key=='Environment'].Value", "--output", "text");
        Assert.Equal("demo-cct-paas", tags.Stdout.Trim());

        await ExecuteAsync(endpoint, "CREATE TABLE accounts (id INT PRIMARY KEY, name VARCHAR(50)); INSERT INTO accounts VALUES (1, 'alice')");
        Assert.Equal("alice", await ScalarAsync(endpoint, "SELECT name FROM accounts WHERE id = 1"));

        var deleted = await Clients.AwsAsync(stratus.Url, "rds", "delete-db-instance", "--db-instance-identifier", "demo-cct-db",
            "--final-db-snapshot-identifier", "demo-cct-final");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        await WaitDeletedAsync(stratus.Url, "demo-cct-db");
        var cliDeleted = await Clients.AwsAsync(stratus.Url, "rds", "wait", "db-instance-deleted", "--db-instance-identifier", "demo-cct-db");
        Assert.True(cliDeleted.ExitCode == 0, cliDeleted.ToString());
        Assert.True(await NothingListensAsync(endpoint.Address, endpoint.Port));
        var final = await Clients.AwsAsync(stratus.Url, "rds", "describe-db-snapshots", "--db-snapshot-identifier", "demo-cct-final",
            "--query", "DBSnapshots[0].[Status,DBInstanceIdentifier]", "--output", "text");
        Assert.Equal("available\tdemo-cct-db", final.Stdout.Trim());
    }

    [Fact]
    public async Task Two_instances_on_port_3306_listen_side_by_side_on_their_own_addresses()
    {
        var created = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            for name in ["side-a", "side-b"]:
                rds.create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.micro", Engine="mariadb", Port=3306,
                    MasterUsername="democct", MasterUserPassword="demo-cct-password", DBName="accounts", AllocatedStorage=20)
            out["ok"] = True
            """);
        Assert.True(created["ok"]!.GetValue<bool>());
        var a = await WaitAvailableAsync(stratus.Url, "side-a");
        var b = await WaitAvailableAsync(stratus.Url, "side-b");

        Assert.NotEqual(a.Address, b.Address);
        Assert.Equal(3306, a.Port);
        Assert.Equal(3306, b.Port);
        await ExecuteAsync(a, "CREATE TABLE which (name VARCHAR(10)); INSERT INTO which VALUES ('a')");
        await ExecuteAsync(b, "CREATE TABLE which (name VARCHAR(10)); INSERT INTO which VALUES ('b')");
        Assert.Equal("a", await ScalarAsync(a, "SELECT name FROM which"));
        Assert.Equal("b", await ScalarAsync(b, "SELECT name FROM which"));

        await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            for name in ["side-a", "side-b"]:
                rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
            """);
        await WaitDeletedAsync(stratus.Url, "side-a");
        await WaitDeletedAsync(stratus.Url, "side-b");
        Assert.True(await NothingListensAsync(a.Address, 3306));
        Assert.True(await NothingListensAsync(b.Address, 3306));
    }
}
