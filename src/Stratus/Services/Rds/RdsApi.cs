using Stratus.Host;
using Stratus.Protocols.Query;
using Stratus.Services.Rds.Engine;

namespace Stratus.Services.Rds;

/// <summary>
/// RDS's wire operations (Query protocol, 2014-10-31; signing name rds): request members in, domain call, response
/// shape out.
/// </summary>
public sealed partial class RdsApi : IStratusService, IDisposable
{
    /// <summary>RDS names list members after their shape (DBInstances/DBInstance), not "member".</summary>
    private static readonly XmlShape RdsXml = new()
    {
        ListMemberNames = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DBInstances"] = "DBInstance",
            ["DBSnapshots"] = "DBSnapshot",
            ["DBInstanceAutomatedBackups"] = "DBInstanceAutomatedBackup",
            ["DBInstanceAutomatedBackupsReplications"] = "DBInstanceAutomatedBackupsReplication",
            ["DBEngineVersions"] = "DBEngineVersion",
            ["DBSubnetGroups"] = "DBSubnetGroup",
            ["DBParameterGroups"] = "DBParameterGroup",
            ["DBSecurityGroups"] = "DBSecurityGroup",
            ["OptionGroupMemberships"] = "OptionGroupMembership",
            ["ReadReplicaDBInstanceIdentifiers"] = "ReadReplicaDBInstanceIdentifier",
            ["StatusInfos"] = "DBInstanceStatusInfo",
            ["VpcSecurityGroups"] = "VpcSecurityGroupMembership",
            ["Subnets"] = "Subnet",
            ["TagList"] = "Tag",
            ["Events"] = "Event",
            ["EventCategories"] = "EventCategory",
            ["ValidUpgradeTarget"] = "UpgradeTarget",
            ["DBClusterParameterGroups"] = "DBClusterParameterGroup",
            ["Parameters"] = "Parameter",
            ["OptionGroupsList"] = "OptionGroup",
            ["OptionGroupOptions"] = "OptionGroupOption",
            ["Options"] = "Option",
            ["EventSubscriptionsList"] = "EventSubscription",
            ["SourceIdsList"] = "SourceId",
            ["EventCategoriesList"] = "EventCategory",
            ["EventCategoriesMapList"] = "EventCategoriesMap",
            ["DescribeDBLogFiles"] = "DescribeDBLogFilesDetails",
            ["DBClusters"] = "DBCluster",
            ["DBClusterMembers"] = "DBClusterMember",
            ["DBClusterSnapshots"] = "DBClusterSnapshot",
            ["DBClusterBacktracks"] = "DBClusterBacktrack",
            ["DBClusterEndpoints"] = "DBClusterEndpointList",
            ["AvailabilityZones"] = "AvailabilityZone",
            ["AssociatedRoles"] = "DBClusterRole",
            ["ReadReplicaIdentifiers"] = "ReadReplicaIdentifier",
            ["GlobalClusters"] = "GlobalClusterMember",
            ["GlobalClusterMembers"] = "GlobalClusterMember",
            ["DomainMemberships"] = "DomainMembership",
            ["AccountQuotas"] = "AccountQuota",
            ["PendingMaintenanceActions"] = "ResourcePendingMaintenanceActions",
            ["SourceRegions"] = "SourceRegion",
            ["OrderableDBInstanceOptions"] = "OrderableDBInstanceOption",
            ["AvailableProcessorFeatures"] = "AvailableProcessorFeature",
            ["ValidProcessorFeatures"] = "AvailableProcessorFeature",
            ["DBMajorEngineVersions"] = "DBMajorEngineVersion",
            ["Storage"] = "ValidStorageOptions",
            ["StorageSize"] = "Range",
            ["ProvisionedIops"] = "Range",
            ["DBSnapshotAttributes"] = "DBSnapshotAttribute",
            ["DBClusterSnapshotAttributes"] = "DBClusterSnapshotAttribute",
            ["AttributeValues"] = "AttributeValue",
            ["ExportTasks"] = "ExportTask",
            ["Certificates"] = "Certificate",
        },
    };

    private readonly RdsService _rds;

    public RdsApi(RdsService rds, ILogger logger)
    {
        _rds = rds;
        Endpoint = new ServiceEndpoint("rds", AllOperations(), new AwsQueryProtocol("2014-10-31", "http://rds.amazonaws.com/doc/2014-10-31/") { Shape = RdsXml })
        {
            Logger = logger,
            Validation = RdsErrors.Validation,
            Rules = RdsRules.Members,
        };
    }

    public string Name => "rds";
    public ServiceEndpoint Endpoint { get; }
    public IReadOnlyList<StratusPage> Pages => [RdsTruststore.Page(_rds)];

    public string State
    {
        get
        {
            var engines = _rds.Engines;
            if (engines.Count == 0)
                return $"degraded: no MariaDB or PostgreSQL server installed, CreateDBInstance is refused ({MariaDbInstallation.InstallHint}, {PostgresInstallation.Hint})";
            var running = $"running: {_rds.InstanceCount} DB instance(s) on {string.Join(" and ", engines.Select(e => $"{e.Product} {e.Version}"))}";
            var missing = new[] { ("MariaDB", "mysql", MariaDbInstallation.InstallHint), ("PostgreSQL", "postgres", PostgresInstallation.Hint) }
                .Where(m => engines.All(e => e.Product != m.Item1)).Select(m => $"no {m.Item1}, {m.Item2} instances are refused ({m.Item3})").ToList();
            if (_rds.StorageCounting is { } counting) running += $"; {counting}";
            return missing.Count == 0 ? running : $"{running}; {string.Join("; ", missing)}";
        }
    }

    public void Dispose() => _rds.Dispose();

    private OperationTable Operations() => new()
    {
        { "CreateDBInstance", i => Instance(_rds.CreateInstance(i.Scope, CreateInstanceRequest.Read(i, i.Required("DBInstanceIdentifier")))) },
        { "DescribeDBInstances", i =>
            {
                var page = _rds.DescribeInstances(i.Scope, i.String("DBInstanceIdentifier"), Filters(i), i.String("Marker"), i.Int("MaxRecords"));
                return Paged(page, "DBInstances", InstanceBody);
            } },
        { "ModifyDBInstance", async i => Instance(await _rds.ModifyInstanceAsync(i.Scope, ModifyInstanceRequest.Read(i, i.Required("DBInstanceIdentifier")))) },
        { "DeleteDBInstance", i => Instance(_rds.DeleteInstance(i.Scope, i.Required("DBInstanceIdentifier"),
            i.Bool("SkipFinalSnapshot") ?? false, i.String("FinalDBSnapshotIdentifier"), i.Bool("DeleteAutomatedBackups") ?? true)) },
        { "RebootDBInstance", i => Instance(_rds.RebootInstance(i.Scope, i.Required("DBInstanceIdentifier"))) },
        { "StopDBInstance", i => Instance(_rds.StopInstance(i.Scope, i.Required("DBInstanceIdentifier"), i.String("DBSnapshotIdentifier"))) },
        { "StartDBInstance", i => Instance(_rds.StartInstance(i.Scope, i.Required("DBInstanceIdentifier"))) },

        { "CreateDBSnapshot", i => Snapshot(_rds.CreateSnapshot(i.Scope, i.Required("DBSnapshotIdentifier"), i.Required("DBInstanceIdentifier"), RdsTag.List(i))) },
        { "DescribeDBSnapshots", i =>
            {
                var page = _rds.DescribeSnapshots(i.Scope, i.String("DBInstanceIdentifier"), i.String("DBSnapshotIdentifier"),
                    SnapshotListing.Read(i), Filters(i), i.String("Marker"), i.Int("MaxRecords"));
                return Paged(page, "DBSnapshots", SnapshotBody);
            } },
        { "DeleteDBSnapshot", i => Snapshot(_rds.DeleteSnapshot(i.Scope, i.Required("DBSnapshotIdentifier"))) },
        { "RestoreDBInstanceFromDBSnapshot", i => Instance(_rds.RestoreFromSnapshot(i.Scope, RestoredInstanceSettings.Read(i, new RestoreInstanceRequest
            {
                Identifier = i.Required("DBInstanceIdentifier"),
                SnapshotIdentifier = i.String("DBSnapshotIdentifier") ?? throw RdsErrors.InvalidValue("The parameter DBSnapshotIdentifier must be provided and must not be blank."),
            }))) },
        { "RestoreDBInstanceToPointInTime", i => Instance(_rds.RestoreToPointInTime(i.Scope, PointInTimeRestoreRequest.Read(i, i.Required("TargetDBInstanceIdentifier")))) },
        { "DescribeDBInstanceAutomatedBackups", i => Paged(_rds.DescribeAutomatedBackups(i.Scope, i.String("DbiResourceId"), i.String("DBInstanceIdentifier"),
            i.String("DBInstanceAutomatedBackupsArn"), Filters(i), i.String("Marker"), i.Int("MaxRecords")), "DBInstanceAutomatedBackups", AutomatedBackupBody) },
        { "DeleteDBInstanceAutomatedBackup", i => new JsonObject
            {
                ["DBInstanceAutomatedBackup"] = AutomatedBackupBody(_rds.DeleteAutomatedBackup(i.Scope, i.String("DbiResourceId"), i.String("DBInstanceAutomatedBackupsArn"))),
            } },
        // PreSignedUrl and SourceRegion (which the SDKs turn into a PreSignedUrl) are accepted and unused: every Region is this
        // Stratus, which reads the source itself; KmsKeyId too, as the copies are not encrypted (Encrypted false).
        { "StartDBInstanceAutomatedBackupsReplication", i => new JsonObject
            {
                ["DBInstanceAutomatedBackup"] = AutomatedBackupBody(_rds.StartAutomatedBackupsReplication(i.Scope, i.Required("SourceDBInstanceArn"),
                    i.Int("BackupRetentionPeriod"))),
            } },
        { "StopDBInstanceAutomatedBackupsReplication", i => new JsonObject
            {
                ["DBInstanceAutomatedBackup"] = AutomatedBackupBody(_rds.StopAutomatedBackupsReplication(i.Scope, i.Required("SourceDBInstanceArn"))),
            } },
        { "CreateDBInstanceReadReplica", i => Instance(_rds.CreateReadReplica(i.Scope, CreateReplicaRequest.Read(i, i.Required("DBInstanceIdentifier")))) },
        { "PromoteReadReplica", i => Instance(_rds.PromoteReadReplica(i.Scope, i.Required("DBInstanceIdentifier"), i.Int("BackupRetentionPeriod"))) },

        { "DescribeDBEngineVersions", DescribeEngineVersions },
        { "DescribeDBSubnetGroups", i => Paged(_rds.DescribeSubnetGroups(i.Scope, i.String("DBSubnetGroupName"), i.String("Marker"), i.Int("MaxRecords")),
            "DBSubnetGroups", SubnetGroupBody) },
        { "CreateDBSubnetGroup", i => new JsonObject
            {
                ["DBSubnetGroup"] = SubnetGroupBody(_rds.CreateSubnetGroup(i.Scope, i.Required("DBSubnetGroupName"), i.String("DBSubnetGroupDescription"),
                    i.Strings("SubnetIds"), RdsTag.List(i))),
            } },
        { "ModifyDBSubnetGroup", i => new JsonObject
            {
                ["DBSubnetGroup"] = SubnetGroupBody(_rds.ModifySubnetGroup(i.Scope, i.Required("DBSubnetGroupName"), i.String("DBSubnetGroupDescription"), i.Strings("SubnetIds"))),
            } },
        { "DeleteDBSubnetGroup", i =>
            {
                _rds.DeleteSubnetGroup(i.Scope, i.Required("DBSubnetGroupName"));
                return (JsonObject?)null;
            } },

        { "AddTagsToResource", i =>
            {
                _rds.AddTags(i.Scope, i.Required("ResourceName"), RdsTag.List(i));
                return (JsonObject?)null;
            } },
        { "ListTagsForResource", i => new JsonObject { ["TagList"] = TagList(_rds.ListTags(i.Scope, i.Required("ResourceName"))) } },
        { "RemoveTagsFromResource", i =>
            {
                _rds.RemoveTags(i.Scope, i.Required("ResourceName"), i.Strings("TagKeys").ToHashSet(StringComparer.Ordinal));
                return (JsonObject?)null;
            } },

        { "DescribeEvents", i =>
            {
                var page = _rds.DescribeEvents(i.Scope, i.String("SourceIdentifier"), i.String("SourceType"),
                    i.Timestamp("StartTime"), i.Timestamp("EndTime"), i.Int("Duration"), i.Strings("EventCategories"), i.String("Marker"), i.Int("MaxRecords"));
                return Paged(page, "Events", e => new JsonObject
                {
                    ["SourceIdentifier"] = e.SourceIdentifier,
                    ["SourceType"] = e.SourceType,
                    ["Message"] = e.Message,
                    ["EventCategories"] = new JsonArray(e.Categories.Select(c => (JsonNode)JsonValue.Create(c)).ToArray()),
                    ["Date"] = e.Date,
                    ["SourceArn"] = e.SourceArn,
                });
            } },
    };

    /// <summary>
    /// The versions this machine runs: an Aurora engine reports its Aurora version (aurora-mysql MySQL 8.0 compatible on
    /// MariaDB; aurora-postgresql the installed PostgreSQL's), with Aurora's family and its serverless engine mode.
    /// </summary>
    private JsonObject DescribeEngineVersions(OperationInput input)
    {
        var engine = input.String("Engine");
        if (engine is not null && !RdsService.ListedEngines.Contains(engine)) return new JsonObject { ["DBEngineVersions"] = new JsonArray() };
        var requestedVersion = input.String("EngineVersion");
        var versions = new JsonArray();
        foreach (var name in engine is null ? RdsService.ListedEngines : [engine])
            foreach (var version in _rds.EngineVersionsMatching(name, requestedVersion))
            {
                var served = _rds.Engines.FirstOrDefault(e => e.RdsEngines.Contains(RdsRules.IsPostgres(name) ? "postgres" : "mariadb"));
                versions.Add(new JsonObject
                {
                    ["Engine"] = name,
                    ["EngineVersion"] = version,
                    ["MajorEngineVersion"] = RdsRules.MajorVersion(name, version),
                    ["DBParameterGroupFamily"] = RdsService.Family(name, version),
                    ["DBEngineDescription"] = name switch
                    {
                        "mysql" => "MySQL Community Edition",
                        "postgres" => "PostgreSQL",
                        "aurora-mysql" => "Aurora MySQL",
                        "aurora-postgresql" => "Aurora (PostgreSQL)",
                        _ => "MariaDB Community Edition",
                    },
                    ["DBEngineVersionDescription"] = name switch
                    {
                        "postgres" => $"PostgreSQL {version}",
                        "aurora-postgresql" => $"Aurora PostgreSQL (Compatible with PostgreSQL {version})",
                        "aurora-mysql" => $"Aurora MySQL 3 (compatible with MySQL 8.0; served by MariaDB {served?.Version ?? "(not installed)"})",
                        _ => $"{(name == "mysql" ? "MySQL" : "MariaDB")} {version} (served by MariaDB {served?.Version ?? "(not installed)"})",
                    },
                    ["ValidUpgradeTarget"] = new JsonArray(),
                    // Aurora's provisioned clusters carry Serverless v2 instances (db.serverless), which is all Stratus builds of Aurora.
                    ["SupportedEngineModes"] = new JsonArray("provisioned"),
                    ["SupportsReadReplica"] = true,
                    ["SupportsLogExportsToCloudwatchLogs"] = false,
                    ["SupportsGlobalDatabases"] = false,
                    ["SupportsParallelQuery"] = false,
                    ["SupportsLimitlessDatabase"] = false,
                    ["SupportsBabelfish"] = false,
                    // The features AddRoleToDBCluster takes a role for (recorded only; see RdsService.ClusterRoles).
                    ["SupportedFeatureNames"] = new JsonArray(RdsService.ClusterFeatureNames(name).Select(f => (JsonNode)JsonValue.Create(f)).ToArray()),
                    ["Status"] = "available",
                });
            }
        return new JsonObject { ["DBEngineVersions"] = versions };
    }

    private JsonObject Instance(DbInstance instance) => new() { ["DBInstance"] = InstanceBody(instance) };

    private JsonObject Snapshot(DbSnapshot snapshot) => new() { ["DBSnapshot"] = SnapshotBody(snapshot) };

    private JsonObject InstanceBody(DbInstance i)
    {
        var pending = new JsonObject();
        if (i.Pending?.InstanceClass is { } pendingClass) pending["DBInstanceClass"] = pendingClass;
        if (i.Pending?.AllocatedStorage is { } pendingStorage) pending["AllocatedStorage"] = pendingStorage;
        if (i.Pending?.CaCertificateIdentifier is { } pendingAuthority) pending["CACertificateIdentifier"] = pendingAuthority;
        if (i.Pending?.DbInstanceIdentifier is { } pendingName) pending["DBInstanceIdentifier"] = pendingName;
        var serverCertificate = _rds.ServerCertificate(i);
        var body = new JsonObject
        {
            ["DBInstanceIdentifier"] = i.Identifier,
            ["DBInstanceClass"] = i.InstanceClass,
            ["Engine"] = i.Engine,
            ["DBInstanceStatus"] = i.Status,
            ["MasterUsername"] = i.MasterUsername,
            ["DBName"] = i.DbName,
            ["MasterUserSecret"] = i.MasterUserSecret is not { } secret ? null : new JsonObject
            {
                ["SecretArn"] = secret.SecretArn,
                ["SecretStatus"] = secret.SecretStatus,
                ["KmsKeyId"] = secret.KmsKeyId,
            },
            // Like RDS, an instance has no endpoint until its server first listens.
            ["Endpoint"] = i.Address is null ? null : new JsonObject
            {
                ["Address"] = i.Address,
                ["Port"] = i.Port,
                ["HostedZoneId"] = RdsDefaultNetwork.HostedZoneId,
            },
            ["AllocatedStorage"] = i.AllocatedStorage,
            ["InstanceCreateTime"] = i.CreateTime,
            ["PreferredBackupWindow"] = i.PreferredBackupWindow,
            ["BackupRetentionPeriod"] = i.BackupRetentionPeriod,
            ["LatestRestorableTime"] = _rds.RestoreWindow(i)?.Latest,
            ["DBSecurityGroups"] = new JsonArray(),
            ["VpcSecurityGroups"] = new JsonArray(i.VpcSecurityGroupIds.Select(id => (JsonNode)new JsonObject
            {
                ["VpcSecurityGroupId"] = id,
                ["Status"] = "active",
            }).ToArray()),
            ["DBParameterGroups"] = new JsonArray(new JsonObject
            {
                ["DBParameterGroupName"] = _rds.ParameterGroupNameOf(i),
                ["ParameterApplyStatus"] = i.ParameterApplyStatus ?? "in-sync",
            }),
            ["AvailabilityZone"] = i.AvailabilityZone,
            ["DBSubnetGroup"] = SubnetGroupBody(_rds.SubnetGroupOf(i)),
            ["PreferredMaintenanceWindow"] = "sun:05:00-sun:05:30",
            ["PendingModifiedValues"] = pending,
            ["MultiAZ"] = i.MultiAz,
            ["EngineVersion"] = i.EngineVersion,
            ["AutoMinorVersionUpgrade"] = true,
            ["ReadReplicaDBInstanceIdentifiers"] = new JsonArray(_rds.ReplicasOf(i).Select(id => (JsonNode)JsonValue.Create(id)).ToArray()),
            ["ReadReplicaSourceDBInstanceIdentifier"] = i.ReplicaSourceIdentifier,
            // RDS reports a replica's replication in StatusInfos.
            ["StatusInfos"] = i.ReplicaSourceIdentifier is null ? null : new JsonArray(new JsonObject
            {
                ["StatusType"] = "read replication",
                ["Normal"] = i.Status == "available",
                ["Status"] = i.Status == "available" ? "replicating" : "stopped",
            }),
            ["LicenseModel"] = RdsRules.LicenseModel(i.Engine),
            ["OptionGroupMemberships"] = new JsonArray(new JsonObject
            {
                ["OptionGroupName"] = _rds.OptionGroupNameOf(i),
                ["Status"] = "in-sync",
            }),
            ["PubliclyAccessible"] = i.PubliclyAccessible,
            ["StorageType"] = i.StorageType,
            ["DbInstancePort"] = 0,
            ["StorageEncrypted"] = false,
            ["DbiResourceId"] = i.ResourceId,
            ["CopyTagsToSnapshot"] = i.CopyTagsToSnapshot,
            ["MonitoringInterval"] = 0,
            ["DBInstanceArn"] = i.Arn,
            ["IAMDatabaseAuthenticationEnabled"] = false,
            ["PerformanceInsightsEnabled"] = false,
            ["DeletionProtection"] = i.DeletionProtection,
            ["TagList"] = TagList(i.Tags),
            ["DBInstanceAutomatedBackupsReplications"] = BackupReplications(i.AccountId, i.Region, i.ResourceId),
            ["NetworkType"] = "IPV4",
            ["DedicatedLogVolume"] = false,
            ["DBClusterIdentifier"] = i.ClusterIdentifier,
            ["PromotionTier"] = i.ClusterIdentifier is null ? null : i.PromotionTier,
            ["CACertificateIdentifier"] = i.CertificateAuthority,
            // The certificate the server has now (issued at its last start): its CA differs from CACertificateIdentifier while a
            // rotation without restart waits for the next one.
            ["CertificateDetails"] = serverCertificate is not { } certificate ? null : new JsonObject
            {
                ["CAIdentifier"] = certificate.AuthorityIdentifier,
                ["ValidTill"] = certificate.ValidTill,
            },
        };
        return body;
    }

    private JsonObject SnapshotBody(DbSnapshot s) => new()
    {
        ["DBSnapshotIdentifier"] = s.Identifier,
        ["DBInstanceIdentifier"] = s.InstanceIdentifier,
        ["SnapshotCreateTime"] = s.SnapshotCreateTime,
        ["Engine"] = s.Engine,
        ["AllocatedStorage"] = s.AllocatedStorage,
        ["Status"] = s.Status,
        ["Port"] = s.Port,
        ["AvailabilityZone"] = s.AvailabilityZone,
        ["VpcId"] = _rds.VpcOf(s),
        ["InstanceCreateTime"] = s.InstanceCreateTime,
        ["MasterUsername"] = s.MasterUsername,
        ["EngineVersion"] = s.EngineVersion,
        ["LicenseModel"] = RdsRules.LicenseModel(s.Engine),
        ["SnapshotType"] = s.SnapshotType,
        ["PercentProgress"] = s.Status == "available" ? 100 : 0,
        ["StorageType"] = s.StorageType,
        ["Encrypted"] = false,
        ["DBSnapshotArn"] = s.Arn,
        ["IAMDatabaseAuthenticationEnabled"] = false,
        ["DbiResourceId"] = s.InstanceResourceId,
        ["TagList"] = TagList(s.Tags),
        ["OriginalSnapshotCreateTime"] = s.SnapshotCreateTime,
        ["SnapshotTarget"] = "region",
        ["SourceDBSnapshotIdentifier"] = s.SourceSnapshotArn,
        ["OptionGroupName"] = s.OptionGroupName ?? RdsService.DefaultOptionGroupName(s.Engine, RdsRules.MajorVersion(s.Engine, s.EngineVersion)),
    };

    /// <summary>DBInstanceAutomatedBackupsReplications: the ARNs of the copies in other Regions.</summary>
    private JsonArray BackupReplications(string accountId, string region, string resourceId) => new(_rds.BackupReplicationsOf(accountId, region, resourceId)
        .Select(arn => (JsonNode)new JsonObject { ["DBInstanceAutomatedBackupsArn"] = arn }).ToArray());

    private JsonObject AutomatedBackupBody(DbInstanceAutomatedBackup b)
    {
        var window = _rds.RestoreWindow(b);
        return new JsonObject
        {
            ["DBInstanceArn"] = b.InstanceArn,
            ["DbiResourceId"] = b.ResourceId,
            // A replicated copy names its source's Region (its ARN names its own).
            ["Region"] = b.SourceRegion ?? b.Region,
            ["DBInstanceIdentifier"] = b.Identifier,
            ["RestoreWindow"] = window is { } w ? new JsonObject { ["EarliestTime"] = w.Earliest, ["LatestTime"] = w.Latest } : new JsonObject(),
            ["AllocatedStorage"] = b.AllocatedStorage,
            ["Status"] = b.Status,
            ["Port"] = b.Port,
            ["AvailabilityZone"] = b.AvailabilityZone,
            ["VpcId"] = b.VpcId,
            ["InstanceCreateTime"] = b.InstanceCreateTime,
            ["MasterUsername"] = b.MasterUsername,
            ["Engine"] = b.Engine,
            ["EngineVersion"] = b.EngineVersion,
            ["LicenseModel"] = RdsRules.IsPostgres(b.Engine) ? "postgresql-license" : "general-public-license",
            ["Encrypted"] = false,
            ["StorageType"] = b.StorageType,
            ["IAMDatabaseAuthenticationEnabled"] = false,
            ["BackupRetentionPeriod"] = b.BackupRetentionPeriod,
            ["PreferredBackupWindow"] = b.PreferredBackupWindow,
            ["DBInstanceAutomatedBackupsArn"] = b.Arn,
            ["DBInstanceAutomatedBackupsReplications"] = BackupReplications(b.AccountId, b.Region, b.ResourceId),
            ["BackupTarget"] = "region",
            ["MultiTenant"] = false,
            ["DedicatedLogVolume"] = false,
        };
    }

    private static JsonObject SubnetGroupBody(DbSubnetGroup g) => new()
    {
        ["DBSubnetGroupName"] = g.Name,
        ["DBSubnetGroupDescription"] = g.Description,
        ["VpcId"] = g.VpcId,
        ["SubnetGroupStatus"] = "Complete",
        ["Subnets"] = new JsonArray(g.Subnets.Select(subnet => (JsonNode)new JsonObject
        {
            ["SubnetIdentifier"] = subnet.SubnetId,
            ["SubnetAvailabilityZone"] = new JsonObject { ["Name"] = subnet.AvailabilityZone },
            ["SubnetOutpost"] = new JsonObject(),
            ["SubnetStatus"] = "Active",
        }).ToArray()),
        ["DBSubnetGroupArn"] = g.Arn,
        ["SupportedNetworkTypes"] = new JsonArray("IPV4"),
    };

    private static JsonObject Paged<T>(RdsPage<T> page, string listName, Func<T, JsonObject> render)
    {
        var body = new JsonObject();
        if (page.NextMarker is not null) body["Marker"] = page.NextMarker;
        body[listName] = new JsonArray(page.Items.Select(item => (JsonNode)render(item)).ToArray());
        return body;
    }

    private static IReadOnlyList<RdsFilter> Filters(OperationInput input) =>
        input.List("Filters").OfType<JsonObject>().Select(f => new RdsFilter(input.Nested(f).Required("Name"), input.Nested(f).Strings("Values"))).ToList();

    private static JsonArray TagList(IReadOnlyList<RdsTag> tags) =>
        new(tags.Select(t => (JsonNode)new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value }).ToArray());
}
