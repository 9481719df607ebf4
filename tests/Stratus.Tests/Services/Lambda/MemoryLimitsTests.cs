using Stratus.Services.Lambda.Engine;

namespace Stratus.Tests.Services.Lambda;

/// <summary>Finding the memory controller and writing limits, on cgroup v1, v2 and hybrid layouts (a scratch directory stands in for /sys/fs/cgroup).</summary>
public sealed class MemoryLimitsTests : IDisposable
{
    private const string HybridMounts = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    private const string UnifiedMounts = """
        25 30 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("stratus-cgroups-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Resolve(string path) => Path.Combine(_root, path.TrimStart('/'));

    [Fact]
    public void Version_1_memory_hierarchy_is_preferred_and_the_process_own_group_is_the_parent()
    {
        var controller = MemoryLimits.FindController(HybridMounts, "4:memory:/process_api/abc\n1:cpu:/\n0::/\n");
        Assert.Equal(1, controller!.Version);
        Assert.Equal("/sys/fs/cgroup/memory/process_api/abc", controller.OwnDirectory);
    }

    [Fact]
    public void Unified_hierarchy_is_used_when_no_version_1_memory_controller_is_mounted()
    {
        var controller = MemoryLimits.FindController(UnifiedMounts, "0::/user.slice/stratus.service\n");
        Assert.Equal(2, controller!.Version);
        Assert.Equal("/sys/fs/cgroup/user.slice/stratus.service", controller.OwnDirectory);
    }

    [Fact]
    public void A_mount_of_a_subtree_is_joined_relative_to_its_root()
    {
        var mounts = "35 31 0:32 /docker/x /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n";
        Assert.Equal("/sys/fs/cgroup/memory/sub", MemoryLimits.FindController(mounts, "4:memory:/docker/x/sub\n")!.OwnDirectory);
        Assert.Null(MemoryLimits.FindController("31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n", "0::/\n"));
    }

    [Fact]
    public void Version_1_limits_memory_and_swap_and_reads_oom_kills()
    {
        var own = Directory.CreateDirectory(Resolve("/sys/fs/cgroup/memory/me")).FullName;
        var limits = MemoryLimits.Detect(HybridMounts, "4:memory:/me\n", "stratus-lambda-1", Resolve);
        Assert.True(limits.Enforced, limits.Description);
        Assert.Equal("enforced with cgroup v1", limits.Description);

        var environment = Path.Combine(own, "stratus-lambda-1", "env1");
        Directory.CreateDirectory(environment);
        // The kernel makes these files; the scratch directory needs them made.
        File.WriteAllText(Path.Combine(environment, "memory.limit_in_bytes"), "9223372036854771712\n");
        File.WriteAllText(Path.Combine(environment, "memory.memsw.limit_in_bytes"), "9223372036854771712\n");
        var cgroup = limits.Create("env1", 128)!;
        Assert.Equal("134217728", File.ReadAllText(Path.Combine(environment, "memory.limit_in_bytes")));
        Assert.Equal("134217728", File.ReadAllText(Path.Combine(environment, "memory.memsw.limit_in_bytes")));
        Assert.Equal([Path.Combine(environment, "cgroup.procs")], cgroup.ProcessesFiles);

        cgroup.Limit(512);
        Assert.Equal("536870912", File.ReadAllText(Path.Combine(environment, "memory.limit_in_bytes")));
        Assert.Equal("536870912", File.ReadAllText(Path.Combine(environment, "memory.memsw.limit_in_bytes")));

        File.WriteAllText(Path.Combine(environment, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
        Assert.False(cgroup.OutOfMemoryKilled());
        File.WriteAllText(Path.Combine(environment, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
        Assert.True(cgroup.OutOfMemoryKilled());
    }

    [Fact]
    public void Version_1_limits_processes_in_the_pids_hierarchy_and_joins_both_groups()
    {
        var mounts = HybridMounts + "\n38 31 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n";
        Directory.CreateDirectory(Resolve("/sys/fs/cgroup/memory/me"));
        var pids = Directory.CreateDirectory(Resolve("/sys/fs/cgroup/pids/me")).FullName;
        var limits = MemoryLimits.Detect(mounts, "8:pids:/me\n4:memory:/me\n", "stratus-lambda-1", Resolve);
        Assert.True(limits.ProcessesLimited, limits.ProcessLimitDescription);

        var cgroup = limits.Create("env1", 128)!;
        Assert.Equal("1024", File.ReadAllText(Path.Combine(pids, "stratus-lambda-1", "env1", "pids.max")));
        Assert.Equal([Path.Combine(cgroup.Directory, "cgroup.procs"), Path.Combine(pids, "stratus-lambda-1", "env1", "cgroup.procs")], cgroup.ProcessesFiles);

        Assert.False(MemoryLimits.Detect(HybridMounts, "4:memory:/me\n", "stratus-lambda-2", Resolve).ProcessesLimited);
    }

    [Fact]
    public void Version_2_enables_the_controller_for_its_children_and_writes_memory_max()
    {
        var own = Directory.CreateDirectory(Resolve("/sys/fs/cgroup/stratus.service")).FullName;
        File.WriteAllText(Path.Combine(own, "cgroup.controllers"), "cpu io memory pids\n");
        File.WriteAllText(Path.Combine(own, "cgroup.subtree_control"), "memory\n");
        var limits = MemoryLimits.Detect(UnifiedMounts, "0::/stratus.service\n", "stratus-lambda-1", Resolve);
        Assert.Equal("enforced with cgroup v2", limits.Description);
        Assert.Equal("+memory +pids", File.ReadAllText(Path.Combine(own, "stratus-lambda-1", "cgroup.subtree_control")));

        var cgroup = limits.Create("env1", 256)!;
        Assert.Equal("268435456", File.ReadAllText(Path.Combine(own, "stratus-lambda-1", "env1", "memory.max")));
        Assert.Equal("1024", File.ReadAllText(Path.Combine(own, "stratus-lambda-1", "env1", "pids.max")));
        Assert.Equal([Path.Combine(own, "stratus-lambda-1", "env1", "cgroup.procs")], cgroup.ProcessesFiles);
        File.WriteAllText(Path.Combine(cgroup.Directory, "memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
        Assert.True(cgroup.OutOfMemoryKilled());
    }

    [Fact]
    public void Version_2_without_the_memory_controller_says_why_limits_are_not_enforced()
    {
        var own = Directory.CreateDirectory(Resolve("/sys/fs/cgroup/user.slice")).FullName;
        File.WriteAllText(Path.Combine(own, "cgroup.controllers"), "cpu pids\n");
        var limits = MemoryLimits.Detect(UnifiedMounts, "0::/user.slice\n", "stratus-lambda-1", Resolve);
        Assert.False(limits.Enforced);
        Assert.Null(limits.Create("env1", 128));
        Assert.StartsWith("not enforced: the cgroup v2 hierarchy does not offer the memory controller", limits.Description);
        Assert.False(Directory.Exists(Path.Combine(own, "stratus-lambda-1")));
    }
}
