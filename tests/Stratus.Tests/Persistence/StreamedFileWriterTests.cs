using System.Security.Cryptography;
using Stratus.Persistence;

namespace Stratus.Tests.Persistence;

/// <summary>
/// The one-pass writer behind blob and object uploads: every byte of a body that arrives in small pieces is written
/// once, in order, and seen once by the digests; a body refused as too large stops before its block is written or
/// hashed; an append continues where the file ends.
/// </summary>
public sealed class StreamedFileWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("stratus-streamed-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static byte[] Body(int length, int seed) => new Random(seed).GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), length);

    [Fact]
    public async Task A_body_arriving_in_small_pieces_is_written_and_hashed_once_in_order()
    {
        // Past several blocks and past the writeback step, ending in a partial block.
        var body = Body((int)StreamedFileWriter.WritebackBytes + 3 * StreamedFileWriter.BlockBytes + 12345, 1);
        var path = Path.Combine(_directory, "blob");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var observed = 0L;
        using (var writer = StreamedFileWriter.CreateNew(path))
        {
            var copied = await writer.CopyFromAsync(new TrickleStream(body, 7000), block =>
            {
                hash.AppendData(block);
                observed += block.Length;
            }, _ => { }, CancellationToken.None);
            Assert.Equal(body.Length, copied);
            Assert.Equal(body.Length, writer.Length);
        }
        Assert.Equal(body.Length, observed);
        Assert.Equal(SHA256.HashData(body), hash.GetHashAndReset());
        Assert.Equal(body, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public void An_uncached_file_holds_every_byte_whether_its_blocks_bypass_the_cache_or_not()
    {
        // Aligned whole blocks go past the cache in one write; the same blocks at an unaligned address are refused by the
        // kernel and written through the cache instead; a partial block always is. The content is the same either way.
        var aligned = Aligned(3 * StreamedFileWriter.BlockBytes, 5);
        var unaligned = Body(2 * StreamedFileWriter.BlockBytes + 1, 6).AsMemory(1);
        var tail = Body(4321, 7);
        var path = Path.Combine(_directory, "uncached");
        using (var writer = StreamedFileWriter.CreateNewUncached(path))
        {
            writer.AppendBlocks([aligned[..StreamedFileWriter.BlockBytes], aligned[StreamedFileWriter.BlockBytes..(2 * StreamedFileWriter.BlockBytes)],
                aligned[(2 * StreamedFileWriter.BlockBytes)..], tail]);
            writer.AppendBlocks([unaligned[..StreamedFileWriter.BlockBytes], unaligned[StreamedFileWriter.BlockBytes..]]);
            Assert.Equal(3 * StreamedFileWriter.BlockBytes + tail.Length + 2 * StreamedFileWriter.BlockBytes, writer.Length);
        }
        byte[] expected = [.. aligned.ToArray(), .. tail, .. unaligned.ToArray()];
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    /// <summary>Bytes starting at a page boundary, as O_DIRECT asks.</summary>
    private static Memory<byte> Aligned(int length, int seed)
    {
        var array = GC.AllocateArray<byte>(length + StreamedFileWriter.DirectAlignment, pinned: true);
        var misalignment = (int)(System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(array, 0) % StreamedFileWriter.DirectAlignment);
        var aligned = array.AsMemory(misalignment == 0 ? 0 : StreamedFileWriter.DirectAlignment - misalignment, length);
        Body(length, seed).CopyTo(aligned);
        return aligned;
    }

    [Fact]
    public async Task An_append_continues_at_the_end_of_the_file()
    {
        var path = Path.Combine(_directory, "upload");
        var first = Body(5000, 2);
        var second = Body(StreamedFileWriter.BlockBytes + 1, 3);
        using (var writer = StreamedFileWriter.CreateNew(path))
            await writer.CopyFromAsync(new MemoryStream(first), _ => { }, _ => { }, CancellationToken.None);
        using (var writer = StreamedFileWriter.Append(path))
        {
            Assert.Equal(first.Length, writer.Length);
            Assert.Equal(second.Length, await writer.CopyFromAsync(new MemoryStream(second), _ => { }, _ => { }, CancellationToken.None));
            Assert.Equal(first.Length + second.Length, writer.Length);
        }
        Assert.Equal(first.Concat(second).ToArray(), await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task A_body_refused_as_too_large_stops_before_the_block_that_crosses_the_limit()
    {
        var path = Path.Combine(_directory, "large");
        var body = Body(3 * StreamedFileWriter.BlockBytes, 4);
        var limit = StreamedFileWriter.BlockBytes + 10;
        var observed = 0L;
        using (var writer = StreamedFileWriter.CreateNew(path))
        {
            await Assert.ThrowsAsync<InvalidDataException>(() => writer.CopyFromAsync(new MemoryStream(body), block => observed += block.Length,
                length => { if (length > limit) throw new InvalidDataException("too large"); }, CancellationToken.None));
        }
        Assert.Equal(StreamedFileWriter.BlockBytes, observed);
        Assert.Equal(StreamedFileWriter.BlockBytes, new FileInfo(path).Length);
    }

    [Fact]
    public void A_new_file_is_never_written_over_an_existing_one()
    {
        var path = Path.Combine(_directory, "exists");
        File.WriteAllText(path, "kept");
        Assert.Throws<IOException>(() => StreamedFileWriter.CreateNew(path));
        Assert.Equal("kept", File.ReadAllText(path));
    }

    /// <summary>A network body: each read returns at most a few KB, whatever the caller asks for.</summary>
    private sealed class TrickleStream(byte[] content, int piece) : Stream
    {
        private int _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, piece), content.Length - _position);
            content.AsSpan(_position, n).CopyTo(buffer.AsSpan(offset));
            _position += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => content.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
