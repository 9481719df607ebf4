using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Stratus.Persistence;

namespace Stratus.Services.S3.Engine;

/// <summary>
/// An object body read once into pooled, page-aligned blocks of <see cref="BlockBytes"/>, each handed to every consumer
/// (the file, and each digest the request needs: MD5 for the ETag, the signed SHA-256, the flexible checksum) on a
/// worker of its own, so that the request's thread only reads the socket while other cores write and hash. The body's
/// bytes are copied once in user space (from the request into the block) and no consumer copies them again; the blocks
/// are aligned so that the file can take them past the page cache (<see cref="StreamedFileWriter.CreateNewUncached"/>).
/// Bounded: each worker holds at most <see cref="QueuedBlocks"/> blocks, past which the reader waits, so a PUT holds a
/// few MB whatever its size.
/// </summary>
public sealed class BlockFanOut : IAsyncDisposable
{
    /// <summary>
    /// Sees consecutive blocks of the body, in order: as many as were waiting for it (up to <see cref="QueuedBlocks"/>),
    /// so a consumer that fell behind (the disk) catches up in larger steps. The blocks are valid until the returned task
    /// completes.
    /// </summary>
    public delegate ValueTask BatchObserver(IReadOnlyList<ReadOnlyMemory<byte>> blocks);

    public const int BlockBytes = StreamedFileWriter.BlockBytes;
    private const int QueuedBlocks = 4;

    private readonly Channel<SharedBlock>[] _queues;
    private readonly Task[] _workers;
    private volatile bool _consumerFailed;
    private bool _finished;

    /// <summary>A consumer that takes the blocks one at a time (a digest).</summary>
    public static BatchObserver EachBlock(BlockObserver observe) => blocks =>
    {
        foreach (var block in blocks) observe(block.Span);
        return ValueTask.CompletedTask;
    };

    /// <summary>A consumer that takes the blocks one at a time and may finish each later (a digest computed elsewhere).</summary>
    public static BatchObserver EachBlock(Func<ReadOnlyMemory<byte>, ValueTask> observe) => async blocks =>
    {
        foreach (var block in blocks) await observe(block);
    };

    /// <summary>A consumer that takes each batch at once (the file).</summary>
    public static BatchObserver AllBlocks(Action<IReadOnlyList<ReadOnlyMemory<byte>>> observe) => blocks =>
    {
        observe(blocks);
        return ValueTask.CompletedTask;
    };

    public BlockFanOut(IReadOnlyList<BatchObserver> consumers)
    {
        _queues = [.. consumers.Select(_ => Channel.CreateBounded<SharedBlock>(new BoundedChannelOptions(QueuedBlocks) { SingleReader = true, SingleWriter = true }))];
        _workers = [.. consumers.Select((consumer, i) => Task.Run(() => DrainAsync(_queues[i].Reader, consumer)))];
    }

    /// <summary>
    /// Reads <paramref name="source"/> to its end and waits until every consumer has seen every byte, in order; returns
    /// the bytes read. <paramref name="checkLength"/> sees the length the body would reach before a block is handed on
    /// (it throws to refuse a body that grows too large). A consumer's failure stops the reading and is thrown here.
    /// </summary>
    public async Task<long> CopyAsync(Stream source, Action<long> checkLength, CancellationToken cancellation)
    {
        long total = 0;
        while (!_consumerFailed)
        {
            var block = SharedBlock.Rent(_queues.Length);
            int read;
            try
            {
                // Whole blocks: a network stream returns whatever has arrived, often a few KB.
                read = await source.ReadAtLeastAsync(block.Buffer, BlockBytes, throwOnEndOfStream: false, cancellation);
                if (read > 0) checkLength(total + read);
            }
            catch
            {
                block.Abandon(_queues.Length);
                throw;
            }
            if (read == 0)
            {
                block.Abandon(_queues.Length);
                break;
            }
            block.Length = read;
            await PostAsync(block, cancellation);
            total += read;
            // ReadAtLeastAsync stops short only where the body ends.
            if (read < BlockBytes) break;
        }
        _finished = true;
        foreach (var queue in _queues) queue.Writer.TryComplete();
        await Task.WhenAll(_workers);
        return total;
    }

    private async ValueTask PostAsync(SharedBlock block, CancellationToken cancellation)
    {
        for (var i = 0; i < _queues.Length; i++)
        {
            try { await _queues[i].Writer.WriteAsync(block, cancellation); }
            catch
            {
                // The workers this block did not reach will not release it.
                for (var missed = i; missed < _queues.Length; missed++) block.Release();
                throw;
            }
        }
    }

    /// <summary>Hands every block to its consumer; a consumer that fails still lets the rest drain (returning their buffers)
    /// so the reader never waits on a worker that stopped, and the failure surfaces at the end of <see cref="CopyAsync"/>.</summary>
    private async Task DrainAsync(ChannelReader<SharedBlock> queue, BatchObserver consumer)
    {
        Exception? failure = null;
        var batch = new List<SharedBlock>(QueuedBlocks);
        while (await queue.WaitToReadAsync())
        {
            while (batch.Count < QueuedBlocks && queue.TryRead(out var block)) batch.Add(block);
            try { if (failure is null) await consumer([.. batch.Select(b => b.Data)]); }
            catch (Exception error)
            {
                failure = error;
                _consumerFailed = true;
            }
            finally
            {
                foreach (var block in batch) block.Release();
                batch.Clear();
            }
        }
        if (failure is not null) ExceptionDispatchInfo.Throw(failure);
    }

    /// <summary>
    /// Abandoned (a refused or broken body): the workers drain what was queued, returning its buffers, and are waited
    /// for, so that no consumer is still writing or hashing when its owner disposes it.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_finished) return;
        _finished = true;
        foreach (var queue in _queues) queue.Writer.TryComplete();
        try { await Task.WhenAll(_workers); }
        catch (Exception) { /* the body was refused already; a consumer's own failure changes nothing */ }
    }

    /// <summary>
    /// A block every consumer reads, back in the pool when the last one is done with it. Its memory is a slice of an array
    /// on the pinned heap, starting at a multiple of <see cref="StreamedFileWriter.DirectAlignment"/>, as O_DIRECT asks.
    /// </summary>
    private sealed class SharedBlock
    {
        /// <summary>Blocks kept for the next bodies; more are made while many PUTs run at once and left to the GC after.</summary>
        private const int Retained = 16;
        private static readonly ConcurrentQueue<Memory<byte>> Pool = new();
        private static int _pooled;

        private readonly Memory<byte> _buffer;
        private int _readers;

        private SharedBlock(Memory<byte> buffer, int readers)
        {
            _buffer = buffer;
            _readers = readers;
        }

        public Memory<byte> Buffer => _buffer;
        public int Length { get; set; }
        public ReadOnlyMemory<byte> Data => _buffer[..Length];

        public static SharedBlock Rent(int readers)
        {
            if (Pool.TryDequeue(out var buffer)) Interlocked.Decrement(ref _pooled);
            else buffer = Allocate();
            return new SharedBlock(buffer, readers);
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _readers) != 0) return;
            if (Interlocked.Increment(ref _pooled) <= Retained) Pool.Enqueue(_buffer);
            else Interlocked.Decrement(ref _pooled);
        }

        public void Abandon(int readers)
        {
            for (var i = 0; i < readers; i++) Release();
        }

        private static Memory<byte> Allocate()
        {
            const int alignment = StreamedFileWriter.DirectAlignment;
            var array = GC.AllocateUninitializedArray<byte>(BlockBytes + alignment, pinned: true);
            var misalignment = (int)(Marshal.UnsafeAddrOfPinnedArrayElement(array, 0) % alignment);
            return array.AsMemory(misalignment == 0 ? 0 : alignment - misalignment, BlockBytes);
        }
    }
}
