using System.Globalization;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// Backtracking and IAM roles of a real aurora-mysql cluster (a writer and a reader): AWS's refusals of a window (another
/// engine, past 72 hours); rows written at t1 and t2, the cluster backtracked in place to between them: the writer and the
/// reader read the t1 state, the endpoints and port are unchanged, the reader replicates the rewound writer, and
/// DescribeDBClusterBacktracks lists the backtrack completed (with its filters and AWS's fault for an unknown id); then
/// backtracked forward to after t2, which finds the t2 state again (the time rewound over is kept). AddRoleToDBCluster and
/// RemoveRoleFromDBCluster with IAM's roles and AWS's faults; BacktrackWindow 0 turns backtracking off for good. And
/// AWS::RDS::DBCluster's BacktrackWindow and AssociatedRoles, a role swapped for another by a stack update.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsClusterBacktrackTests
{
    private const string User = "aurora_admin";
    private const string Password = "aurora-master-pass";

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00:00";

    [Fact]
    public async Task An_aurora_mysql_cluster_backtracks_in_place_back_and_forth_and_records_its_roles()
    {
        await using var stratus = await StratusProcess.StartPersistentAsync();
        var created = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            def create(**kwargs):
                return error(rds.create_db_cluster, **{"DBClusterIdentifier": "bad", "Engine": "aurora-mysql", "MasterUsername": "{{User}}",
                    "MasterUserPassword": "{{Password}}", **kwargs})
            out["postgres"] = create(Engine="aurora-postgresql", BacktrackWindow=3600)
            out["too_long"] = create(BacktrackWindow=259201)
            rds.create_db_cluster(DBClusterIdentifier="ledger", Engine="aurora-mysql", MasterUsername="{{User}}", MasterUserPassword="{{Password}}",
                DatabaseName="app", BacktrackWindow=3600)
            for member in ["ledger-w", "ledger-r"]:
                rds.create_db_instance(DBInstanceIdentifier=member, DBClusterIdentifier="ledger", Engine="aurora-mysql", DBInstanceClass="db.r6g.large")
            for member in ["ledger-w", "ledger-r"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 600})
            c = rds.describe_db_clusters(DBClusterIdentifier="ledger")["DBClusters"][0]
            out["window"] = [c["BacktrackWindow"], "EarliestBacktrackTime" in c, "BacktrackConsumedChangeRecords" in c]
            out["endpoints"] = [c["Endpoint"], c["ReaderEndpoint"], c["Port"]]
            out["reader"] = rds.describe_db_instances(DBInstanceIdentifier="ledger-r")["DBInstances"][0]["Endpoint"]["Address"]
            out["none_yet"] = rds.describe_db_cluster_backtracks(DBClusterIdentifier="ledger")["DBClusterBacktracks"]
            """, TimeSpan.FromMinutes(12));
        Assert.Equal("InvalidParameterCombination", (string?)created["postgres"]!["code"]);
        Assert.Contains("does not support Backtrack", (string?)created["postgres"]!["message"]);
        Assert.Equal("InvalidParameterValue", (string?)created["too_long"]!["code"]);
        Assert.Equal("[3600,true,false]", created["window"]!.ToJsonString());
        Assert.Equal("[]", created["none_yet"]!.ToJsonString());
        var endpoints = created["endpoints"]!.ToJsonString();
        var db = new RdsAuroraTests.AuroraDatabase("aurora-mysql", (int)created["endpoints"]![2]!);
        var writer = (string)created["endpoints"]![0]!;
        var reader = (string)created["reader"]!;

        // t1, then t2; the binary log's times are whole seconds, so a second and more between each write and each noted time.
        await db.ExecuteAsync(writer, "CREATE TABLE ledger (id INT PRIMARY KEY, note VARCHAR(20)); INSERT INTO ledger VALUES (1, 't1')");
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        var betweenT1AndT2 = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        await db.ExecuteAsync(writer, "INSERT INTO ledger VALUES (2, 't2')");
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        var afterT2 = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(2.2));

        var backtracked = await Clients.Boto3Async(stratus.Url, $$"""
            from datetime import datetime, timedelta, timezone
            rds = client("rds")
            to = datetime.fromisoformat("{{Iso(betweenT1AndT2)}}")
            out["future"] = error(rds.backtrack_db_cluster, DBClusterIdentifier="ledger", BacktrackTo=datetime.now(timezone.utc) + timedelta(hours=1))
            out["too_early"] = error(rds.backtrack_db_cluster, DBClusterIdentifier="ledger", BacktrackTo=to - timedelta(days=1))
            out["missing"] = error(rds.backtrack_db_cluster, DBClusterIdentifier="nope", BacktrackTo=to)
            b = rds.backtrack_db_cluster(DBClusterIdentifier="ledger", BacktrackTo=to, Force=True)
            out["started"] = [b["Status"], abs((b["BacktrackTo"] - to).total_seconds()) < 1, b["BacktrackedFrom"] > to, b["DBClusterIdentifier"]]
            out["status"] = rds.describe_db_clusters(DBClusterIdentifier="ledger")["DBClusters"][0]["Status"]
            out["busy"] = error(rds.backtrack_db_cluster, DBClusterIdentifier="ledger", BacktrackTo=to)
            rds.get_waiter("db_cluster_available").wait(DBClusterIdentifier="ledger", WaiterConfig={"Delay": 1, "MaxAttempts": 600})
            for member in ["ledger-w", "ledger-r"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 600})
            c = rds.describe_db_clusters(DBClusterIdentifier="ledger")["DBClusters"][0]
            out["endpoints"] = [c["Endpoint"], c["ReaderEndpoint"], c["Port"]]
            out["writers"] = [m["DBInstanceIdentifier"] for m in c["DBClusterMembers"] if m["IsClusterWriter"]]
            out["reader"] = rds.describe_db_instances(DBInstanceIdentifier="ledger-r")["DBInstances"][0]["Endpoint"]["Address"]
            def listed(**kwargs):
                return rds.describe_db_cluster_backtracks(DBClusterIdentifier="ledger", **kwargs)["DBClusterBacktracks"]
            out["listed"] = [[x["BacktrackIdentifier"] == b["BacktrackIdentifier"], x["Status"], "BacktrackRequestCreationTime" in x] for x in listed()]
            out["completed"] = len(listed(Filters=[{"Name": "db-cluster-backtrack-status", "Values": ["completed"]}]))
            out["failed"] = len(listed(Filters=[{"Name": "db-cluster-backtrack-status", "Values": ["failed", "pending"]}]))
            out["by_id"] = len(listed(BacktrackIdentifier=b["BacktrackIdentifier"]))
            out["by_filter"] = len(listed(Filters=[{"Name": "db-cluster-backtrack-id", "Values": [b["BacktrackIdentifier"]]}]))
            out["unknown_id"] = error(rds.describe_db_cluster_backtracks, DBClusterIdentifier="ledger", BacktrackIdentifier="123e4567-e89b-12d3-a456-426655440000")
            """, TimeSpan.FromMinutes(12));
        Assert.Equal("InvalidParameterValue", (string?)backtracked["future"]!["code"]);
        Assert.Equal("InvalidParameterValue", (string?)backtracked["too_early"]!["code"]);
        Assert.Equal("DBClusterNotFoundFault", (string?)backtracked["missing"]!["code"]);
        Assert.Equal("""["pending",true,true,"ledger"]""", backtracked["started"]!.ToJsonString());
        Assert.Equal("backtracking", (string?)backtracked["status"]);
        Assert.Equal("InvalidDBClusterStateFault", (string?)backtracked["busy"]!["code"]);
        Assert.Equal(endpoints, backtracked["endpoints"]!.ToJsonString());
        Assert.Equal("""["ledger-w"]""", backtracked["writers"]!.ToJsonString());
        Assert.Equal(reader, (string?)backtracked["reader"]);
        Assert.Equal("""[[true,"completed",true]]""", backtracked["listed"]!.ToJsonString());
        Assert.Equal(1, (int)backtracked["completed"]!);
        Assert.Equal(0, (int)backtracked["failed"]!);
        Assert.Equal(1, (int)backtracked["by_id"]!);
        Assert.Equal(1, (int)backtracked["by_filter"]!);
        Assert.Equal("DBClusterBacktrackNotFoundFault", (string?)backtracked["unknown_id"]!["code"]);

        // The t1 state, on the writer through the unchanged cluster endpoint and on the reader, which replicates the rewound writer.
        Assert.Equal("t1", Convert.ToString(await db.ScalarAsync(writer, "SELECT GROUP_CONCAT(note ORDER BY id) FROM ledger"), CultureInfo.InvariantCulture));
        Assert.Equal("t1", Convert.ToString(await db.ScalarAsync(reader, "SELECT GROUP_CONCAT(note ORDER BY id) FROM ledger"), CultureInfo.InvariantCulture));
        await db.ExecuteAsync(writer, "INSERT INTO ledger VALUES (3, 'rewound')");
        (await db.WaitForAsync(reader, "SELECT COUNT(*) FROM ledger", 2L)).Expect("the reader replicates the rewound writer");

        // Forward again, to after t2 (before the first backtrack started): that time's data, without what was written since the rewind.
        var forward = await Clients.Boto3Async(stratus.Url, $$"""
            from datetime import datetime
            rds = client("rds")
            rds.backtrack_db_cluster(DBClusterIdentifier="ledger", BacktrackTo=datetime.fromisoformat("{{Iso(afterT2)}}"))
            rds.get_waiter("db_cluster_available").wait(DBClusterIdentifier="ledger", WaiterConfig={"Delay": 1, "MaxAttempts": 600})
            for member in ["ledger-w", "ledger-r"]:
                rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 600})
            out["statuses"] = sorted(x["Status"] for x in rds.describe_db_cluster_backtracks(DBClusterIdentifier="ledger")["DBClusterBacktracks"])
            """, TimeSpan.FromMinutes(12));
        Assert.Equal("""["completed","completed"]""", forward["statuses"]!.ToJsonString());
        Assert.Equal("t1,t2", Convert.ToString(await db.ScalarAsync(writer, "SELECT GROUP_CONCAT(note ORDER BY id) FROM ledger"), CultureInfo.InvariantCulture));
        Assert.Equal("t1,t2", Convert.ToString(await db.ScalarAsync(reader, "SELECT GROUP_CONCAT(note ORDER BY id) FROM ledger"), CultureInfo.InvariantCulture));

        var roles = await Clients.Boto3Async(stratus.Url, """
            import json
            rds = client("rds")
            iam = client("iam")
            def trust(service):
                return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
            arns = [iam.create_role(RoleName=f"aurora-s3-{i}", AssumeRolePolicyDocument=trust("rds.amazonaws.com"))["Role"]["Arn"] for i in range(6)]
            lambda_only = iam.create_role(RoleName="lambda-only", AssumeRolePolicyDocument=trust("lambda.amazonaws.com"))["Role"]["Arn"]
            def add(arn, **kwargs):
                return error(rds.add_role_to_db_cluster, **{"DBClusterIdentifier": "ledger", "RoleArn": arn, **kwargs})
            out["feature"] = add(arns[0], FeatureName="s3Import")
            out["unknown_role"] = add(arns[0].replace("aurora-s3-0", "nope"))
            out["untrusted"] = add(lambda_only)
            out["no_cluster"] = add(arns[0], DBClusterIdentifier="nope")
            for arn in arns[:5]:
                rds.add_role_to_db_cluster(DBClusterIdentifier="ledger", RoleArn=arn)
            out["again"] = add(arns[0])
            out["quota"] = add(arns[5])
            associated = rds.describe_db_clusters(DBClusterIdentifier="ledger")["DBClusters"][0]["AssociatedRoles"]
            out["associated"] = [len(associated), associated[0]["RoleArn"] == arns[0], associated[0]["Status"], "FeatureName" in associated[0]]
            rds.remove_role_from_db_cluster(DBClusterIdentifier="ledger", RoleArn=arns[0])
            out["removed"] = [r["RoleArn"] == arns[0] for r in rds.describe_db_clusters(DBClusterIdentifier="ledger")["DBClusters"][0]["AssociatedRoles"]]
            out["remove_again"] = error(rds.remove_role_from_db_cluster, DBClusterIdentifier="ledger", RoleArn=arns[0])
            out["features"] = rds.describe_db_engine_versions(Engine="aurora-postgresql")["DBEngineVersions"][0]["SupportedFeatureNames"]

            # BacktrackWindow 0 turns backtracking off, for good.
            rds.modify_db_cluster(DBClusterIdentifier="ledger", BacktrackWindow=0)
            c = rds.describe_db_clusters(DBClusterIdentifier="ledger")["DBClusters"][0]
            out["off"] = [c["BacktrackWindow"], "EarliestBacktrackTime" in c]
            out["not_enabled"] = error(rds.backtrack_db_cluster, DBClusterIdentifier="ledger", BacktrackTo=c["ClusterCreateTime"])
            out["enable_again"] = error(rds.modify_db_cluster, DBClusterIdentifier="ledger", BacktrackWindow=600)
            """, TimeSpan.FromMinutes(5));
        Assert.Equal("InvalidParameterValue", (string?)roles["feature"]!["code"]);
        Assert.Equal("InvalidParameterValue", (string?)roles["unknown_role"]!["code"]);
        Assert.Equal("InvalidParameterValue", (string?)roles["untrusted"]!["code"]);
        Assert.Equal("DBClusterNotFoundFault", (string?)roles["no_cluster"]!["code"]);
        Assert.Equal("DBClusterRoleAlreadyExists", (string?)roles["again"]!["code"]);
        Assert.Equal("DBClusterRoleQuotaExceeded", (string?)roles["quota"]!["code"]);
        Assert.Equal("""[5,true,"ACTIVE",false]""", roles["associated"]!.ToJsonString());
        Assert.Equal("[false,false,false,false]", roles["removed"]!.ToJsonString());
        Assert.Equal("DBClusterRoleNotFound", (string?)roles["remove_again"]!["code"]);
        Assert.Contains("s3Import", roles["features"]!.AsArray().Select(f => (string?)f));
        Assert.Equal("[0,false]", roles["off"]!.ToJsonString());
        Assert.Equal("InvalidDBClusterStateFault", (string?)roles["not_enabled"]!["code"]);
        Assert.Equal("InvalidParameterCombination", (string?)roles["enable_again"]!["code"]);
    }

    [Fact]
    public async Task A_stack_sets_a_clusters_backtrack_window_and_its_associated_roles()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var stack = await Clients.Boto3Async(stratus.Url, $$"""
            cf = client("cloudformation")
            rds = client("rds")
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "rds.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
            def template(roles):
                cluster = dict(Type="AWS::RDS::DBCluster", Properties=dict(DBClusterIdentifier="stacked", Engine="aurora-mysql", MasterUsername="{{User}}",
                    MasterUserPassword="{{Password}}", BacktrackWindow=7200, AssociatedRoles=[dict(RoleArn={"Fn::GetAtt": [r, "Arn"]}) for r in roles]))
                resources = {r: dict(Type="AWS::IAM::Role", Properties=dict(AssumeRolePolicyDocument=trust)) for r in ["RoleA", "RoleB"]}
                resources["Cluster"] = cluster
                return json.dumps(dict(Resources=resources))
            def wait(kind):
                try:
                    cf.get_waiter(f"stack_{kind}_complete").wait(StackName="roles", WaiterConfig={"Delay": 1, "MaxAttempts": 600})
                except botocore.exceptions.WaiterError:
                    raise SystemExit(json.dumps([e.get("ResourceStatusReason") for e in cf.describe_stack_events(StackName="roles")["StackEvents"]]))
            def roles():
                arns = {cf.describe_stack_resource(StackName="roles", LogicalResourceId=r)["StackResourceDetail"]["PhysicalResourceId"]: r for r in ["RoleA", "RoleB"]}
                c = rds.describe_db_clusters(DBClusterIdentifier="stacked")["DBClusters"][0]
                return [c["BacktrackWindow"], sorted(arns.get(a["RoleArn"].split("/")[-1], a["RoleArn"]) + ":" + a["Status"] for a in c["AssociatedRoles"])]
            cf.create_stack(StackName="roles", TemplateBody=template(["RoleA"]), Capabilities=["CAPABILITY_IAM"])
            wait("create")
            out["created"] = roles()
            cf.update_stack(StackName="roles", TemplateBody=template(["RoleB"]), Capabilities=["CAPABILITY_IAM"])
            wait("update")
            out["updated"] = roles()
            """, TimeSpan.FromMinutes(10));
        Assert.Equal("""[7200,["RoleA:ACTIVE"]]""", stack["created"]!.ToJsonString());
        Assert.Equal("""[7200,["RoleB:ACTIVE"]]""", stack["updated"]!.ToJsonString());
    }
}
