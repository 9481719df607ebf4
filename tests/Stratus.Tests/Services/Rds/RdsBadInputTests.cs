using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>Bad requests get RDS's own error codes and 4xx statuses, and leave nothing half-created.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsBadInputTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Invalid_create_parameters_are_refused_with_AWS_codes()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            base = dict(DBInstanceIdentifier="good-id", DBInstanceClass="db.t3.micro", Engine="mysql", MasterUsername="admin",
                        MasterUserPassword="good-password", AllocatedStorage=20)
            def create(**changes):
                return error(rds.create_db_instance, **{**base, **changes})
            cases = {
                "starts-with-digit": create(DBInstanceIdentifier="1db"),
                "double-hyphen": create(DBInstanceIdentifier="my--db"),
                "trailing-hyphen": create(DBInstanceIdentifier="mydb-"),
                "underscore": create(DBInstanceIdentifier="my_db"),
                "too-long-identifier": create(DBInstanceIdentifier="a" * 64),
                "short-password": create(MasterUserPassword="short"),
                "long-password": create(MasterUserPassword="p" * 42),
                "slash-password": create(MasterUserPassword="pass/word1"),
                "at-password": create(MasterUserPassword="pass@word1"),
                "quote-password": create(MasterUserPassword='pass"word1'),
                "space-password": create(MasterUserPassword="pass word1"),
                "unknown-engine": create(Engine="foodb"),
                "aurora": create(Engine="aurora-postgresql"),
                "unknown-class": create(DBInstanceClass="db.x9.mega"),
                "storage-low": create(AllocatedStorage=5),
                "storage-high": create(AllocatedStorage=70000),
                "privileged-port": create(Port=80),
                "bad-db-name": create(DBName="1accounts"),
                "unknown-subnet-group": create(DBSubnetGroupName="nope"),
                "unknown-version": create(EngineVersion="5.1"),
            }
            out["cases"] = cases
            out["left"] = [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]]
            """);

        var cases = result["cases"]!.AsObject();
        foreach (var name in new[] { "starts-with-digit", "double-hyphen", "trailing-hyphen", "underscore", "too-long-identifier",
                     "short-password", "long-password", "slash-password", "at-password", "quote-password", "space-password",
                     "unknown-engine", "aurora", "storage-low", "storage-high", "privileged-port", "bad-db-name" })
        {
            Assert.True(cases[name] is not null, $"{name} was accepted");
            Assert.Equal("InvalidParameterValue", cases[name]!["code"]!.GetValue<string>());
            Assert.Equal(400, cases[name]!["status"]!.GetValue<int>());
        }
        Assert.Equal("InvalidParameterCombination", cases["unknown-class"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidParameterCombination", cases["unknown-version"]!["code"]!.GetValue<string>());
        Assert.Equal("DBSubnetGroupNotFoundFault", cases["unknown-subnet-group"]!["code"]!.GetValue<string>());
        Assert.Equal(404, cases["unknown-subnet-group"]!["status"]!.GetValue<int>());
        Assert.Contains("shorter than 8 characters", cases["short-password"]!["message"]!.GetValue<string>());
        Assert.Contains("Identifiers must begin with a letter", cases["double-hyphen"]!["message"]!.GetValue<string>());
        Assert.Equal("Invalid DB engine: foodb", cases["unknown-engine"]!["message"]!.GetValue<string>());
        Assert.Contains("Stratus runs mysql, mariadb, postgres only", cases["aurora"]!["message"]!.GetValue<string>());
        Assert.Empty(result["left"]!.AsArray());
    }

    [Fact]
    public async Task Unknown_instances_and_snapshots_duplicates_and_wrong_states_are_refused()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            waiter = rds.get_waiter("db_instance_available")
            rds.create_db_instance(DBInstanceIdentifier="Errors-DB", DBInstanceClass="db.t3.micro", Engine="mariadb", Port=3326,
                                   MasterUsername="admin", MasterUserPassword="good-password")
            out["duplicate"] = error(rds.create_db_instance, DBInstanceIdentifier="errors-db", DBInstanceClass="db.t3.micro",
                                     Engine="mariadb", MasterUsername="admin", MasterUserPassword="good-password")
            waiter.wait(DBInstanceIdentifier="errors-db", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            out["describeMissing"] = error(rds.describe_db_instances, DBInstanceIdentifier="nope")
            out["rebootMissing"] = error(rds.reboot_db_instance, DBInstanceIdentifier="nope")
            out["modifyMissing"] = error(rds.modify_db_instance, DBInstanceIdentifier="nope", ApplyImmediately=True)
            out["deleteMissing"] = error(rds.delete_db_instance, DBInstanceIdentifier="nope", SkipFinalSnapshot=True)
            out["deleteNoSnapshotChoice"] = error(rds.delete_db_instance, DBInstanceIdentifier="errors-db")
            out["modifyBadPassword"] = error(rds.modify_db_instance, DBInstanceIdentifier="errors-db", MasterUserPassword="a b c d e f", ApplyImmediately=True)
            out["maxRecords"] = error(rds.describe_db_instances, MaxRecords=5)
            out["badFilter"] = error(rds.describe_db_instances, Filters=[{"Name": "colour", "Values": ["red"]}])
            out["snapshotMissing"] = error(rds.describe_db_snapshots, DBSnapshotIdentifier="nope")
            out["snapshotOfMissing"] = error(rds.create_db_snapshot, DBInstanceIdentifier="nope", DBSnapshotIdentifier="snap")
            out["deleteSnapshotMissing"] = error(rds.delete_db_snapshot, DBSnapshotIdentifier="nope")
            out["restoreMissing"] = error(rds.restore_db_instance_from_db_snapshot, DBInstanceIdentifier="other", DBSnapshotIdentifier="nope")
            out["startRunning"] = error(rds.start_db_instance, DBInstanceIdentifier="errors-db")
            rds.create_db_snapshot(DBInstanceIdentifier="errors-db", DBSnapshotIdentifier="errors-snap")
            out["snapshotDuringBackup"] = error(rds.create_db_snapshot, DBInstanceIdentifier="errors-db", DBSnapshotIdentifier="errors-snap-2")
            rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier="errors-snap", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            waiter.wait(DBInstanceIdentifier="errors-db", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            out["duplicateSnapshot"] = error(rds.create_db_snapshot, DBInstanceIdentifier="errors-db", DBSnapshotIdentifier="errors-snap")
            out["restoreOntoExisting"] = error(rds.restore_db_instance_from_db_snapshot, DBInstanceIdentifier="errors-db", DBSnapshotIdentifier="errors-snap")
            out["filtered"] = [i["DBInstanceIdentifier"] for i in rds.describe_db_instances(Filters=[{"Name": "engine", "Values": ["mariadb"]}])["DBInstances"]]
            out["filteredOut"] = rds.describe_db_instances(Filters=[{"Name": "engine", "Values": ["mysql"]}])["DBInstances"]
            arn = rds.describe_db_instances(DBInstanceIdentifier="errors-db")["DBInstances"][0]["DBInstanceArn"]
            rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "team", "Value": "core"}, {"Key": "tier", "Value": "dev"}])
            rds.remove_tags_from_resource(ResourceName=arn, TagKeys=["tier"])
            out["tags"] = rds.list_tags_for_resource(ResourceName=arn)["TagList"]
            out["tagsMissing"] = error(rds.list_tags_for_resource, ResourceName="arn:aws:rds:us-east-1:000000000000:db:nope")
            rds.delete_db_instance(DBInstanceIdentifier="errors-db", SkipFinalSnapshot=True)
            out["deleteTwice"] = error(rds.delete_db_instance, DBInstanceIdentifier="errors-db", SkipFinalSnapshot=True)
            rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier="errors-db", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            rds.delete_db_snapshot(DBSnapshotIdentifier="errors-snap")
            out["events"] = [e["Message"] for e in rds.describe_events(SourceIdentifier="errors-db", SourceType="db-instance")["Events"]]
            """);

        void Expect(string key, string code, int status)
        {
            Assert.True(result[key] is not null, $"{key} was accepted");
            Assert.Equal(code, result[key]!["code"]!.GetValue<string>());
            Assert.Equal(status, result[key]!["status"]!.GetValue<int>());
        }
        Expect("duplicate", "DBInstanceAlreadyExists", 400);
        Expect("describeMissing", "DBInstanceNotFound", 404);
        Expect("rebootMissing", "DBInstanceNotFound", 404);
        Expect("modifyMissing", "DBInstanceNotFound", 404);
        Expect("deleteMissing", "DBInstanceNotFound", 404);
        Expect("deleteNoSnapshotChoice", "InvalidParameterCombination", 400);
        Expect("modifyBadPassword", "InvalidParameterValue", 400);
        Expect("maxRecords", "InvalidParameterValue", 400);
        Expect("badFilter", "InvalidParameterValue", 400);
        Expect("snapshotMissing", "DBSnapshotNotFound", 404);
        Expect("snapshotOfMissing", "DBInstanceNotFound", 404);
        Expect("deleteSnapshotMissing", "DBSnapshotNotFound", 404);
        Expect("restoreMissing", "DBSnapshotNotFound", 404);
        Expect("startRunning", "InvalidDBInstanceState", 400);
        Expect("snapshotDuringBackup", "InvalidDBInstanceState", 400);
        Expect("duplicateSnapshot", "DBSnapshotAlreadyExists", 400);
        Expect("restoreOntoExisting", "DBInstanceAlreadyExists", 400);
        Expect("tagsMissing", "DBInstanceNotFound", 404);
        Expect("deleteTwice", "InvalidDBInstanceState", 400);
        Assert.Equal("DBInstance nope not found.", result["describeMissing"]!["message"]!.GetValue<string>());
        Assert.Equal(["errors-db"], result["filtered"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Empty(result["filteredOut"]!.AsArray());
        Assert.Equal("team=core", string.Join(",", result["tags"]!.AsArray().Select(t => $"{t!["Key"]}={t["Value"]}")));
        var events = result["events"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Contains("DB instance created", events);
        Assert.Contains("DB instance deleted", events);
    }

    [Fact]
    public async Task Engine_versions_and_the_default_subnet_group_are_described()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            out["engines"] = sorted({v["Engine"] for v in rds.describe_db_engine_versions()["DBEngineVersions"]})
            out["mysql"] = [v["EngineVersion"] for v in rds.describe_db_engine_versions(Engine="mysql")["DBEngineVersions"]]
            out["postgres"] = [[v["EngineVersion"], v["MajorEngineVersion"], v["DBParameterGroupFamily"]] for v in rds.describe_db_engine_versions(Engine="postgres")["DBEngineVersions"]]
            out["aurora"] = [[v["Engine"], v["EngineVersion"], v["DBParameterGroupFamily"]] for engine in ["aurora-mysql", "aurora-postgresql"]
                for v in rds.describe_db_engine_versions(Engine=engine)["DBEngineVersions"]]
            out["auroraMySql80"] = len(rds.describe_db_engine_versions(Engine="aurora-mysql", EngineVersion="8.0")["DBEngineVersions"])
            group = rds.describe_db_subnet_groups()["DBSubnetGroups"][0]
            out["group"] = group["DBSubnetGroupName"]
            out["vpc"] = group["VpcId"]
            out["subnets"] = [s["SubnetIdentifier"] for s in group["Subnets"]]
            out["zones"] = [s["SubnetAvailabilityZone"]["Name"] for s in group["Subnets"]]
            out["missing"] = error(rds.describe_db_subnet_groups, DBSubnetGroupName="custom")
            """);

        Assert.Equal(["aurora-mysql", "aurora-postgresql", "mariadb", "mysql", "postgres"], result["engines"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["8.0.40"], result["mysql"]!.AsArray().Select(n => n!.GetValue<string>()));
        // The PostgreSQL this machine runs, as RDS names its versions: 15.18, major 15, family postgres15.
        var postgres = Assert.Single(result["postgres"]!.AsArray())!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        var installed = Stratus.Services.Rds.Engine.PostgresInstallation.Find()!.Version;
        Assert.Equal([installed, installed.Split('.')[0], "postgres" + installed.Split('.')[0]], postgres);
        // Aurora's engines as clusters run them here: Aurora MySQL 3 (MySQL 8.0) and the installed PostgreSQL, in Aurora's families.
        Assert.Equal(["aurora-mysql 8.0.mysql_aurora.3.08.0 aurora-mysql8.0", $"aurora-postgresql {installed} aurora-postgresql{installed.Split('.')[0]}"],
            result["aurora"]!.AsArray().Select(v => string.Join(' ', v!.AsArray().Select(n => n!.GetValue<string>()))));
        Assert.Equal(1, result["auroraMySql80"]!.GetValue<int>());
        Assert.Equal("default", result["group"]!.GetValue<string>());
        Assert.StartsWith("vpc-", result["vpc"]!.GetValue<string>());
        // The default VPC's default subnets: one in each of us-east-1's six Availability Zones.
        Assert.Equal(6, result["subnets"]!.AsArray().Select(n => n!.GetValue<string>()).Where(id => id.StartsWith("subnet-")).Distinct().Count());
        Assert.Equal(["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"], result["zones"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("DBSubnetGroupNotFoundFault", result["missing"]!["code"]!.GetValue<string>());
    }
}
