using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Stratus.Persistence;

/// <summary>
/// The system calls that make written bytes durable, which .NET does not expose: fdatasync (a file's data and the
/// metadata needed to read it back, without an mtime-only journal write), fsync of a directory (a new name in it),
/// and sync_file_range to start a file's writeback early, so a large file's final fdatasync finds little left to write.
/// </summary>
public static class DiskSync
{
    /// <summary>sync_file_range(2)'s SYNC_FILE_RANGE_WRITE: start writing the range's dirty pages, do not wait for them.</summary>
    private const uint StartWrite = 2;

    /// <summary>Waits until the file's data is on the disk; <paramref name="path"/>, where known, names the file in the error.</summary>
    public static void DataSync(SafeFileHandle file, string? path = null)
    {
        if (FileDataSync(file) != 0)
            throw new IOException($"fdatasync{(path is null ? "" : " of " + path)} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits until the names in <paramref name="directory"/> (a rename into it, a new file) are on the disk.</summary>
    public static void SyncDirectory(string directory)
    {
        // .NET opens no directory as a file, so through open(2) itself.
        var descriptor = OpenReadOnly(directory);
        if (descriptor < 0) throw new IOException($"Cannot open {directory}: errno {Marshal.GetLastPInvokeError()}");
        using var handle = new SafeFileHandle(descriptor, ownsHandle: true);
        if (FileFsync(handle) != 0) throw new IOException($"fsync of {directory} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>
    /// Waits until everything written to the file system holding <paramref name="directory"/> is on the disk (syncfs(2)):
    /// many files' data and names for the price of one flush, where an fdatasync each would cost one flush apiece.
    /// </summary>
    public static void SyncFileSystem(string directory)
    {
        var descriptor = OpenReadOnly(directory);
        if (descriptor < 0) throw new IOException($"Cannot open {directory}: errno {Marshal.GetLastPInvokeError()}");
        using var handle = new SafeFileHandle(descriptor, ownsHandle: true);
        if (FileSystemSync(handle) != 0) throw new IOException($"syncfs of {directory} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>
    /// Waits until a whole tree written by others (an unpacked zip) is on the disk: every file's data, then every
    /// directory's names, deepest first, the root's last. Rename the tree into place after this, then fsync its parent.
    /// </summary>
    public static void SyncTree(string root)
    {
        foreach (var file in Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            if (new FileInfo(file).LinkTarget is not null) continue;
            using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read);
            DataSync(handle);
        }
        foreach (var directory in Directory.EnumerateDirectories(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
                     .OrderByDescending(d => d.Length))
            SyncDirectory(directory);
        SyncDirectory(root);
    }

    /// <summary>
    /// Asks the kernel to start writing a range of the file now, without waiting. Only a hint for speed (the disk works
    /// while more arrives instead of all at the final fdatasync), so where the call is missing or refused nothing changes.
    /// </summary>
    public static void StartWriteback(SafeFileHandle file, long offset, long length)
    {
        if (OperatingSystem.IsLinux()) _ = SyncFileRange(file, offset, length, StartWrite);
    }

    /// <summary>
    /// Turns O_DIRECT on or off for an open file (fcntl F_SETFL): writes that bypass the page cache go from the caller's
    /// buffer to the disk, where buffered ones are first copied into freshly allocated cache pages. False where the flag
    /// is unknown (not Linux, an architecture whose value is not known here) or the file system refuses it (tmpfs).
    /// </summary>
    public static bool SetDirectIo(SafeFileHandle file, bool direct)
    {
        if (!OperatingSystem.IsLinux()) return false;
        // O_DIRECT's value differs by architecture (asm-generic/fcntl.h against x86's and ARM's own headers).
        var flag = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 or Architecture.X86 => 0x4000,
            Architecture.Arm64 or Architecture.Arm => 0x10000,
            _ => 0,
        };
        if (flag == 0) return false;
        var flags = FileControl(file, GetStatusFlags, 0);
        if (flags < 0) return false;
        return FileControl(file, SetStatusFlags, direct ? flags | flag : flags & ~flag) == 0;
    }

    private const int GetStatusFlags = 3;
    private const int SetStatusFlags = 4;

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int FileControl(SafeFileHandle file, int command, int argument);

    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int FileDataSync(SafeFileHandle file);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int FileFsync(SafeFileHandle file);

    [DllImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static extern int FileSystemSync(SafeFileHandle file);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenReadOnly([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags = 0);

    [DllImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static extern int SyncFileRange(SafeFileHandle file, long offset, long length, uint flags);
}
