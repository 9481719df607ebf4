using System.Globalization;

namespace Stratus.Persistence;

/// <summary>
/// A temp directory an ephemeral Stratus removes when it stops, marked with its owner (pid and the process's
/// start time, so a reused pid is not mistaken for it) so that the next Stratus can remove what one killed with
/// kill -9 left behind (function code among it).
/// </summary>
public static class OwnedTempDirectory
{
    public const string OwnerFile = ".stratus-owner";

    /// <summary>Removes orphans with this prefix, then creates a fresh directory (0700) marked as this process's.</summary>
    public static string Create(string prefix)
    {
        RemoveOrphans(prefix);
        var directory = Directory.CreateTempSubdirectory(prefix).FullName;
        DataDirectory.WritePrivate(Path.Combine(directory, OwnerFile), System.Text.Encoding.ASCII.GetBytes(OwnerOf(Environment.ProcessId) ?? ""));
        return directory;
    }

    /// <summary>Removes the temp directories with this prefix whose owner process is gone; returns how many.</summary>
    public static int RemoveOrphans(string prefix)
    {
        var removed = 0;
        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), prefix + "*"))
        {
            try
            {
                // Never follow a link planted in the shared temp dir, and leave unmarked directories alone: an older
                // Stratus's, or one being created this instant.
                if (new DirectoryInfo(directory).LinkTarget is not null) continue;
                var marker = Path.Combine(directory, OwnerFile);
                if (!File.Exists(marker) || File.ReadAllText(marker).Trim() is not { Length: > 0 } owner || IsAlive(owner)) continue;
                RemoveTree(directory);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another user's: not ours to clean.
            }
        }
        return removed;
    }

    /// <summary>
    /// Removes a tree that other Stratus processes starting at the same moment may be removing too: what one of them
    /// removed first is skipped, not an error. Directory.Delete(recursive) gives up at the first entry another remover
    /// took, so concurrent sweeps of one orphan all failed and left it behind (test hosts start many Stratus at once).
    /// </summary>
    private static void RemoveTree(string directory)
    {
        try
        {
            foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
            {
                // A link is removed, never followed.
                if (entry is DirectoryInfo { LinkTarget: null }) RemoveTree(entry.FullName);
                else IgnoringWhatIsGone(entry.Delete);
            }
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }
        IgnoringWhatIsGone(() => Directory.Delete(directory));
    }

    private static void IgnoringWhatIsGone(Action remove)
    {
        try { remove(); }
        catch (DirectoryNotFoundException) { }
    }

    /// <summary>"PID STARTTIME" for a live process (start time in clock ticks since boot, from /proc), null when it is gone.</summary>
    public static string? OwnerOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces and parentheses: fields are counted after its closing parenthesis.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return $"{pid} {fields[19]}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Whether the process <see cref="OwnerOf"/> described as <paramref name="owner"/> still runs (not a later one reusing its pid).</summary>
    public static bool IsAlive(string owner)
    {
        var space = owner.IndexOf(' ');
        return space > 0 && int.TryParse(owner[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && OwnerOf(pid) == owner;
    }
}
