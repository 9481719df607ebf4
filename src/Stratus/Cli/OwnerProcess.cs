using System.Globalization;
using Stratus.Persistence;

namespace Stratus.Cli;

/// <summary>
/// `stratus start` on another process's behalf: with STRATUS_STOP_WITH naming an owner process it stops as on
/// SIGTERM, stopping everything it started, once that owner is gone. The test suite sets it, so a test host killed
/// by its timeout cannot leave servers, databases and functions running. The owner is written as
/// <see cref="OwnedTempDirectory.OwnerOf"/> writes one ("PID STARTTIME", so a pid reused later is not mistaken for
/// it), or as a bare pid, meaning the process running under that id as the server starts.
/// </summary>
public static class OwnerProcess
{
    public const string Variable = "STRATUS_STOP_WITH";

    /// <summary>How often the owner is looked for: a stopped owner's servers go within a second or two.</summary>
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The owner a STRATUS_STOP_WITH value names, or null when it names none. A bare pid means the process running
    /// under it now; none running means the owner is already gone, and the server stops at once.
    /// </summary>
    public static string? Parse(string? value)
    {
        value = value?.Trim();
        if (string.IsNullOrEmpty(value)) return null;
        var parts = value.Split(' ');
        if (parts.Length > 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0
            || (parts.Length == 2 && !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            throw new ArgumentException($"{Variable} must name a process: its id, or \"PID STARTTIME\"; not '{value}'.");
        return parts.Length == 2 ? value : OwnedTempDirectory.OwnerOf(pid) ?? value;
    }

    /// <summary>Calls <paramref name="stop"/> once the owner has gone; returns when it has, or when cancelled.</summary>
    public static async Task WatchAsync(string owner, Action stop, CancellationToken cancellation)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (OwnedTempDirectory.IsAlive(owner)) await timer.WaitForNextTickAsync(cancellation);
            if (!cancellation.IsCancellationRequested) stop();
        }
        catch (OperationCanceledException)
        {
        }
    }
}
