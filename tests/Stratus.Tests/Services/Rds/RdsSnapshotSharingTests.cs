using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsTestKit;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// Manual snapshots shared with other accounts through their "restore" attribute (instance and cluster snapshots), a
/// snapshot restored by the account it was shared with, holding the source's rows, and refused to one it was not;
/// ModifyDBSnapshot, and the operations that describe an instance's maintenance, modifications and the account's use.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsSnapshotSharingTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Other = "111122223333";

    [Fact]
    public async Task A_snapshot_shared_with_another_account_is_restored_there_with_its_rows()
    {
        await Clients.Boto3Async(stratus.Url, $$"""
            client("rds").create_db_instance(DBInstanceIdentifier="share-src", Engine="mariadb", DBInstanceClass="db.t3.micro",
                MasterUsername="{{SeedUser}}", MasterUserPassword="{{SeedPassword}}", DBName="{{SeedDatabase}}")
            """);
        var source = await WaitAvailableAsync(stratus.Url, "share-src");
        await ExecuteAsync(source, "CREATE TABLE shared_rows (id INT PRIMARY KEY); INSERT INTO shared_rows VALUES (7)");

        var r = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            other = client("rds", key="{{Other}}")
            stranger = client("rds", key="444455556666")
            snapshot = rds.create_db_snapshot(DBSnapshotIdentifier="share-snap", DBInstanceIdentifier="share-src")["DBSnapshot"]
            rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier="share-snap", WaiterConfig={"Delay": 1, "MaxAttempts": 180})
            arn = snapshot["DBSnapshotArn"]
            instance_arn = rds.describe_db_instances(DBInstanceIdentifier="share-src")["DBInstances"][0]["DBInstanceArn"]

            attributes = lambda: rds.describe_db_snapshot_attributes(DBSnapshotIdentifier="share-snap")["DBSnapshotAttributesResult"]
            out["unshared"] = attributes()
            out["not_shared_yet"] = error(other.restore_db_instance_from_db_snapshot, DBInstanceIdentifier="share-copy", DBSnapshotIdentifier=arn)
            out["shared"] = rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="share-snap", AttributeName="restore",
                ValuesToAdd=["{{Other}}", "999988887777"])["DBSnapshotAttributesResult"]["DBSnapshotAttributes"]
            # Listed to the account it is shared with only when asked (IncludeShared, or SnapshotType shared), never to a stranger.
            out["listed_shared"] = [s["DBSnapshotArn"] == arn for s in other.describe_db_snapshots(IncludeShared=True)["DBSnapshots"]]
            out["listed_by_type"] = [[s["DBSnapshotArn"] == arn, s["SnapshotType"]] for s in other.describe_db_snapshots(SnapshotType="shared")["DBSnapshots"]]
            out["listed_default"] = len(other.describe_db_snapshots()["DBSnapshots"]) + len(other.describe_db_snapshots(SnapshotType="manual", IncludeShared=True)["DBSnapshots"])
            out["listed_filtered"] = len(other.describe_db_snapshots(IncludeShared=True, Filters=[{"Name": "snapshot-type", "Values": ["shared"]}])["DBSnapshots"])
            out["stranger_listed"] = len(stranger.describe_db_snapshots(IncludeShared=True, IncludePublic=True)["DBSnapshots"])
            out["bad_name"] = error(rds.modify_db_snapshot_attribute, DBSnapshotIdentifier="share-snap", AttributeName="copy", ValuesToAdd=["{{Other}}"])
            out["bad_account"] = error(rds.modify_db_snapshot_attribute, DBSnapshotIdentifier="share-snap", AttributeName="restore", ValuesToAdd=["bob"])
            out["too_many"] = error(rds.modify_db_snapshot_attribute, DBSnapshotIdentifier="share-snap", AttributeName="restore",
                ValuesToAdd=[f"{n:012d}" for n in range(1, 20)])
            out["modify_shared"] = error(rds.modify_db_snapshot, DBSnapshotIdentifier="share-snap", EngineVersion=snapshot["EngineVersion"])

            restored = other.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="share-copy", DBSnapshotIdentifier=arn)["DBInstance"]
            out["restored_arn"] = restored["DBInstanceArn"]
            out["stranger"] = error(stranger.restore_db_instance_from_db_snapshot, DBInstanceIdentifier="share-copy", DBSnapshotIdentifier=arn)
            out["stranger_copy"] = error(stranger.copy_db_snapshot, SourceDBSnapshotIdentifier=arn, TargetDBSnapshotIdentifier="share-snap-copy")
            copied = other.copy_db_snapshot(SourceDBSnapshotIdentifier=arn, TargetDBSnapshotIdentifier="share-snap-copy")["DBSnapshot"]
            out["copied"] = [copied["DBSnapshotArn"], copied["SourceDBSnapshotIdentifier"] == arn]
            other.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier="share-snap-copy", WaiterConfig={"Delay": 1, "MaxAttempts": 180})
            out["copy_unshared"] = other.describe_db_snapshot_attributes(DBSnapshotIdentifier="share-snap-copy")["DBSnapshotAttributesResult"]["DBSnapshotAttributes"][0]["AttributeValues"]
            other.delete_db_snapshot(DBSnapshotIdentifier="share-snap-copy")
            other.get_waiter("db_instance_available").wait(DBInstanceIdentifier="share-copy", WaiterConfig={"Delay": 1, "MaxAttempts": 180})
            copy = other.describe_db_instances(DBInstanceIdentifier="share-copy")["DBInstances"][0]
            out["address"] = copy["Endpoint"]["Address"]
            out["port"] = copy["Endpoint"]["Port"]

            out["unshared_again"] = rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="share-snap", AttributeName="restore",
                ValuesToRemove=["{{Other}}", "999988887777"])["DBSnapshotAttributesResult"]["DBSnapshotAttributes"]
            out["public"] = rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="share-snap", AttributeName="restore",
                ValuesToAdd=["all"])["DBSnapshotAttributesResult"]["DBSnapshotAttributes"][0]["AttributeValues"]
            out["public_listed"] = [[s["DBSnapshotArn"] == arn for s in stranger.describe_db_snapshots(IncludePublic=True)["DBSnapshots"]],
                                    [s["DBSnapshotArn"] == arn for s in rds.describe_db_snapshots(SnapshotType="public")["DBSnapshots"]],
                                    len(stranger.describe_db_snapshots()["DBSnapshots"])]
            out["public_visible"] = error(stranger.restore_db_instance_from_db_snapshot, DBInstanceIdentifier="share-x", DBSnapshotIdentifier=arn,
                DBInstanceClass="db.t2.micro")
            rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="share-snap", AttributeName="restore", ValuesToRemove=["all"])

            out["upgrade_elsewhere"] = error(rds.modify_db_snapshot, DBSnapshotIdentifier="share-snap", EngineVersion="10.6.1")
            rds.create_option_group(OptionGroupName="share-og", EngineName="mariadb", MajorEngineVersion=".".join(snapshot["EngineVersion"].split(".")[:2]),
                OptionGroupDescription="d")
            out["modified"] = rds.modify_db_snapshot(DBSnapshotIdentifier="share-snap", EngineVersion=snapshot["EngineVersion"], OptionGroupName="share-og")["DBSnapshot"]["OptionGroupName"]
            out["default_og"] = snapshot["OptionGroupName"]

            out["maintenance"] = error(rds.apply_pending_maintenance_action, ResourceIdentifier=instance_arn, ApplyAction="system-update", OptInType="immediate")
            out["pending"] = rds.describe_pending_maintenance_actions(ResourceIdentifier=instance_arn)["PendingMaintenanceActions"]
            out["valid"] = rds.describe_valid_db_instance_modifications(DBInstanceIdentifier="share-src")["ValidDBInstanceModificationsMessage"]["Storage"]
            quotas = {q["AccountQuotaName"]: q["Used"] for q in rds.describe_account_attributes()["AccountQuotas"]}
            out["used"] = [quotas["DBInstances"], quotas["ManualSnapshots"], quotas["AllocatedStorage"], quotas["OptionGroups"]]
            out["other_used"] = {q["AccountQuotaName"]: q["Used"] for q in other.describe_account_attributes()["AccountQuotas"]}["DBInstances"]
            rds.delete_db_snapshot(DBSnapshotIdentifier="share-snap")
            rds.delete_option_group(OptionGroupName="share-og")
            """, TimeSpan.FromMinutes(6));

        try
        {
            Assert.Equal("""{"DBSnapshotIdentifier":"share-snap","DBSnapshotAttributes":[{"AttributeName":"restore","AttributeValues":[]}]}""", r["unshared"]!.ToJsonString());
            Assert.Equal("DBSnapshotNotFound", (string)r["not_shared_yet"]!["code"]!);
            Assert.Equal($$"""[{"AttributeName":"restore","AttributeValues":["{{Other}}","999988887777"]}]""", r["shared"]!.ToJsonString());
            Assert.Equal("InvalidParameterValue", (string)r["bad_name"]!["code"]!);
            Assert.Equal("InvalidParameterValue", (string)r["bad_account"]!["code"]!);
            Assert.Equal("[true]", r["listed_shared"]!.ToJsonString());
            Assert.Equal("""[[true,"manual"]]""", r["listed_by_type"]!.ToJsonString());
            Assert.Equal(0, (int)r["listed_default"]!);
            Assert.Equal(1, (int)r["listed_filtered"]!);
            Assert.Equal(0, (int)r["stranger_listed"]!);
            Assert.Equal("[[true],[true],0]", r["public_listed"]!.ToJsonString());
            Assert.Equal("SharedSnapshotQuotaExceeded", (string)r["too_many"]!["code"]!);
            Assert.Equal("InvalidDBSnapshotState", (string)r["modify_shared"]!["code"]!);
            Assert.StartsWith($"arn:aws:rds:us-east-1:{Other}:db:share-copy", (string)r["restored_arn"]!);
            Assert.Equal("DBSnapshotNotFound", (string)r["stranger"]!["code"]!);
            Assert.Equal("DBSnapshotNotFound", (string)r["stranger_copy"]!["code"]!);
            Assert.Equal($$"""["arn:aws:rds:us-east-1:{{Other}}:snapshot:share-snap-copy",true]""", r["copied"]!.ToJsonString());
            Assert.Equal("[]", r["copy_unshared"]!.ToJsonString());
            Assert.Equal("""[{"AttributeName":"restore","AttributeValues":[]}]""", r["unshared_again"]!.ToJsonString());
            Assert.Equal("""["all"]""", r["public"]!.ToJsonString());
            // Public: the stranger's restore gets past the snapshot to the class it asked for.
            Assert.Equal("InvalidParameterCombination", (string)r["public_visible"]!["code"]!);
            Assert.Equal("InvalidParameterCombination", (string)r["upgrade_elsewhere"]!["code"]!);
            Assert.Equal("share-og", (string)r["modified"]!);
            Assert.StartsWith("default:mariadb-", (string)r["default_og"]!);
            Assert.Equal("InvalidParameterCombination", (string)r["maintenance"]!["code"]!);
            Assert.StartsWith("There is no pending system-update action for arn:aws:rds:us-east-1:", (string)r["maintenance"]!["message"]!);
            Assert.Equal("[]", r["pending"]!.ToJsonString());
            Assert.Equal("""[{"StorageType":"gp2","StorageSize":[{"From":20,"To":65536,"Step":1}],"ProvisionedIops":[],"SupportsStorageAutoscaling":false}]""",
                r["valid"]!.ToJsonString());
            Assert.Equal("[1,1,20,1]", r["used"]!.ToJsonString());
            Assert.Equal(1, (int)r["other_used"]!);

            var copy = new DbEndpoint((string)r["address"]!, (int)r["port"]!, "");
            Assert.Equal(7, Convert.ToInt32(await ScalarAsync(copy, "SELECT id FROM shared_rows")));
        }
        finally
        {
            await Clients.Boto3Async(stratus.Url, $$"""
                for key, name in [("test", "share-src"), ("{{Other}}", "share-copy")]:
                    rds = client("rds", key=key)
                    if error(rds.delete_db_instance, DBInstanceIdentifier=name, SkipFinalSnapshot=True) is None:
                        rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
                """);
        }
    }

    [Fact]
    public async Task A_cluster_snapshot_is_shared_and_restored_by_the_account_it_was_shared_with()
    {
        var r = await Clients.Boto3Async(stratus.Url, $$"""
            rds = client("rds")
            other = client("rds", key="{{Other}}")
            rds.create_db_cluster(DBClusterIdentifier="share-cluster", Engine="aurora-mysql", MasterUsername="{{SeedUser}}", MasterUserPassword="{{SeedPassword}}")
            def wait_cluster(client, name):
                for _ in range(180):
                    status = client.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]["Status"]
                    if status == "available":
                        return
                    time.sleep(1)
                raise Exception(f"{name} is {status}")
            wait_cluster(rds, "share-cluster")
            snapshot = rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="share-csnap", DBClusterIdentifier="share-cluster")["DBClusterSnapshot"]
            rds.get_waiter("db_cluster_snapshot_available").wait(DBClusterSnapshotIdentifier="share-csnap", WaiterConfig={"Delay": 1, "MaxAttempts": 180})
            arn = snapshot["DBClusterSnapshotArn"]
            out["not_shared_yet"] = error(other.restore_db_cluster_from_snapshot, DBClusterIdentifier="share-cluster-copy", SnapshotIdentifier=arn, Engine="aurora-mysql")
            out["shared"] = rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier="share-csnap", AttributeName="restore",
                ValuesToAdd=["{{Other}}"])["DBClusterSnapshotAttributesResult"]
            out["described"] = rds.describe_db_cluster_snapshot_attributes(DBClusterSnapshotIdentifier="share-csnap")["DBClusterSnapshotAttributesResult"]["DBClusterSnapshotAttributes"]
            out["missing"] = error(rds.describe_db_cluster_snapshot_attributes, DBClusterSnapshotIdentifier="nothing-here")
            out["copied"] = other.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=arn, TargetDBClusterSnapshotIdentifier="share-csnap-copy")["DBClusterSnapshot"]["DBClusterSnapshotArn"]
            other.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier="share-csnap-copy")
            out["restored"] = other.restore_db_cluster_from_snapshot(DBClusterIdentifier="share-cluster-copy", SnapshotIdentifier=arn, Engine="aurora-mysql")["DBCluster"]["DBClusterArn"]
            wait_cluster(other, "share-cluster-copy")
            quotas = {q["AccountQuotaName"]: q["Used"] for q in rds.describe_account_attributes()["AccountQuotas"]}
            out["used"] = [quotas["DBClusters"], quotas["ManualClusterSnapshots"]]
            other.delete_db_cluster(DBClusterIdentifier="share-cluster-copy", SkipFinalSnapshot=True)
            rds.delete_db_cluster(DBClusterIdentifier="share-cluster", SkipFinalSnapshot=True)
            for client_, name in [(other, "share-cluster-copy"), (rds, "share-cluster")]:
                for _ in range(120):
                    if error(client_.describe_db_clusters, DBClusterIdentifier=name):
                        break
                    time.sleep(1)
            rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier="share-csnap")
            """, TimeSpan.FromMinutes(6));

        Assert.Equal("DBClusterSnapshotNotFoundFault", (string)r["not_shared_yet"]!["code"]!);
        Assert.Equal($$"""{"DBClusterSnapshotIdentifier":"share-csnap","DBClusterSnapshotAttributes":[{"AttributeName":"restore","AttributeValues":["{{Other}}"]}]}""",
            r["shared"]!.ToJsonString());
        Assert.Equal($$"""[{"AttributeName":"restore","AttributeValues":["{{Other}}"]}]""", r["described"]!.ToJsonString());
        Assert.Equal("DBClusterSnapshotNotFoundFault", (string)r["missing"]!["code"]!);
        Assert.Equal($"arn:aws:rds:us-east-1:{Other}:cluster-snapshot:share-csnap-copy", (string)r["copied"]!);
        Assert.Equal($"arn:aws:rds:us-east-1:{Other}:cluster:share-cluster-copy", (string)r["restored"]!);
        Assert.Equal("[1,1]", r["used"]!.ToJsonString());
    }
}
