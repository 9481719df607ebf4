using Microsoft.Win32.SafeHandles;

namespace Stratus.Persistence;

/// <summary>
/// Whether Stratus's files must survive a crash. With a data dir they must: what a call acknowledges is synced first
/// (<see cref="DiskSync"/>). An ephemeral Stratus keeps its files in a temp dir it removes when it stops, and a start
/// removes what a killed one left (<see cref="OwnedTempDirectory"/>), so nothing it writes is read after a crash: its
/// syncs would cost a disk flush each (one per file of an unzipped function, the whole file system's for an unpacked
/// image) and protect nothing.
/// </summary>
public sealed class Durability
{
    public static Durability Durable { get; } = new(syncs: true);
    public static Durability Ephemeral { get; } = new(syncs: false);

    private Durability(bool syncs) => Syncs = syncs;

    public bool Syncs { get; }

    public void DataSync(SafeFileHandle file, string? path = null)
    {
        if (Syncs) DiskSync.DataSync(file, path);
    }

    public void SyncDirectory(string directory)
    {
        if (Syncs) DiskSync.SyncDirectory(directory);
    }

    public void SyncFileSystem(string directory)
    {
        if (Syncs) DiskSync.SyncFileSystem(directory);
    }

    public void SyncTree(string root)
    {
        if (Syncs) DiskSync.SyncTree(root);
    }
}
