using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Stratus.Persistence;
using Stratus.Protocols;

namespace Stratus.Services.S3.Engine;

/// <summary>
/// A body read through on its way to the file, its digests computed beside the write rather than in line with it: what
/// passes is gathered into pooled blocks of <see cref="BlockBytes"/>, and each block goes to one worker per digest (MD5
/// for the ETag, the signed SHA-256, the flexible checksum), which appends it on another core while the request's own
/// thread reads the next bytes from the socket and writes them. On a PUT of 100 MB, hashing in line was a third to
/// two thirds of the time between the first byte and the last. Bounded: each worker holds at most
/// <see cref="QueuedBlocks"/> blocks, past which the reader waits, so a PUT holds a few MB whatever its size.
/// <see cref="FinishAsync"/> waits until every digest has seen every byte read.
/// </summary>
public sealed class DigestingStream : ReadOnlyStream
{
    private const int BlockBytes = 1024 * 1024;
    private const int QueuedBlocks = 4;

    private readonly Stream _source;
    private readonly Channel<SharedBlock>[] _queues;
    private readonly Task[] _workers;
    private SharedBlock? _filling;
    private bool _finished;

    public DigestingStream(Stream source, IReadOnlyList<BlockObserver> digests)
    {
        _source = source;
        _queues = [.. digests.Select(_ => Channel.CreateBounded<SharedBlock>(new BoundedChannelOptions(QueuedBlocks) { SingleReader = true, SingleWriter = true }))];
        _workers = [.. digests.Select((digest, i) => Task.Run(() => DrainAsync(_queues[i].Reader, digest)))];
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        var read = await _source.ReadAsync(destination, cancellationToken);
        var passed = destination[..read];
        while (passed.Length > 0)
        {
            _filling ??= new SharedBlock(_queues.Length);
            var taken = _filling.Fill(passed.Span);
            passed = passed[taken..];
            if (_filling.IsFull) await PostAsync(cancellationToken);
        }
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Hands the digests what is left of the last block and waits until each has seen everything read.</summary>
    public async Task FinishAsync(CancellationToken cancellation)
    {
        if (_filling is { Length: > 0 }) await PostAsync(cancellation);
        _finished = true;
        foreach (var queue in _queues) queue.Writer.TryComplete();
        await Task.WhenAll(_workers);
    }

    private async ValueTask PostAsync(CancellationToken cancellation)
    {
        var block = _filling!;
        _filling = null;
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

    /// <summary>Appends every block to its digest; a digest that fails still lets the rest drain (returning their buffers)
    /// so the reader never waits on a worker that stopped, and the failure surfaces at <see cref="FinishAsync"/>.</summary>
    private static async Task DrainAsync(ChannelReader<SharedBlock> queue, BlockObserver digest)
    {
        Exception? failure = null;
        await foreach (var block in queue.ReadAllAsync())
        {
            try { if (failure is null) digest(block.Data); }
            catch (Exception error) { failure = error; }
            finally { block.Release(); }
        }
        if (failure is not null) ExceptionDispatchInfo.Throw(failure);
    }

    /// <summary>
    /// Abandoned (a refused or broken body) or finished: the workers drain what was queued, returning its buffers, and
    /// are waited for, so that no digest is still appending when its owner disposes it.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        if (!_finished)
        {
            _finished = true;
            foreach (var queue in _queues) queue.Writer.TryComplete();
            _filling?.Abandon(_queues.Length);
            _filling = null;
            try { await Task.WhenAll(_workers); }
            catch (Exception) { /* the body was refused already; a digest's own failure changes nothing */ }
        }
        await base.DisposeAsync();
    }

    /// <summary>A pooled block that every digest worker reads, returned to the pool when the last one is done with it.</summary>
    private sealed class SharedBlock(int readers)
    {
        private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(BlockBytes);
        private int _readers = readers;

        public int Length { get; private set; }
        public bool IsFull => Length == BlockBytes;
        public ReadOnlySpan<byte> Data => _buffer.AsSpan(0, Length);

        public int Fill(ReadOnlySpan<byte> bytes)
        {
            var taken = Math.Min(bytes.Length, BlockBytes - Length);
            bytes[..taken].CopyTo(_buffer.AsSpan(Length));
            Length += taken;
            return taken;
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _readers) == 0) ArrayPool<byte>.Shared.Return(_buffer);
        }

        public void Abandon(int readers)
        {
            for (var i = 0; i < readers; i++) Release();
        }
    }
}
