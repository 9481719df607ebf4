using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Protocols.RestXml;
using Stratus.Protocols.SigV4;
using Stratus.Services.S3;
using Stratus.Services.S3.Engine;

namespace Stratus.Tests.Services.S3;

/// <summary>S3's pieces without a server: checksums, aws-chunked decoding, host addressing, listing at scale and lifecycle expiry.</summary>
public sealed class S3EngineTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("stratus-s3-unit-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Scope _scope = new("000000000000", "us-east-1", "request");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("CRC32", "cbf43926")]
    [InlineData("CRC32C", "e3069283")]
    [InlineData("CRC64NVME", "ae8b14860a799888")]
    [InlineData("SHA1", "f7c3bc1d808e04732adf679965ccc34ca7ae3441")]
    public void Checksums_match_their_standard_check_values(string algorithm, string expectedHex)
    {
        var checksum = Checksum.Create(algorithm);
        checksum.Append(Encoding.ASCII.GetBytes("1234"));
        checksum.Append(Encoding.ASCII.GetBytes("56789"));
        Assert.Equal(expectedHex, Convert.ToHexStringLower(checksum.Finish()));
    }

    /// <summary>The word-at-a-time CRCs against the definition, one bit at a time, over every alignment and a tail.</summary>
    [Theory]
    [InlineData("CRC32C", 0x82F63B78UL, 32)]
    [InlineData("CRC64NVME", 0x9A6C9329AC4BC9B5UL, 64)]
    public void Crcs_taken_eight_bytes_at_a_time_match_the_bitwise_definition(string algorithm, ulong reflectedPolynomial, int width)
    {
        var body = new byte[1_000_003];
        new Random(23).NextBytes(body);
        var checksum = Checksum.Create(algorithm);
        // Pieces of odd sizes, so that words start at every offset and pieces end mid-word.
        for (int offset = 0, piece = 1; offset < body.Length; offset += piece, piece = piece * 7 % 65_537 + 1)
            checksum.Append(body.AsSpan(offset, Math.Min(piece, body.Length - offset)));

        var mask = width == 64 ? ulong.MaxValue : (1UL << width) - 1;
        var crc = mask;
        foreach (var b in body)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ reflectedPolynomial : crc >> 1;
        }
        var expected = new byte[width / 8];
        if (width == 64) BinaryPrimitives.WriteUInt64BigEndian(expected, ~crc);
        else BinaryPrimitives.WriteUInt32BigEndian(expected, (uint)~crc);
        Assert.Equal(expected, checksum.Finish());
    }

    [Fact]
    public async Task A_fan_out_hands_every_byte_to_the_file_and_each_digest_in_order()
    {
        // 3.5 blocks arriving in odd-sized pieces as a socket returns them: whole blocks go past the page cache, the tail through it.
        var body = new byte[3 * BlockFanOut.BlockBytes + BlockFanOut.BlockBytes / 2 + 7];
        new Random(17).NextBytes(body);
        var path = Path.Combine(_root, "fanned-out");
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var crc = Checksum.Create("CRC32");
        long copied;
        using (var file = StreamedFileWriter.CreateNewUncached(path))
        {
            await using var fanOut = new BlockFanOut([BlockFanOut.AllBlocks(file.AppendBlocks), BlockFanOut.EachBlock(md5.AppendData), BlockFanOut.EachBlock(crc.Append)]);
            copied = await fanOut.CopyAsync(new PiecewiseStream(body, 100_003, 100_003), _ => { }, CancellationToken.None);
        }

        Assert.Equal(body.Length, copied);
        Assert.Equal(body, await File.ReadAllBytesAsync(path));
        Assert.Equal(MD5.HashData(body), md5.GetHashAndReset());
        Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(body), BinaryPrimitives.ReadUInt32BigEndian(crc.Finish()));
    }

    [Fact]
    public async Task A_fan_out_refused_mid_body_lets_its_workers_drain_and_end()
    {
        var body = new byte[12 * BlockFanOut.BlockBytes];
        var seen = 0L;
        var fanOut = new BlockFanOut([BlockFanOut.EachBlock(block => Interlocked.Add(ref seen, block.Length))]);
        // More blocks than a worker queues, then the body is refused as too large.
        await Assert.ThrowsAsync<InvalidDataException>(() => fanOut.CopyAsync(new MemoryStream(body),
            length => { if (length > 9L * BlockFanOut.BlockBytes) throw new InvalidDataException("too large"); }, CancellationToken.None));
        await fanOut.DisposeAsync();

        Assert.Equal(9L * BlockFanOut.BlockBytes, Interlocked.Read(ref seen));
    }

    [Fact]
    public async Task A_fan_out_consumer_that_fails_stops_the_reading_and_its_error_surfaces()
    {
        var source = new MemoryStream(new byte[64 * BlockFanOut.BlockBytes]);
        await using var fanOut = new BlockFanOut([_ => ValueTask.CompletedTask, _ => throw new IOException("No space left on device")]);

        var error = await Assert.ThrowsAsync<IOException>(() => fanOut.CopyAsync(source, _ => { }, CancellationToken.None));
        Assert.Equal("No space left on device", error.Message);
        Assert.True(source.Position < source.Length, "the body was read to its end after a consumer had failed");
    }

    [Fact]
    public async Task An_aws_chunked_body_decodes_the_same_wherever_the_network_splits_it()
    {
        var payload = new byte[3000];
        new Random(5).NextBytes(payload);
        var crc = Crc32Base64(payload);
        var encoded = AwsChunked(payload, 1024, $"x-amz-checksum-crc32:{crc}");

        // Every split point once (framing, signatures, data and trailer all cut somewhere), then a byte at a time.
        for (var split = 1; split <= encoded.Length; split++)
            await AssertDecodes(new PiecewiseStream(encoded, split, int.MaxValue), $"split at {split}");
        await AssertDecodes(new PiecewiseStream(encoded, 1, 1), "a byte at a time");

        async Task AssertDecodes(Stream network, string how)
        {
            var stream = new AwsChunkedStream(network, () => "malformed");
            var decoded = new MemoryStream();
            await stream.CopyToAsync(decoded);
            Assert.True(payload.AsSpan().SequenceEqual(decoded.ToArray()), how);
            Assert.Equal(crc, stream.Trailers["x-amz-checksum-crc32"]);
        }
    }

    [Fact]
    public async Task A_body_whose_trailer_checksum_differs_is_refused_and_leaves_no_file()
    {
        var store = new BlobStore(Path.Combine(_root, "store"), StateStore.Ephemeral());
        var payload = new byte[2 * BlockFanOut.BlockBytes + 333];
        new Random(6).NextBytes(payload);
        var wrong = Crc32Base64([.. payload, 0]);
        var decoder = new AwsChunkedStream(new MemoryStream(AwsChunked(payload, 64 * 1024, $"x-amz-checksum-crc32:{wrong}")), () => "malformed");
        var digests = new S3Digests { ChecksumAlgorithm = "CRC32", ChecksumValue = () => decoder.Trailers["x-amz-checksum-crc32"], DeclaredLength = payload.Length };

        var error = await Assert.ThrowsAsync<AwsException>(() => store.WriteAsync(decoder, digests, long.MaxValue, CancellationToken.None));
        Assert.Equal("BadDigest", error.Code);
        Assert.Equal("The CRC32 you specified did not match the calculated checksum.", error.Message);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, "store"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_body_whose_content_md5_differs_is_refused_with_both_digests()
    {
        var store = new BlobStore(Path.Combine(_root, "store"), StateStore.Ephemeral());
        var payload = new byte[BlockFanOut.BlockBytes + 5];
        new Random(7).NextBytes(payload);
        var declared = Convert.ToBase64String(MD5.HashData([.. payload, 0]));

        var error = await Assert.ThrowsAsync<AwsException>(() => store.WriteAsync(new MemoryStream(payload), new S3Digests { ContentMd5 = declared },
            long.MaxValue, CancellationToken.None));
        Assert.Equal("BadDigest", error.Code);
        Assert.Equal("The Content-MD5 you specified did not match what we received.", error.Message);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, "store"), "*", SearchOption.AllDirectories));
    }

    /// <summary>Bodies declared up to 64 KB are read whole and hashed on the request's thread: the same digests, and the
    /// same refusal when the body ends before its declared length or runs past it.</summary>
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1000, 1000)]
    [InlineData(65_536, 65_536)]
    [InlineData(1000, 999)]
    [InlineData(1000, 1001)]
    public async Task A_small_body_is_hashed_whole_and_held_to_its_declared_length(int declared, int sent)
    {
        var store = new BlobStore(Path.Combine(_root, "store"), StateStore.Ephemeral());
        var payload = new byte[sent];
        new Random(sent).NextBytes(payload);
        var decoder = new AwsChunkedStream(new PiecewiseStream(AwsChunked(payload, 300, $"x-amz-checksum-crc32:{Crc32Base64(payload)}"), 1, 700), () => "malformed");
        var digests = new S3Digests
        {
            ChecksumAlgorithm = "CRC32",
            ChecksumValue = () => decoder.Trailers["x-amz-checksum-crc32"],
            ContentSha256Hex = Convert.ToHexStringLower(SHA256.HashData(payload)),
            DeclaredLength = declared,
        };

        if (declared != sent)
        {
            var error = await Assert.ThrowsAsync<AwsException>(() => store.WriteAsync(decoder, digests, long.MaxValue, CancellationToken.None));
            Assert.Equal("IncompleteBody", error.Code);
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, "store"), "*", SearchOption.AllDirectories));
            return;
        }
        using var pending = await store.WriteAsync(decoder, digests, long.MaxValue, CancellationToken.None);
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(payload))}\"", pending.ETag);
        Assert.Equal(Crc32Base64(payload), pending.ChecksumValue);
        using var stored = store.OpenRead(pending.Commit());
        var read = new MemoryStream();
        await stored.CopyToAsync(read);
        Assert.True(payload.AsSpan().SequenceEqual(read.ToArray()));
    }

    [Fact]
    public async Task A_body_matching_its_digests_commits_whole()
    {
        var store = new BlobStore(Path.Combine(_root, "store"), StateStore.Ephemeral());
        var payload = new byte[2 * BlockFanOut.BlockBytes + 4096];
        new Random(8).NextBytes(payload);
        var decoder = new AwsChunkedStream(new PiecewiseStream(AwsChunked(payload, 64 * 1024, $"x-amz-checksum-crc32:{Crc32Base64(payload)}"), 1000, 65_000), () => "malformed");
        var digests = new S3Digests
        {
            ContentMd5 = Convert.ToBase64String(MD5.HashData(payload)),
            ChecksumAlgorithm = "CRC32",
            ChecksumValue = () => decoder.Trailers["x-amz-checksum-crc32"],
            DeclaredLength = payload.Length,
        };

        using var pending = await store.WriteAsync(decoder, digests, long.MaxValue, CancellationToken.None);
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(payload))}\"", pending.ETag);
        Assert.Equal(Crc32Base64(payload), pending.ChecksumValue);
        var blobId = pending.Commit();
        using var stored = store.OpenRead(blobId);
        var read = new MemoryStream();
        await stored.CopyToAsync(read);
        Assert.True(payload.AsSpan().SequenceEqual(read.ToArray()));
    }

    private static string Crc32Base64(byte[] data)
    {
        var digest = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(digest, System.IO.Hashing.Crc32.HashToUInt32(data));
        return Convert.ToBase64String(digest);
    }

    /// <summary>An aws-chunked body as the SDKs stream it: signed chunks of <paramref name="chunkBytes"/>, the final empty one, the trailer.</summary>
    private static byte[] AwsChunked(byte[] payload, int chunkBytes, string trailer)
    {
        var body = new MemoryStream();
        void Ascii(string text) => body.Write(Encoding.ASCII.GetBytes(text));
        var signature = new string('a', 64);
        for (var offset = 0; offset < payload.Length; offset += chunkBytes)
        {
            var length = Math.Min(chunkBytes, payload.Length - offset);
            Ascii($"{length:x};chunk-signature={signature}\r\n");
            body.Write(payload, offset, length);
            Ascii("\r\n");
        }
        Ascii($"0;chunk-signature={signature}\r\n{trailer}\r\nx-amz-trailer-signature:{signature}\r\n\r\n");
        return body.ToArray();
    }

    /// <summary>A network body: the first read returns at most <paramref name="first"/> bytes, each later one at most <paramref name="piece"/>.</summary>
    private sealed class PiecewiseStream(byte[] content, int first, int piece) : Stream
    {
        private int _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var length = Math.Min(Math.Min(count, _position == 0 ? first : piece), content.Length - _position);
            Array.Copy(content, _position, buffer, offset, length);
            _position += length;
            return length;
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

    [Fact]
    public async Task Aws_chunked_bodies_decode_to_their_payload_and_expose_their_trailers()
    {
        var encoded = "5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        var stream = new AwsChunkedStream(new MemoryStream(Encoding.ASCII.GetBytes(encoded)), () => "malformed");
        var payload = await new StreamReader(stream).ReadToEndAsync();
        Assert.Equal("hello world", payload);
        Assert.Equal("DUoRhQ==", stream.Trailers["x-amz-checksum-crc32"]);

        var truncated = new AwsChunkedStream(new MemoryStream(Encoding.ASCII.GetBytes("a\r\nshort")), () => "malformed");
        var error = await Assert.ThrowsAsync<AwsException>(() => new StreamReader(truncated).ReadToEndAsync());
        Assert.Equal("IncompleteBody", error.Code);
    }

    [Theory]
    [InlineData("photos.s3.localhost", "photos")]
    [InlineData("photos.s3.eu-west-1.localhost", "photos")]
    [InlineData("my.dotted.bucket.s3.amazonaws.com", "my.dotted.bucket")]
    [InlineData("photos.s3.us-west-2.amazonaws.com", "photos")]
    [InlineData("photos.localhost", "photos")]
    [InlineData("s3.localhost", null)]
    [InlineData("s3.us-east-1.amazonaws.com", null)]
    [InlineData("localhost", null)]
    [InlineData("127.0.0.1", null)]
    [InlineData("abc123.execute-api.localhost", null)]
    [InlineData("sts.amazonaws.com", null)]
    public void Virtual_host_names_yield_their_bucket(string host, string? bucket) => Assert.Equal(bucket, VirtualHostBuckets.BucketOf(host));

    [Fact]
    public async Task Listing_ten_thousand_keys_pages_in_s3s_order()
    {
        using var s3 = new S3Service(StateStore.Ephemeral(), _clock, _root, TimeSpan.FromHours(1));
        s3.CreateBucket(_scope, "many", null);
        for (var i = 0; i < 10_000; i++) await Put(s3, "many", $"dir{i % 10}/key{i:D5}", "x");

        var seen = new List<string>();
        string? marker = null;
        S3ListPage page;
        do
        {
            page = s3.ListObjects(_scope, "many", "", null, marker, 1000);
            seen.AddRange(page.Contents.Select(c => c.Key));
            marker = page.NextMarker;
        } while (page.IsTruncated);
        var rolled = s3.ListObjects(_scope, "many", "", "/", null, 1000);
        var underOne = s3.ListObjects(_scope, "many", "dir3/", null, "dir3/key05000", 1000);

        Assert.Equal(10_000, seen.Count);
        Assert.Equal(seen.Order(StringComparer.Ordinal), seen);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"dir{i}/"), rolled.CommonPrefixes);
        Assert.Equal(500, underOne.Contents.Count);
    }

    [Fact]
    public async Task Lifecycle_expiration_sweep_deletes_matching_objects_once_they_are_old_enough()
    {
        using var s3 = new S3Service(StateStore.Ephemeral(), _clock, _root, TimeSpan.FromHours(1));
        s3.CreateBucket(_scope, "aging", null);
        await Put(s3, "aging", "tmp/old", "1");
        await Put(s3, "aging", "keep/old", "2");
        s3.PutConfiguration(_scope, "aging", "lifecycle",
            "<LifecycleConfiguration><Rule><ID>tmp</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>");

        // The hourly background sweep applies the rule as time passes.
        _clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(1, s3.GetObject(_scope, "aging", "tmp/old", null).Size);
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, s3.ApplyLifecycle());

        Assert.Equal("NoSuchKey", Assert.Throws<AwsException>(() => s3.GetObject(_scope, "aging", "tmp/old", null)).Code);
        Assert.Equal(1, s3.GetObject(_scope, "aging", "keep/old", null).Size);
    }

    [Fact]
    public async Task A_small_object_whose_file_a_power_loss_tore_is_written_back_whole_from_the_state_store_at_start()
    {
        var dataDir = Path.Combine(_root, "data");
        var body = System.Security.Cryptography.RandomNumberGenerator.GetBytes(40_000);
        S3ObjectVersion put;
        // No checkpoint tick, so nothing writes the file back before the "power loss": as a crash right after the answer.
        using (var store = StateStore.Open(dataDir, checkpointInterval: Timeout.InfiniteTimeSpan))
        using (var s3 = new S3Service(store, _clock, Path.Combine(dataDir, "s3"), TimeSpan.FromHours(1)))
        {
            s3.CreateBucket(_scope, "kept", null);
            put = await s3.PutObjectAsync(_scope, "kept", "small", new MemoryStream(body), new S3WriteRequest { Digests = new S3Digests() }, CancellationToken.None);
        }
        // The object's file was never flushed (only the WAL holding its bytes was), so a power loss may leave it torn.
        var file = Directory.GetFiles(Path.Combine(dataDir, "s3", "blobs"), "*", SearchOption.AllDirectories).Single();
        File.WriteAllBytes(file, body.AsSpan(0, 100).ToArray());

        using (var store = StateStore.Open(dataDir, checkpointInterval: Timeout.InfiniteTimeSpan))
        using (var s3 = new S3Service(store, _clock, Path.Combine(dataDir, "s3"), TimeSpan.FromHours(1)))
        {
            Assert.Equal(body, s3.ReadObject(_scope, "kept", "small", null, long.MaxValue, _ => new InvalidOperationException()));
            Assert.Equal(put.ETag, s3.GetObject(_scope, "kept", "small", null).ETag);
            Assert.Equal($"\"{Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(body))}\"", put.ETag);
        }
        Assert.Single(Directory.GetFiles(Path.Combine(dataDir, "s3", "blobs"), "*", SearchOption.AllDirectories));
    }

    private Task<S3ObjectVersion> Put(S3Service s3, string bucket, string key, string body) =>
        s3.PutObjectAsync(_scope, bucket, key, new MemoryStream(Encoding.UTF8.GetBytes(body)), new S3WriteRequest { Digests = new S3Digests() }, CancellationToken.None);
}
