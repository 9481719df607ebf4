using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Stratus.Persistence;

/// <summary>Sees each block of a streamed body once, before it is written (the digests computed while it arrives).</summary>
public delegate void BlockObserver(ReadOnlySpan<byte> block);

/// <summary>
/// Streams a request body into a file in one pass: blocks of up to <see cref="BlockBytes"/>, each handed to the
/// caller's digests and then written at its offset with one write into the page cache (no second read, no buffering
/// copy, no thread hop per write). Every <see cref="WritebackBytes"/> the kernel is asked to start writing what has
/// arrived, so the disk works while the rest arrives and the owner's final fdatasync (at commit) finds little left.
/// </summary>
public sealed class StreamedFileWriter : IDisposable
{
    public const int BlockBytes = 1024 * 1024;
    public const long WritebackBytes = 8 * 1024 * 1024;

    private readonly SafeFileHandle _file;
    private long _writebackFrom;

    private StreamedFileWriter(SafeFileHandle file, long length)
    {
        _file = file;
        Length = _writebackFrom = length;
    }

    /// <summary>The file's length: where the next block goes.</summary>
    public long Length { get; private set; }

    /// <summary>A new file; fails when <paramref name="path"/> exists.</summary>
    public static StreamedFileWriter CreateNew(string path) =>
        new(File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None), 0);

    /// <summary>An existing file, written from its end on.</summary>
    public static StreamedFileWriter Append(string path)
    {
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.None);
        return new StreamedFileWriter(file, RandomAccess.GetLength(file));
    }

    /// <summary>
    /// Copies <paramref name="source"/> to the end of the file. Before a block is written, <paramref name="checkLength"/>
    /// sees the length the file would reach (it throws to refuse a body that grows too large) and
    /// <paramref name="observe"/> sees the block. Returns the bytes copied.
    /// </summary>
    public async Task<long> CopyFromAsync(Stream source, BlockObserver observe, Action<long> checkLength, CancellationToken cancellation)
    {
        var start = Length;
        var buffer = ArrayPool<byte>.Shared.Rent(BlockBytes);
        try
        {
            int read;
            // Whole blocks: a network stream returns whatever has arrived, often a few KB, which would cost a write each.
            while ((read = await source.ReadAtLeastAsync(buffer.AsMemory(0, BlockBytes), BlockBytes, throwOnEndOfStream: false, cancellation)) > 0)
                Write(buffer.AsSpan(0, read), observe, checkLength);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return Length - start;
    }

    private void Write(ReadOnlySpan<byte> block, BlockObserver observe, Action<long> checkLength)
    {
        checkLength(Length + block.Length);
        observe(block);
        RandomAccess.Write(_file, block, Length);
        Length += block.Length;
        if (Length - _writebackFrom >= WritebackBytes)
        {
            DiskSync.StartWriteback(_file, _writebackFrom, Length - _writebackFrom);
            _writebackFrom = Length;
        }
    }

    public void Dispose() => _file.Dispose();
}
