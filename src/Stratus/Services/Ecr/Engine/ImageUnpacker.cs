using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.InteropServices;
using ZstdSharp;

namespace Stratus.Services.Ecr.Engine;

/// <summary>
/// Applies an image's layers, in order, to a directory that becomes its root file system, as a container
/// runtime would: gzip, zstd or plain tar layers; OCI whiteouts (<c>.wh.NAME</c> deletes NAME from the
/// layers below, <c>.wh..wh..opq</c> empties its directory of them); hard links; symlinks created as they
/// are but never written through, so no entry lands outside the root; device nodes and FIFOs skipped (a
/// sandbox gets its own /dev); setuid/setgid dropped and every file made readable (directories
/// traversable) by any user, because the function runs unprivileged while the files belong to Stratus.
/// A layer that names a path outside the root (<c>../</c>, or through a symlink) is refused, not repaired.
/// </summary>
public sealed class ImageUnpacker
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";
    private const UnixFileMode DirectoryWhileUnpacking = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    private const UnixFileMode ReadableByAll = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode ExecutableByAll = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private readonly string _root;
    private readonly long _maxBytes;
    private readonly int _maxEntries;
    private readonly Dictionary<string, UnixFileMode> _directoryModes = new(StringComparer.Ordinal);
    private long _bytes;
    private int _entries;

    /// <param name="root">An empty directory that becomes the root file system.</param>
    /// <param name="maxBytes">The most file content all layers may expand to (a decompression bomb stops there).</param>
    /// <param name="maxEntries">The most tar entries all layers may hold.</param>
    public ImageUnpacker(string root, long maxBytes, int maxEntries)
    {
        _root = Path.GetFullPath(root);
        _maxBytes = maxBytes;
        _maxEntries = maxEntries;
        Directory.CreateDirectory(_root);
    }

    /// <summary>Applies one layer blob (gzip, zstd or plain tar, told apart by their magic numbers).</summary>
    public void ApplyLayer(string layerPath)
    {
        using var file = File.OpenRead(layerPath);
        using var content = Decompressed(file);
        ApplyTar(content);
    }

    public void ApplyTar(Stream tar)
    {
        var writtenByThisLayer = new HashSet<string>(StringComparer.Ordinal);
        using var reader = new TarReader(tar, leaveOpen: true);
        while (reader.GetNextEntry(copyData: false) is { } entry)
        {
            if (++_entries > _maxEntries) throw new InvalidDataException($"the image has more than {_maxEntries} entries");
            var relative = Normalize(entry.Name);
            if (relative.Length == 0) continue;
            var parent = ParentOf(relative);
            var name = relative[(relative.LastIndexOf('/') + 1)..];

            if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                if (!IsRealDirectoryPath(parent)) continue;
                if (name == OpaqueMarker) ClearLowerLayers(parent, writtenByThisLayer);
                else if (!writtenByThisLayer.Contains(Join(parent, name[WhiteoutPrefix.Length..])))
                    Remove(Absolute(Join(parent, name[WhiteoutPrefix.Length..])));
                continue;
            }

            CreateParents(parent, entry.Name);
            var target = Absolute(relative);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    if (KindOf(target) != PathKind.Directory)
                    {
                        Remove(target);
                        Directory.CreateDirectory(target);
                    }
                    _directoryModes[relative] = entry.Mode;
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    Remove(target);
                    WriteFile(target, entry);
                    break;
                case TarEntryType.SymbolicLink:
                    Remove(target);
                    File.CreateSymbolicLink(target, entry.LinkName);
                    break;
                case TarEntryType.HardLink:
                    var linked = Normalize(entry.LinkName);
                    var source = Absolute(linked);
                    if (linked.Length == 0 || !IsRealDirectoryPath(ParentOf(linked)) || KindOf(source) != PathKind.File)
                        throw new InvalidDataException($"hard link '{entry.Name}' points at '{entry.LinkName}', which is not a regular file inside the image");
                    Remove(target);
                    if (Link(source, target) != 0) throw new IOException($"cannot hard-link '{entry.Name}' to '{entry.LinkName}' (errno {Marshal.GetLastPInvokeError()})");
                    break;
                default:
                    // Device nodes and FIFOs: the sandbox mounts its own /dev; extended headers are read by TarReader.
                    continue;
            }
            writtenByThisLayer.Add(relative);
        }
    }

    /// <summary>Gives every directory its layer's mode, made traversable by all, once nothing more is written into them.</summary>
    public void Finish()
    {
        foreach (var (relative, mode) in _directoryModes.OrderByDescending(d => d.Key.Length))
        {
            var path = Absolute(relative);
            if (KindOf(path) == PathKind.Directory) SetMode(path, DirectoryMode(mode));
        }
    }

    private void WriteFile(string target, TarEntry entry)
    {
        using (var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1024 * 1024))
        {
            if (entry.DataStream is { } data)
            {
                var buffer = new byte[1024 * 1024];
                int read;
                while ((read = data.Read(buffer)) > 0)
                {
                    _bytes += read;
                    if (_bytes > _maxBytes) throw new InvalidDataException($"the image unpacks to more than {_maxBytes} bytes");
                    output.Write(buffer, 0, read);
                }
            }
        }
        SetMode(target, RegularFileMode(entry.Mode));
    }

    /// <summary>Setuid and setgid dropped; readable by all, and executable by all when the owner may execute it.</summary>
    internal static UnixFileMode RegularFileMode(UnixFileMode mode)
    {
        var fixedMode = (mode & ~(UnixFileMode.SetUser | UnixFileMode.SetGroup)) | ReadableByAll | UnixFileMode.UserWrite;
        return (mode & UnixFileMode.UserExecute) != 0 ? fixedMode | ExecutableByAll : fixedMode;
    }

    /// <summary>Listable and traversable by all; the owner (Stratus) keeps write access to remove the image later.</summary>
    internal static UnixFileMode DirectoryMode(UnixFileMode mode) =>
        (mode & ~(UnixFileMode.SetUser | UnixFileMode.SetGroup)) | ReadableByAll | ExecutableByAll | UnixFileMode.UserWrite;

    /// <summary>An opaque directory hides what lower layers put in it; what this layer wrote there stays.</summary>
    private void ClearLowerLayers(string directory, HashSet<string> writtenByThisLayer)
    {
        foreach (var child in Directory.EnumerateFileSystemEntries(Absolute(directory)))
        {
            var relative = Join(directory, Path.GetFileName(child));
            if (!writtenByThisLayer.Contains(relative)) Remove(child);
            else if (KindOf(child) == PathKind.Directory) ClearLowerLayers(relative, writtenByThisLayer);
        }
    }

    /// <summary>Creates missing parent directories; refuses a parent that is a symlink or a file, so nothing is written through one.</summary>
    private void CreateParents(string parent, string entryName)
    {
        if (parent.Length == 0) return;
        var current = "";
        foreach (var part in parent.Split('/'))
        {
            current = Join(current, part);
            var path = Absolute(current);
            switch (KindOf(path))
            {
                case PathKind.Directory:
                    continue;
                case PathKind.None:
                    Directory.CreateDirectory(path);
                    SetMode(path, DirectoryWhileUnpacking);
                    continue;
                default:
                    throw new InvalidDataException($"layer entry '{entryName}' would be written through '{current}', which is not a directory (a symlink or a file)");
            }
        }
    }

    private bool IsRealDirectoryPath(string relative)
    {
        var current = "";
        foreach (var part in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = Join(current, part);
            if (KindOf(Absolute(current)) != PathKind.Directory) return false;
        }
        return true;
    }

    /// <summary>A tar path made relative to the root ("" for the root itself); a ".." component is refused.</summary>
    internal static string Normalize(string name)
    {
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Contains("..")) throw new InvalidDataException($"layer entry '{name}' points outside the image's root");
        return string.Join('/', parts);
    }

    private string Absolute(string relative) => relative.Length == 0 ? _root : Path.Combine(_root, relative);

    private static string ParentOf(string relative) => relative.LastIndexOf('/') is var slash and >= 0 ? relative[..slash] : "";

    private static string Join(string parent, string name) => parent.Length == 0 ? name : parent + "/" + name;

    private enum PathKind { None, Directory, File, Symlink, Other }

    /// <summary>What is at <paramref name="path"/> itself, never following a symlink there.</summary>
    private static PathKind KindOf(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists && !Directory.Exists(path) && info.LinkTarget is null) return PathKind.None;
        if (info.LinkTarget is not null) return PathKind.Symlink;
        if (info.Attributes.HasFlag(FileAttributes.Directory)) return PathKind.Directory;
        return info.Exists ? PathKind.File : PathKind.Other;
    }

    /// <summary>Removes whatever is at <paramref name="path"/> (a symlink itself, never its target).</summary>
    private static void Remove(string path)
    {
        switch (KindOf(path))
        {
            case PathKind.Directory:
                Directory.Delete(path, recursive: true);
                break;
            case PathKind.None:
                break;
            default:
                File.Delete(path);
                break;
        }
    }

    private static Stream Decompressed(FileStream file)
    {
        Span<byte> magic = stackalloc byte[4];
        var read = file.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        file.Position = 0;
        if (read >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
        if (read == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) return new DecompressionStream(file, leaveOpen: true);
        return file;
    }

    /// <summary>Root file systems are for Linux sandboxes; there is no Windows meaning to give them.</summary>
    private static void SetMode(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("image root file systems need a Unix file system");
        File.SetUnixFileMode(path, mode);
    }

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string created);
}
