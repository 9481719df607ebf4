using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// The execution environment's sandbox, as AWS builds it: bubblewrap gives the runtime a root of its own in
/// which only the system (<c>/usr</c>, <c>/lib*</c>, <c>/bin</c>, <c>/sbin</c>, a short list of <c>/etc</c>
/// files and a generated <c>/etc/passwd</c>), the runtime's installation, the code at <c>/var/task</c>, the
/// runtime clients at <c>/var/runtime</c>, a private <c>/tmp</c> and its own <c>/proc</c> and <c>/dev</c> exist.
/// It runs as <c>sbx_user1051</c> (uid 993, gid 990, as on AWS) without capabilities or a way to gain them
/// (no_new_privs, no nested user namespaces), in its own PID, IPC, UTS and cgroup namespaces, and dies with Stratus.
/// How the unprivileged user is made depends on who runs Stratus, detected once. As root: bubblewrap sets the
/// sandbox up as root (it must reach code and runtimes under folders only root may enter) and <c>setpriv</c>
/// becomes uid 993 on the host, dropping every capability, before the runtime starts; a seccomp filter refuses
/// it new user namespaces (<see cref="UserNamespaceFilter"/>), so a function cannot gain capabilities over
/// namespaces of its own.
/// As any other user: a user namespace in which the runtime is uid 993 (Stratus's own uid on the host), where the
/// kernel lets an unprivileged process make one, again with nested user namespaces refused.
/// The network is the host's (see README, "Sandbox").
/// </summary>
public sealed partial class Sandbox
{
    public const int UserId = 993;
    public const int GroupId = 990;
    public const string UserName = "sbx_user1051";

    /// <summary>What a runtime needs from /etc: name resolution, TLS trust, the dynamic linker, time zones. Never shadow, sudoers, ssh keys, ...</summary>
    private static readonly string[] EtcEntries =
    [
        "resolv.conf", "hosts", "host.conf", "nsswitch.conf", "gai.conf", "protocols", "services", "networks",
        "ssl", "pki", "ca-certificates", "ca-certificates.conf", "crypto-policies", "ld.so.cache", "ld.so.conf", "ld.so.conf.d",
        "localtime", "timezone", "alternatives", "os-release", "mime.types", "dotnet",
    ];

    /// <summary>The system's directories, each bound read-only (or recreated as the symlink it is on a merged-/usr system).</summary>
    private static readonly string[] SystemRoots = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

    private enum Mode { None, UserNamespace, RootWithSetpriv }

    private readonly Mode _mode;
    private readonly string? _bubblewrap;
    private readonly string? _setpriv;
    private readonly string _passwd;
    private readonly string _group;
    private readonly List<string> _systemArguments;

    private Sandbox(Mode mode, string? bubblewrap, string? setpriv, string etcDir, string description, string? seccompFilter = null)
    {
        _mode = mode;
        SeccompFilter = seccompFilter;
        _bubblewrap = bubblewrap;
        _setpriv = setpriv;
        _passwd = Path.Combine(etcDir, "passwd");
        _group = Path.Combine(etcDir, "group");
        Description = description;
        _systemArguments = SystemArguments();
    }

    public bool Enabled => _mode != Mode.None;

    /// <summary>The compiled seccomp filter bubblewrap must read from descriptor 3 (<c>--seccomp 3</c>), or null.</summary>
    public string? SeccompFilter { get; }

    /// <summary>What isolates functions here, or what does not and why, for the health page.</summary>
    public string Description { get; }

    /// <param name="bubblewrap">bwrap's path, or null when it is not installed.</param>
    public static Sandbox Detect(string workDir, string? bubblewrap, string? setpriv)
    {
        var etcDir = Path.Combine(workDir, "sandbox-etc");
        Directory.CreateDirectory(etcDir);
        // AWS's /etc/passwd names the sandbox user; tools that look the uid up (whoami, getpass, ssh) need an entry.
        File.WriteAllText(Path.Combine(etcDir, "passwd"),
            $"root:x:0:0:root:/root:/sbin/nologin\n{UserName}:x:{UserId}:{GroupId}::/home/{UserName}:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n");
        File.WriteAllText(Path.Combine(etcDir, "group"), $"root:x:0:\n{UserName}:x:{GroupId}:\nnobody:x:65534:\n");
        if (bubblewrap is null)
            return new Sandbox(Mode.None, null, null, etcDir,
                "not sandboxed: bubblewrap (bwrap) is not installed, so functions run as Stratus's own user and see its files, with only a private TMPDIR");
        const string Common = "no capabilities, no new privileges, own mount, PID, IPC, UTS and cgroup namespaces, only the system, the runtime and the code visible; host network";
        if (geteuid() == 0)
        {
            if (setpriv is null)
                return new Sandbox(Mode.None, null, null, etcDir, "not sandboxed: setpriv (util-linux) is missing, so functions would keep root; install util-linux");
            var filter = UserNamespaceFilter(RuntimeInformation.ProcessArchitecture);
            string? filterFile = null;
            if (filter is not null) File.WriteAllBytes(filterFile = Path.Combine(etcDir, "no-user-namespaces.bpf"), filter);
            return new Sandbox(Mode.RootWithSetpriv, bubblewrap, setpriv, etcDir,
                $"sandboxed with bubblewrap: {UserName} (uid {UserId} on the host, set by setpriv), {(filter is not null ? "no new user namespaces (seccomp)" : "new user namespaces not filtered on this architecture")}, {Common}",
                filterFile);
        }
        if (Probe(bubblewrap))
            return new Sandbox(Mode.UserNamespace, bubblewrap, null, etcDir,
                $"sandboxed with bubblewrap: {UserName} (uid {UserId}) in a user namespace, uid {geteuid()} (Stratus's user) on the host, no nested user namespaces, {Common}");
        return new Sandbox(Mode.None, null, null, etcDir,
            "not sandboxed: bubblewrap cannot make a user namespace here (the kernel or AppArmor refuses unprivileged ones) and Stratus is not root, so functions run as Stratus's own user and see its files, with only a private TMPDIR");
    }

    /// <summary>
    /// Whether an unprivileged bubblewrap can make its user namespace (kernel.unprivileged_userns_clone, AppArmor's
    /// restriction, a container's seccomp policy all can refuse it): as Stratus's user, or, with <paramref name="setpriv"/>, as uid 993.
    /// </summary>
    private static bool Probe(string bubblewrap, string? setpriv = null)
    {
        var start = new ProcessStartInfo { FileName = setpriv ?? bubblewrap, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        var arguments = new List<string>();
        if (setpriv is not null) arguments.AddRange([.. DropToSandboxUser(), bubblewrap]);
        arguments.AddRange(["--unshare-user", "--disable-userns", "--uid", UserId.ToString(CultureInfo.InvariantCulture),
            "--ro-bind", "/", "/", "--", "/bin/true"]);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)!;
            if (!process.WaitForExit(5000))
            {
                process.Kill();
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>setpriv's arguments that become the sandbox user with no capabilities, no supplementary groups and no way back.</summary>
    private static string[] DropToSandboxUser() =>
        [$"--reuid={UserId}", $"--regid={GroupId}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"];

    /// <summary>
    /// The command line that runs <paramref name="command"/> in the sandbox. <paramref name="readOnlyTrees"/> are the
    /// runtime's installations outside the system directories (a pyenv Python, a .NET under /opt), bound at their own paths.
    /// </summary>
    /// <param name="optDir">The function's merged layers, bound read-only at /opt as AWS extracts them there; null without layers.</param>
    public List<string> Wrap(string taskRoot, string runtimeDir, IEnumerable<string> readOnlyTrees, long tmpBytes, IReadOnlyList<string> command, string? optDir = null)
    {
        if (_bubblewrap is null) return [.. command];
        var argv = new List<string>();
        argv.Add(_bubblewrap);
        if (_mode == Mode.UserNamespace)
            argv.AddRange(["--unshare-user", "--disable-userns", "--uid", UserId.ToString(CultureInfo.InvariantCulture),
                "--gid", GroupId.ToString(CultureInfo.InvariantCulture), "--cap-drop", "ALL"]);
        if (SeccompFilter is not null) argv.AddRange(["--seccomp", "3"]);
        argv.AddRange(["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "stratus-lambda",
            "--die-with-parent", "--new-session"]);
        argv.AddRange(_systemArguments);
        argv.AddRange(["--ro-bind", _passwd, "/etc/passwd", "--ro-bind", _group, "/etc/group"]);
        if (optDir is not null) argv.AddRange(["--ro-bind", optDir, LayerMount.SandboxOpt]);
        foreach (var tree in readOnlyTrees.Where(tree => !UnderSystemRoot(tree)).Distinct(StringComparer.Ordinal))
        {
            // bubblewrap makes missing parents 0700, which the sandbox user could not pass through.
            foreach (var parent in Ancestors(tree)) argv.AddRange(["--perms", "0755", "--dir", parent]);
            argv.AddRange(["--ro-bind", tree, tree]);
        }
        argv.AddRange(["--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", tmpBytes.ToString(CultureInfo.InvariantCulture), "--tmpfs", "/tmp",
            "--perms", "0755", "--dir", "/var", "--ro-bind", taskRoot, RuntimeLauncher.SandboxTaskRoot, "--ro-bind", runtimeDir, RuntimeLauncher.SandboxRuntimeDir,
            "--chdir", RuntimeLauncher.SandboxTaskRoot, "--"]);
        if (_mode == Mode.RootWithSetpriv) argv.AddRange([_setpriv!, .. DropToSandboxUser()]);
        argv.AddRange(command);
        return argv;
    }

    /// <summary>A path the system directories already show (a Python in /usr/bin needs nothing more).</summary>
    public static bool UnderSystemRoot(string path) =>
        SystemRoots.Any(root => path == root || path.StartsWith(root + "/", StringComparison.Ordinal));

    /// <summary>/a, /a/b for /a/b/c.</summary>
    private static IEnumerable<string> Ancestors(string path)
    {
        for (var slash = path.IndexOf('/', 1); slash > 0; slash = path.IndexOf('/', slash + 1)) yield return path[..slash];
    }

    private static List<string> SystemArguments()
    {
        var arguments = new List<string> { "--perms", "0755", "--dir", "/etc" };
        foreach (var root in SystemRoots)
        {
            var info = new DirectoryInfo(root);
            if (info.LinkTarget is { } target) arguments.AddRange(["--symlink", target, root]);
            else if (info.Exists) arguments.AddRange(["--ro-bind", root, root]);
        }
        foreach (var entry in EtcEntries.Concat(PythonEtcEntries()))
            if (Path.Exists(Path.Combine("/etc", entry))) arguments.AddRange(["--ro-bind", Path.Combine("/etc", entry), Path.Combine("/etc", entry)]);
        return arguments;
    }

    /// <summary>Debian's /etc/python3.X holds the sitecustomize.py its system Python imports at start.</summary>
    private static IEnumerable<string> PythonEtcEntries()
    {
        try
        {
            return Directory.EnumerateDirectories("/etc", "python3*").Select(Path.GetFileName).OfType<string>().ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>
    /// A classic BPF seccomp program: clone and unshare with CLONE_NEWUSER fail with EPERM; clone3 (whose flags a
    /// filter cannot read) fails with ENOSYS, on which glibc and the runtimes fall back to clone, as under Docker's
    /// default profile; a system call of another ABI (i386, x32) kills the process. Null on an architecture this
    /// does not know the system call numbers of.
    /// </summary>
    internal static byte[]? UserNamespaceFilter(Architecture architecture)
    {
        var (audit, clone, unshare) = architecture switch
        {
            Architecture.X64 => (0xC000003Eu, 56u, 272u),
            Architecture.Arm64 => (0xC00000B7u, 220u, 97u),
            _ => (0u, 0u, 0u),
        };
        if (audit == 0) return null;
        const ushort Load = 0x20, JumpEqual = 0x15, JumpAtLeast = 0x35, JumpAnyBit = 0x45, Return = 0x06;
        const uint Clone3 = 435, NewUser = 0x10000000, Allow = 0x7FFF0000, KillProcess = 0x80000000, ErrnoEperm = 0x00050001, ErrnoEnosys = 0x00050026;
        // seccomp_data: nr at 0, arch at 4, args[0] at 16 (its low 32 bits on these little-endian machines). Jumps count instructions skipped.
        (ushort Code, byte True, byte False, uint Value)[] program =
        [
            (Load, 0, 0, 4),                  // 0: arch
            (JumpEqual, 0, 10, audit),        // 1: another ABI -> 12
            (Load, 0, 0, 0),                  // 2: nr
            (JumpAtLeast, 8, 0, 0x40000000),  // 3: x32 -> 12
            (JumpEqual, 6, 0, Clone3),        // 4: -> 11
            (JumpEqual, 1, 0, unshare),       // 5: -> 7
            (JumpEqual, 0, 2, clone),         // 6: -> 7, else 9
            (Load, 0, 0, 16),                 // 7: flags
            (JumpAnyBit, 1, 0, NewUser),      // 8: -> 10, else 9
            (Return, 0, 0, Allow),            // 9
            (Return, 0, 0, ErrnoEperm),       // 10
            (Return, 0, 0, ErrnoEnosys),      // 11
            (Return, 0, 0, KillProcess),      // 12
        ];
        var bytes = new byte[program.Length * 8];
        for (var i = 0; i < program.Length; i++)
        {
            var (code, jumpTrue, jumpFalse, value) = program[i];
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 8), code);
            bytes[i * 8 + 2] = jumpTrue;
            bytes[i * 8 + 3] = jumpFalse;
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 8 + 4), value);
        }
        return bytes;
    }

    [DllImport("libc")]
    private static extern uint geteuid();
}
