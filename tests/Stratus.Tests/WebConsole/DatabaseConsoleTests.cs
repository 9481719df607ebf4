using Stratus.Services.Rds;
using Stratus.WebConsole;

namespace Stratus.Tests.WebConsole;

/// <summary>The console's connection command for each engine: the client users would type, with the instance's endpoint, user and database.</summary>
public sealed class DatabaseConsoleTests
{
    private static DbInstance Instance(string engine, string? address, int port, string? dbName) => new()
    {
        AccountId = "000000000000",
        Region = "us-east-1",
        Identifier = "db1",
        ResourceId = "db-TEST",
        Engine = engine,
        EngineVersion = "15.18",
        InstanceClass = "db.t3.micro",
        AllocatedStorage = 20,
        MasterUsername = "master",
        DbName = dbName,
        Port = port,
        Status = "available",
        CreateTime = DateTimeOffset.UnixEpoch,
        AvailabilityZone = "us-east-1a",
        Address = address,
    };

    [Fact]
    public void A_postgres_instance_is_reached_with_psql_and_a_mysql_one_with_mariadb_over_verified_TLS()
    {
        Assert.Equal("psql \"host=127.0.0.2 port=5432 user=master dbname=app sslmode=verify-full sslrootcert=us-east-1-bundle.pem\"",
            DatabaseConsole.ConnectionCommand(Instance("postgres", "127.0.0.2", 5432, "app")));
        Assert.Equal("psql \"host=127.0.0.3 port=5433 user=master dbname=postgres sslmode=verify-full sslrootcert=us-east-1-bundle.pem\"",
            DatabaseConsole.ConnectionCommand(Instance("postgres", "127.0.0.3", 5433, null)));
        Assert.Equal("mariadb -h 127.0.0.4 -P 3306 -u master -p --ssl-ca=us-east-1-bundle.pem --ssl-verify-server-cert app",
            DatabaseConsole.ConnectionCommand(Instance("mysql", "127.0.0.4", 3306, "app")));
        Assert.Null(DatabaseConsole.ConnectionCommand(Instance("postgres", null, 5432, "app")));
    }
}
