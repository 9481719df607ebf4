using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.S3;

/// <summary>S3 through the AWS SDK for JavaScript v3 (tests/js): streamed aws-chunked uploads with checksum trailers and lib-storage multipart.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class S3JsSdkTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Js_sdk_streams_objects_and_uploads_multipart_with_lib_storage()
    {
        var js = Path.Combine(RepoPaths.Root, "tests", "js");
        Assert.True(Directory.Exists(Path.Combine(js, "node_modules", "@aws-sdk", "lib-storage")),
            "The JavaScript SDK is not installed: run `npm install --prefix tests/js --no-package-lock` (test.sh does).");

        var run = await Clients.RunAsync("node", [Path.Combine(js, "s3-sdk.mjs")], stratus.Url, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, run.ToString());

        var seen = JsonNode.Parse(run.Stdout.Trim().Split('\n')[^1])!;
        Assert.True(seen["sameText"]!.GetValue<bool>());
        Assert.NotNull(seen["checksum"]);
        Assert.EndsWith("-3\"", seen["multipartETag"]!.GetValue<string>());
        Assert.True(seen["multipartSame"]!.GetValue<bool>());
        Assert.Equal("""["multipart.bin","stream.txt"]""", seen["keys"]!.ToJsonString());
        Assert.Equal("NoSuchKey", seen["error"]!["name"]!.GetValue<string>());
        Assert.Equal(404, seen["error"]!["status"]!.GetValue<int>());
    }
}
