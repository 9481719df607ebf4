using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace Stratus.Persistence;

/// <summary>
/// What makes a call's data durable before it answers (PutLogEvents, PutMetricData) at the cost of one append and one
/// fdatasync, shared by every call of a group (<see cref="GroupCommit"/>): an append-only log of the store's changes,
/// which the store folds into the state file in the background (<see cref="Rotate"/>, then <see cref="Retire"/> once
/// the fold is committed) and replays at start. Records are [length][CRC-32][payload]; a record cut short or with a bad
/// checksum ends its file (a write a crash interrupted, never acknowledged). Files are "NAME.GENERATION.journal" in the
/// data dir, 0600; the state file remembers the last generation folded into it (<see cref="FoldedMarker"/>), so a
/// generation is replayed exactly when its changes are not in the state file.
/// </summary>
public sealed class CommitJournal : IDisposable
{
    private const string Collection = "persistence.journals";
    private const int HeaderBytes = 8;
    /// <summary>A record larger than this is corrupt (the largest PutLogEvents batch is about 1 MB).</summary>
    private const int MaxRecordBytes = 16 * 1024 * 1024;

    private readonly string _directory;
    private readonly string _name;
    /// <summary>Guards <see cref="_pending"/>: appends wait only for each other, never for the disk.</summary>
    private readonly Lock _pendingGate = new();
    /// <summary>Guards the file, <see cref="_spare"/> and the generations: one writer at a time.</summary>
    private readonly Lock _fileGate = new();
    private ArrayBufferWriter<byte> _pending = new();
    private ArrayBufferWriter<byte> _spare = new();
    private readonly SortedSet<long> _generations = [];
    private FileStream _file;
    private long _generation;
    private long _length;

    private CommitJournal(string directory, string name, long generation)
    {
        _directory = directory;
        _name = name;
        _generation = generation;
        _file = Create(generation);
    }

    /// <summary>
    /// Replays, in order, every record of the generations not yet folded into <paramref name="store"/>, deletes those
    /// already folded, and opens a new generation for appends. The replayed generations stay until the next fold.
    /// </summary>
    public static CommitJournal Open(StateStore store, string directory, string name, Action<ReadOnlySpan<byte>> replay)
    {
        var folded = store.Load(Collection).Where(d => d.Key == name)
            .Select(d => long.Parse(d.Value, System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).First();
        var generations = Generations(directory, name);
        foreach (var (generation, path) in generations)
        {
            if (generation <= folded)
            {
                File.Delete(path);
                continue;
            }
            foreach (var record in Records(File.ReadAllBytes(path))) replay(record.Span);
        }
        var journal = new CommitJournal(directory, name, Math.Max(folded, generations.Select(g => g.Generation).DefaultIfEmpty(0).Max()) + 1);
        foreach (var (generation, _) in generations.Where(g => g.Generation > folded)) journal._generations.Add(generation);
        return journal;
    }

    /// <summary>Adds a record to the next <see cref="Sync"/>; the caller holds the store's lock, so records keep the changes' order.</summary>
    public void Append(ReadOnlySpan<byte> payload)
    {
        lock (_pendingGate)
        {
            var span = _pending.GetSpan(HeaderBytes + payload.Length);
            BinaryPrimitives.WriteInt32LittleEndian(span, payload.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Crc32.HashToUInt32(payload));
            payload.CopyTo(span[HeaderBytes..]);
            _pending.Advance(HeaderBytes + payload.Length);
        }
    }

    /// <summary>Writes the records appended so far and waits until they are on the disk (fdatasync); nothing when none waits.</summary>
    public void Sync()
    {
        lock (_fileGate) SyncLocked();
    }

    /// <summary>
    /// Syncs the current generation and starts the next one; the store calls it while no change is being made, with the
    /// changes it is about to fold, and gets the generation those changes end with. Without appends since the last
    /// rotation, the current (empty) generation is kept.
    /// </summary>
    public long Rotate()
    {
        lock (_fileGate)
        {
            SyncLocked();
            if (_length == 0) return _generation - 1;
            _file.Dispose();
            _generations.Add(_generation);
            var folded = _generation++;
            _file = Create(_generation);
            _length = 0;
            return folded;
        }
    }

    /// <summary>The document the fold writes with its changes: generations up to <paramref name="generation"/> are in the state file.</summary>
    public StoreWrite FoldedMarker(long generation) =>
        new(Collection, _name, generation.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Deletes the generations a committed fold holds.</summary>
    public void Retire(long generation)
    {
        lock (_fileGate)
            while (_generations.Count > 0 && _generations.Min <= generation)
            {
                File.Delete(PathOf(_generations.Min));
                _generations.Remove(_generations.Min);
            }
    }

    public void Dispose()
    {
        lock (_fileGate) _file.Dispose();
    }

    private void SyncLocked()
    {
        ArrayBufferWriter<byte> batch;
        lock (_pendingGate)
        {
            if (_pending.WrittenCount == 0) return;
            (batch, _pending) = (_pending, _spare);
        }
        try
        {
            _file.Write(batch.WrittenSpan);
            DiskSync.DataSync(_file.SafeFileHandle, _file.Name);
            _length += batch.WrittenCount;
        }
        catch
        {
            // Cut a partly written group off, so the records after it (acknowledged ones) stay readable.
            try { _file.SetLength(_length); } catch (IOException) { }
            throw;
        }
        finally
        {
            batch.ResetWrittenCount();
            _spare = batch;
        }
    }

    private FileStream Create(long generation)
    {
        var path = PathOf(generation);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.Read, BufferSize = 0 };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = DataDirectory.PrivateFile;
        var file = new FileStream(path, options);
        // The new file's name must survive a power loss as much as the records fdatasync puts in it.
        DiskSync.SyncDirectory(_directory);
        return file;
    }

    private string PathOf(long generation) =>
        Path.Combine(_directory, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{_name}.{generation}.journal"));

    private static List<(long Generation, string Path)> Generations(string directory, string name) =>
        Directory.EnumerateFiles(directory, name + ".*.journal")
            .Select(path => (Name: Path.GetFileName(path), Path: path))
            .Select(f => (Ok: long.TryParse(f.Name.AsSpan(name.Length + 1, f.Name.Length - name.Length - 1 - ".journal".Length),
                System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var generation), generation, f.Path))
            .Where(f => f.Ok).Select(f => (f.generation, f.Path)).OrderBy(f => f.generation).ToList();

    /// <summary>The intact records of a file, up to its first torn or corrupt one.</summary>
    internal static IEnumerable<ReadOnlyMemory<byte>> Records(byte[] content)
    {
        var at = 0;
        while (content.Length - at >= HeaderBytes)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(content.AsSpan(at));
            if (length is < 0 or > MaxRecordBytes || content.Length - at - HeaderBytes < length) yield break;
            var payload = content.AsMemory(at + HeaderBytes, length);
            if (Crc32.HashToUInt32(payload.Span) != BinaryPrimitives.ReadUInt32LittleEndian(content.AsSpan(at + 4))) yield break;
            yield return payload;
            at += HeaderBytes + length;
        }
    }
}
