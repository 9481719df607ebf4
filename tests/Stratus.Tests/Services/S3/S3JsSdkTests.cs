using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.S3;

/// <summary>S3 through the AWS SDK for JavaScript v3 (tests/js): streamed aws-chunked uploads with checksum trailers and lib-storage multipart.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class S3JsSdkTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Js_sdk_streams_objects_and_uploads_multipart_with_lib_storage()
    {
        var seen = await Clients.JsSdkAsync(stratus.Url, "lib-storage", "s3-sdk.mjs");
        Assert.True(seen["sameText"]!.GetValue<bool>());
        Assert.NotNull(seen["checksum"]);
        Assert.EndsWith("-3\"", seen["multipartETag"]!.GetValue<string>());
        Assert.True(seen["multipartSame"]!.GetValue<bool>());
        Assert.Equal("""["multipart.bin","stream.txt"]""", seen["keys"]!.ToJsonString());
        Assert.Equal("NoSuchKey", seen["error"]!["name"]!.GetValue<string>());
        Assert.Equal(404, seen["error"]!["status"]!.GetValue<int>());
    }
}
