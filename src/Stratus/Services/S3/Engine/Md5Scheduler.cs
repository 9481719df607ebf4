using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;

namespace Stratus.Services.S3.Engine;

/// <summary>The MD5 of one body (S3's ETag of an object or a part), fed as the body streams in.</summary>
public abstract class Md5Stream : IDisposable
{
    /// <summary>Hashes <paramref name="data"/>; completes once it is hashed (the caller may then reuse the memory).</summary>
    public abstract ValueTask AppendAsync(ReadOnlyMemory<byte> data);

    public abstract byte[] Finish();

    public abstract void Dispose();
}

/// <summary>
/// Hashes the bodies of concurrent large PUTs and UploadParts together, one <see cref="Md5Lanes"/> lane per body: with
/// 16 bodies arriving at once on two cores the server is bound by its CPU, and MD5, serial within a body, was most of it.
/// A body's blocks are submitted as they arrive and its consumer awaits them; one combining work item at a time hashes
/// every submitted body's blocks lane by lane, in passes of at most <see cref="PassBlocks"/> blocks so that bodies
/// submitted meanwhile join at the next pass.
/// A pass costs the same however few lanes it fills, and blocks from sockets arrive spread out: hashed as each
/// arrived, 16 bodies shared a pass two or three at a time (a profile of 16 concurrent 100 MB PUTs found MD5 at 1.06 CPU
/// seconds per GB, against 0.2 with 16 lanes full). So a pass that would leave lanes idle while other bodies are open
/// waits for them, at most <see cref="CompanyWait"/> after its oldest block was submitted: a body's consumer holds
/// several blocks in its queue (<see cref="BlockFanOut"/>), so the wait delays its hashing, not its reading.
/// A body that starts while no other large one is open, or a small one, is hashed by .NET's MD5 (OpenSSL's assembly),
/// faster alone than one lane and never waiting: a single connection's PUT and small objects keep what they had.
/// No block is held beyond the one its consumer awaits, so memory stays what <see cref="BlockFanOut"/> bounds.
/// </summary>
public sealed class Md5Scheduler
{
    /// <summary>16 KB of each lane per pass: short enough that a body waits little for a free lane, long enough that the
    /// pass's bookkeeping (a lock, the lanes' states in and out) costs nothing beside it.</summary>
    private const int PassBlocks = 256;

    /// <summary>Bodies declared shorter take OpenSSL's MD5: at most a few blocks, too short to share passes, and they
    /// should not wait for company.</summary>
    private const long LanedMinBytes = 8 * 1024 * 1024;

    /// <summary>10 ms: at 16 concurrent 100 MB PUTs about five more bodies' blocks arrive meanwhile, and a body's queue of
    /// blocks lasts several times longer (4 MB at tens of MB/s per connection), so its reading never waits on it.</summary>
    private static readonly long CompanyWait = Stopwatch.Frequency / 100;

    public static Md5Scheduler Shared { get; } = new(Md5Lanes.MaxLanes);

    private readonly int _maxLanes;
    private readonly Lock _gate = new();
    private readonly Queue<LanedMd5> _submitted = new();
    /// <summary>Set when a body is submitted or closed, so that a pass waiting for company counts again.</summary>
    private readonly ManualResetEventSlim _company = new();
    /// <summary>The bodies in lanes; read and changed only by the combining work item.</summary>
    private readonly LanedMd5[] _lanes;
    private int _laneCount;
    private bool _combining;
    private int _openLarge;
    private int _openLaned;

    /// <param name="maxLanes">At most <see cref="Md5Lanes.MaxLanes"/>; fewer to exercise narrower passes.</param>
    public Md5Scheduler(int maxLanes)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLanes, Md5Lanes.MaxLanes);
        _maxLanes = maxLanes;
        _lanes = new LanedMd5[maxLanes];
    }

    /// <summary>An MD5 for one body of <paramref name="declaredLength"/> bytes (null: not known before it ends);
    /// <paramref name="laned"/> forces lanes whatever the length and the other bodies (tests).</summary>
    public Md5Stream Open(long? declaredLength, bool laned = false)
    {
        if (!laned && (_maxLanes < 2 || declaredLength < LanedMinBytes)) return new LibraryMd5(null);
        lock (_gate)
        {
            var alone = _openLarge++ == 0;
            if (alone && !laned) return new LibraryMd5(this);
            _openLaned++;
            return new LanedMd5(this);
        }
    }

    private void Close(bool laned)
    {
        lock (_gate)
        {
            _openLarge--;
            if (laned) _openLaned--;
        }
        if (laned) _company.Set();
    }

    /// <summary>Queues <paramref name="blocks"/> whole blocks at <paramref name="data"/> (pinned by the caller) for the
    /// body's state; the task completes once they are hashed.</summary>
    private Task Submit(LanedMd5 body, nint data, long blocks)
    {
        body.Next = data;
        body.BlocksLeft = blocks;
        body.SubmittedAt = Stopwatch.GetTimestamp();
        var hashed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        body.Hashed = hashed;
        bool start;
        lock (_gate)
        {
            _submitted.Enqueue(body);
            start = !_combining;
            _combining = true;
        }
        if (start) ThreadPool.UnsafeQueueUserWorkItem(scheduler => scheduler.Combine(), this, preferLocal: false);
        else _company.Set();
        return hashed.Task;
    }

    /// <summary>Passes over the lanes until no body has blocks left.</summary>
    private void Combine()
    {
        Span<Md5State> states = stackalloc Md5State[_maxLanes];
        Span<nint> data = stackalloc nint[_maxLanes];
        while (true)
        {
            // Reset before counting: a body submitted after the count sets it again, and the wait below returns at once.
            _company.Reset();
            int company;
            lock (_gate)
            {
                while (_laneCount < _maxLanes && _submitted.TryDequeue(out var joining)) _lanes[_laneCount++] = joining;
                if (_laneCount == 0)
                {
                    _combining = false;
                    return;
                }
                company = Math.Min(_openLaned, _maxLanes);
            }
            if (_laneCount < company && WaitLeft() is > 0 and var ticks)
            {
                _company.Wait(TimeSpan.FromSeconds((double)ticks / Stopwatch.Frequency));
                continue;
            }

            long blocks = PassBlocks;
            for (var lane = 0; lane < _laneCount; lane++)
            {
                states[lane] = _lanes[lane].State;
                data[lane] = _lanes[lane].Next;
                blocks = Math.Min(blocks, _lanes[lane].BlocksLeft);
            }
            Md5Lanes.Compress(states[.._laneCount], data[.._laneCount], blocks);

            var kept = 0;
            for (var lane = 0; lane < _laneCount; lane++)
            {
                var body = _lanes[lane];
                body.State = states[lane];
                body.Next += (nint)(blocks * Md5Lanes.BlockBytes);
                body.BlocksLeft -= blocks;
                if (body.BlocksLeft > 0) _lanes[kept++] = body;
                else body.Hashed!.SetResult();
            }
            Array.Clear(_lanes, kept, _laneCount - kept);
            _laneCount = kept;
        }
    }

    /// <summary>How much longer the oldest block in the lanes may wait for company, in <see cref="Stopwatch"/> ticks.</summary>
    private long WaitLeft()
    {
        var oldest = long.MaxValue;
        for (var lane = 0; lane < _laneCount; lane++) oldest = Math.Min(oldest, _lanes[lane].SubmittedAt);
        return oldest + CompanyWait - Stopwatch.GetTimestamp();
    }

    /// <summary>.NET's MD5, for a body hashed alone.</summary>
    private sealed class LibraryMd5(Md5Scheduler? scheduler) : Md5Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        private int _disposed;

        public override ValueTask AppendAsync(ReadOnlyMemory<byte> data)
        {
            _hash.AppendData(data.Span);
            return ValueTask.CompletedTask;
        }

        public override byte[] Finish() => _hash.GetHashAndReset();

        public override void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
            _hash.Dispose();
            scheduler?.Close(laned: false);
        }
    }

    /// <summary>A body hashed in lanes: its state between blocks, the tail of a block not yet whole, and the padding.</summary>
    private sealed class LanedMd5(Md5Scheduler scheduler) : Md5Stream
    {
        private readonly byte[] _partial = new byte[Md5Lanes.BlockBytes];
        private int _partialLength;
        private long _length;
        private int _disposed;

        internal Md5State State = Md5State.Initial;
        internal nint Next;
        internal long BlocksLeft;
        internal long SubmittedAt;
        internal TaskCompletionSource? Hashed;

        public override ValueTask AppendAsync(ReadOnlyMemory<byte> data)
        {
            _length += data.Length;
            if (_partialLength > 0)
            {
                var taken = Math.Min(data.Length, _partial.Length - _partialLength);
                data.Span[..taken].CopyTo(_partial.AsSpan(_partialLength));
                _partialLength += taken;
                data = data[taken..];
                if (_partialLength < _partial.Length) return ValueTask.CompletedTask;
                Md5Lanes.Compress(ref State, _partial);
                _partialLength = 0;
            }
            var whole = data.Length - data.Length % Md5Lanes.BlockBytes;
            if (whole > 0) return HashWholeBlocksAsync(data, whole);
            KeepTail(data.Span);
            return ValueTask.CompletedTask;
        }

        private async ValueTask HashWholeBlocksAsync(ReadOnlyMemory<byte> data, int whole)
        {
            using (var pinned = data.Pin())
                await scheduler.Submit(this, AddressOf(pinned), whole / Md5Lanes.BlockBytes);
            KeepTail(data.Span[whole..]);
        }

        private static unsafe nint AddressOf(MemoryHandle pinned) => (nint)pinned.Pointer;

        private void KeepTail(ReadOnlySpan<byte> tail)
        {
            tail.CopyTo(_partial);
            _partialLength = tail.Length;
        }

        /// <summary>RFC 1321 sections 3.1 and 3.2: a 1 bit, zeros to 56 bytes mod 64, the length in bits, low byte first.</summary>
        public override byte[] Finish()
        {
            Span<byte> last = stackalloc byte[2 * Md5Lanes.BlockBytes];
            last.Clear();
            _partial.AsSpan(0, _partialLength).CopyTo(last);
            last[_partialLength] = 0x80;
            var padded = _partialLength < 56 ? Md5Lanes.BlockBytes : 2 * Md5Lanes.BlockBytes;
            BinaryPrimitives.WriteUInt64LittleEndian(last[(padded - 8)..], (ulong)_length * 8);
            Md5Lanes.Compress(ref State, last[..padded]);
            return State.ToDigest();
        }

        public override void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
            scheduler.Close(laned: true);
        }
    }
}
