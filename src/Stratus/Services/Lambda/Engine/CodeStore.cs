using System.IO.Compression;
using System.Security.Cryptography;
using Stratus.Persistence;
using Stratus.Protocols;

namespace Stratus.Services.Lambda.Engine;

/// <summary>A deployment package as stored: content-addressed, so versions sharing code share one copy.</summary>
public sealed record StoredCode(string Id, string Sha256, long Size);

/// <summary>
/// Function packages under the data dir: the zip as uploaded (served back by GetFunction's Code.Location)
/// and its unpacked tree, which environments mount read-only. The folder and the zips are the user's alone (0700, 0600).
/// </summary>
public sealed class CodeStore
{
    public const long MaxZippedBytes = 50L * 1024 * 1024;
    public const long MaxUnzippedBytes = 262_144_000;
    private readonly string _root;
    private readonly Durability _durability;

    public CodeStore(string root, Durability durability)
    {
        _root = root;
        _durability = durability;
        DataDirectory.CreatePrivate(root);
    }

    public string DirectoryOf(string codeId) => Path.Combine(_root, codeId);

    public string ZipOf(string codeId) => Path.Combine(_root, codeId + ".zip");

    /// <summary>The unpacked size of a stored package: what Lambda's 250 MB limit of code and layers together counts.</summary>
    public long UnzippedSize(string codeId)
    {
        var directory = new DirectoryInfo(DirectoryOf(codeId));
        return directory.Exists ? directory.EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;
    }

    /// <summary>
    /// Stores a package: its zip and its unpacked tree, both on the disk before this returns. A package that cannot be
    /// unpacked is the caller's InvalidParameterValueException; a failure of Stratus's own disk is ServiceException, as
    /// Lambda names its own faults, never a claim that the caller's zip is bad.
    /// </summary>
    public StoredCode Save(byte[] zip, string operation)
    {
        if (zip.Length > MaxZippedBytes)
            throw LambdaErrors.PackageTooLarge(operation);
        var hash = SHA256.HashData(zip);
        var code = new StoredCode(Convert.ToHexStringLower(hash), Convert.ToBase64String(hash), zip.Length);
        var directory = DirectoryOf(code.Id);
        if (Directory.Exists(directory)) return code;

        var staging = directory + ".staging-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var archive = Open(zip))
            {
                if (archive.Entries.Sum(e => e.Length) > MaxUnzippedBytes)
                    throw LambdaErrors.UnzippedTooLarge(MaxUnzippedBytes);
                CheckEntryPaths(archive, staging);
                Extract(archive, staging);
            }
            DataDirectory.WritePrivate(ZipOf(code.Id), zip, _durability);
            // The tree is published by a rename: its files and names must be on the disk before it, and the rename
            // after, or a power loss could leave a function whose (acknowledged) code directory is empty or missing.
            _durability.SyncTree(staging);
            Directory.Move(staging, directory);
            _durability.SyncDirectory(_root);
        }
        catch (IOException) when (Directory.Exists(directory))
        {
            // The same package was stored concurrently.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LambdaErrors.CodeStorageFailed(e.Message);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        return code;
    }

    private static ZipArchive Open(byte[] zip)
    {
        try
        {
            return new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        }
        catch (InvalidDataException)
        {
            throw LambdaErrors.NotAZip();
        }
    }

    /// <summary>Unpacks the entries; an entry whose data cannot be read (corrupt, or an unsupported compression) is the caller's.</summary>
    private static void Extract(ZipArchive archive, string staging)
    {
        try
        {
            archive.ExtractToDirectory(staging);
        }
        catch (InvalidDataException)
        {
            throw LambdaErrors.NotAZip();
        }
    }

    /// <summary>
    /// Refuses, before anything is written, the packages whose unpacking fails for what they contain rather than for the
    /// disk: an entry that would land outside the package's folder (zip-slip), twice on one file, or on a file where
    /// another entry needs a folder. So an I/O error while unpacking is the disk's.
    /// </summary>
    private static void CheckEntryPaths(ZipArchive archive, string staging)
    {
        var root = Path.GetFullPath(staging) + Path.DirectorySeparatorChar;
        var files = new HashSet<string>(StringComparer.Ordinal);
        var folders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in archive.Entries)
        {
            var path = Path.GetFullPath(Path.Combine(root, entry.FullName));
            if (!path.StartsWith(root, StringComparison.Ordinal)) throw LambdaErrors.NotAZip();
            var isFolder = entry.Name.Length == 0;
            path = path.TrimEnd(Path.DirectorySeparatorChar);
            if (path.Length < root.Length) continue;
            if (!isFolder && !files.Add(path)) throw LambdaErrors.NotAZip();
            for (var folder = isFolder ? path : Path.GetDirectoryName(path); folder is not null && folder.Length >= root.Length; folder = Path.GetDirectoryName(folder))
                folders.Add(folder);
        }
        if (files.Overlaps(folders)) throw LambdaErrors.NotAZip();
    }
}
