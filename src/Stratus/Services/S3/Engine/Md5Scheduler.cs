using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Stratus.Services.S3.Engine;

/// <summary>The MD5 of one body (S3's ETag of an object or a part), fed as the body streams in.</summary>
public abstract class Md5Stream : IDisposable
{
    /// <summary>Hashes <paramref name="data"/>; returns once it is hashed (the caller may reuse the memory).</summary>
    public abstract void Append(ReadOnlySpan<byte> data);

    public abstract byte[] Finish();

    public abstract void Dispose();
}

/// <summary>
/// Hashes the bodies of concurrent PUTs and UploadParts together, one <see cref="Md5Lanes"/> lane per body: with 16
/// bodies arriving at once on two cores the server is bound by its CPU, of which MD5, serial within a body, is most.
/// A body's blocks are submitted as they arrive and the submitting thread waits until they are hashed. A thread that
/// submits while no thread is combining combines: it hashes every submitted body's blocks lane by lane, in passes of at most <see cref="PassBlocks"/>
/// blocks so that bodies submitted meanwhile join at the next pass, and when its own blocks are done hands the work to a
/// thread still waiting. A thread alone hashes its own blocks at once, with no wait.
/// A body that starts while no other is open is hashed by .NET's MD5 (OpenSSL's assembly), faster alone than one lane:
/// a single connection's PUT keeps what it had.
/// No block is held beyond the one its caller is waiting on, so memory stays what <see cref="BlockFanOut"/> bounds.
/// </summary>
public sealed unsafe class Md5Scheduler
{
    /// <summary>16 KB of each lane per pass: short enough that a body waits little for a free lane, long enough that the
    /// pass's bookkeeping (a lock, the lanes' states in and out) costs nothing beside it.</summary>
    private const int PassBlocks = 256;

    public static Md5Scheduler Shared { get; } = new(Md5Lanes.MaxLanes);

    private readonly int _maxLanes;
    private readonly Lock _gate = new();
    private readonly Queue<LanedMd5> _submitted = new();
    /// <summary>The bodies in lanes; read and changed only by the combining thread.</summary>
    private readonly LanedMd5[] _lanes;
    private int _laneCount;
    private bool _combining;
    private int _open;

    /// <param name="maxLanes">At most <see cref="Md5Lanes.MaxLanes"/>; fewer to exercise narrower passes.</param>
    public Md5Scheduler(int maxLanes)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLanes, Md5Lanes.MaxLanes);
        _maxLanes = maxLanes;
        _lanes = new LanedMd5[maxLanes];
    }

    /// <summary>An MD5 for one body; <paramref name="laned"/> forces lanes even while no other body is open (tests).</summary>
    public Md5Stream Open(bool laned = false)
    {
        if (_maxLanes < 2) return new LibraryMd5(null);
        lock (_gate)
        {
            var alone = _open++ == 0;
            return alone && !laned ? new LibraryMd5(this) : new LanedMd5(this);
        }
    }

    private void Close()
    {
        lock (_gate) _open--;
    }

    /// <summary>Hashes <paramref name="blocks"/> whole blocks at <paramref name="data"/> (pinned by the caller) into the
    /// body's state, combining with the other bodies submitted meanwhile.</summary>
    private void Hash(LanedMd5 body, byte* data, long blocks)
    {
        body.Next = (nint)data;
        body.BlocksLeft = blocks;
        body.Promoted = false;
        body.Wake.Reset();
        bool combine;
        lock (_gate)
        {
            _submitted.Enqueue(body);
            combine = !_combining;
            _combining = true;
        }
        if (!combine)
        {
            body.Wake.Wait();
            if (!body.Promoted) return;
        }
        Combine(body);
    }

    /// <summary>Passes over the lanes until <paramref name="own"/>'s blocks are hashed, then hands the combining on.</summary>
    private void Combine(LanedMd5 own)
    {
        Span<Md5State> states = stackalloc Md5State[_maxLanes];
        Span<nint> data = stackalloc nint[_maxLanes];
        while (true)
        {
            lock (_gate)
                while (_laneCount < _maxLanes && _submitted.TryDequeue(out var joining)) _lanes[_laneCount++] = joining;

            long blocks = PassBlocks;
            for (var lane = 0; lane < _laneCount; lane++)
            {
                states[lane] = _lanes[lane].State;
                data[lane] = _lanes[lane].Next;
                blocks = Math.Min(blocks, _lanes[lane].BlocksLeft);
            }
            Md5Lanes.Compress(states[.._laneCount], data[.._laneCount], blocks);

            var ownDone = false;
            var kept = 0;
            for (var lane = 0; lane < _laneCount; lane++)
            {
                var body = _lanes[lane];
                body.State = states[lane];
                body.Next += (nint)(blocks * Md5Lanes.BlockBytes);
                body.BlocksLeft -= blocks;
                if (body.BlocksLeft > 0) _lanes[kept++] = body;
                else if (body == own) ownDone = true;
                else body.Wake.Set();
            }
            Array.Clear(_lanes, kept, _laneCount - kept);
            _laneCount = kept;
            if (!ownDone) continue;

            LanedMd5? successor;
            lock (_gate)
            {
                successor = _laneCount > 0 ? _lanes[0] : _submitted.TryPeek(out var next) ? next : null;
                _combining = successor is not null;
            }
            if (successor is not null)
            {
                successor.Promoted = true;
                successor.Wake.Set();
            }
            return;
        }
    }

    /// <summary>.NET's MD5, for a body hashed alone.</summary>
    private sealed class LibraryMd5(Md5Scheduler? scheduler) : Md5Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        private int _disposed;

        public override void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);
        public override byte[] Finish() => _hash.GetHashAndReset();

        public override void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
            _hash.Dispose();
            scheduler?.Close();
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
        internal bool Promoted;
        internal readonly ManualResetEventSlim Wake = new();

        public override void Append(ReadOnlySpan<byte> data)
        {
            _length += data.Length;
            if (_partialLength > 0)
            {
                var taken = Math.Min(data.Length, _partial.Length - _partialLength);
                data[..taken].CopyTo(_partial.AsSpan(_partialLength));
                _partialLength += taken;
                data = data[taken..];
                if (_partialLength < _partial.Length) return;
                Md5Lanes.Compress(ref State, _partial);
                _partialLength = 0;
            }
            var whole = data.Length - data.Length % Md5Lanes.BlockBytes;
            if (whole > 0)
                fixed (byte* blocks = data) scheduler.Hash(this, blocks, whole / Md5Lanes.BlockBytes);
            data[whole..].CopyTo(_partial);
            _partialLength = data.Length - whole;
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
            scheduler.Close();
            Wake.Dispose();
        }
    }
}
