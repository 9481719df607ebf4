using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.S3;

/// <summary>
/// S3 under <c>--auth verify</c>: signatures (header, streaming and presigned) are checked, expired and
/// tampered presigned URLs refused; and the AWS SDK for .NET (AWSSDK.S3) works against it.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class S3VerifyModeTests : IAsyncLifetime
{
    private StratusProcess _server = null!;

    public async Task InitializeAsync() => _server = await StratusProcess.StartEphemeralAsync("--auth", "verify", "--root-key", "test:test");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Signed_and_presigned_requests_pass_and_wrong_expired_or_tampered_ones_are_refused()
    {
        var r = await Clients.Boto3Async(_server.Url, """
            import urllib.request, urllib.error
            def s3client(secret="test"):
                return boto3.client("s3", endpoint_url=URL, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key=secret,
                                    config=Config(retries={"max_attempts": 1}, signature_version="s3v4"))
            s3 = s3client()
            s3.create_bucket(Bucket="verified")
            s3.put_object(Bucket="verified", Key="k", Body=b"signed body")
            out["get"] = s3.get_object(Bucket="verified", Key="k")["Body"].read().decode()
            out["wrong_secret"] = error(s3client("wrong").get_object, Bucket="verified", Key="k")
            def fetch(url):
                try:
                    with urllib.request.urlopen(url) as response: return [response.status, response.read().decode()]
                except urllib.error.HTTPError as e: return [e.code, e.read().decode()]
            url = s3.generate_presigned_url("get_object", Params={"Bucket": "verified", "Key": "k"}, ExpiresIn=60)
            out["presigned"] = fetch(url)
            out["tampered"] = fetch(url.replace("/verified/k?", "/verified/other?"))
            short = s3.generate_presigned_url("get_object", Params={"Bucket": "verified", "Key": "k"}, ExpiresIn=1)
            time.sleep(2)
            out["expired"] = fetch(short)
            """);

        Assert.Equal("signed body", r["get"]!.GetValue<string>());
        Assert.Equal("SignatureDoesNotMatch", r["wrong_secret"]!["code"]!.GetValue<string>());
        Assert.Equal(403, r["wrong_secret"]!["status"]!.GetValue<int>());
        Assert.Equal("""[200,"signed body"]""", r["presigned"]!.ToJsonString());
        Assert.Equal(403, r["tampered"]![0]!.GetValue<int>());
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", r["tampered"]![1]!.GetValue<string>());
        Assert.Equal(403, r["expired"]![0]!.GetValue<int>());
        Assert.Contains("expired", r["expired"]![1]!.GetValue<string>());
    }

    [Fact]
    public async Task Dotnet_sdk_puts_streams_uploads_multipart_and_reads_back()
    {
        using var s3 = new AmazonS3Client(new BasicAWSCredentials("test", "test"), new AmazonS3Config
        {
            ServiceURL = _server.Url, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0,
        });
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = "dotnet-sdk" });

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "dotnet-sdk", Key = "text.txt", ContentBody = "from .NET", ContentType = "text/plain" });
        var streamed = new byte[3 * 1024 * 1024];
        new Random(5).NextBytes(streamed);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "dotnet-sdk", Key = "stream.bin", InputStream = new MemoryStream(streamed) });

        var multipart = new byte[11 * 1024 * 1024];
        new Random(6).NextBytes(multipart);
        using (var transfer = new TransferUtility(s3, new TransferUtilityConfig { MinSizeBeforePartUpload = 5 * 1024 * 1024 }))
            await transfer.UploadAsync(new TransferUtilityUploadRequest
            {
                BucketName = "dotnet-sdk", Key = "multipart.bin", InputStream = new MemoryStream(multipart), PartSize = 5 * 1024 * 1024,
            });

        using (var text = await s3.GetObjectAsync("dotnet-sdk", "text.txt"))
        {
            Assert.Equal("text/plain", text.Headers.ContentType);
            Assert.Equal("from .NET", await new StreamReader(text.ResponseStream).ReadToEndAsync());
        }
        Assert.Equal(streamed, await ReadAllAsync(s3, "stream.bin"));
        Assert.Equal(multipart, await ReadAllAsync(s3, "multipart.bin"));
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "dotnet-sdk" });
        Assert.Equal(["multipart.bin", "stream.bin", "text.txt"], listed.S3Objects.Select(o => o.Key));
        Assert.EndsWith("-3\"", listed.S3Objects[0].ETag);

        var missing = await Assert.ThrowsAsync<NoSuchKeyException>(() => s3.GetObjectAsync("dotnet-sdk", "missing"));
        Assert.Equal("NoSuchKey", missing.ErrorCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
    }

    private static async Task<byte[]> ReadAllAsync(IAmazonS3 s3, string key)
    {
        using var response = await s3.GetObjectAsync("dotnet-sdk", key);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
