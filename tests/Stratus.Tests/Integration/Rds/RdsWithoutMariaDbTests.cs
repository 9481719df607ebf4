using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Rds;

namespace Stratus.Tests.Integration.Rds;

/// <summary>Without a MariaDB server installed, RDS says so at once instead of leaving instances in creating.</summary>
public sealed class RdsWithoutMariaDbTests
{
    [Fact]
    public void CreateDBInstance_names_the_package_to_install_and_creates_nothing()
    {
        using var store = StateStore.Ephemeral();
        var rds = new RdsService(store, TimeProvider.System, installation: null, dataDir: null, "127.0.0.1", NullLogger.Instance);
        using var api = new RdsApi(rds);

        var refused = Assert.Throws<AwsException>(() => rds.CreateInstance("000000000000", "us-east-1", new CreateInstanceRequest
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
}
