using Stratus.Host;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// The account-level operations that need no database server, through boto3: quotas and their use, maintenance (none is
/// ever pending), the source Regions, what can be ordered (consistent with what CreateDBInstance accepts) and the major
/// versions this machine runs.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsAccountOperationsTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Quotas_count_the_accounts_resources_and_refuse_past_their_maximum()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds", key="210987654321")
            quotas = lambda: {q["AccountQuotaName"]: [q["Used"], q["Max"]] for q in rds.describe_account_attributes()["AccountQuotas"]}
            out["before"] = quotas()
            for n in range(20):
                rds.create_option_group(OptionGroupName=f"og-{n}", EngineName="mysql", MajorEngineVersion="8.0", OptionGroupDescription="d")
            out["twenty_first"] = error(rds.create_option_group, OptionGroupName="og-20", EngineName="mysql", MajorEngineVersion="8.0", OptionGroupDescription="d")
            rds.create_db_parameter_group(DBParameterGroupName="pg", DBParameterGroupFamily="mysql8.0", Description="d")
            out["after"] = quotas()
            out["other_account"] = {q["AccountQuotaName"]: q["Used"] for q in client("rds").describe_account_attributes()["AccountQuotas"]}["OptionGroups"]
            out["subnets"] = error(rds.create_db_subnet_group, DBSubnetGroupName="wide", DBSubnetGroupDescription="d",
                                   SubnetIds=[f"subnet-{n:017x}" for n in range(21)])
            for n in range(20):
                rds.delete_option_group(OptionGroupName=f"og-{n}")
            rds.delete_db_parameter_group(DBParameterGroupName="pg")
            """);

        var before = r["before"]!.AsObject();
        Assert.Equal(
            ["DBInstances", "ReservedDBInstances", "AllocatedStorage", "DBSecurityGroups", "AuthorizationsPerDBSecurityGroup", "DBParameterGroups",
             "ManualSnapshots", "EventSubscriptions", "DBSubnetGroups", "OptionGroups", "SubnetsPerDBSubnetGroup", "ReadReplicasPerMaster", "DBClusters",
             "DBClusterParameterGroups", "DBClusterRoles", "ManualClusterSnapshots", "CustomEndpointsPerDBCluster", "DBInstanceRoles"],
            before.Select(q => q.Key));
        Assert.Equal("[0,40]", before["DBInstances"]!.ToJsonString());
        Assert.Equal("[0,100000]", before["AllocatedStorage"]!.ToJsonString());
        Assert.Equal("[0,100]", before["ManualSnapshots"]!.ToJsonString());
        Assert.Equal("[0,50]", before["DBParameterGroups"]!.ToJsonString());
        Assert.Equal("OptionGroupQuotaExceededFault", (string)r["twenty_first"]!["code"]!);
        Assert.Equal("[20,20]", r["after"]!["OptionGroups"]!.ToJsonString());
        Assert.Equal("[1,50]", r["after"]!["DBParameterGroups"]!.ToJsonString());
        Assert.Equal(0, (int)r["other_account"]!);
        Assert.Equal("DBSubnetQuotaExceededFault", (string)r["subnets"]!["code"]!);
    }

    [Fact]
    public async Task No_maintenance_is_pending_and_applying_one_is_refused_as_RDS_refuses_it()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            out["pending"] = rds.describe_pending_maintenance_actions()["PendingMaintenanceActions"]
            out["filtered"] = rds.describe_pending_maintenance_actions(Filters=[{"Name": "db-instance-id", "Values": ["x"]}])["PendingMaintenanceActions"]
            out["bad_filter"] = error(rds.describe_pending_maintenance_actions, Filters=[{"Name": "engine", "Values": ["x"]}])
            arn = "arn:aws:rds:us-east-1:000000000000:db:nothing-here"
            out["missing"] = error(rds.describe_pending_maintenance_actions, ResourceIdentifier=arn)
            out["apply_missing"] = error(rds.apply_pending_maintenance_action, ResourceIdentifier=arn, ApplyAction="system-update", OptInType="immediate")
            out["bad_action"] = error(rds.apply_pending_maintenance_action, ResourceIdentifier=arn, ApplyAction="reboot", OptInType="immediate")
            out["bad_opt_in"] = error(rds.apply_pending_maintenance_action, ResourceIdentifier=arn, ApplyAction="db-upgrade", OptInType="later")
            """);

        Assert.Equal("[]", r["pending"]!.ToJsonString());
        Assert.Equal("[]", r["filtered"]!.ToJsonString());
        Assert.Equal("InvalidParameterValue", (string)r["bad_filter"]!["code"]!);
        Assert.Equal("ResourceNotFoundFault", (string)r["missing"]!["code"]!);
        Assert.Equal(404, (int)r["missing"]!["status"]!);
        Assert.Equal("ResourceNotFoundFault", (string)r["apply_missing"]!["code"]!);
        Assert.Equal("InvalidParameterValue", (string)r["bad_action"]!["code"]!);
        Assert.Equal("InvalidParameterValue", (string)r["bad_opt_in"]!["code"]!);
    }

    [Fact]
    public async Task Source_regions_are_every_other_region_Stratus_serves_a_page_at_a_time()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds", region="eu-west-1")
            first = rds.describe_source_regions(MaxRecords=20)
            out["first"] = [len(first["SourceRegions"]), "Marker" in first]
            out["all"] = [s["RegionName"] for p in rds.get_paginator("describe_source_regions").paginate(PaginationConfig={"PageSize": 20}) for s in p["SourceRegions"]]
            out["one"] = rds.describe_source_regions(RegionName="us-east-1")["SourceRegions"]
            out["unknown"] = error(rds.describe_source_regions, RegionName="mars-north-1")
            """);

        Assert.Equal("[20,true]", r["first"]!.ToJsonString());
        Assert.Equal(Regions.Known.Where(x => x != "eu-west-1").Order(StringComparer.Ordinal), r["all"]!.AsArray().Select(x => (string)x!));
        Assert.Equal("""[{"RegionName":"us-east-1","Status":"available","SupportsDBInstanceAutomatedBackupsReplication":true}]""", r["one"]!.ToJsonString());
        Assert.Equal("InvalidParameterValue", (string)r["unknown"]!["code"]!);
    }

    [Fact]
    public async Task Orderable_options_are_what_CreateDBInstance_accepts_and_major_versions_what_the_machine_runs()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            rds = client("rds")
            pages = list(rds.get_paginator("describe_orderable_db_instance_options").paginate(Engine="mysql", PaginationConfig={"PageSize": 100}))
            options = [o for p in pages for o in p["OrderableDBInstanceOptions"]]
            out["pages"] = len(pages)
            out["count"] = len(options)
            out["classes"] = sorted({o["DBInstanceClass"] for o in options})
            out["storage"] = sorted({o["StorageType"] for o in options})
            out["versions"] = sorted({o["EngineVersion"] for o in options})
            out["first"] = {k: options[0][k] for k in ["Engine", "LicenseModel", "MinStorageSize", "MaxStorageSize", "MultiAZCapable", "ReadReplicaCapable", "Vpc"]}
            out["zones"] = [z["Name"] for z in options[0]["AvailabilityZones"]]
            out["one_class"] = len(rds.describe_orderable_db_instance_options(Engine="mysql", DBInstanceClass="db.t3.micro")["OrderableDBInstanceOptions"])
            out["unknown_class"] = rds.describe_orderable_db_instance_options(Engine="mysql", DBInstanceClass="db.t2.micro")["OrderableDBInstanceOptions"]
            out["create_unknown_class"] = error(rds.create_db_instance, DBInstanceIdentifier="never", Engine="mysql", DBInstanceClass="db.t2.micro",
                                                MasterUsername="admin", MasterUserPassword="demo-cct-password")
            out["oracle"] = rds.describe_orderable_db_instance_options(Engine="oracle-ee")["OrderableDBInstanceOptions"]
            out["classic"] = rds.describe_orderable_db_instance_options(Engine="mysql", Vpc=False)["OrderableDBInstanceOptions"]
            aurora = [o for p in rds.get_paginator("describe_orderable_db_instance_options").paginate(Engine="aurora-mysql") for o in p["OrderableDBInstanceOptions"]]
            out["aurora"] = ["db.serverless" in {o["DBInstanceClass"] for o in aurora}, sorted({o["StorageType"] for o in aurora}), "MinStorageSize" in aurora[0]]
            out["majors"] = [[m["Engine"], m["MajorEngineVersion"]] for m in rds.describe_db_major_engine_versions(Engine="mysql")["DBMajorEngineVersions"]]
            engine_versions = {(v["Engine"], v["MajorEngineVersion"]) for v in rds.describe_db_engine_versions()["DBEngineVersions"]}
            majors = {(m["Engine"], m["MajorEngineVersion"]) for m in rds.describe_db_major_engine_versions()["DBMajorEngineVersions"]}
            out["majors_match"] = engine_versions == majors
            out["valid_missing"] = error(rds.describe_valid_db_instance_modifications, DBInstanceIdentifier="nothing-here")
            """);

        var classes = r["classes"]!.AsArray().Select(c => (string)c!).ToList();
        Assert.Equal(Stratus.Services.Rds.RdsRules.InstanceClasses.Order(StringComparer.Ordinal), classes);
        Assert.Equal("""["gp2","gp3","io1","io2","standard"]""", r["storage"]!.ToJsonString());
        Assert.Equal("""["8.0.40"]""", r["versions"]!.ToJsonString());
        Assert.Equal(classes.Count * 5, (int)r["count"]!);
        Assert.True((int)r["pages"]! > 1);
        Assert.Equal("""{"Engine":"mysql","LicenseModel":"general-public-license","MinStorageSize":20,"MaxStorageSize":65536,"MultiAZCapable":false,"ReadReplicaCapable":true,"Vpc":true}""",
            r["first"]!.ToJsonString());
        Assert.NotEmpty(r["zones"]!.AsArray());
        Assert.Equal(5, (int)r["one_class"]!);
        Assert.Equal("[]", r["unknown_class"]!.ToJsonString());
        Assert.Equal("InvalidParameterCombination", (string)r["create_unknown_class"]!["code"]!);
        Assert.Equal("[]", r["oracle"]!.ToJsonString());
        Assert.Equal("[]", r["classic"]!.ToJsonString());
        Assert.Equal("""[true,["aurora"],false]""", r["aurora"]!.ToJsonString());
        Assert.Equal("""[["mysql","8.0"]]""", r["majors"]!.ToJsonString());
        Assert.True((bool)r["majors_match"]!);
        Assert.Equal("DBInstanceNotFound", (string)r["valid_missing"]!["code"]!);
    }
}
