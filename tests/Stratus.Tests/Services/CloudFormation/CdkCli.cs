using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// The unmodified CDK CLI from npm (tests/js) run on one of the CDK apps beside these tests, pointed at Stratus with
/// the endpoint variables only; its cdk.out and home in a temp dir removed on dispose.
/// </summary>
public sealed class CdkCli(string url, string appFolder) : IDisposable
{
    private static readonly string Js = Path.Combine(RepoPaths.Root, "tests", "js");
    private readonly string _app = Path.Combine(RepoPaths.Root, "tests", "Stratus.Tests", "Services", "CloudFormation", appFolder);
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("stratus-cdk-");

    public string WorkDir => _work.FullName;

    public static bool IsInstalled => File.Exists(Path.Combine(Js, "node_modules", ".bin", "cdk")) && Directory.Exists(Path.Combine(Js, "node_modules", "aws-cdk-lib"));

    public const string InstallHint = "The CDK is not installed: run `npm install --prefix tests/js --no-package-lock` (test.sh does).";

    public void Dispose() => _work.Delete(recursive: true);

    public async Task<string> RunAsync(params string[] args)
    {
        var environment = new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL"] = url,
            ["AWS_REGION"] = "us-east-1",
            ["NODE_PATH"] = Path.Combine(Js, "node_modules"),
            // No calls outside: no version check, notices or telemetry.
            ["CDK_DISABLE_VERSION_CHECK"] = "1",
            ["CDK_DISABLE_CLI_TELEMETRY"] = "true",
            ["CDK_HOME"] = Path.Combine(_work.FullName, "home"),
        };
        var run = await Clients.RunAsync("bash", ["-c", $"cd \"{_app}\" && exec \"{Path.Combine(Js, "node_modules", ".bin", "cdk")}\" \"$@\"", "cdk",
                .. args, "--no-notices", "--output", Path.Combine(_work.FullName, "cdk.out")],
            url, TimeSpan.FromMinutes(8), environment);
        Assert.True(run.ExitCode == 0, "cdk " + string.Join(' ', args) + " failed:\n" + run);
        return run.Stdout + run.Stderr;
    }
}
