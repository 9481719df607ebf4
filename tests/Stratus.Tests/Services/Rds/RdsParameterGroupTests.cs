using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsTestKit;

namespace Stratus.Tests.Services.Rds;

/// <summary>One instance on a port of its own, for the parameter group, log file and snapshot copy tests.</summary>
public sealed class RdsGroupsFixture : IAsyncLifetime
{
    public const string Identifier = "groups-db";
    public const int Port = 3326;

    public StratusProcess Server { get; private set; } = null!;
    public string Url => Server.Url;

    public async Task InitializeAsync()
    {
        Server = await StratusProcess.StartPersistentAsync();
        await Clients.Boto3Async(Url, $$"""
            client("rds").create_db_instance(DBInstanceIdentifier="{{Identifier}}", DBInstanceClass="db.t3.small", Engine="mysql", Port={{Port}},
                MasterUsername="{{SeedUser}}", MasterUserPassword="{{SeedPassword}}", DBName="{{SeedDatabase}}", AllocatedStorage=20)
            """);
        var endpoint = await WaitAvailableAsync(Url, Identifier);
        await ExecuteAsync(endpoint, "CREATE TABLE accounts (id INT PRIMARY KEY, name VARCHAR(50)); INSERT INTO accounts VALUES (1, 'alice'), (2, 'bob')");
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsParameterGroupTests(RdsGroupsFixture db) : IClassFixture<RdsGroupsFixture>
{
    private const string Id = RdsGroupsFixture.Identifier;

    [Fact]
    public async Task A_group_on_an_instance_applies_at_reboot_and_its_dynamic_parameters_at_once()
    {
        var endpoint = await WaitAvailableAsync(db.Url, Id);
        var setup = await Clients.Boto3Async(db.Url, $$"""
            rds = client("rds")
            rds.create_db_parameter_group(DBParameterGroupName="app-params", DBParameterGroupFamily="mysql8.0", Description="app")
            rds.modify_db_parameter_group(DBParameterGroupName="app-params", Parameters=[
                {"ParameterName": "max_connections", "ParameterValue": "77", "ApplyMethod": "immediate"}])
            out["static_now"] = error(rds.modify_db_parameter_group, DBParameterGroupName="app-params", Parameters=[
                {"ParameterName": "performance_schema", "ParameterValue": "1", "ApplyMethod": "immediate"}])
            out["unknown"] = error(rds.modify_db_parameter_group, DBParameterGroupName="app-params", Parameters=[
                {"ParameterName": "no_such_parameter", "ParameterValue": "1", "ApplyMethod": "immediate"}])
            out["bad_value"] = error(rds.modify_db_parameter_group, DBParameterGroupName="app-params", Parameters=[
                {"ParameterName": "max_connections", "ParameterValue": "lots", "ApplyMethod": "immediate"}])
            out["default_modify"] = error(rds.modify_db_parameter_group, DBParameterGroupName="default.mysql8.0", Parameters=[
                {"ParameterName": "max_connections", "ParameterValue": "50", "ApplyMethod": "immediate"}])
            user = rds.describe_db_parameters(DBParameterGroupName="app-params", Source="user")["Parameters"]
            out["user"] = [(p["ParameterName"], p["ParameterValue"], p["ApplyType"]) for p in user]
            page = rds.describe_db_parameters(DBParameterGroupName="app-params", MaxRecords=20)
            out["page_size"] = len(page["Parameters"])
            out["all"] = len(page["Parameters"]) + sum(len(p["Parameters"]) for p in rds.get_paginator("describe_db_parameters").paginate(
                DBParameterGroupName="app-params", PaginationConfig={"PageSize": 20, "StartingToken": page["Marker"]}))
            defaults = rds.describe_engine_default_parameters(DBParameterGroupFamily="mysql8.0")["EngineDefaults"]
            out["default_family"] = defaults["DBParameterGroupFamily"]
            out["default_sources"] = sorted({p["Source"] for p in defaults["Parameters"]})
            modified = rds.modify_db_instance(DBInstanceIdentifier="{{Id}}", DBParameterGroupName="app-params", ApplyImmediately=True)["DBInstance"]
            out["pending"] = modified["DBParameterGroups"]
            out["in_use"] = error(rds.delete_db_parameter_group, DBParameterGroupName="app-params")
            out["not_served"] = error(rds.describe_integrations)
            """);
        Assert.Equal("InvalidParameterCombination", setup["static_now"]!["code"]!.GetValue<string>());
        Assert.Contains("no_such_parameter", setup["unknown"]!["message"]!.GetValue<string>());
        Assert.Equal("InvalidParameterValue", setup["bad_value"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidParameterValue", setup["default_modify"]!["code"]!.GetValue<string>());
        Assert.Equal("""[["max_connections","77","dynamic"]]""", setup["user"]!.ToJsonString());
        Assert.Equal(20, setup["page_size"]!.GetValue<int>());
        Assert.Equal(42, setup["all"]!.GetValue<int>());
        Assert.Equal("mysql8.0", setup["default_family"]!.GetValue<string>());
        Assert.Equal("""["engine-default","system"]""", setup["default_sources"]!.ToJsonString());
        Assert.Equal("""[{"DBParameterGroupName":"app-params","ParameterApplyStatus":"pending-reboot"}]""", setup["pending"]!.ToJsonString());
        Assert.Equal("InvalidDBParameterGroupState", setup["in_use"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidAction", setup["not_served"]!["code"]!.GetValue<string>());
        Assert.Contains("DescribeIntegrations", setup["not_served"]!["message"]!.GetValue<string>());

        // The new group waits for the reboot, as on RDS.
        Assert.Equal(200L, Convert.ToInt64(await ScalarAsync(endpoint, "SELECT @@GLOBAL.max_connections")));
        var rebooted = await Clients.Boto3Async(db.Url, $$"""
            rds = client("rds")
            rds.reboot_db_instance(DBInstanceIdentifier="{{Id}}")
            time.sleep(1)
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="{{Id}}", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            out["groups"] = rds.describe_db_instances(DBInstanceIdentifier="{{Id}}")["DBInstances"][0]["DBParameterGroups"]
            """);
        Assert.Equal("""[{"DBParameterGroupName":"app-params","ParameterApplyStatus":"in-sync"}]""", rebooted["groups"]!.ToJsonString());
        endpoint = await WaitAvailableAsync(db.Url, Id);
        Assert.Equal(77L, Convert.ToInt64(await ScalarAsync(endpoint, "SELECT @@GLOBAL.max_connections")));

        // A dynamic change to the group in force reaches the running server without a reboot.
        await Clients.Boto3Async(db.Url, """
            client("rds").modify_db_parameter_group(DBParameterGroupName="app-params", Parameters=[
                {"ParameterName": "wait_timeout", "ParameterValue": "1234", "ApplyMethod": "immediate"},
                {"ParameterName": "time_zone", "ParameterValue": "Europe/Paris", "ApplyMethod": "immediate"}])
            """);
        Assert.Equal(1234L, Convert.ToInt64(await ScalarAsync(endpoint, "SELECT @@GLOBAL.wait_timeout")));
        Assert.Equal("Europe/Paris", await ScalarAsync(endpoint, "SELECT @@GLOBAL.time_zone"));
    }

    [Fact]
    public async Task Log_files_are_the_servers_own_and_download_in_portions()
    {
        var endpoint = await WaitAvailableAsync(db.Url, Id);
        await Clients.Boto3Async(db.Url, $$"""
            rds = client("rds")
            rds.create_db_parameter_group(DBParameterGroupName="slow-log", DBParameterGroupFamily="mysql8.0", Description="slow log")
            rds.modify_db_parameter_group(DBParameterGroupName="slow-log", Parameters=[
                {"ParameterName": "slow_query_log", "ParameterValue": "1", "ApplyMethod": "immediate"},
                {"ParameterName": "long_query_time", "ParameterValue": "0", "ApplyMethod": "immediate"}])
            """);
        // Another instance's group: this one's slow log is still off.
        var before = await Clients.Boto3Async(db.Url, $$"""
            out["names"] = [f["LogFileName"] for f in client("rds").describe_db_log_files(DBInstanceIdentifier="{{Id}}")["DescribeDBLogFiles"]]
            """);
        Assert.Contains("error/mysql-error.log", before["names"]!.AsArray().Select(n => n!.GetValue<string>()));

        await Clients.Boto3Async(db.Url, $$"""
            rds = client("rds")
            rds.modify_db_instance(DBInstanceIdentifier="{{Id}}", DBParameterGroupName="slow-log", ApplyImmediately=True)
            rds.reboot_db_instance(DBInstanceIdentifier="{{Id}}")
            time.sleep(1)
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="{{Id}}", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            """);
        endpoint = await WaitAvailableAsync(db.Url, Id);
        await ScalarAsync(endpoint, "SELECT name FROM accounts WHERE id = 2 /* slow-log-marker */");
        var logs = await Clients.Boto3Async(db.Url, $$"""
            rds = client("rds")
            files = rds.describe_db_log_files(DBInstanceIdentifier="{{Id}}")["DescribeDBLogFiles"]
            out["names"] = sorted(f["LogFileName"] for f in files)
            out["sizes"] = all(f["Size"] > 0 and f["LastWritten"] > 0 for f in files)
            out["error_tail"] = rds.download_db_log_file_portion(DBInstanceIdentifier="{{Id}}", LogFileName="error/mysql-error.log", NumberOfLines=50)["LogFileData"]
            chunks, marker = [], "0"
            while True:
                p = rds.download_db_log_file_portion(DBInstanceIdentifier="{{Id}}", LogFileName="slowquery/mysql-slowquery.log", Marker=marker, NumberOfLines=3)
                chunks.append(p["LogFileData"])
                marker = p["Marker"]
                if not p["AdditionalDataPending"]:
                    break
            out["slow"] = "".join(chunks)
            out["chunks"] = len(chunks)
            out["missing"] = error(rds.download_db_log_file_portion, DBInstanceIdentifier="{{Id}}", LogFileName="error/nope.log")
            """);
        Assert.Equal("""["error/mysql-error.log","slowquery/mysql-slowquery.log"]""", logs["names"]!.ToJsonString());
        Assert.True(logs["sizes"]!.GetValue<bool>());
        Assert.Contains("ready for connections", logs["error_tail"]!.GetValue<string>());
        Assert.Contains("slow-log-marker", logs["slow"]!.GetValue<string>());
        Assert.True(logs["chunks"]!.GetValue<int>() > 1);
        Assert.Equal("DBLogFileNotFoundFault", logs["missing"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_copied_snapshot_restores_the_same_rows()
    {
        await WaitAvailableAsync(db.Url, Id);
        await Clients.Boto3Async(db.Url, $$"""
            rds = client("rds")
            rds.create_db_snapshot(DBSnapshotIdentifier="groups-snap", DBInstanceIdentifier="{{Id}}")
            rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier="groups-snap", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            copy = rds.copy_db_snapshot(SourceDBSnapshotIdentifier="groups-snap", TargetDBSnapshotIdentifier="groups-snap-copy")["DBSnapshot"]
            rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier="groups-snap-copy", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            rds.delete_db_snapshot(DBSnapshotIdentifier="groups-snap")
            rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="groups-copy-db", DBSnapshotIdentifier="groups-snap-copy", Port=3327)
            """);
        var restored = await WaitAvailableAsync(db.Url, "groups-copy-db");
        Assert.Equal(2L, Convert.ToInt64(await ScalarAsync(restored, "SELECT COUNT(*) FROM accounts")));
        Assert.Equal("bob", await ScalarAsync(restored, "SELECT name FROM accounts WHERE id = 2"));
        await Clients.Boto3Async(db.Url, """client("rds").delete_db_instance(DBInstanceIdentifier="groups-copy-db", SkipFinalSnapshot=True)""");
        await WaitDeletedAsync(db.Url, "groups-copy-db");
    }

    [Fact]
    public async Task Option_groups_and_event_subscriptions_are_recorded()
    {
        var result = await Clients.Boto3Async(db.Url, $$"""
            rds = client("rds")
            og = rds.create_option_group(OptionGroupName="app-options", EngineName="mysql", MajorEngineVersion="8.0", OptionGroupDescription="app")["OptionGroup"]
            out["og"] = og["OptionGroupArn"].split(":")[-2:]
            out["options"] = rds.describe_option_group_options(EngineName="mysql", MajorEngineVersion="8.0")["OptionGroupOptions"]
            out["include"] = error(rds.modify_option_group, OptionGroupName="app-options", OptionsToInclude=[{"OptionName": "MARIADB_AUDIT_PLUGIN"}], ApplyImmediately=True)
            out["groups"] = [g["OptionGroupName"] for g in rds.describe_option_groups(EngineName="mysql")["OptionGroupsList"]]
            rds.delete_option_group(OptionGroupName="app-options")
            sub = rds.create_event_subscription(SubscriptionName="app-events", SnsTopicArn="arn:aws:sns:us-east-1:000000000000:db-events",
                SourceType="db-instance", EventCategories=["availability"], SourceIds=["{{Id}}"])["EventSubscription"]
            out["sub"] = [sub["Status"], sub["SourceIdsList"], sub["EventCategoriesList"]]
            out["bad_source"] = error(rds.add_source_identifier_to_subscription, SubscriptionName="app-events", SourceIdentifier="no-such-db")
            rds.remove_source_identifier_from_subscription(SubscriptionName="app-events", SourceIdentifier="{{Id}}")
            out["after"] = rds.describe_event_subscriptions(SubscriptionName="app-events")["EventSubscriptionsList"][0]["SourceIdsList"]
            rds.delete_event_subscription(SubscriptionName="app-events")
            out["gone"] = error(rds.describe_event_subscriptions, SubscriptionName="app-events")
            """);
        Assert.Equal("""["og","app-options"]""", result["og"]!.ToJsonString());
        Assert.Equal("[]", result["options"]!.ToJsonString());
        Assert.Contains("MARIADB_AUDIT_PLUGIN", result["include"]!["message"]!.GetValue<string>());
        Assert.Equal("""["app-options","default:mysql-8-0"]""", result["groups"]!.ToJsonString());
        Assert.Equal($$"""["active",["{{Id}}"],["availability"]]""", result["sub"]!.ToJsonString());
        Assert.Equal("SourceNotFound", result["bad_source"]!["code"]!.GetValue<string>());
        Assert.Equal("[]", result["after"]!.ToJsonString());
        Assert.Equal("SubscriptionNotFound", result["gone"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_template_creates_the_groups_and_an_instance_running_with_its_parameter_group()
    {
        var stack = await Clients.Boto3Async(db.Url, $$$"""
            cf = client("cloudformation")
            template = {"Resources": {
                "Params": {"Type": "AWS::RDS::DBParameterGroup", "Properties": {"Family": "mysql8.0", "Description": "stack params",
                    "Parameters": {"max_connections": "66", "sql_mode": "STRICT_ALL_TABLES,NO_ZERO_DATE"} } },
                "ClusterParams": {"Type": "AWS::RDS::DBClusterParameterGroup", "Properties": {"Family": "aurora-mysql8.0", "Description": "cluster params",
                    "Parameters": {"time_zone": "UTC"} } },
                "Options": {"Type": "AWS::RDS::OptionGroup", "Properties": {"EngineName": "mysql", "MajorEngineVersion": "8.0", "OptionGroupDescription": "stack options"} },
                "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBInstanceClass": "db.t3.micro", "Engine": "mysql", "Port": "3328", "AllocatedStorage": "20",
                    "MasterUsername": "{{{SeedUser}}}", "MasterUserPassword": "{{{SeedPassword}}}", "DBName": "{{{SeedDatabase}}}",
                    "DBParameterGroupName": {"Ref": "Params"}, "OptionGroupName": {"Ref": "Options"} } },
                "Events": {"Type": "AWS::RDS::EventSubscription", "Properties": {"SnsTopicArn": "arn:aws:sns:us-east-1:000000000000:db-events",
                    "SourceType": "db-instance", "SourceIds": [{"Ref": "Db"}], "EventCategories": ["failure"]} } } }
            cf.create_stack(StackName="rds-groups", TemplateBody=json.dumps(template))
            try:
                cf.get_waiter("stack_create_complete").wait(StackName="rds-groups", WaiterConfig={"Delay": 1, "MaxAttempts": 180})
            except botocore.exceptions.WaiterError:
                raise SystemExit(json.dumps([e.get("ResourceStatusReason") for e in cf.describe_stack_events(StackName="rds-groups")["StackEvents"]]))
            resources = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cf.describe_stack_resources(StackName="rds-groups")["StackResources"]}
            rds = client("rds")
            i = rds.describe_db_instances(DBInstanceIdentifier=resources["Db"])["DBInstances"][0]
            out["db"] = resources["Db"]
            out["groups"] = [i["DBParameterGroups"][0]["DBParameterGroupName"] == resources["Params"], i["OptionGroupMemberships"][0]["OptionGroupName"] == resources["Options"]]
            out["cluster"] = [p["ParameterValue"] for p in rds.describe_db_cluster_parameters(DBClusterParameterGroupName=resources["ClusterParams"], Source="user")["Parameters"]]
            out["subscription"] = rds.describe_event_subscriptions(SubscriptionName=resources["Events"])["EventSubscriptionsList"][0]["SourceIdsList"]
            """);
        Assert.Equal("[true,true]", stack["groups"]!.ToJsonString());
        Assert.Equal("""["UTC"]""", stack["cluster"]!.ToJsonString());
        Assert.Equal($$"""["{{stack["db"]!.GetValue<string>()}}"]""", stack["subscription"]!.ToJsonString());
        var endpoint = await WaitAvailableAsync(db.Url, stack["db"]!.GetValue<string>());
        Assert.Equal(66L, Convert.ToInt64(await ScalarAsync(endpoint, "SELECT @@GLOBAL.max_connections")));
        Assert.Equal("STRICT_ALL_TABLES,NO_ZERO_DATE", await ScalarAsync(endpoint, "SELECT @@GLOBAL.sql_mode"));

        var deleted = await Clients.Boto3Async(db.Url, """
            cf = client("cloudformation")
            cf.delete_stack(StackName="rds-groups")
            cf.get_waiter("stack_delete_complete").wait(StackName="rds-groups", WaiterConfig={"Delay": 1, "MaxAttempts": 180})
            out["groups"] = [g["DBParameterGroupName"] for g in client("rds").describe_db_parameter_groups()["DBParameterGroups"] if g["DBParameterGroupName"].startswith("rds-groups")]
            """);
        Assert.Equal("[]", deleted["groups"]!.ToJsonString());
    }
}
