using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Stratus.Host;

/// <summary>
/// Kestrel's connection memory (the socket's receive and send pipes) in blocks of <see cref="ConnectionBlockPool.BlockBytes"/>
/// instead of the 4 KB of Kestrel's own pool. The socket transport receives into one pool block at a time, so with 4 KB
/// blocks a 100 MB request body cost about 25,600 receive calls, each with its pipe flush, a wake-up of the reader and a
/// copy step of its own, however much the kernel held; a 64 KB block takes what one loopback segment carries.
/// </summary>
public sealed class ConnectionBlockPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new ConnectionBlockPool();
}

/// <summary>
/// Pinned blocks of one size, reused. Pinned because the sockets pin every buffer they receive into or send from; on the
/// pinned heap that costs nothing and fragments nothing. A rent larger than a block never reaches the pool: the pipes
/// take an array of their own for it (<see cref="MaxBufferSize"/>).
/// </summary>
internal sealed class ConnectionBlockPool : MemoryPool<byte>
{
    public const int BlockBytes = 64 * 1024;

    /// <summary>Blocks kept for reuse (16 MB); more are made while many connections are busy and left to the GC after.</summary>
    private const int Retained = 256;

    private readonly ConcurrentQueue<Block> _free = new();
    private int _freeCount;
    private bool _disposed;

    public override int MaxBufferSize => BlockBytes;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockBytes);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _freeCount);
            block.Lease();
            return block;
        }
        return new Block(this);
    }

    private void Return(Block block)
    {
        if (_disposed || Interlocked.Increment(ref _freeCount) > Retained) Interlocked.Decrement(ref _freeCount);
        else _free.Enqueue(block);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _free.Clear();
    }

    /// <summary>A block and its owner in one object, so that a rent allocates nothing once the pool is warm.</summary>
    private sealed class Block(ConnectionBlockPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockBytes, pinned: true);
        private int _leased = 1;

        public Memory<byte> Memory => Volatile.Read(ref _leased) == 1 ? _array : throw new ObjectDisposedException(nameof(Block));

        public void Lease() => Volatile.Write(ref _leased, 1);

        /// <summary>Back to the pool once, however often it is disposed.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _leased, 0) == 1) pool.Return(this);
        }
    }
}
