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

    [Fact]
    public async Task A_digesting_stream_hands_every_byte_read_to_each_digest_in_order()
    {
        // 3.5 blocks, read in odd-sized pieces as a socket returns them, so blocks fill across reads.
        var body = new byte[3 * 1024 * 1024 + 512 * 1024 + 7];
        new Random(17).NextBytes(body);
        using var md5 = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.MD5);
        var crc = Checksum.Create("CRC32");
        await using var digesting = new DigestingStream(new MemoryStream(body), [md5.AppendData, crc.Append]);
        var buffer = new byte[100_003];
        long copied = 0;
        int read;
        while ((read = await digesting.ReadAsync(buffer)) > 0) copied += read;
        await digesting.FinishAsync(CancellationToken.None);

        Assert.Equal(body.Length, copied);
        Assert.Equal(System.Security.Cryptography.MD5.HashData(body), md5.GetHashAndReset());
        Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(body), System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(crc.Finish()));
    }

    [Fact]
    public async Task A_digesting_stream_abandoned_mid_body_lets_its_workers_drain_and_end()
    {
        var body = new byte[12 * 1024 * 1024];
        var seen = 0L;
        var digesting = new DigestingStream(new MemoryStream(body), [block => Interlocked.Add(ref seen, block.Length)]);
        // More blocks than a worker queues, then the writer gives up (a refused body) without finishing.
        await digesting.ReadExactlyAsync(new byte[9 * 1024 * 1024]);
        await digesting.DisposeAsync();

        Assert.Equal(9L * 1024 * 1024, Interlocked.Read(ref seen));
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
