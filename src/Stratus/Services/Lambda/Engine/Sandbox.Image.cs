using System.Globalization;

namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// The sandbox of a container image function: the unpacked image is the whole root, read-only, with a private
/// /tmp of the function's EphemeralStorage size and its own /proc and /dev over it; the same user
/// (sbx_user1051, uid 993, no capabilities, no nested user namespaces) and namespaces as a zip function's.
/// Nothing of the host's file system is visible. The image's mount points (/proc, /dev, /tmp) need not exist:
/// the root is a fresh tmpfs holding the image's top-level entries, made read-only once they are in place, so
/// a <c>FROM scratch</c> image runs as built.
/// </summary>
public sealed partial class Sandbox
{
    /// <summary>Where, as root, the first bubblewrap shows the image to the unprivileged one that makes it the root.</summary>
    private const string StagedImage = "/image";

    /// <summary>Entries of the image the sandbox provides itself.</summary>
    private static readonly HashSet<string> ProvidedEntries = new(StringComparer.Ordinal) { "proc", "dev", "tmp" };

    private bool? _sandboxUserNamespaces;

    /// <summary>As root, whether uid 993 may make the user namespace the image's root is built in: probed on the first image function only.</summary>
    private bool SandboxUserNamespaces => _sandboxUserNamespaces ??= Probe(_bubblewrap!, _setpriv);

    /// <summary>Why image functions cannot run on this machine (naming what is missing), or null when they can.</summary>
    public string? ImageSandboxUnavailable =>
        _mode == Mode.None
            ? $"Stratus runs container image functions only inside bubblewrap's sandbox, and here functions are {Description}."
            : _mode == Mode.RootWithSetpriv && !SandboxUserNamespaces
                ? $"Stratus runs container image functions in a user namespace made by bubblewrap as uid {UserId}, which the kernel refuses here (unprivileged user namespaces are turned off)."
                : null;

    /// <summary>The command line that runs <paramref name="command"/> with the image at <paramref name="rootFs"/> as its root.</summary>
    public List<string> WrapImage(string rootFs, long tmpBytes, string workingDirectory, IReadOnlyList<string> command)
    {
        if (ImageSandboxUnavailable is { } reason) throw new InvalidOperationException(reason);
        var argv = new List<string> { _bubblewrap! };
        var source = rootFs;
        if (_mode == Mode.RootWithSetpriv)
        {
            // As root: show the image (wherever Stratus keeps it, under folders uid 993 may not enter) and the host's
            // bubblewrap and setpriv, then become uid 993 and let an unprivileged bubblewrap make the image the root.
            argv.AddRange(["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session"]);
            argv.AddRange(_systemArguments);
            // The unprivileged bubblewrap builds its root on a tmpfs it mounts at /tmp, so the first one provides that /tmp.
            argv.AddRange(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--ro-bind", rootFs, StagedImage,
                "--", _setpriv!, .. DropToSandboxUser(), _bubblewrap!]);
            source = StagedImage;
        }
        var staged = source == StagedImage;
        // The seccomp filter (descriptor 3, opened by the launcher's shell and passed through the first bubblewrap and setpriv)
        // is installed by the bubblewrap that makes the user namespace, after making it, so the image's processes cannot make more.
        if (SeccompFilter is not null) argv.AddRange(["--seccomp", "3"]);
        argv.AddRange(["--unshare-user", "--disable-userns", "--uid", UserId.ToString(CultureInfo.InvariantCulture),
            "--gid", GroupId.ToString(CultureInfo.InvariantCulture), "--cap-drop", "ALL",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "stratus-lambda", "--die-with-parent", "--new-session"]);
        // The kernel lets a nested user namespace mount proc only where no part of proc is hidden, which bubblewrap's /proc
        // is not: staged, the first bubblewrap's PID namespace, /proc and /dev are passed on; alone, bubblewrap makes its own.
        if (!staged) argv.Add("--unshare-pid");
        foreach (var entry in new DirectoryInfo(rootFs).EnumerateFileSystemInfos())
        {
            if (ProvidedEntries.Contains(entry.Name)) continue;
            var target = "/" + entry.Name;
            // A symlink is recreated, never followed: /lib64 -> usr/lib64 stays inside the image.
            if (entry.LinkTarget is { } link) argv.AddRange(["--symlink", link, target]);
            else argv.AddRange(["--ro-bind", source + target, target]);
        }
        argv.AddRange(staged ? ["--bind", "/proc", "/proc", "--dev-bind", "/dev", "/dev"] : ["--proc", "/proc", "--dev", "/dev"]);
        argv.AddRange(["--perms", "1777", "--size", tmpBytes.ToString(CultureInfo.InvariantCulture), "--tmpfs", "/tmp",
            "--remount-ro", "/", "--chdir", workingDirectory, "--"]);
        argv.AddRange(command);
        return argv;
    }
}
