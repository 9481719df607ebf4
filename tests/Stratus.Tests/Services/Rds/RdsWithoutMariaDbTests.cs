using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Rds;
using Stratus.Services.SecretsManager;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// RDS's domain without a MariaDB server: it says so at once instead of leaving instances in
/// creating, and still answers for the instances it knows (here, stopped ones left in a data dir).
/// </summary>
public sealed class RdsWithoutMariaDbTests
{
    private const string Account = "000000000000";
    private const string Region = "us-east-1";

    [Fact]
    public void CreateDBInstance_names_the_package_to_install_and_creates_nothing()
    {
        using var store = StateStore.Ephemeral();
        var rds = new RdsService(store, TimeProvider.System, engines: [], dataDir: null, "127.0.0.1", new SecretsManagerService(store, TimeProvider.System, null), NullLogger.Instance, new Stratus.Services.Ec2.Ec2Service(store, TimeProvider.System));
        using var api = new RdsApi(rds, NullLogger.Instance);

        var refused = Assert.Throws<AwsException>(() => rds.CreateInstance(Scope.Of(Account, Region), new CreateInstanceRequest
        {
            Identifier = "no-engine",
            InstanceClass = "db.t3.micro",
            Engine = "mysql",
            MasterUsername = "admin",
            MasterUserPassword = "good-password",
        }));

        Assert.Equal("InsufficientDBInstanceCapacity", refused.Code);
        Assert.Contains("apt-get install mariadb-server", refused.Message);
        Assert.Equal(0, rds.InstanceCount);
        Assert.Contains("apt-get install mariadb-server", api.State);
    }

    [Fact]
    public void DescribeDBInstances_pages_with_Marker_and_MaxRecords()
    {
        var dataDir = Directory.CreateTempSubdirectory("stratus-paging-test-").FullName;
        try
        {
            using var store = StateStore.Open(dataDir);
            var table = new ResourceTable<DbInstance>(store, "rds.instances");
            for (var n = 0; n < 25; n++)
            {
                var id = $"db-{n:D2}";
                table.Put(ResourceTable<DbInstance>.Key(Account, Region, id), new DbInstance
                {
                    AccountId = Account, Region = Region, Identifier = id, ResourceId = $"db-RESOURCE{n:D2}", Engine = "mysql",
                    EngineVersion = "8.0.40", InstanceClass = "db.t3.micro", AllocatedStorage = 20, MasterUsername = "admin",
                    Port = 3306, Status = "stopped", CreateTime = DateTimeOffset.UtcNow, AvailabilityZone = "us-east-1a",
                });
            }
            var rds = new RdsService(store, TimeProvider.System, engines: [], dataDir, "127.0.0.1", new SecretsManagerService(store, TimeProvider.System, null), NullLogger.Instance, new Stratus.Services.Ec2.Ec2Service(store, TimeProvider.System));

            var first = rds.DescribeInstances(Scope.Of(Account, Region), null, [], null, 20);
            var second = rds.DescribeInstances(Scope.Of(Account, Region), null, [], first.NextMarker, 20);

            Assert.Equal(20, first.Items.Count);
            Assert.NotNull(first.NextMarker);
            Assert.Equal(5, second.Items.Count);
            Assert.Null(second.NextMarker);
            Assert.Equal(25, first.Items.Concat(second.Items).Select(i => i.Identifier).Distinct().Count());
            Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => rds.DescribeInstances(Scope.Of(Account, Region), null, [], null, 101)).Code);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
