using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.S3;

/// <summary>The aws CLI's high-level s3 commands and s3api, v1 (on PATH) and v2, against Stratus's S3.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class S3CliTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public async Task Cp_sync_ls_and_rb_force_move_files_through_s3(string version)
    {
        var cli = version == "v1" ? "aws" : AwsCliV2.Path;
        var bucket = $"cli-{version}";
        var work = Directory.CreateTempSubdirectory("stratus-s3-cli-").FullName;
        try
        {
            var source = Path.Combine(work, "source");
            Directory.CreateDirectory(Path.Combine(source, "nested"));
            await File.WriteAllTextAsync(Path.Combine(source, "index.html"), "<h1>hello</h1>");
            var big = new byte[9 * 1024 * 1024];
            new Random(17).NextBytes(big);
            await File.WriteAllBytesAsync(Path.Combine(source, "nested", "big.bin"), big);

            async Task<ProcessResult> Aws(params string[] args)
            {
                var result = await Clients.RunAsync(cli, ["--endpoint-url", stratus.Url, "--region", "us-east-1", .. args], stratus.Url, TimeSpan.FromMinutes(3));
                Assert.True(result.ExitCode == 0, $"aws {string.Join(' ', args)}: {result}");
                return result;
            }

            await Aws("s3", "mb", $"s3://{bucket}");
            await Aws("s3", "sync", source, $"s3://{bucket}/site/");
            var listing = await Aws("s3", "ls", "--recursive", $"s3://{bucket}");
            Assert.Contains("site/index.html", listing.Stdout);
            Assert.Contains($"{big.Length} site/nested/big.bin", listing.Stdout);
            var second = await Aws("s3", "sync", source, $"s3://{bucket}/site/");
            Assert.DoesNotContain("upload:", second.Stdout);

            var download = Path.Combine(work, "big.out");
            await Aws("s3", "cp", $"s3://{bucket}/site/nested/big.bin", download);
            Assert.Equal(big, await File.ReadAllBytesAsync(download));

            var head = await Aws("s3api", "head-object", "--bucket", bucket, "--key", "site/nested/big.bin");
            Assert.Contains("\"ContentLength\": 9437184", head.Stdout);
            Assert.Contains("-2\\\"\"", head.Stdout);
            var top = await Aws("s3", "ls", $"s3://{bucket}/site/");
            Assert.Contains("PRE nested/", top.Stdout);

            await Aws("s3", "rb", "--force", $"s3://{bucket}");
            var missing = await Clients.RunAsync(cli, ["--endpoint-url", stratus.Url, "--region", "us-east-1", "s3api", "head-bucket", "--bucket", bucket],
                stratus.Url, TimeSpan.FromMinutes(1));
            Assert.NotEqual(0, missing.ExitCode);
            Assert.Contains("404", missing.Stderr);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
