using System.Security.Cryptography;

namespace Stratus.Persistence;

/// <summary>
/// The data directory holds secrets (function environment variables in state.db and its -wal, access keys,
/// function code, databases): it and what Stratus keeps in it are its user's alone, directories 0700 and files
/// 0600, whatever the umask, and an existing directory is tightened at start-up.
/// </summary>
public static class DataDirectory
{
    public const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The folders services keep files in under the data dir: Lambda's code and runtimes, RDS's databases.</summary>
    private static readonly string[] ServiceFolders = ["lambda", "rds"];

    /// <summary>How deep start-up tightens directories: lambda/ and rds/, their folders, each database instance's and snapshot's home.</summary>
    private const int TightenedDepth = 4;

    /// <summary>Creates the directory 0700, or takes group and other access away from an existing one and what Stratus keeps in it.</summary>
    public static void Secure(string path)
    {
        CreatePrivate(path);
        // The services' folders are made here, 0700, before the services create what they keep in them with the umask's modes.
        foreach (var folder in ServiceFolders) CreatePrivate(Path.Combine(path, folder));
        if (OperatingSystem.IsWindows()) return;
        Tighten(path, 1);
    }

    /// <summary>Creates a directory (and missing parents) with mode 0700; an existing one is set to 0700.</summary>
    public static void CreatePrivate(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        Directory.CreateDirectory(path, PrivateDirectory);
        File.SetUnixFileMode(path, PrivateDirectory);
    }

    /// <summary>
    /// Writes a file that only its owner can read, created 0600 (never briefly readable by others), durably: its data is
    /// fdatasynced before the rename that publishes it, and the directory after, so a power loss leaves the old file or
    /// the whole new one (with <paramref name="durability"/> ephemeral, neither is synced).
    /// </summary>
    public static void WritePrivate(string path, ReadOnlySpan<byte> content, Durability? durability = null)
    {
        durability ??= Durability.Durable;
        var staging = path + ".tmp-" + Guid.NewGuid().ToString("N");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = PrivateFile;
        using (var file = new FileStream(staging, options))
        {
            file.Write(content);
            file.Flush();
            durability.DataSync(file.SafeFileHandle);
        }
        File.Move(staging, path, overwrite: true);
        durability.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>A random secret kept in a 0600 file, made on first use, so links and tokens it signs outlive a restart.</summary>
    public static byte[] ReadOrCreateSecret(string path, int bytes)
    {
        if (File.Exists(path))
        {
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, PrivateFile);
            var existing = File.ReadAllBytes(path);
            if (existing.Length == bytes) return existing;
        }
        var secret = RandomNumberGenerator.GetBytes(bytes);
        WritePrivate(path, secret);
        return secret;
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Tighten(string directory, int depth)
    {
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            // A link's mode is not its target's, and a target outside the data dir is not Stratus's to change.
            if (entry.LinkTarget is not null) continue;
            if (entry is DirectoryInfo sub)
            {
                if (depth >= TightenedDepth) continue;
                // What Lambda mounts into sandboxes (unpacked code, runtime clients, scratch space) keeps its modes below
                // its 0700 folder, its own folders included (a mount's root has its directory's mode): a sandboxed function
                // reads it as sbx_user1051. Only the stored zips become 0600.
                if (depth == 2 && sub.Parent?.Name == "lambda")
                {
                    TightenZips(sub);
                    continue;
                }
                // ECR's unpacked images are image functions' root file systems, read by the sandbox user: their modes are the image's.
                if (depth == 2 && sub.Parent?.Name == "ecr" && sub.Name == "rootfs") continue;
                sub.UnixFileMode = PrivateDirectory;
                Tighten(sub.FullName, depth + 1);
            }
            else if (depth == 1)
            {
                // state.db and its -wal/-shm, secrets. Files deeper down (database files, logs) are reachable only through
                // the 0700 directories above them.
                entry.UnixFileMode &= PrivateFile;
            }
        }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void TightenZips(DirectoryInfo directory)
    {
        foreach (var file in directory.EnumerateFiles("*.zip"))
            if (file.LinkTarget is null) file.UnixFileMode &= PrivateFile;
    }
}
