using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>Account quotas, maintenance, source Regions, orderable options and snapshot sharing on the wire.</summary>
public sealed partial class RdsApi
{
    private void AddAccountOperations(OperationTable table)
    {
        table.Add("DescribeAccountAttributes", i => new JsonObject
        {
            ["AccountQuotas"] = new JsonArray(_rds.DescribeAccountQuotas(i.Scope).Select(q => (JsonNode)new JsonObject
            {
                ["AccountQuotaName"] = q.Name,
                ["Used"] = q.Used,
                ["Max"] = q.Max,
            }).ToArray()),
        });
        table.Add("DescribePendingMaintenanceActions", i => Paged(_rds.DescribePendingMaintenanceActions(i.Scope, i.String("ResourceIdentifier"), Filters(i),
            i.String("Marker"), i.Int("MaxRecords")), "PendingMaintenanceActions", arn => new JsonObject { ["ResourceIdentifier"] = arn }));
        table.Add("ApplyPendingMaintenanceAction", i =>
        {
            _rds.ApplyPendingMaintenanceAction(i.Scope, i.Required("ResourceIdentifier"), i.Required("ApplyAction"), i.Required("OptInType"));
            return (JsonObject?)null;
        });
        table.Add("DescribeSourceRegions", i => Paged(_rds.DescribeSourceRegions(i.Scope, i.String("RegionName"), Filters(i), i.String("Marker"), i.Int("MaxRecords")),
            "SourceRegions", region => new JsonObject
            {
                ["RegionName"] = region,
                ["Status"] = "available",
                // Automated backups (and so their replication) are not built.
                ["SupportsDBInstanceAutomatedBackupsReplication"] = true,
            }));

        table.Add("DescribeCertificates", i =>
        {
            var (forNewLaunches, page) = _rds.DescribeCertificates(i.Scope, i.String("CertificateIdentifier"), Filters(i), i.String("Marker"), i.Int("MaxRecords"));
            var body = Paged(page, "Certificates", CertificateBody);
            body["DefaultCertificateForNewLaunches"] = forNewLaunches;
            return body;
        });
        table.Add("ModifyCertificates", i => new JsonObject
        {
            ["Certificate"] = CertificateBody(_rds.ModifyCertificates(i.Scope, i.String("CertificateIdentifier"), i.Bool("RemoveCustomerOverride"))),
        });

        table.Add("DescribeOrderableDBInstanceOptions", i => Paged(_rds.DescribeOrderableOptions(i.Scope, i.Required("Engine"), i.String("EngineVersion"),
            i.String("DBInstanceClass"), i.String("LicenseModel"), i.Bool("Vpc"), Filters(i), i.String("Marker"), i.Int("MaxRecords")),
            "OrderableDBInstanceOptions", OrderableOptionBody));
        table.Add("DescribeDBMajorEngineVersions", i => Paged(_rds.DescribeMajorEngineVersions(i.String("Engine"), i.String("MajorEngineVersion"),
            i.String("Marker"), i.Int("MaxRecords")), "DBMajorEngineVersions", major => new JsonObject
            {
                ["Engine"] = major.Engine,
                ["MajorEngineVersion"] = major.MajorVersion,
                // RDS's support lifecycle dates are AWS's calendar, not something this machine has: the member is left out.
            }));
        table.Add("DescribeValidDBInstanceModifications", i =>
        {
            var valid = _rds.DescribeValidModifications(i.Scope, i.Required("DBInstanceIdentifier"));
            return new JsonObject
            {
                ["ValidDBInstanceModificationsMessage"] = new JsonObject
                {
                    ["Storage"] = valid.StorageType is null ? new JsonArray() : new JsonArray(new JsonObject
                    {
                        ["StorageType"] = valid.StorageType,
                        ["StorageSize"] = new JsonArray(new JsonObject { ["From"] = valid.MinStorage, ["To"] = valid.MaxStorage, ["Step"] = 1 }),
                        ["ProvisionedIops"] = new JsonArray(),
                        ["SupportsStorageAutoscaling"] = false,
                    }),
                    ["ValidProcessorFeatures"] = new JsonArray(),
                    ["SupportsDedicatedLogVolume"] = false,
                },
            };
        });

        table.Add("DescribeDBSnapshotAttributes", i => SnapshotAttributes(_rds.GetSnapshot(i.Scope, i.Required("DBSnapshotIdentifier"))));
        table.Add("ModifyDBSnapshotAttribute", i => SnapshotAttributes(_rds.ModifySnapshotAttribute(i.Scope, i.Required("DBSnapshotIdentifier"),
            i.Required("AttributeName"), i.Strings("ValuesToAdd"), i.Strings("ValuesToRemove"))));
        table.Add("DescribeDBClusterSnapshotAttributes", i => SnapshotAttributes(_rds.GetClusterSnapshot(i.Scope, i.Required("DBClusterSnapshotIdentifier"))));
        table.Add("ModifyDBClusterSnapshotAttribute", i => SnapshotAttributes(_rds.ModifyClusterSnapshotAttribute(i.Scope, i.Required("DBClusterSnapshotIdentifier"),
            i.Required("AttributeName"), i.Strings("ValuesToAdd"), i.Strings("ValuesToRemove"))));
        table.Add("ModifyDBSnapshot", i => Snapshot(_rds.ModifySnapshot(i.Scope, i.Required("DBSnapshotIdentifier"), i.String("EngineVersion"), i.String("OptionGroupName"))));
    }

    private static JsonObject CertificateBody(RdsCertificate certificate) => new()
    {
        ["CertificateIdentifier"] = certificate.Authority.Kind.Identifier,
        ["CertificateType"] = "CA",
        ["Thumbprint"] = certificate.Authority.Thumbprint,
        ["ValidFrom"] = certificate.Authority.ValidFrom,
        ["ValidTill"] = certificate.Authority.ValidTill,
        ["CertificateArn"] = certificate.Arn,
        ["CustomerOverride"] = certificate.CustomerOverride,
        // The override lasts as long as its CA, as RDS reports it.
        ["CustomerOverrideValidTill"] = certificate.CustomerOverride ? certificate.Authority.ValidTill : null,
    };

    /// <summary>DB{Cluster}SnapshotAttributesResult: the one attribute RDS keeps, "restore", with the accounts the snapshot is shared with.</summary>
    private static JsonObject SnapshotAttributes(RdsSnapshot snapshot)
    {
        var kind = snapshot is DbClusterSnapshot ? "DBClusterSnapshot" : "DBSnapshot";
        return new JsonObject
        {
            [$"{kind}AttributesResult"] = new JsonObject
            {
                [$"{kind}Identifier"] = snapshot.Identifier,
                [$"{kind}Attributes"] = new JsonArray(new JsonObject
                {
                    ["AttributeName"] = RdsService.RestoreAttribute,
                    ["AttributeValues"] = new JsonArray(snapshot.SharedAccounts.Select(a => (JsonNode)JsonValue.Create(a)).ToArray()),
                }),
            },
        };
    }

    /// <summary>
    /// An option as Stratus serves it: no Multi-AZ standby, encryption, provisioned IOPS, enhanced monitoring, IAM database
    /// authentication, Performance Insights or autoscaling (README's Limits), storage within RdsRules' bounds.
    /// </summary>
    private static JsonObject OrderableOptionBody(OrderableInstanceOption o)
    {
        var aurora = o.StorageType == "aurora";
        return new JsonObject
        {
            ["Engine"] = o.Engine,
            ["EngineVersion"] = o.EngineVersion,
            ["DBInstanceClass"] = o.InstanceClass,
            ["LicenseModel"] = RdsRules.LicenseModel(o.Engine),
            ["AvailabilityZones"] = new JsonArray(o.AvailabilityZones.Select(z => (JsonNode)new JsonObject { ["Name"] = z }).ToArray()),
            ["MultiAZCapable"] = false,
            ["ReadReplicaCapable"] = true,
            ["Vpc"] = true,
            ["SupportsStorageEncryption"] = false,
            ["StorageType"] = o.StorageType,
            ["SupportsIops"] = false,
            ["SupportsStorageThroughput"] = false,
            ["SupportsEnhancedMonitoring"] = false,
            ["SupportsIAMDatabaseAuthentication"] = false,
            ["SupportsPerformanceInsights"] = false,
            ["MinStorageSize"] = aurora ? null : RdsRules.MinStorage,
            ["MaxStorageSize"] = aurora ? null : RdsRules.MaxStorage,
            ["AvailableProcessorFeatures"] = new JsonArray(),
            ["SupportedEngineModes"] = new JsonArray("provisioned"),
            ["SupportsStorageAutoscaling"] = false,
            ["SupportsKerberosAuthentication"] = false,
            ["OutpostCapable"] = false,
            ["SupportsGlobalDatabases"] = false,
            ["SupportedNetworkTypes"] = new JsonArray("IPV4"),
            ["SupportsClusters"] = false,
            ["SupportsDedicatedLogVolume"] = false,
            ["SupportsHttpEndpoint"] = false,
        };
    }
}
