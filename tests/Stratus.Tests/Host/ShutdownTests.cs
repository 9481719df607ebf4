using System.Diagnostics;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;
using Stratus.Tests.Services.Rds;

namespace Stratus.Tests.Host;

/// <summary>
/// SIGTERM (a service manager's stop, Ctrl-C) with work alive: a warm Lambda execution environment and a running RDS
/// instance. Stratus exits promptly and leaves none of its child processes behind (sandboxed runtimes, mariadbd).
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ShutdownTests
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(25);

    [Fact]
    public async Task Sigterm_stops_function_environments_and_databases_and_leaves_no_process_behind()
    {
        await using var stratus = await StratusProcess.StartEphemeralAsync();
        var result = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + """
            create("warm", {"app.py": "def handler(event, context):\n    return {'ok': True}\n"})
            out["invoke"] = invoke("warm")
            client("rds").create_db_instance(DBInstanceIdentifier="sigterm-db", DBInstanceClass="db.t3.micro", Engine="mysql",
                MasterUsername="admin", MasterUserPassword="sigterm-password", AllocatedStorage=20)
            """);
        Assert.True(result["invoke"]!["error"] is null, result.ToJsonString());
        await RdsTestKit.WaitAvailableAsync(stratus.Url, "sigterm-db");

        var children = Descendants(stratus.ProcessId);
        Assert.Contains(children, c => c.Command.StartsWith("mariadbd", StringComparison.Ordinal) || c.Command.StartsWith("mysqld", StringComparison.Ordinal));
        Assert.Contains(children, c => c.Command.StartsWith("python", StringComparison.Ordinal) || c.Command.StartsWith("bwrap", StringComparison.Ordinal));

        Process.Start("kill", ["-TERM", stratus.ProcessId.ToString()])!.WaitForExit();
        using (var exited = Process.GetProcessById(stratus.ProcessId))
            Assert.True(exited.WaitForExit(Prompt), $"Stratus still ran {Prompt.TotalSeconds} s after SIGTERM:\n{stratus.Output}");

        // Orphans are adopted and reaped by init at once: give that a moment, then none may be left.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        List<ChildProcess> left;
        while ((left = children.Where(IsAlive).ToList()).Count > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.True(left.Count == 0, "left behind: " + string.Join(", ", left.Select(c => $"{c.Pid} {c.Command}")));
    }

    private sealed record ChildProcess(int Pid, string StartTime, string Command);

    /// <summary>Every process below <paramref name="root"/>, from /proc (pid, start time to tell a reused pid apart, command).</summary>
    private static List<ChildProcess> Descendants(int root)
    {
        var byParent = new Dictionary<int, List<ChildProcess>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || Stat(pid) is not { } stat) continue;
            if (!byParent.TryGetValue(stat.Parent, out var list)) byParent[stat.Parent] = list = [];
            list.Add(new ChildProcess(pid, stat.StartTime, stat.Command));
        }
        var found = new List<ChildProcess>();
        var queue = new Queue<int>([root]);
        while (queue.TryDequeue(out var parent))
            foreach (var child in byParent.GetValueOrDefault(parent) ?? [])
            {
                found.Add(child);
                queue.Enqueue(child.Pid);
            }
        return found;
    }

    private static bool IsAlive(ChildProcess child) =>
        Stat(child.Pid) is { } stat && stat.StartTime == child.StartTime && stat.State != "Z";

    /// <summary>/proc/PID/stat's command, state, parent and start time; null once the process is gone.</summary>
    private static (string Command, string State, int Parent, string StartTime)? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var open = text.IndexOf('(');
            var close = text.LastIndexOf(')');
            var fields = text[(close + 2)..].Split(' ');
            return (text[(open + 1)..close], fields[0], int.Parse(fields[1]), fields[19]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
