using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Accounts;

/// <summary>
/// examples/accounts deployed through `aws cloudformation package` as a user deploys it: the functions built, the bucket
/// `package` uploads them to made, and the template packaged (its stack.yml and its SAM template.yml alike).
/// </summary>
public static class AccountsExample
{
    public static readonly string Folder = Path.Combine(RepoPaths.Root, "examples", "accounts");

    /// <summary>Builds the functions (package.sh) and makes the artifacts bucket.</summary>
    public static async Task PrepareAsync(string url, string bucket)
    {
        var build = await Clients.RunAsync("bash", [Path.Combine(Folder, "package.sh")], url, TimeSpan.FromMinutes(5));
        Assert.True(build.ExitCode == 0, build.ToString());
        var made = await Clients.AwsAsync(url, "s3", "mb", "s3://" + bucket);
        Assert.True(made.ExitCode == 0, made.ToString());
    }

    /// <summary>
    /// `aws cloudformation package` of the example's <paramref name="template"/> into <paramref name="packaged"/>, with the endpoint
    /// variable, as a user points the CLI at Stratus: `package` uploads with an S3 client that --endpoint-url does not reach.
    /// </summary>
    public static async Task PackageAsync(string url, string template, string bucket, string packaged)
    {
        var result = await Clients.RunAsync("aws", ["--region", "us-east-1", "cloudformation", "package", "--template-file",
            Path.Combine(Folder, template), "--s3-bucket", bucket, "--output-template-file", packaged],
            url, TimeSpan.FromMinutes(3), new Dictionary<string, string> { ["AWS_ENDPOINT_URL"] = url });
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
