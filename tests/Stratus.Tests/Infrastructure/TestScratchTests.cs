using System.Diagnostics;
using Stratus.Persistence;

namespace Stratus.Tests.Infrastructure;

public sealed class TestScratchTests
{
    [Fact]
    public void This_host_runs_in_a_scratch_directory_marked_as_its_own()
    {
        Assert.StartsWith(Path.Combine(Path.GetTempPath(), TestScratch.Prefix), TestScratch.RunDirectory);
        Assert.Equal(OwnedTempDirectory.OwnerOf(Environment.ProcessId), File.ReadAllText(Path.Combine(TestScratch.RunDirectory, OwnedTempDirectory.OwnerFile)));
        Assert.StartsWith(TestScratch.RunDirectory + Path.DirectorySeparatorChar, TestScratch.NewDirectory("data-"));
        Assert.StartsWith(TestScratch.RunDirectory + Path.DirectorySeparatorChar, TestScratch.NewFile("boto3-", ".py"));
        // Every process the tests start learns who owns it, so a Stratus among them stops with this host.
        Assert.Equal(OwnedTempDirectory.OwnerOf(Environment.ProcessId), Environment.GetEnvironmentVariable(Stratus.Cli.OwnerProcess.Variable));
    }

    [Fact]
    public async Task A_killed_hosts_run_directory_is_swept_by_the_next_host_and_a_live_ones_kept()
    {
        // A host killed by its timeout: a run directory whose owner process has gone, with a server's data in it.
        using var killedHost = Process.Start("sleep", "120");
        var dead = Directory.CreateTempSubdirectory(TestScratch.Prefix).FullName;
        File.WriteAllText(Path.Combine(dead, OwnedTempDirectory.OwnerFile), OwnedTempDirectory.OwnerOf(killedHost.Id));
        Directory.CreateDirectory(Path.Combine(dead, "data-0123456789ab", "rds"));
        killedHost.Kill();
        await killedHost.WaitForExitAsync();

        // What the next host does as it loads: make its own run directory, sweeping the dead ones first.
        var next = OwnedTempDirectory.Create(TestScratch.Prefix);
        try
        {
            Assert.False(Directory.Exists(dead), "the killed host's leftovers are swept");
            Assert.True(Directory.Exists(TestScratch.RunDirectory), "a running host's directory is kept");
            Assert.True(Directory.Exists(next));
        }
        finally
        {
            Directory.Delete(next, recursive: true);
            if (Directory.Exists(dead)) Directory.Delete(dead, recursive: true);
        }
    }
}
