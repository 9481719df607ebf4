using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Ec2;
using Stratus.Services.Rds;
using Stratus.Services.SecretsManager;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// RDS's limits on read replicas at the service: at most 15 replicas of one source (those in other Regions, named by the
/// source's ARN, count too) and at most three replicas deep in a chain. Fifteen real replicas would start sixteen servers,
/// so the instances are recorded in the state store and the service has no engine: a request within the limits gets past
/// them to the engine (InsufficientDBInstanceCapacity, no server here), one beyond them is refused first with RDS's error.
/// </summary>
public sealed class RdsReplicaLimitsTests
{
    private const string Account = "000000000000";
    private const string Region = "us-east-1";
    private const string OtherRegion = "us-west-2";

    [Fact]
    public void A_source_with_15_read_replicas_takes_no_16th_one_and_one_with_14_does()
    {
        WithInstances(table =>
        {
            Put(table, Region, "full", source: null);
            Put(table, Region, "roomy", source: null);
            for (var n = 1; n <= 14; n++)
            {
                Put(table, Region, $"full-{n:D2}", source: "full");
                Put(table, Region, $"roomy-{n:D2}", source: "roomy");
            }
            // The 15th replica of "full" lives in another Region and names its source by ARN, as RDS names it.
            Put(table, OtherRegion, "full-west", source: $"arn:aws:rds:{Region}:{Account}:db:full");
        }, rds =>
        {
            var refused = Assert.Throws<AwsException>(() => CreateReplica(rds, "full-16", "full"));
            Assert.Equal("InvalidDBInstanceState", refused.Code);
            Assert.Equal($"DB instance full already has {RdsService.MaxReplicasPerSource} read replicas, the most one source can have.", refused.Message);

            Assert.Equal("InsufficientDBInstanceCapacity", Assert.Throws<AwsException>(() => CreateReplica(rds, "roomy-15", "roomy")).Code);
        });
    }

    [Fact]
    public void A_chain_holds_three_read_replicas_below_its_source_and_no_fourth()
    {
        WithInstances(table =>
        {
            Put(table, Region, "top", source: null);
            Put(table, Region, "first", source: "top");
            Put(table, Region, "second", source: "first");
            Put(table, Region, "third", source: "second");
        }, rds =>
        {
            var refused = Assert.Throws<AwsException>(() => CreateReplica(rds, "fourth", "third"));
            Assert.Equal("InvalidDBInstanceState", refused.Code);
            Assert.Equal("DB instance third is the third read replica in a chain: a chain of cascading read replicas holds at most 3 read replicas below its source.",
                refused.Message);

            // One level up there is room: a second replica of the second replica.
            Assert.Equal("InsufficientDBInstanceCapacity", Assert.Throws<AwsException>(() => CreateReplica(rds, "third-b", "second")).Code);
        });
    }

    private static DbInstance CreateReplica(RdsService rds, string identifier, string source) =>
        rds.CreateReadReplica(Scope.Of(Account, Region), new CreateReplicaRequest { Identifier = identifier, SourceIdentifier = source });

    /// <summary>Records available MySQL instances (with automated backups, so each may serve replicas) before the service starts without an engine.</summary>
    private static void WithInstances(Action<ResourceTable<DbInstance>> record, Action<RdsService> test)
    {
        var dataDir = Directory.CreateTempSubdirectory("stratus-replica-limits-").FullName;
        try
        {
            using var store = StateStore.Open(dataDir);
            record(new ResourceTable<DbInstance>(store, "rds.instances"));
            var rds = new RdsService(store, TimeProvider.System, engines: [], dataDir, "127.0.0.1", new SecretsManagerService(store, TimeProvider.System, null),
                NullLogger.Instance, new Ec2Service(store, TimeProvider.System));
            test(rds);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static void Put(ResourceTable<DbInstance> table, string region, string identifier, string? source) =>
        table.Put(ResourceTable<DbInstance>.Key(Account, region, identifier), new DbInstance
        {
            AccountId = Account, Region = region, Identifier = identifier, ResourceId = $"db-{identifier.ToUpperInvariant().Replace('-', 'X')}",
            Engine = "mysql", EngineVersion = "8.0.40", InstanceClass = "db.t3.micro", AllocatedStorage = 20, MasterUsername = "admin",
            Port = 3306, Status = "available", CreateTime = DateTimeOffset.UtcNow, AvailabilityZone = region + "a",
            BackupRetentionPeriod = 1, ReplicaSourceIdentifier = source,
        });
}
