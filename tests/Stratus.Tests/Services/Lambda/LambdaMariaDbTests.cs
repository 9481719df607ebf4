using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>A function that reaches a MariaDB server the test starts, with connection settings from its environment, as the seed's do.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaMariaDbTests(StratusFixture stratus) : IClassFixture<StratusFixture>, IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("stratus-lambda-mariadb-").FullName;
    private Process? _mariadb;
    private int _port;

    public async Task InitializeAsync()
    {
        var install = await Clients.RunAsync("mariadb-install-db", ["--no-defaults", $"--datadir={_dataDir}", "--auth-root-authentication-method=normal",
            "--skip-test-db", "--user=root"], stratus.Url, TimeSpan.FromMinutes(2));
        Assert.True(install.ExitCode == 0, install.ToString());
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var start = new ProcessStartInfo("/usr/sbin/mariadbd") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--no-defaults", $"--datadir={_dataDir}", $"--port={_port}", "--bind-address=127.0.0.1",
                     $"--socket={_dataDir}/mariadb.sock", "--user=root", "--skip-grant-tables", "--skip-log-bin" })
            start.ArgumentList.Add(arg);
        _mariadb = Process.Start(start)!;
        _mariadb.BeginOutputReadLine();
        _mariadb.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, _port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_mariadb.HasExited)
            {
                await Task.Delay(200);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_mariadb is { HasExited: false })
        {
            _mariadb.Kill();
            await _mariadb.WaitForExitAsync();
        }
        _mariadb?.Dispose();
        Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task Function_connects_to_MariaDB_with_its_environment()
    {
        var result = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + $$"""
            package = base64.b64decode("{{LambdaPackages.Base64("MariaDbFunction")}}")
            variables = {"MYSQL_HOST": "127.0.0.1", "MYSQL_PORT": "{{_port}}", "MYSQL_USER": "democct",
                         "MYSQL_PASSWORD": "demo-cct-password", "MYSQL_DATABASE": "accounts"}
            """ + """

            lam.create_function(FunctionName="db-seed", Runtime="dotnet10", Role=role(), Handler="MariaDbFunction::MariaDbFunction.Accounts::SeedAndCountAsync",
                                Code={"ZipFile": package}, Timeout=30, MemorySize=512, Environment={"Variables": variables})
            out["first"] = invoke("db-seed")
            out["second"] = invoke("db-seed")
            """);

        Assert.True(result["first"]!["error"] is null, result["first"]!.ToJsonString());
        Assert.Contains("MariaDB", result["first"]!["payload"]!["serverVersion"]!.GetValue<string>());
        Assert.Equal(1, result["first"]!["payload"]!["accounts"]!.GetValue<int>());
        Assert.Equal(2, result["second"]!["payload"]!["accounts"]!.GetValue<int>());
    }
}
