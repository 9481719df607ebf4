using System.Net;
using System.Text.RegularExpressions;
using Accounts.Functions;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Accounts;

/// <summary>
/// The seed's image path of examples/accounts/deploy.sh against Stratus: with a client that can build (here podman or
/// buildah, no daemon) it builds Dockerfile.lambda_* on a stand-in for AWS's .NET base image, pushes both images to
/// their repositoryUri and creates both functions from them, and the accounts page is served by the image functions.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AccountsImagesTests
{
    private static readonly string Example = Path.Combine(RepoPaths.Root, "examples", "accounts");

    [Fact]
    public async Task Deploy_builds_and_pushes_both_images_and_the_image_functions_serve_the_accounts_page()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        using var store = new ContainerStore();
        await LambdaDotnetBaseImage.BuildAsync(store);

        var deploy = await Clients.RunAsync("bash", [Path.Combine(Example, "deploy.sh"), server.Url], server.Url, TimeSpan.FromMinutes(15), store.Environment);
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("ECR: building and pushing demo-cct-lambda-seed-db", deploy.Stderr);
        Assert.DoesNotContain("packaging the functions as a zip", deploy.Stderr);
        // The whole output when it fails: the seed function's answer (or its error) is in it.
        Assert.True(deploy.Stderr.Contains("\"rowsInserted\":12", StringComparison.Ordinal), deploy.ToString());

        var functions = await Clients.Boto3Async(server.Url, """
            lam, ecr = client("lambda"), client("ecr")
            for name in ["demo-cct-lambda-seed-db", "demo-cct-lambda-retrieve-accounts"]:
                got = lam.get_function(FunctionName=name)
                image = ecr.describe_images(repositoryName=name)["imageDetails"][0]
                out[name] = {"packageType": got["Configuration"]["PackageType"], "resolved": got["Code"]["ResolvedImageUri"],
                    "uri": ecr.describe_repositories(repositoryNames=[name])["repositories"][0]["repositoryUri"],
                    "digest": image["imageDigest"], "tags": image["imageTags"]}
            """);
        foreach (var name in new[] { "demo-cct-lambda-seed-db", "demo-cct-lambda-retrieve-accounts" })
        {
            var function = functions[name]!;
            Assert.Equal("Image", function["packageType"]!.GetValue<string>());
            Assert.Equal(["latest"], function["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
            Assert.Equal($"{function["uri"]}@{function["digest"]}", function["resolved"]!.GetValue<string>());
        }

        var stage = Regex.Match(deploy.Stdout, @"http://([a-z0-9]{10})\.execute-api\.localhost:\d+/demo-cct/");
        Assert.True(stage.Success, deploy.Stdout);
        using var http = new HttpClient();
        using var page = await http.GetAsync($"{server.Url.TrimEnd('/')}/restapis/{stage.Groups[1].Value}/demo-cct/_user_request_/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        foreach (var account in AccountsSchema.SampleAccounts) Assert.Contains(WebUtility.HtmlEncode(account.FullName), html);

        var teardown = await Clients.RunAsync("bash", [Path.Combine(Example, "teardown.sh"), server.Url], server.Url, TimeSpan.FromMinutes(5));
        Assert.True(teardown.ExitCode == 0, teardown.ToString());
        var left = await Clients.Boto3Async(server.Url, """
            out["functions"] = len(client("lambda").list_functions()["Functions"])
            out["repositories"] = len(client("ecr").describe_repositories()["repositories"])
            """);
        Assert.Equal("""{"functions":0,"repositories":0}""", left.ToJsonString());
    }
}
