using Stratus.Persistence;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Persistence;

/// <summary>Secrets at rest are the user's alone, and an ephemeral Stratus killed with kill -9 leaves nothing behind for long.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class DataDirectoryTests
{
    private const string CreateFunctionWithSecret = LambdaScripts.Prelude + """
        create("holds-secret", {"app.py": "def handler(e, c):\n    return 1\n"}, Environment={"Variables": {"DB_PASSWORD": "hunter2"}})
        out["ok"] = True
        """;

    [Fact]
    public async Task The_data_dir_and_what_it_holds_are_private_and_loose_modes_are_tightened_at_start()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        var dataDir = server.DataDir!;
        await Clients.Boto3Async(server.Url, CreateFunctionWithSecret);

        AssertPrivate(dataDir);

        // A data dir from an older Stratus (or a careless chmod) is tightened by the next start.
        await server.StopAsync();
        File.SetUnixFileMode(dataDir, (UnixFileMode)Convert.ToInt32("755", 8));
        File.SetUnixFileMode(Path.Combine(dataDir, "state.db"), (UnixFileMode)Convert.ToInt32("644", 8));
        File.SetUnixFileMode(Path.Combine(dataDir, "lambda", "code"), (UnixFileMode)Convert.ToInt32("755", 8));
        await server.RestartAsync();
        await Clients.Boto3Async(server.Url, """logs = client("logs"); logs.create_log_group(logGroupName="/after-restart")""");
        AssertPrivate(dataDir);
    }

    private static void AssertPrivate(string dataDir)
    {
        Assert.Equal(DataDirectory.PrivateDirectory, File.GetUnixFileMode(dataDir));
        foreach (var name in new[] { "state.db", "state.db-wal", "state.db-shm" })
        {
            var path = Path.Combine(dataDir, name);
            Assert.True(File.Exists(path), $"{name} exists");
            Assert.Equal(DataDirectory.PrivateFile, File.GetUnixFileMode(path));
        }
        var code = Path.Combine(dataDir, "lambda", "code");
        Assert.Equal(DataDirectory.PrivateDirectory, File.GetUnixFileMode(Path.Combine(dataDir, "lambda")));
        Assert.Equal(DataDirectory.PrivateDirectory, File.GetUnixFileMode(code));
        var zip = Assert.Single(Directory.GetFiles(code, "*.zip"));
        Assert.Equal(DataDirectory.PrivateFile, File.GetUnixFileMode(zip));
    }

    [Fact]
    public async Task A_killed_ephemeral_Stratus_leaves_its_temp_dir_only_until_the_next_start()
    {
        // A directory whose owner is alive (this test process) must survive every sweep.
        var alive = Directory.CreateTempSubdirectory("stratus-lambda-").FullName;
        File.WriteAllText(Path.Combine(alive, OwnedTempDirectory.OwnerFile), OwnedTempDirectory.OwnerOf(Environment.ProcessId));
        try
        {
            await using var first = await StratusProcess.StartEphemeralAsync();
            await Clients.Boto3Async(first.Url, CreateFunctionWithSecret);
            var left = OwnedBy(first.Pid);
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(left, "lambda", "code"), "*.zip"));

            await first.KillAsync();
            Assert.True(Directory.Exists(left), "kill -9 leaves the folder (nothing ran to remove it)");

            await using var second = await StratusProcess.StartEphemeralAsync();
            Assert.False(Directory.Exists(left), "the next start removed what the killed Stratus left");
            Assert.True(Directory.Exists(alive), "a folder whose owner still runs is kept");
            Assert.True(Directory.Exists(OwnedBy(second.Pid)));
        }
        finally
        {
            Directory.Delete(alive, recursive: true);
        }
    }

    private static string OwnedBy(int pid) => Assert.Single(Directory.GetDirectories(Path.GetTempPath(), "stratus-ephemeral-*"),
        d => File.Exists(Path.Combine(d, OwnedTempDirectory.OwnerFile)) && File.ReadAllText(Path.Combine(d, OwnedTempDirectory.OwnerFile)).StartsWith($"{pid} ", StringComparison.Ordinal));
}
