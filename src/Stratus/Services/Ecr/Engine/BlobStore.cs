using System.Collections.Concurrent;
using System.Security.Cryptography;
using Stratus.Persistence;

namespace Stratus.Services.Ecr.Engine;

/// <summary>
/// Blobs (layers, configs, manifests) stored once by digest under <c>blobs/sha256/HEX</c>. Uploads stream
/// to a file under <c>uploads/</c> while their SHA-256 is computed, so no blob is ever held in memory; a
/// blob is committed only when its digest matches, after an fdatasync, by a rename into place. An upload
/// outlives a restart: its file is named by its id beside a <c>.owner</c> file naming its repository, and
/// after a restart its hash is recomputed from the file before it continues.
/// </summary>
public sealed class BlobStore
{
    private const int CopyBufferBytes = 1024 * 1024;
    private readonly string _blobs;
    private readonly string _uploads;
    private readonly Durability _durability;
    private readonly ConcurrentDictionary<string, BlobUpload> _sessions = new(StringComparer.Ordinal);

    public BlobStore(string directory, Durability durability)
    {
        _blobs = Path.Combine(directory, "blobs", "sha256");
        _durability = durability;
        _uploads = Path.Combine(directory, "uploads");
        Directory.CreateDirectory(_blobs);
        Directory.CreateDirectory(_uploads);
        Restore();
    }

    private const string OwnerSuffix = ".owner";

    /// <summary>
    /// Takes back the uploads a previous run left in progress. Their running hash was in memory, so each is marked to
    /// rehash its file first; its length is the file's, which is where the spec's status GET tells a client to resume
    /// (a part cut off by the stop leaves more than the client was told, and its next PATCH is refused with 416).
    /// Anything else in the folder (files of small blobs being written, an upload without its owner) is dropped.
    /// </summary>
    private void Restore()
    {
        foreach (var path in Directory.EnumerateFiles(_uploads))
        {
            var name = Path.GetFileName(path);
            var data = name.EndsWith(OwnerSuffix, StringComparison.Ordinal) ? path[..^OwnerSuffix.Length] : path;
            if (Guid.TryParse(Path.GetFileName(data), out var id) && File.Exists(data) && File.Exists(data + OwnerSuffix))
            {
                if (path == data)
                    _sessions[id.ToString()] = new BlobUpload(id.ToString(), File.ReadAllText(data + OwnerSuffix), data)
                    {
                        Length = new FileInfo(data).Length,
                        LastUsed = File.GetLastWriteTimeUtc(data),
                        NeedsRehash = true,
                    };
            }
            else
            {
                TryDelete(path);
            }
        }
    }

    public string PathOf(string digest) => Path.Combine(_blobs, digest["sha256:".Length..]);

    public bool Exists(string digest) => File.Exists(PathOf(digest));

    public long? SizeOf(string digest)
    {
        var file = new FileInfo(PathOf(digest));
        return file.Exists ? file.Length : null;
    }

    public FileStream OpenRead(string digest) =>
        new(PathOf(digest), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, CopyBufferBytes, FileOptions.Asynchronous | FileOptions.SequentialScan);

    public byte[] ReadAll(string digest) => File.ReadAllBytes(PathOf(digest));

    /// <summary>Writes a small blob (a manifest) whose digest the caller computed; a no-op when it is already stored.</summary>
    public void WriteSmall(string digest, ReadOnlySpan<byte> content)
    {
        if (Exists(digest)) return;
        var temp = Path.Combine(_uploads, Guid.NewGuid().ToString("N"));
        using (var file = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write))
        {
            RandomAccess.Write(file, content, 0);
            _durability.DataSync(file);
        }
        File.Move(temp, PathOf(digest), overwrite: true);
        _durability.SyncDirectory(_blobs);
    }

    public void Delete(string digest)
    {
        try { File.Delete(PathOf(digest)); }
        catch (IOException) { }
    }

    public BlobUpload Begin(string owner)
    {
        var id = Guid.NewGuid().ToString();
        var upload = new BlobUpload(id, owner, Path.Combine(_uploads, id));
        File.WriteAllText(upload.TempPath + OwnerSuffix, owner);
        File.WriteAllBytes(upload.TempPath, []);
        _sessions[upload.Id] = upload;
        return upload;
    }

    /// <summary>The upload with this id, if it belongs to <paramref name="owner"/> (an account, region and repository).</summary>
    public BlobUpload? Find(string id, string owner) =>
        _sessions.TryGetValue(id, out var upload) && upload.Owner == owner ? upload : null;

    /// <summary>
    /// Appends <paramref name="content"/> at <paramref name="start"/> (null: at the end). The distribution spec
    /// and ECR's UploadLayerPart both take parts strictly in order, so any other start is refused.
    /// </summary>
    public async Task<long> AppendAsync(BlobUpload upload, Stream content, long? start, long maxBytes, CancellationToken cancellation)
    {
        await upload.Gate.WaitAsync(cancellation);
        try
        {
            if (upload.Committed) throw EcrErrors.UploadNotFound(upload.Id);
            if (start is { } s && s != upload.Length) throw EcrErrors.InvalidLayerPart(upload.Id, upload.Length - 1, $"the part starts at byte {s}, expected {upload.Length}");
            upload.LastUsed = DateTimeOffset.UtcNow;
            await RehashAsync(upload, cancellation);
            try
            {
                using var file = StreamedFileWriter.Append(upload.TempPath);
                await file.CopyFromAsync(content, upload.Hash.AppendData, length =>
                {
                    if (length > maxBytes) throw EcrErrors.LayerTooLarge(maxBytes);
                }, cancellation);
                return upload.Length = file.Length;
            }
            catch (Exception)
            {
                // A part that failed halfway leaves the file and the hash out of step: the upload cannot continue.
                Cancel(upload);
                throw;
            }
        }
        finally
        {
            upload.Gate.Release();
        }
    }

    /// <summary>
    /// Verifies the upload's digest and moves it into place (fdatasync, rename, fsync of the directory). Returns the digest's size.
    /// The upload ends either way.
    /// </summary>
    public async Task<long> CommitAsync(BlobUpload upload, string expectedDigest, CancellationToken cancellation)
    {
        await upload.Gate.WaitAsync(cancellation);
        try
        {
            if (upload.Committed) throw EcrErrors.UploadNotFound(upload.Id);
            await RehashAsync(upload, cancellation);
            _sessions.TryRemove(upload.Id, out _);
            TryDelete(upload.TempPath + OwnerSuffix);
            upload.Committed = true;
            var actual = "sha256:" + Convert.ToHexStringLower(upload.Hash.GetHashAndReset());
            if (actual != expectedDigest)
            {
                TryDelete(upload.TempPath);
                throw EcrErrors.LayerDigestMismatch(expectedDigest, actual);
            }
            // The PATCHes wrote through the page cache with their writeback started early; one fdatasync makes the
            // bytes durable, and the directory's fsync the name they are committed under.
            using (var file = File.OpenHandle(upload.TempPath, FileMode.Open, FileAccess.Write))
                _durability.DataSync(file);
            if (Exists(expectedDigest)) TryDelete(upload.TempPath);
            else
            {
                File.Move(upload.TempPath, PathOf(expectedDigest), overwrite: true);
                _durability.SyncDirectory(_blobs);
            }
            return upload.Length;
        }
        finally
        {
            upload.Gate.Release();
            upload.Hash.Dispose();
        }
    }

    public void Cancel(BlobUpload upload)
    {
        _sessions.TryRemove(upload.Id, out _);
        upload.Committed = true;
        TryDelete(upload.TempPath);
        TryDelete(upload.TempPath + OwnerSuffix);
    }

    /// <summary>An upload taken back after a restart: its hash, from what its file holds, before anything is added.</summary>
    private static async Task RehashAsync(BlobUpload upload, CancellationToken cancellation)
    {
        if (!upload.NeedsRehash) return;
        await using (var file = new FileStream(upload.TempPath, FileMode.Open, FileAccess.Read, FileShare.Read, CopyBufferBytes, FileOptions.Asynchronous | FileOptions.SequentialScan))
        {
            var buffer = new byte[CopyBufferBytes];
            int read;
            while ((read = await file.ReadAsync(buffer, cancellation)) > 0) upload.Hash.AppendData(buffer, 0, read);
        }
        upload.NeedsRehash = false;
    }

    /// <summary>Drops uploads nobody touched for <paramref name="idle"/>: clients that gave up halfway.</summary>
    public void ExpireUploads(TimeSpan idle)
    {
        foreach (var upload in _sessions.Values)
            if (DateTimeOffset.UtcNow - upload.LastUsed > idle && upload.Gate.Wait(0))
            {
                try { Cancel(upload); }
                finally { upload.Gate.Release(); }
            }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
    }
}

/// <summary>A blob upload in progress: its file, how much has arrived, and the hash of what has.</summary>
public sealed class BlobUpload(string id, string owner, string tempPath)
{
    public string Id { get; } = id;
    public string Owner { get; } = owner;
    public string TempPath { get; } = tempPath;
    public long Length { get; set; }
    public bool Committed { get; set; }
    public DateTimeOffset LastUsed { get; set; } = DateTimeOffset.UtcNow;
    /// <summary>Taken back after a restart: <see cref="Hash"/> has not seen the file's bytes yet.</summary>
    internal bool NeedsRehash { get; set; }
    internal IncrementalHash Hash { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    internal SemaphoreSlim Gate { get; } = new(1, 1);
}
