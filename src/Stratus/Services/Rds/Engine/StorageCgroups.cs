using System.Globalization;
using Stratus.Services.Lambda.Engine;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// Gives each database server a block-I/O cgroup of its own, so that its ReadIOPS/WriteIOPS are the storage operations
/// the kernel issued for its processes (what RDS counts), not system calls: cgroup v1's blkio controller
/// (<c>blkio.throttle.io_serviced_recursive</c>, Read and Write per device) or cgroup v2's io controller (<c>io.stat</c>'s
/// rios and wios). The groups live under Stratus's own cgroup in a parent of this process (found as Lambda finds its
/// memory controller). cgroup v1 counts a disk's operations only once throttling is active on it, so the data disk gets
/// an unlimited rule in each server's group: nothing is throttled. Where no group can be made (not root, no controller, the
/// data on no block device) the servers run as before and <see cref="Reason"/> says why the two metrics are not published.
/// </summary>
public sealed class StorageCgroups : IDisposable
{
    private const string GroupPrefix = "stratus-rds-";
    /// <summary>cgroup v1's "no limit" for an operations-per-second rule (UINT_MAX).</summary>
    private const string Unlimited = "4294967295";

    private readonly string? _parent;
    private readonly int _version;
    private readonly string? _disk;

    private StorageCgroups(string? parent, int version, string? disk, string? reason)
    {
        _parent = parent;
        _version = version;
        _disk = disk;
        Reason = reason;
    }

    public bool Counting => _parent is not null;

    /// <summary>Why servers' storage operations are not counted; null when they are.</summary>
    public string? Reason { get; }

    /// <summary>How ReadIOPS/WriteIOPS are measured, or why they are not published (for the health page).</summary>
    public string Description => Counting
        ? $"ReadIOPS/WriteIOPS from each server's cgroup v{_version} {(_version == 1 ? "blkio" : "io")} counters"
        : $"ReadIOPS/WriteIOPS not published: {Reason}";

    public static StorageCgroups Disabled(string reason) => new(null, 0, null, reason);

    /// <summary>Finds the block-I/O controller from this process's mount table and cgroups, for servers whose data lives under <paramref name="dataRoot"/>.</summary>
    public static StorageCgroups Detect(string dataRoot)
    {
        var mountInfo = Read("/proc/self/mountinfo");
        try
        {
            if (MemoryLimits.FindController(mountInfo, Read("/proc/self/cgroup"), "blkio") is not { } controller)
                return Disabled("no cgroup block-I/O controller is mounted");
            var disk = controller.Version == 1 ? WholeDiskOf(mountInfo, Path.GetFullPath(dataRoot)) : null;
            if (controller.Version == 1 && disk is null)
                return Disabled("the RDS data directory is on no block device (tmpfs or overlay), so there are no storage operations to count");
            var own = controller.OwnDirectory;
            RemoveStaleGroups(own);
            var parent = Path.Combine(own, GroupPrefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            if (controller.Version == 2 && EnableV2IoController(own) is { } why) return Disabled(why);
            Directory.CreateDirectory(parent);
            if (controller.Version == 2) File.WriteAllText(Path.Combine(parent, "cgroup.subtree_control"), "+io");
            return new StorageCgroups(parent, controller.Version, disk, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Disabled($"the block-I/O cgroup is not writable ({e.Message.TrimEnd('.')}); run Stratus as root or in a delegated cgroup");
        }
    }

    /// <summary>The group of one server (kept across its restarts, so its counters only grow); null when not counting or it cannot be made.</summary>
    public ServerCgroup? For(string resourceId)
    {
        if (_parent is null) return null;
        var directory = Path.Combine(_parent, resourceId);
        try
        {
            Directory.CreateDirectory(directory);
            if (_version == 1) File.WriteAllText(Path.Combine(directory, "blkio.throttle.read_iops_device"), $"{_disk} {Unlimited}");
            return new ServerCgroup(directory, _version);
        }
        catch (IOException)
        {
            MemoryLimits.TryRemove(directory);
            return null;
        }
    }

    public void Dispose()
    {
        if (_parent is null) return;
        foreach (var child in SafeDirectories(_parent)) MemoryLimits.TryRemove(child);
        MemoryLimits.TryRemove(_parent);
    }

    /// <summary>cgroup v2 gives children the io controller only through each ancestor's subtree_control; the reason when it cannot.</summary>
    private static string? EnableV2IoController(string own)
    {
        if (!ReadWords(Path.Combine(own, "cgroup.controllers")).Contains("io"))
            return "the cgroup v2 hierarchy does not offer the io controller to Stratus's cgroup (delegate it, e.g. systemd-run --property=Delegate=yes)";
        try
        {
            if (!ReadWords(Path.Combine(own, "cgroup.subtree_control")).Contains("io"))
                File.WriteAllText(Path.Combine(own, "cgroup.subtree_control"), "+io");
            return null;
        }
        catch (IOException e)
        {
            return $"the io controller cannot be enabled below Stratus's own cgroup ({e.Message.TrimEnd('.')}); run Stratus in a delegated cgroup of its own";
        }
    }

    /// <summary>
    /// The whole disk (major:minor) holding <paramref name="path"/>: its mount from mountinfo (the longest mount point above
    /// it), then the partition's parent in /sys, as throttle rules name disks, not partitions. Null for a file system without
    /// a block device (major 0).
    /// </summary>
    internal static string? WholeDiskOf(string mountInfo, string path)
    {
        string? device = null;
        var longest = -1;
        foreach (var line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            if (fields.Length < 5) continue;
            var mountPoint = fields[4].Replace("\\040", " ", StringComparison.Ordinal);
            var under = mountPoint == "/" || path == mountPoint || path.StartsWith(mountPoint + "/", StringComparison.Ordinal);
            if (under && mountPoint.Length >= longest) (device, longest) = (fields[2], mountPoint.Length);
        }
        if (device is null || device.StartsWith("0:", StringComparison.Ordinal)) return null;
        var sys = $"/sys/dev/block/{device}";
        if (!File.Exists(Path.Combine(sys, "partition"))) return device;
        var parent = Path.Combine(sys, "..", "dev");
        return File.Exists(parent) ? File.ReadAllText(parent).Trim() : null;
    }

    /// <summary>Groups of a Stratus that was killed: removable once their servers are gone.</summary>
    private static void RemoveStaleGroups(string own)
    {
        foreach (var group in SafeDirectories(own).Where(d => Path.GetFileName(d).StartsWith(GroupPrefix, StringComparison.Ordinal)))
        {
            if (!int.TryParse(Path.GetFileName(group)[GroupPrefix.Length..], out var pid) || pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}")) continue;
            foreach (var child in SafeDirectories(group)) MemoryLimits.TryRemove(child);
            MemoryLimits.TryRemove(group);
        }
    }

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : "";

    private static string[] ReadWords(string path) =>
        File.Exists(path) ? File.ReadAllText(path).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries) : [];

    private static IEnumerable<string> SafeDirectories(string path)
    {
        try { return Directory.Exists(path) ? Directory.GetDirectories(path) : []; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }
}

/// <summary>One server's block-I/O cgroup: the file its launcher joins, and the storage operations its processes caused so far.</summary>
public sealed class ServerCgroup(string directory, int version)
{
    public string ProcessesFile { get; } = Path.Combine(directory, "cgroup.procs");

    /// <summary>
    /// Makes <paramref name="start"/> join the group before it runs the server (a shell that writes its own pid and execs
    /// the program), so every process the server forks is counted, and the server keeps the pid Stratus started.
    /// </summary>
    public void Join(System.Diagnostics.ProcessStartInfo start)
    {
        string[] prefix = ["-c", "echo $$ > \"$0\" || exit 125; exec \"$@\"", ProcessesFile, start.FileName];
        start.FileName = "/bin/sh";
        for (var i = 0; i < prefix.Length; i++) start.ArgumentList.Insert(i, prefix[i]);
    }

    /// <summary>Read and write operations issued to storage since the group was made, over every device; null when unreadable.</summary>
    public (long Reads, long Writes)? Operations()
    {
        try
        {
            return version == 1 ? V1(File.ReadAllLines(Path.Combine(directory, "blkio.throttle.io_serviced_recursive")))
                : V2(File.ReadAllLines(Path.Combine(directory, "io.stat")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    public void Remove() => MemoryLimits.TryRemove(directory);

    /// <summary>v1: "MAJ:MIN Read N" and "MAJ:MIN Write N" per device, and a last "Total N".</summary>
    internal static (long, long) V1(IEnumerable<string> lines)
    {
        long reads = 0, writes = 0;
        foreach (var parts in lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(p => p.Length == 3))
        {
            if (parts[1] == "Read") reads += long.Parse(parts[2], CultureInfo.InvariantCulture);
            else if (parts[1] == "Write") writes += long.Parse(parts[2], CultureInfo.InvariantCulture);
        }
        return (reads, writes);
    }

    /// <summary>v2: "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.. dbytes=.. dios=.." per device.</summary>
    internal static (long, long) V2(IEnumerable<string> lines)
    {
        long reads = 0, writes = 0;
        foreach (var pair in lines.SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)))
        {
            if (pair.StartsWith("rios=", StringComparison.Ordinal)) reads += long.Parse(pair[5..], CultureInfo.InvariantCulture);
            else if (pair.StartsWith("wios=", StringComparison.Ordinal)) writes += long.Parse(pair[5..], CultureInfo.InvariantCulture);
        }
        return (reads, writes);
    }
}
