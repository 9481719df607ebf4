using System.Diagnostics;
using Stratus.Cli;
using Stratus.Persistence;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Cli;

public sealed class OwnerProcessTests
{
    [Fact]
    public void An_owner_is_a_pid_and_its_start_time_a_bare_pid_is_read_as_the_process_running_under_it()
    {
        Assert.Null(OwnerProcess.Parse(null));
        Assert.Null(OwnerProcess.Parse(" "));
        Assert.Equal("42 1234", OwnerProcess.Parse("42 1234"));
        Assert.Equal(OwnedTempDirectory.OwnerOf(Environment.ProcessId), OwnerProcess.Parse(Environment.ProcessId.ToString()));
        Assert.Throws<ArgumentException>(() => OwnerProcess.Parse("me"));
        Assert.Throws<ArgumentException>(() => OwnerProcess.Parse("42 soon"));
        Assert.Throws<ArgumentException>(() => OwnerProcess.Parse("-1"));
    }

    [Fact]
    public async Task The_watch_stops_the_server_once_its_owner_has_exited_and_not_before()
    {
        using var owner = Process.Start("sleep", "120");
        var identity = OwnedTempDirectory.OwnerOf(owner.Id)!;
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();
        var watch = OwnerProcess.WatchAsync(identity, () => stopped.TrySetResult(), cancel.Token);
        try
        {
            // Two looks at a live owner (one a second) leave the server running.
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            Assert.False(stopped.Task.IsCompleted, "the owner still runs");

            owner.Kill();
            await owner.WaitForExitAsync();
            await stopped.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await watch.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            await cancel.CancelAsync();
            if (!owner.HasExited) owner.Kill();
        }
    }

    [Fact]
    [Trait(TestKind.Category, TestKind.EndToEnd)]
    public async Task A_Stratus_started_for_an_owner_does_not_outlive_it()
    {
        using var owner = Process.Start("sleep", "600");
        try
        {
            await using var server = await StratusProcess.StartEphemeralAsync(
                new Dictionary<string, string> { [OwnerProcess.Variable] = OwnedTempDirectory.OwnerOf(owner.Id)! });
            var pid = server.Pid;
            Assert.NotNull(OwnedTempDirectory.OwnerOf(pid));

            owner.Kill();
            await owner.WaitForExitAsync();
            for (var waited = 0; waited < 600 && OwnedTempDirectory.OwnerOf(pid) is not null; waited++) await Task.Delay(100);
            Assert.Null(OwnedTempDirectory.OwnerOf(pid));
            Assert.Contains($"{OwnerProcess.Variable}=", server.Output);
            Assert.Contains("Stratus stopped.", server.Output);
        }
        finally
        {
            if (!owner.HasExited) owner.Kill();
        }
    }
}
