using System.Globalization;

namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// Enforces each execution environment's memory size with a memory cgroup of its own (cgroup v2's
/// <c>memory.max</c>, or cgroup v1's <c>memory.limit_in_bytes</c> where the v1 memory controller is mounted),
/// created under Stratus's own cgroup so that the kernel kills a function that outgrows its size, as Lambda
/// does, and its process count with the pids controller (<c>pids.max</c>, Lambda's 1,024 processes and
/// threads per environment) where that controller is available too. Where no writable memory controller
/// exists (no permission, no delegation) limits are not enforced and <see cref="Reason"/> says why.
/// </summary>
public sealed class MemoryLimits : IDisposable
{
    /// <summary>Lambda's quota of processes and threads in one execution environment.</summary>
    public const int MaxProcesses = 1024;
    private readonly string? _parent;
    private readonly string? _pidsParent;
    private readonly int _version;

    private MemoryLimits(string? parent, int version, string? reason, string? pidsParent = null, string? pidsReason = null)
    {
        _parent = parent;
        _version = version;
        _pidsParent = pidsParent;
        Reason = reason;
        ProcessLimitReason = pidsReason ?? (reason is null ? null : "no writable cgroup (as for memory)");
    }

    public bool Enforced => _parent is not null;

    /// <summary>Whether an environment's processes and threads are held to <see cref="MaxProcesses"/>.</summary>
    public bool ProcessesLimited => _pidsParent is not null;

    /// <summary>How limits are enforced ("cgroup v1"/"cgroup v2"), or why they are not.</summary>
    public string Description => Enforced ? $"enforced with cgroup v{_version}" : $"not enforced: {Reason}";

    /// <summary>The process limit, or why there is none.</summary>
    public string ProcessLimitDescription =>
        ProcessesLimited ? $"{MaxProcesses} processes and threads per environment (cgroup v{_version} pids)" : $"no process limit: {ProcessLimitReason}";

    public string? Reason { get; }

    public string? ProcessLimitReason { get; }

    public static MemoryLimits Disabled(string reason) => new(null, 0, reason);

    /// <summary>Finds the memory controller from the process's mount table and cgroup membership and makes Stratus's parent group.</summary>
    public static MemoryLimits Detect() =>
        Detect(Read("/proc/self/mountinfo"), Read("/proc/self/cgroup"), $"stratus-lambda-{Environment.ProcessId}", path => path);

    /// <param name="resolve">Maps a kernel path to where it is visible to this code (tests point it at a scratch directory).</param>
    public static MemoryLimits Detect(string mountInfo, string ownCgroups, string groupName, Func<string, string> resolve)
    {
        try
        {
            if (FindController(mountInfo, ownCgroups) is not { } controller)
                return Disabled("no memory cgroup controller is mounted");
            var own = resolve(controller.OwnDirectory);
            RemoveStaleGroups(own);
            var parent = Path.Combine(own, groupName);
            Directory.CreateDirectory(parent);
            if (controller.Version == 2 && !EnableV2MemoryController(own, parent, out var why))
            {
                TryRemove(parent);
                return Disabled(why);
            }
            var (pidsParent, pidsReason) = controller.Version == 2
                ? V2PidsParent(own, parent)
                : V1PidsParent(mountInfo, ownCgroups, groupName, resolve);
            return new MemoryLimits(parent, controller.Version, null, pidsParent, pidsReason);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Disabled($"the memory cgroup is not writable ({e.Message.TrimEnd('.')}); run Stratus as root or with a delegated cgroup");
        }
    }

    /// <summary>A cgroup for one environment, limited to <paramref name="memoryMb"/> and <see cref="MaxProcesses"/>; null when limits are not enforced.</summary>
    public EnvironmentCgroup? Create(string environmentId, int memoryMb)
    {
        if (_parent is null) return null;
        var directory = Path.Combine(_parent, environmentId);
        var pidsDirectory = _pidsParent is null ? null : Path.Combine(_pidsParent, environmentId);
        try
        {
            Directory.CreateDirectory(directory);
            if (pidsDirectory is not null) Directory.CreateDirectory(pidsDirectory);
            var cgroup = new EnvironmentCgroup(directory, _version, pidsDirectory);
            cgroup.Limit(memoryMb);
            cgroup.LimitProcesses(MaxProcesses);
            return cgroup;
        }
        catch (IOException)
        {
            TryRemove(directory);
            if (pidsDirectory is not null) TryRemove(pidsDirectory);
            return null;
        }
    }

    /// <summary>Removes Stratus's parent groups (environments' groups are removed as they end).</summary>
    public void Dispose()
    {
        foreach (var parent in new[] { _parent, _pidsParent }.OfType<string>().Distinct())
        {
            foreach (var child in SafeDirectories(parent)) TryRemove(child);
            TryRemove(parent);
        }
    }

    internal sealed record Controller(int Version, string OwnDirectory);

    /// <summary>The controller's directory for this process: v1's hierarchy of <paramref name="name"/> if mounted, else the v2 hierarchy (which may or may not offer it).</summary>
    internal static Controller? FindController(string mountInfo, string ownCgroups, string name = "memory")
    {
        string? v1Mount = null, v1Root = null, v2Mount = null, v2Root = null;
        foreach (var line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // mountinfo: id parent major:minor root mount-point options [optional fields] - fstype source super-options
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || separator < 0 || separator + 3 >= fields.Length) continue;
            var (root, mountPoint, fsType, superOptions) = (Unescape(fields[3]), Unescape(fields[4]), fields[separator + 1], fields[separator + 3]);
            if (fsType == "cgroup" && superOptions.Split(',').Contains(name)) (v1Mount, v1Root) = (mountPoint, root);
            else if (fsType == "cgroup2" && v2Mount is null) (v2Mount, v2Root) = (mountPoint, root);
        }

        foreach (var line in ownCgroups.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            if (v1Mount is not null && parts[1].Split(',').Contains(name))
                return new Controller(1, Under(v1Mount, v1Root!, parts[2]));
            if (v1Mount is null && v2Mount is not null && parts[0] == "0" && parts[1] == "")
                return new Controller(2, Under(v2Mount, v2Root!, parts[2]));
        }
        return null;
    }

    /// <summary>
    /// cgroup v2 gives a group's children a controller only through the group's subtree_control, and never to a
    /// group that holds processes (except the root). Memory is required; pids joins it where the hierarchy offers it.
    /// </summary>
    private static bool EnableV2MemoryController(string own, string parent, out string reason)
    {
        reason = "";
        var offered = ReadWords(Path.Combine(own, "cgroup.controllers"));
        if (!offered.Contains("memory"))
        {
            reason = "the cgroup v2 hierarchy does not offer the memory controller to Stratus's cgroup (delegate it, e.g. systemd-run --property=Delegate=yes)";
            return false;
        }
        var wanted = offered.Contains("pids") ? "+memory +pids" : "+memory";
        try
        {
            var enabled = ReadWords(Path.Combine(own, "cgroup.subtree_control"));
            if (!enabled.Contains("memory") || (offered.Contains("pids") && !enabled.Contains("pids")))
                File.WriteAllText(Path.Combine(own, "cgroup.subtree_control"), wanted);
            File.WriteAllText(Path.Combine(parent, "cgroup.subtree_control"), wanted);
            return true;
        }
        catch (IOException e)
        {
            reason = $"the memory controller cannot be enabled below Stratus's own cgroup ({e.Message.TrimEnd('.')}); run Stratus in a delegated cgroup of its own";
            return false;
        }
    }

    private static (string? Parent, string? Reason) V2PidsParent(string own, string parent) =>
        ReadWords(Path.Combine(own, "cgroup.controllers")).Contains("pids")
            ? (parent, null)
            : (null, "the cgroup v2 hierarchy does not offer the pids controller to Stratus's cgroup");

    /// <summary>cgroup v1 mounts the pids controller as a hierarchy of its own: Stratus's parent group there, as for memory.</summary>
    private static (string? Parent, string? Reason) V1PidsParent(string mountInfo, string ownCgroups, string groupName, Func<string, string> resolve)
    {
        if (FindController(mountInfo, ownCgroups, "pids") is not { Version: 1 } controller)
            return (null, "no cgroup v1 pids controller is mounted");
        try
        {
            var own = resolve(controller.OwnDirectory);
            RemoveStaleGroups(own);
            var parent = Path.Combine(own, groupName);
            Directory.CreateDirectory(parent);
            return (parent, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"the pids cgroup is not writable ({e.Message.TrimEnd('.')})");
        }
    }

    /// <summary>Groups left by a Stratus that was killed: empty once their processes died, so removable.</summary>
    private static void RemoveStaleGroups(string own)
    {
        foreach (var group in SafeDirectories(own).Where(d => Path.GetFileName(d).StartsWith("stratus-lambda-", StringComparison.Ordinal)))
        {
            if (int.TryParse(Path.GetFileName(group)["stratus-lambda-".Length..], out var pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                foreach (var child in SafeDirectories(group)) TryRemove(child);
                TryRemove(group);
            }
        }
    }

    private static string Under(string mountPoint, string mountRoot, string path)
    {
        var relative = mountRoot == "/" || !path.StartsWith(mountRoot, StringComparison.Ordinal) ? path : path[mountRoot.Length..];
        return Path.Combine(mountPoint, relative.TrimStart('/'));
    }

    private static string Unescape(string field) => field.Replace("\\040", " ", StringComparison.Ordinal);

    private static string[] ReadWords(string path) =>
        File.Exists(path) ? File.ReadAllText(path).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries) : [];

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : "";

    private static IEnumerable<string> SafeDirectories(string path)
    {
        try { return Directory.Exists(path) ? Directory.GetDirectories(path) : []; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }

    internal static void TryRemove(string directory)
    {
        try
        {
            // A cgroup's control files are not removable; rmdir of the group is the only way to delete it.
            if (Directory.Exists(directory)) Directory.Delete(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Still has processes (they are being killed): the next start of Stratus removes it.
        }
    }
}

/// <summary>One environment's cgroup: its limits, the files its processes join, and whether the kernel killed it for memory.</summary>
/// <param name="pidsDirectory">The group of the pids controller: the same directory on v2, one in the pids hierarchy on v1, null without it.</param>
public sealed class EnvironmentCgroup(string directory, int version, string? pidsDirectory = null)
{
    public string Directory { get; } = directory;

    /// <summary>Writing a process id into each of these moves it into the groups; children it starts afterwards stay in them.</summary>
    public IReadOnlyList<string> ProcessesFiles { get; } =
        pidsDirectory is null || pidsDirectory == directory
            ? [Path.Combine(directory, "cgroup.procs")]
            : [Path.Combine(directory, "cgroup.procs"), Path.Combine(pidsDirectory, "cgroup.procs")];

    /// <summary>Holds the group to <paramref name="count"/> processes and threads: fork and clone fail with EAGAIN beyond it.</summary>
    public void LimitProcesses(int count)
    {
        if (pidsDirectory is not null)
            File.WriteAllText(Path.Combine(pidsDirectory, "pids.max"), count.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Sets the limit; swap is not allowed beyond it (Lambda has none). Throws IOException when the group already uses more.</summary>
    public void Limit(int memoryMb)
    {
        var bytes = ((long)memoryMb * 1024 * 1024).ToString(CultureInfo.InvariantCulture);
        if (version == 2)
        {
            File.WriteAllText(Path.Combine(Directory, "memory.max"), bytes);
            WriteIfPresent("memory.swap.max", "0");
            return;
        }
        // v1 requires memory+swap >= memory at every step, so the order depends on the direction of the change.
        var swap = Path.Combine(Directory, "memory.memsw.limit_in_bytes");
        var limit = Path.Combine(Directory, "memory.limit_in_bytes");
        var current = File.Exists(limit) && long.TryParse(File.ReadAllText(limit).Trim(), out var value) ? value : long.MaxValue;
        if (current > (long)memoryMb * 1024 * 1024)
        {
            File.WriteAllText(limit, bytes);
            WriteIfPresent("memory.memsw.limit_in_bytes", bytes);
        }
        else
        {
            if (File.Exists(swap)) File.WriteAllText(swap, bytes);
            File.WriteAllText(limit, bytes);
        }
    }

    /// <summary>True when the kernel's out-of-memory killer has killed a process of this group.</summary>
    public bool OutOfMemoryKilled()
    {
        var file = Path.Combine(Directory, version == 2 ? "memory.events" : "memory.oom_control");
        try
        {
            if (!File.Exists(file)) return false;
            return File.ReadLines(file).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Any(parts => parts.Length == 2 && parts[0] == "oom_kill" && long.TryParse(parts[1], out var kills) && kills > 0);
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Remove()
    {
        MemoryLimits.TryRemove(Directory);
        if (pidsDirectory is not null && pidsDirectory != Directory) MemoryLimits.TryRemove(pidsDirectory);
    }

    private void WriteIfPresent(string name, string value)
    {
        var path = Path.Combine(Directory, name);
        if (File.Exists(path)) File.WriteAllText(path, value);
    }
}
