using System.Security.Cryptography.X509Certificates;
using MySqlConnector;
using Npgsql;
using Stratus.Tests.Infrastructure;
using static Stratus.Tests.Services.Rds.RdsTestKit;

namespace Stratus.Tests.Services.Rds;

/// <summary>
/// TLS to RDS servers: the Region's certificate authorities (DescribeCertificates, ModifyCertificates), the CA bundle at its
/// Stratus URL, real clients verifying the servers' certificates against it (host name included), parameter groups that
/// refuse plain connections, and a rotation to another CA.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RdsTlsTests : IAsyncLifetime
{
    private const string MariaDb = "tls-maria";
    private const string Postgres = "tls-pg";
    private StratusProcess _server = null!;
    private readonly string _work = Directory.CreateTempSubdirectory("s15rdstls-test-").FullName;

    public async Task InitializeAsync() => _server = await StratusProcess.StartPersistentAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Servers_are_verified_with_the_bundle_plain_connections_are_refused_when_the_group_forces_TLS_and_a_rotation_changes_the_CA()
    {
        var setup = await Clients.Boto3Async(_server.Url, $$"""
            rds = client("rds")
            out["account"] = client("sts").get_caller_identity()["Account"]
            rds.create_db_parameter_group(DBParameterGroupName="tls-only", DBParameterGroupFamily="mysql8.0", Description="tls")
            rds.modify_db_parameter_group(DBParameterGroupName="tls-only", Parameters=[
                {"ParameterName": "require_secure_transport", "ParameterValue": "1", "ApplyMethod": "immediate"}])
            rds.create_db_parameter_group(DBParameterGroupName="pg-tls-only", DBParameterGroupFamily="postgres15", Description="tls")
            rds.modify_db_parameter_group(DBParameterGroupName="pg-tls-only", Parameters=[
                {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"}])
            rds.create_db_instance(DBInstanceIdentifier="{{MariaDb}}", DBInstanceClass="db.t3.small", Engine="mysql", Port=3341,
                MasterUsername="{{SeedUser}}", MasterUserPassword="{{SeedPassword}}", DBName="{{SeedDatabase}}", AllocatedStorage=20,
                DBParameterGroupName="tls-only", BackupRetentionPeriod=0)
            rds.create_db_instance(DBInstanceIdentifier="{{Postgres}}", DBInstanceClass="db.t3.small", Engine="postgres", Port=5441,
                MasterUsername="{{SeedUser}}", MasterUserPassword="{{SeedPassword}}", DBName="{{SeedDatabase}}", AllocatedStorage=20,
                DBParameterGroupName="pg-tls-only", BackupRetentionPeriod=0, CACertificateIdentifier="rds-ca-ecc384-g1")
            listed = rds.describe_certificates()
            out["default"] = listed["DefaultCertificateForNewLaunches"]
            out["certificates"] = [(c["CertificateIdentifier"], c["CertificateType"], c["CertificateArn"], c["CustomerOverride"], len(c["Thumbprint"]),
                c["ValidTill"].year - c["ValidFrom"].year) for c in listed["Certificates"]]
            out["thumbprints"] = {c["CertificateIdentifier"]: c["Thumbprint"] for c in listed["Certificates"]}
            out["unknown"] = error(rds.describe_certificates, CertificateIdentifier="rds-ca-2019")
            out["unknown_modify"] = error(rds.modify_db_instance, DBInstanceIdentifier="{{MariaDb}}", CACertificateIdentifier="rds-ca-2019", ApplyImmediately=True)
            out["no_restart_alone"] = error(rds.modify_db_instance, DBInstanceIdentifier="{{MariaDb}}", CertificateRotationRestart=False)
            modified = rds.modify_certificates(CertificateIdentifier="rds-ca-rsa4096-g1")["Certificate"]
            out["override"] = (modified["CertificateIdentifier"], modified["CustomerOverride"], "CustomerOverrideValidTill" in modified)
            out["override_default"] = rds.describe_certificates()["DefaultCertificateForNewLaunches"]
            out["override_listed"] = rds.describe_certificates(CertificateIdentifier="rds-ca-rsa4096-g1")["Certificates"][0]["CustomerOverride"]
            out["removed"] = rds.modify_certificates(RemoveCustomerOverride=True)["Certificate"]["CertificateIdentifier"]
            out["after_remove"] = rds.describe_certificates()["DefaultCertificateForNewLaunches"]
            out["both"] = error(rds.modify_certificates, CertificateIdentifier="rds-ca-rsa4096-g1", RemoveCustomerOverride=True)
            """);
        Assert.Equal("rds-ca-rsa2048-g1", setup["default"]!.GetValue<string>());
        Assert.Equal("""[["rds-ca-ecc384-g1","CA","arn:aws:rds:us-east-1::cert:rds-ca-ecc384-g1",false,40,100],""" +
            """["rds-ca-rsa2048-g1","CA","arn:aws:rds:us-east-1::cert:rds-ca-rsa2048-g1",false,40,40],""" +
            """["rds-ca-rsa4096-g1","CA","arn:aws:rds:us-east-1::cert:rds-ca-rsa4096-g1",false,40,100]]""", setup["certificates"]!.ToJsonString());
        Assert.Equal("CertificateNotFound", setup["unknown"]!["code"]!.GetValue<string>());
        Assert.Equal(404, setup["unknown"]!["status"]!.GetValue<int>());
        Assert.Equal("Certificate rds-ca-2019 not found", setup["unknown_modify"]!["message"]!.GetValue<string>());
        Assert.Equal("InvalidParameterCombination", setup["no_restart_alone"]!["code"]!.GetValue<string>());
        Assert.Equal("""["rds-ca-rsa4096-g1",true,true]""", setup["override"]!.ToJsonString());
        Assert.Equal("rds-ca-rsa4096-g1", setup["override_default"]!.GetValue<string>());
        Assert.True(setup["override_listed"]!.GetValue<bool>());
        Assert.Equal("rds-ca-rsa2048-g1", setup["removed"]!.GetValue<string>());
        Assert.Equal("rds-ca-rsa2048-g1", setup["after_remove"]!.GetValue<string>());
        Assert.Equal("InvalidParameterCombination", setup["both"]!["code"]!.GetValue<string>());

        // The private keys stay under the data dir, the owner's alone.
        var account = setup["account"]!.GetValue<string>();
        var caKey = Path.Combine(_server.DataDir!, "rds", "certificate-authorities", account, "us-east-1", "rds-ca-rsa2048-g1.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(caKey));

        // The bundle at its Stratus URL holds the three CAs, each the one DescribeCertificates lists.
        using var http = new HttpClient();
        var bundlePem = await http.GetStringAsync($"{_server.Url}/_stratus/rds/truststore/{account}/us-east-1/us-east-1-bundle.pem");
        Assert.DoesNotContain("PRIVATE KEY", bundlePem);
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPem(bundlePem);
        var thumbprints = setup["thumbprints"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());
        Assert.Equal(thumbprints.Values.Order(), authorities.Select(c => c.Thumbprint.ToLowerInvariant()).Order());
        var bundle = Write("us-east-1-bundle.pem", bundlePem);
        // The page needs no credentials, so an account nobody used gets no CA made by asking for its bundle.
        using (var unknown = await http.GetAsync($"{_server.Url}/_stratus/rds/truststore/123456789012/us-east-1/us-east-1-bundle.pem"))
            Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(_server.DataDir!, "rds", "certificate-authorities", "123456789012")));
        string OnlyAuthority(string id) =>
            Write(id + ".pem", authorities.Single(c => c.Thumbprint.Equals(thumbprints[id], StringComparison.OrdinalIgnoreCase)).ExportCertificatePem());

        // MariaDB: verified by host name (its 127.0.0.N address) against the bundle; a plain connection is refused by the group.
        var maria = await WaitAvailableAsync(_server.Url, MariaDb);
        Assert.NotEmpty(await MariaDbCipherAsync(maria, MySqlSslMode.VerifyFull, bundle));
        // MariaDB refuses the same login without TLS as a denied access (1045), its own answer to require_secure_transport.
        var plain = await Assert.ThrowsAsync<MySqlException>(() => MariaDbCipherAsync(maria, MySqlSslMode.None, null));
        Assert.Equal(1045, plain.Number);
        var described = await Clients.Boto3Async(_server.Url, $$"""
            i = client("rds").describe_db_instances(DBInstanceIdentifier="{{MariaDb}}")["DBInstances"][0]
            out["ca"] = i["CACertificateIdentifier"]
            out["details"] = i["CertificateDetails"]["CAIdentifier"]
            out["days"] = (i["CertificateDetails"]["ValidTill"] - i["InstanceCreateTime"]).days
            """);
        Assert.Equal("rds-ca-rsa2048-g1", described["ca"]!.GetValue<string>());
        Assert.Equal("rds-ca-rsa2048-g1", described["details"]!.GetValue<string>());
        Assert.InRange(described["days"]!.GetValue<int>(), 364, 365);

        // Rotation to the ECC CA, applied at once with a restart: the new CA alone verifies the server, the old one no longer does.
        var rotation = await Clients.Boto3Async(_server.Url, $$"""
            rds = client("rds")
            out["status"] = rds.modify_db_instance(DBInstanceIdentifier="{{MariaDb}}", CACertificateIdentifier="rds-ca-ecc384-g1",
                ApplyImmediately=True)["DBInstance"]["DBInstanceStatus"]
            """);
        Assert.Equal("modifying", rotation["status"]!.GetValue<string>());
        maria = await WaitAvailableAsync(_server.Url, MariaDb);
        Assert.NotEmpty(await MariaDbCipherAsync(maria, MySqlSslMode.VerifyFull, OnlyAuthority("rds-ca-ecc384-g1")));
        await Assert.ThrowsAnyAsync<Exception>(() => MariaDbCipherAsync(maria, MySqlSslMode.VerifyFull, OnlyAuthority("rds-ca-rsa2048-g1")));
        var rotated = await Clients.Boto3Async(_server.Url, $$"""
            i = client("rds").describe_db_instances(DBInstanceIdentifier="{{MariaDb}}")["DBInstances"][0]
            out["ca"] = [i["CACertificateIdentifier"], i["CertificateDetails"]["CAIdentifier"]]
            """);
        Assert.Equal("""["rds-ca-ecc384-g1","rds-ca-ecc384-g1"]""", rotated["ca"]!.ToJsonString());

        // PostgreSQL (created with the ECC CA): verify-full with the bundle; rds.force_ssl refuses a connection without TLS.
        var pg = await WaitAvailableAsync(_server.Url, Postgres);
        Assert.True(await PostgresEncryptedAsync(pg, SslMode.VerifyFull, bundle));
        Assert.True(await PostgresEncryptedAsync(pg, SslMode.VerifyFull, OnlyAuthority("rds-ca-ecc384-g1")));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => PostgresEncryptedAsync(pg, SslMode.Disable, null));
        Assert.Contains("no encryption", refused.MessageText);
    }

    [Fact]
    public async Task An_aurora_member_is_verified_by_host_name_through_its_cluster_endpoint()
    {
        var cluster = await Clients.Boto3Async(_server.Url, $$"""
            rds = client("rds")
            out["account"] = client("sts").get_caller_identity()["Account"]
            rds.create_db_cluster(DBClusterIdentifier="tls-cluster", Engine="aurora-postgresql", MasterUsername="{{SeedUser}}",
                MasterUserPassword="{{SeedPassword}}", DatabaseName="{{SeedDatabase}}", Port=5442)
            rds.get_waiter("db_cluster_available").wait(DBClusterIdentifier="tls-cluster", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            rds.create_db_instance(DBInstanceIdentifier="tls-writer", DBClusterIdentifier="tls-cluster", Engine="aurora-postgresql", DBInstanceClass="db.r6g.large")
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="tls-writer", WaiterConfig={"Delay": 1, "MaxAttempts": 240})
            c = rds.describe_db_clusters(DBClusterIdentifier="tls-cluster")["DBClusters"][0]
            out["endpoint"] = c["Endpoint"]
            out["ca"] = rds.describe_db_instances(DBInstanceIdentifier="tls-writer")["DBInstances"][0]["CACertificateIdentifier"]
            """);
        Assert.Equal("rds-ca-rsa2048-g1", cluster["ca"]!.GetValue<string>());
        using var http = new HttpClient();
        var bundle = Write("cluster-bundle.pem",
            await http.GetStringAsync($"{_server.Url}/_stratus/rds/truststore/{cluster["account"]!.GetValue<string>()}/us-east-1/us-east-1-bundle.pem"));
        // The cluster endpoint forwards bytes: the TLS session is the writer's own, whose certificate names the endpoint's address too.
        Assert.True(await PostgresEncryptedAsync(new DbEndpoint(cluster["endpoint"]!.GetValue<string>(), 5442, ""), SslMode.VerifyFull, bundle));
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_work, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static async Task<string> MariaDbCipherAsync(DbEndpoint endpoint, MySqlSslMode mode, string? authority)
    {
        await using var connection = new MySqlConnection(new MySqlConnectionStringBuilder
        {
            Server = endpoint.Address,
            Port = (uint)endpoint.Port,
            UserID = SeedUser,
            Password = SeedPassword,
            Database = SeedDatabase,
            Pooling = false,
            ConnectionTimeout = 10,
            SslMode = mode,
            SslCa = authority ?? "",
        }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'", connection);
        return Convert.ToString(await command.ExecuteScalarAsync()) ?? "";
    }

    private static async Task<bool> PostgresEncryptedAsync(DbEndpoint endpoint, SslMode mode, string? authority)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = endpoint.Address,
            Port = endpoint.Port,
            Username = SeedUser,
            Password = SeedPassword,
            Database = SeedDatabase,
            Pooling = false,
            Timeout = 10,
            SslMode = mode,
            RootCertificate = authority,
        }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", connection);
        return (bool)(await command.ExecuteScalarAsync())!;
    }
}
