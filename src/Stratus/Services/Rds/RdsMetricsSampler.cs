using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using Stratus.Services.CloudWatch;
using Stratus.Services.Rds.Engine;

namespace Stratus.Services.Rds;

/// <summary>
/// Measures one instance's server and publishes AWS/RDS datapoints with the DBInstanceIdentifier dimension. CPU and I/O
/// come from the server's process tree in /proc (PostgreSQL's postmaster and its backends; a reaped child's counters
/// are its parent's from then on, so the sums only grow): CPUUtilization is the share of this machine's CPUs the tree
/// used since the last sample (or since the server started, for the first), ReadThroughput/WriteThroughput the bytes
/// it read from and wrote to storage per second (/proc/PID/io read_bytes, write_bytes). ReadIOPS/WriteIOPS are the storage
/// operations per second the kernel counted in the server's block-I/O cgroup (/proc has bytes and system calls, not
/// operations); without such a cgroup they are not published.
/// </summary>
public sealed class RdsMetricsSampler(IMetricPublisher metrics, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, ProcessTreeCounters> _previous = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StorageOperations> _previousOperations = new(StringComparer.Ordinal);

    public async Task SampleAsync(DbInstance instance, IDbServer server, CancellationToken cancellation)
    {
        var now = clock.GetUtcNow();
        var sample = await server.SampleAsync(cancellation);
        Publish(instance, "DatabaseConnections", sample.Connections, "Count", now);
        if (sample.ReplicaLagSeconds is { } lag) Publish(instance, "ReplicaLag", Math.Max(0, lag), "Seconds", now);
        if (Directory.Exists(server.DataDir)) Publish(instance, "FreeStorageSpace", new DriveInfo(server.DataDir).AvailableFreeSpace, "Bytes", now);

        if (server.ProcessId is not { } pid || ProcessTreeCounters.Read(pid) is not { } counters) return;
        PublishOperations(instance, server, counters, now);
        var since = _previous.TryGetValue(instance.ResourceId, out var previous) && previous.Pid == pid ? previous : counters.AtStart();
        _previous[instance.ResourceId] = counters;
        var seconds = counters.UptimeSeconds - since.UptimeSeconds;
        var cpuTicks = counters.CpuTicks - since.CpuTicks;
        var read = counters.ReadBytes - since.ReadBytes;
        var written = counters.WriteBytes - since.WriteBytes;
        // Too short an interval, or counters that went back (a process of the tree gone but not yet reaped), measure nothing.
        if (seconds < 1 || cpuTicks < 0 || read < 0 || written < 0) return;
        Publish(instance, "CPUUtilization", 100.0 * cpuTicks / ProcessTreeCounters.ClockTicksPerSecond / seconds / Environment.ProcessorCount, "Percent", now);
        Publish(instance, "ReadThroughput", read / seconds, "Bytes/Second", now);
        Publish(instance, "WriteThroughput", written / seconds, "Bytes/Second", now);
    }

    /// <summary>ReadIOPS/WriteIOPS since the last sample (the first: since the server started, its group counting from zero).</summary>
    private void PublishOperations(DbInstance instance, IDbServer server, ProcessTreeCounters counters, DateTimeOffset now)
    {
        if (server.StorageCgroup?.Operations() is not { } operations) return;
        var current = new StorageOperations(counters.UptimeSeconds, operations.Reads, operations.Writes);
        var since = _previousOperations.TryGetValue(instance.ResourceId, out var previous) ? previous : new StorageOperations(counters.StartSeconds, 0, 0);
        _previousOperations[instance.ResourceId] = current;
        var seconds = current.UptimeSeconds - since.UptimeSeconds;
        // Too short an interval measures nothing; the group's counters only grow while it lives.
        if (seconds < 1 || current.Reads < since.Reads || current.Writes < since.Writes) return;
        Publish(instance, "ReadIOPS", (current.Reads - since.Reads) / seconds, "Count/Second", now);
        Publish(instance, "WriteIOPS", (current.Writes - since.Writes) / seconds, "Count/Second", now);
    }

    private sealed record StorageOperations(double UptimeSeconds, long Reads, long Writes);

    private void Publish(DbInstance instance, string name, double value, string unit, DateTimeOffset timestamp) =>
        metrics.Publish(new MetricDatum(instance.AccountId, instance.Region, RdsService.MetricsNamespace, name,
            [new("DBInstanceIdentifier", instance.Identifier)], value, unit, timestamp));
}

/// <summary>A process and its descendants' CPU time and storage I/O, read from /proc at one moment (seconds since boot).</summary>
public sealed record ProcessTreeCounters(int Pid, double UptimeSeconds, double StartSeconds, long CpuTicks, long ReadBytes, long WriteBytes)
{
    private const int ClockTicksName = 2; // _SC_CLK_TCK

    public static readonly long ClockTicksPerSecond = Math.Max(1, SystemConfiguration(ClockTicksName));

    /// <summary>The same process as it was when it started: nothing used yet.</summary>
    public ProcessTreeCounters AtStart() => this with { UptimeSeconds = StartSeconds, CpuTicks = 0, ReadBytes = 0, WriteBytes = 0 };

    /// <summary>The counters of the tree under <paramref name="pid"/>; null when the process is gone.</summary>
    public static ProcessTreeCounters? Read(int pid)
    {
        try
        {
            var uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
            var root = Stat(pid);
            if (root is null) return null;
            long cpu = 0, read = 0, written = 0;
            foreach (var member in Tree(pid))
            {
                if (Stat(member) is { } stat) cpu += stat.CpuTicks;
                var (r, w) = Io(member);
                read += r;
                written += w;
            }
            return new ProcessTreeCounters(pid, uptime, (double)root.Value.StartTicks / ClockTicksPerSecond, cpu, read, written);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The process and every live descendant (PostgreSQL forks a backend per connection and its helpers).</summary>
    private static List<int> Tree(int pid)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var candidate) || Stat(candidate) is not { } stat) continue;
            if (!children.TryGetValue(stat.ParentPid, out var list)) children[stat.ParentPid] = list = [];
            list.Add(candidate);
        }
        var tree = new List<int> { pid };
        for (var i = 0; i < tree.Count; i++)
            if (children.TryGetValue(tree[i], out var list)) tree.AddRange(list);
        return tree;
    }

    /// <summary>/proc/PID/stat after the command name: parent, own and reaped children's user and system time, start time.</summary>
    private static (int ParentPid, long CpuTicks, long StartTicks)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state): ppid is field 4, utime..cstime fields 14-17, starttime field 22.
        long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
        return ((int)Field(4), Field(14) + Field(15) + Field(16) + Field(17), Field(22));
    }

    private static (long Read, long Written) Io(int pid)
    {
        long read = 0, written = 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/io"))
            {
                if (line.StartsWith("read_bytes:", StringComparison.Ordinal)) read = long.Parse(line[11..].Trim(), CultureInfo.InvariantCulture);
                else if (line.StartsWith("write_bytes:", StringComparison.Ordinal)) written = long.Parse(line[12..].Trim(), CultureInfo.InvariantCulture);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return (read, written);
    }

    [DllImport("libc", EntryPoint = "sysconf")]
    private static extern long SystemConfiguration(int name);
}
