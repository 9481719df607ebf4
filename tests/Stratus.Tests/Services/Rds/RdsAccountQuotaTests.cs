using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Ec2;
using Stratus.Services.Rds;
using Stratus.Services.SecretsManager;
using Stratus.Tests.Services.CloudWatch;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// RDS's account quotas at the service: forty instances (recorded in the state store, as forty real servers would be far too
/// many for a test) take no forty-first, nor storage past 100,000 GiB; DescribeAccountAttributes counts what the account has.
/// The service has no engine, so a request within the quotas gets past them to the engine (InsufficientDBInstanceCapacity).
/// </summary>
public sealed class RdsAccountQuotaTests
{
    private const string Account = "000000000000";
    private const string Region = "us-east-1";

    [Fact]
    public void Forty_instances_take_no_forty_first_and_the_quota_reports_them()
    {
        WithInstances(table =>
        {
            for (var n = 1; n <= 40; n++) Put(table, $"db-{n:D2}", storage: 20);
        }, rds =>
        {
            var refused = Assert.Throws<AwsException>(() => rds.CreateInstance(Scope.Of(Account, Region), NewInstance("db-41", 20)));
            Assert.Equal("InstanceQuotaExceeded", refused.Code);
            Assert.Equal("DB Instance quota exceeded", refused.Message);

            var quotas = rds.DescribeAccountQuotas(Scope.Of(Account, Region)).ToDictionary(q => q.Name);
            Assert.Equal((40L, 40L), (quotas["DBInstances"].Used, quotas["DBInstances"].Max));
            Assert.Equal((800L, 100_000L), (quotas["AllocatedStorage"].Used, quotas["AllocatedStorage"].Max));
            // Another Region of the account has its own quotas, as on AWS.
            Assert.Equal(0L, rds.DescribeAccountQuotas(Scope.Of(Account, "us-west-2")).Single(q => q.Name == "DBInstances").Used);
            Assert.Equal("InsufficientDBInstanceCapacity",
                Assert.Throws<AwsException>(() => rds.CreateInstance(Scope.Of(Account, "us-west-2"), NewInstance("db-41", 20))).Code);
        });
    }

    [Fact]
    public void Allocated_storage_stops_at_100000_GiB_per_account_and_region()
    {
        WithInstances(table => Put(table, "big", storage: 65_536), rds =>
        {
            var refused = Assert.Throws<AwsException>(() => rds.CreateInstance(Scope.Of(Account, Region), NewInstance("bigger", 34_500)));
            Assert.Equal("StorageQuotaExceeded", refused.Code);
            Assert.Contains("The storage quota for this account has been exceeded by 36.", refused.Message);
            Assert.Equal("InsufficientDBInstanceCapacity",
                Assert.Throws<AwsException>(() => rds.CreateInstance(Scope.Of(Account, Region), NewInstance("fits", 34_464))).Code);
        });
    }

    [Fact]
    public void Fifty_parameter_groups_take_no_fifty_first_of_either_kind_counted_apart()
    {
        WithInstances(_ => { }, rds =>
        {
            var scope = Scope.Of(Account, Region);
            for (var n = 1; n <= 50; n++) rds.CreateParameterGroup(scope, $"pg-{n}", "mysql8.0", "d", [], cluster: false);
            var refused = Assert.Throws<AwsException>(() => rds.CreateParameterGroup(scope, "pg-51", "mysql8.0", "d", [], cluster: false));
            Assert.Equal("DBParameterGroupQuotaExceeded", refused.Code);
            rds.CreateParameterGroup(scope, "cluster-pg", "aurora-mysql8.0", "d", [], cluster: true);
            var quotas = rds.DescribeAccountQuotas(scope).ToDictionary(q => q.Name);
            Assert.Equal(50L, quotas["DBParameterGroups"].Used);
            Assert.Equal(1L, quotas["DBClusterParameterGroups"].Used);
        });
    }

    /// <summary>CreateDBInstance's members as the Query wire carries them (every value a string).</summary>
    private static CreateInstanceRequest NewInstance(string identifier, int storage) => CreateInstanceRequest.Read(new OperationInput(new JsonObject
    {
        ["Engine"] = "mysql", ["DBInstanceClass"] = "db.t3.micro", ["MasterUsername"] = "admin",
        ["MasterUserPassword"] = "demo-cct-password", ["AllocatedStorage"] = storage.ToString(CultureInfo.InvariantCulture),
    }, TestCalls.Wire(), RdsErrors.Validation), identifier);

    private static void WithInstances(Action<ResourceTable<DbInstance>> record, Action<RdsService> test)
    {
        var dataDir = Directory.CreateTempSubdirectory("stratus-account-quotas-").FullName;
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

    private static void Put(ResourceTable<DbInstance> table, string identifier, int storage) =>
        table.Put(ResourceTable<DbInstance>.Key(Account, Region, identifier), new DbInstance
        {
            AccountId = Account, Region = Region, Identifier = identifier, ResourceId = $"db-{identifier.ToUpperInvariant().Replace('-', 'X')}",
            Engine = "mysql", EngineVersion = "8.0.40", InstanceClass = "db.t3.micro", AllocatedStorage = storage, MasterUsername = "admin",
            Port = 3306, Status = "available", CreateTime = DateTimeOffset.UtcNow, AvailabilityZone = Region + "a",
        });
}
