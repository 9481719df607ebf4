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

    public CodeStore(string root)
    {
        _root = root;
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
            using (var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read))
            {
                if (archive.Entries.Sum(e => e.Length) > MaxUnzippedBytes)
                    throw LambdaErrors.UnzippedTooLarge(MaxUnzippedBytes);
                archive.ExtractToDirectory(staging);
            }
            DataDirectory.WritePrivate(ZipOf(code.Id), zip);
            // The tree is published by a rename: its files and names must be on the disk before it, and the rename
            // after, or a power loss could leave a function whose (acknowledged) code directory is empty or missing.
            DiskSync.SyncTree(staging);
            Directory.Move(staging, directory);
            DiskSync.SyncDirectory(_root);
        }
        catch (IOException) when (Directory.Exists(directory))
        {
            // The same package was stored concurrently.
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw LambdaErrors.NotAZip();
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        return code;
    }
}
