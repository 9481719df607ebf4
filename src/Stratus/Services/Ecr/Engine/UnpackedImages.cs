using System.Collections.Concurrent;
using Stratus.Persistence;

namespace Stratus.Services.Ecr.Engine;

/// <summary>
/// Root file systems unpacked from image manifests, once per digest, under <c>rootfs/HEX</c>. Who holds each
/// (a function, say) is kept in the state store, so a restart keeps what is in use and removes the rest; the
/// last holder's release removes it. An unpack runs in <c>rootfs/HEX.partial-*</c> and is renamed into place
/// only when complete, so a crash never leaves a half image that looks whole.
/// </summary>
public sealed class UnpackedImages
{
    /// <summary>Lambda's limit for an image's uncompressed size (10 GB).</summary>
    public const long MaxImageBytes = 10L * 1024 * 1024 * 1024;
    private const int MaxEntries = 2_000_000;
    private const string PartialMarker = ".partial-";
    private readonly ResourceTable<RootFsHolders> _holders;
    private readonly BlobStore _blobs;
    private readonly string _directory;
    private readonly Durability _durability;
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _unpacking = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public UnpackedImages(StateStore store, BlobStore blobs, string directory)
    {
        _holders = new ResourceTable<RootFsHolders>(store, "ecr.rootfs-holders");
        _blobs = blobs;
        _directory = directory;
        _durability = store.Durability;
        Directory.CreateDirectory(directory);
        var held = _holders.Entries.Select(e => e.Key["sha256:".Length..]).ToHashSet(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateDirectories(directory))
            if (!held.Contains(Path.GetFileName(path))) DeleteTree(path);
    }

    public string PathOf(string digest) => Path.Combine(_directory, digest["sha256:".Length..]);

    public async Task<string> AcquireAsync(string digest, string holder, CancellationToken cancellation)
    {
        lock (_gate)
        {
            var current = _holders.Get(digest)?.Holders ?? [];
            if (!current.Contains(holder)) _holders.Put(digest, new RootFsHolders([.. current, holder]));
        }
        var path = PathOf(digest);
        if (Directory.Exists(path)) return path;
        var unpack = _unpacking.GetOrAdd(digest, d => new Lazy<Task<string>>(() => Task.Run(() => Unpack(d))));
        try
        {
            return await unpack.Value.WaitAsync(cancellation);
        }
        finally
        {
            if (unpack.Value.IsCompleted) _unpacking.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(digest, unpack));
        }
    }

    public void Release(string digest, string holder)
    {
        lock (_gate)
        {
            if (_holders.Get(digest) is not { } holders || !holders.Holders.Contains(holder)) return;
            var rest = holders.Holders.Where(h => h != holder).ToList();
            if (rest.Count > 0)
            {
                _holders.Put(digest, new RootFsHolders(rest));
                return;
            }
            _holders.Remove(digest);
            if (!_unpacking.ContainsKey(digest)) DeleteTree(PathOf(digest));
        }
    }

    private string Unpack(string digest)
    {
        var final = PathOf(digest);
        if (Directory.Exists(final)) return final;
        if (!_blobs.Exists(digest)) throw new InvalidDataException($"image manifest {digest} is no longer in the registry");
        var manifest = ImageManifest.Parse(_blobs.ReadAll(digest), null);
        if (manifest.IsIndex) throw new InvalidDataException($"{digest} is a manifest list or index; unpack one of its image manifests");
        var staging = final + PartialMarker + Guid.NewGuid().ToString("N");
        try
        {
            var unpacker = new ImageUnpacker(staging, MaxImageBytes, MaxEntries);
            foreach (var layer in manifest.Layers)
            {
                if (!_blobs.Exists(layer.Digest)) throw new InvalidDataException($"layer {layer.Digest} of image {digest} is no longer in the registry");
                unpacker.ApplyLayer(_blobs.PathOf(layer.Digest));
            }
            unpacker.Finish();
            // A derived cache, but one kept across restarts (a tree that exists is taken as whole), so its files must
            // be on the disk before the rename publishes it: one syncfs for the whole tree, not a flush per file.
            _durability.SyncFileSystem(staging);
            Directory.Move(staging, final);
            return final;
        }
        catch
        {
            DeleteTree(staging);
            throw;
        }
    }

    private static void DeleteTree(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private sealed record RootFsHolders(IReadOnlyList<string> Holders);
}
