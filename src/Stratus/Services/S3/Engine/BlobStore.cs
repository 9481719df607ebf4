using System.Buffers;
using System.Security.Cryptography;
using Stratus.Persistence;
using Stratus.Protocols;

namespace Stratus.Services.S3.Engine;

/// <summary>
/// Object bytes on disk. A write streams into a new file under a fresh blob id while its digests are computed, is
/// checked against what the client declared, and only then made durable, before the metadata that names it commits: an
/// object is visible only through its metadata, so a crash, kill -9 or power loss at any point leaves the object either
/// absent or whole, never torn. Files no committed metadata names (a write a crash cut short, or one whose commit never
/// came) are removed at start.
/// <para>
/// The file is created where it stays, not in a shared temporary folder and renamed: every create in one folder takes
/// that folder's lock, and on ext4 without a journal a create also scans past the inodes deleted in the last seconds
/// while holding it, so at 16 connections overwriting small objects the temporary folder serialized the PUTs
/// (rename's two-folder lock waited on it too). Blob folders are 256, each with its own lock.
/// </para>
/// </summary>
public sealed class BlobStore
{
    /// <summary>
    /// Bodies up to this size are made durable through the state store's WAL (<see cref="StateStore.JournalFile"/>):
    /// one flush shared with the metadata commit and with concurrent calls, where syncing the file and its directory
    /// first costs two more flushes in a row, which dominate a small PUT (1 KB PUTs: 3.3x at 1 connection, 2.4x at 16).
    /// Above it, writing the bytes twice more (into the WAL, then the state file at checkpoint) under the store's one
    /// writer lock costs more than the flushes it saves: journaling 1 MB bodies halved 1 MB PUTs at 16 connections.
    /// </summary>
    public const long JournaledBodyMaxBytes = 64 * 1024;

    private readonly string _blobs;
    private readonly StateStore _store;

    public BlobStore(string root, StateStore store)
    {
        _store = store;
        _blobs = Path.Combine(root, "blobs");
        // Where bodies were written before being renamed into place, in data dirs of earlier versions: only a crash's leftovers.
        var formerTemporaryFolder = Path.Combine(root, "tmp");
        if (Directory.Exists(formerTemporaryFolder)) Directory.Delete(formerTemporaryFolder, recursive: true);
        var created = false;
        for (var folder = 0; folder < 256; folder++)
        {
            var path = Path.Combine(_blobs, folder.ToString("x2"));
            if (Directory.Exists(path)) continue;
            Directory.CreateDirectory(path);
            created = true;
        }
        // The folders are made once, before any blob names them: one sync of their parent keeps them.
        if (created) store.Durability.SyncDirectory(_blobs);
    }

    /// <summary>A window of a blob as a response body.</summary>
    public FileRange OpenRange(string blobId, long offset, long length) => FileRange.Open(PathOf(blobId), offset, length);

    public FileStream OpenRead(string blobId) =>
        new(PathOf(blobId), new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, Options = FileOptions.Asynchronous | FileOptions.SequentialScan, BufferSize = 0 });

    /// <summary>
    /// Streams <paramref name="source"/> into the file of a new blob id, computing MD5 and the declared digests, and
    /// verifies them; the caller commits the result or disposes it (which removes the file).
    /// </summary>
    public async Task<PendingBlob> WriteAsync(Stream source, S3Digests digests, long maxBytes, CancellationToken cancellation)
    {
        var blobId = Guid.NewGuid().ToString("N");
        var path = PathOf(blobId);
        var pending = new PendingBlob(this, blobId, path);
        try
        {
            using var sha256 = digests.ContentSha256Hex is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var checksum = digests.ChecksumAlgorithm is { } algorithm ? Checksum.Create(algorithm) : null;
            var (size, md5Bytes) = digests.DeclaredLength is { } small && small <= JournaledBodyMaxBytes
                ? await WriteSmallAsync(source, path, small, sha256, checksum, cancellation)
                : await WriteStreamedAsync(source, path, digests, maxBytes, sha256, checksum, cancellation);

            if (digests.DeclaredLength is { } declared && declared != size) throw S3Errors.IncompleteBody();
            if (digests.ContentMd5 is { } expectedMd5 && expectedMd5 != Convert.ToBase64String(md5Bytes))
                throw S3Errors.BadDigest(expectedMd5, Convert.ToBase64String(md5Bytes));
            if (sha256 is not null && SHA256Hex(sha256) is var computed && !computed.Equals(digests.ContentSha256Hex, StringComparison.OrdinalIgnoreCase))
                throw S3Errors.ContentSha256Mismatch(digests.ContentSha256Hex!, computed);
            string? checksumValue = null;
            if (checksum is not null)
            {
                checksumValue = checksum.FinishBase64();
                if (digests.ChecksumValue() is { } expected && expected != checksumValue) throw S3Errors.BadChecksum(digests.ChecksumAlgorithm!);
            }
            pending.Complete(size, md5Bytes, checksumValue);
            return pending;
        }
        catch
        {
            pending.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A large body, or one of unknown length: its large blocks go past the page cache while MD5 (in lanes with
    /// concurrent bodies', <see cref="Md5Scheduler"/>) and the declared digests are computed, each on its own core where
    /// one is free (<see cref="BlockFanOut"/>).
    /// </summary>
    private static async Task<(long Size, byte[] Md5)> WriteStreamedAsync(Stream source, string path, S3Digests digests, long maxBytes,
        IncrementalHash? sha256, Checksum? checksum, CancellationToken cancellation)
    {
        using var md5 = Md5Scheduler.Shared.Open(digests.DeclaredLength);
        long size;
        using (var file = StreamedFileWriter.CreateNewUncached(path))
        {
            List<BlockFanOut.BatchObserver> consumers = [BlockFanOut.AllBlocks(file.AppendBlocks), BlockFanOut.EachBlock(md5.AppendAsync)];
            if (sha256 is not null) consumers.Add(BlockFanOut.EachBlock(sha256.AppendData));
            if (checksum is not null) consumers.Add(BlockFanOut.EachBlock(checksum.Append));
            await using var fanOut = new BlockFanOut(consumers);
            size = await fanOut.CopyAsync(source, length =>
            {
                if (length > maxBytes) throw S3Errors.EntityTooLarge(digests.DeclaredLength ?? length, maxBytes);
            }, cancellation);
        }
        return (size, md5.Finish());
    }

    /// <summary>
    /// A small body of known length, read whole into a pooled buffer and hashed and written on the request's own thread:
    /// handing a few KB to a worker per digest cost a 1 KB PUT more than the work (about 50 thread-pool yields and a task
    /// switch per consumer), and its file is written through the cache in one call. One byte more than declared is asked
    /// for, so that a body that runs past its declared length is still refused.
    /// </summary>
    private static async Task<(long Size, byte[] Md5)> WriteSmallAsync(Stream source, string path, long declared,
        IncrementalHash? sha256, Checksum? checksum, CancellationToken cancellation)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)declared + 1);
        try
        {
            var size = await source.ReadAtLeastAsync(buffer.AsMemory(0, (int)declared + 1), (int)declared + 1, throwOnEndOfStream: false, cancellation);
            var body = buffer.AsSpan(0, size);
            sha256?.AppendData(body);
            checksum?.Append(body);
            using (var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write))
                RandomAccess.Write(file, body, 0);
            return (size, MD5.HashData(body));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Makes a verified blob durable before any metadata names it. A small body is journaled in the state store (its WAL
    /// sync, which the answer waits for anyway, covers it; the file is flushed in the background). A larger one is synced
    /// here: the file's data (fdatasync), then its folder, which names it now and without whose sync a power loss can
    /// forget the name.
    /// </summary>
    internal void MakeDurable(string path, long size)
    {
        var durability = _store.Durability;
        if (size <= JournaledBodyMaxBytes)
        {
            // Read back from the page cache, where it was just written; an ephemeral store journals nothing.
            if (durability.Syncs) _store.JournalFile(path, File.ReadAllBytes(path));
            return;
        }
        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read))
            durability.DataSync(file);
        durability.SyncDirectory(Path.GetDirectoryName(path)!);
    }

    public void Delete(string? blobId)
    {
        if (blobId is null) return;
        try { File.Delete(PathOf(blobId)); }
        catch (IOException) { }
    }

    /// <summary>Removes blobs no committed object or part names: what a crash during a write or before its commit left.</summary>
    public int RemoveUnreferenced(IReadOnlySet<string> referenced)
    {
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(_blobs, "*", SearchOption.AllDirectories))
        {
            if (referenced.Contains(Path.GetFileName(file))) continue;
            File.Delete(file);
            removed++;
        }
        return removed;
    }

    /// <summary>Blobs spread over 256 directories so none grows huge.</summary>
    private string PathOf(string blobId)
    {
        if (blobId.Length < 3 || !blobId.All(char.IsAsciiHexDigitLower)) throw S3Errors.InvalidStoredBlob();
        return Path.Combine(_blobs, blobId[..2], blobId);
    }

    private static string SHA256Hex(IncrementalHash hash) => Convert.ToHexStringLower(hash.GetHashAndReset());
}

/// <summary>A written, verified, not yet visible object body; disposing it uncommitted removes it.</summary>
public sealed class PendingBlob(BlobStore store, string blobId, string path) : IDisposable
{
    private bool _committed;

    public long Size { get; private set; }
    public byte[] Md5 { get; private set; } = [];
    public string? ChecksumValue { get; private set; }
    public string ETag => $"\"{Convert.ToHexStringLower(Md5)}\"";

    internal void Complete(long size, byte[] md5, string? checksumValue)
    {
        Size = size;
        Md5 = md5;
        ChecksumValue = checksumValue;
    }

    /// <summary>Makes the blob durable and gives its id, for the metadata that will name it.</summary>
    public string Commit()
    {
        store.MakeDurable(path, Size);
        _committed = true;
        return blobId;
    }

    public void Dispose()
    {
        if (_committed) return;
        try { File.Delete(path); }
        catch (IOException) { }
    }
}

/// <summary>A window of a file (a Range request, a copy-source range), read without loading it.</summary>
public sealed class FileWindowStream : ReadOnlyStream
{
    private readonly FileStream _file;
    private long _remaining;

    public FileWindowStream(FileStream file, long offset, long length)
    {
        _file = file;
        _file.Seek(offset, SeekOrigin.Begin);
        _remaining = length;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_remaining <= 0) return 0;
        var read = await _file.ReadAsync(destination[..(int)Math.Min(destination.Length, _remaining)], cancellationToken);
        _remaining -= read;
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _file.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Files read one after another as one stream: a multipart upload's parts assembled into its object.</summary>
public sealed class ConcatenatedStream(IReadOnlyList<Func<Stream>> parts) : ReadOnlyStream
{
    private int _index;
    private Stream? _current;

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        while (_index < parts.Count)
        {
            _current ??= parts[_index]();
            var read = await _current.ReadAsync(destination, cancellationToken);
            if (read > 0) return read;
            await _current.DisposeAsync();
            _current = null;
            _index++;
        }
        return 0;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _current?.Dispose();
        base.Dispose(disposing);
    }
}
