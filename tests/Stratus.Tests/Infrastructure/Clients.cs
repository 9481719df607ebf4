using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Stratus.Tests.Infrastructure;

/// <summary>What a client program printed and how it exited.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// Runs real AWS clients against a Stratus: boto3 scripts (breadth; one Python start per script) and
/// the aws CLI (the seed's own commands). Both get dummy credentials and no user configuration.
/// </summary>
public static class Clients
{
    private const string Boto3Prelude = """
        import json, os, sys, time, base64, io, zipfile
        import boto3, botocore
        from botocore.config import Config
        URL = os.environ["STRATUS_URL"]
        def client(name, region="us-east-1", key="test", secret="test", token=None, **kw):
            return boto3.client(name, endpoint_url=URL, region_name=region, aws_access_key_id=key,
                                aws_secret_access_key=secret, aws_session_token=token,
                                config=Config(retries={"max_attempts": 1}), **kw)
        def error(fn, *a, **kw):
            try:
                fn(*a, **kw)
            except botocore.exceptions.ClientError as e:
                return {"code": e.response["Error"]["Code"], "message": e.response["Error"].get("Message", ""),
                        "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
            return None
        def settle_stack(name, region="us-east-1"):
            # The stack once no operation on it is in progress, whatever its outcome.
            stacks = client("cloudformation", region=region)
            while True:
                stack = stacks.describe_stacks(StackName=name)["Stacks"][0]
                if not stack["StackStatus"].endswith("_IN_PROGRESS"): return stack
                time.sleep(0.3)
        def python_zip(source, name="app.py"):
            # A function package of one world-readable Python file.
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as z:
                info = zipfile.ZipInfo(name); info.external_attr = 0o644 << 16
                z.writestr(info, source)
            return buffer.getvalue()
        out = {}

        """;

    /// <summary>Runs a boto3 script that fills the dict <c>out</c>; returns it as JSON.</summary>
    public static async Task<JsonObject> Boto3Async(string url, string script, TimeSpan? timeout = null)
    {
        var path = TestScratch.NewFile("boto3-", ".py");
        await File.WriteAllTextAsync(path, Boto3Prelude + script + "\nprint(json.dumps(out, default=str))\n");
        try
        {
            var result = await RunAsync("python3", [path], url, timeout ?? TimeSpan.FromMinutes(3));
            Assert.True(result.ExitCode == 0, "boto3 script failed:\n" + result);
            var lastLine = result.Stdout.TrimEnd().Split('\n')[^1];
            return JsonNode.Parse(lastLine)!.AsObject();
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Runs the aws CLI (v1 on PATH unless AWS_CLI names another) against the server.</summary>
    public static Task<ProcessResult> AwsAsync(string url, params string[] args) =>
        RunAsync(Environment.GetEnvironmentVariable("AWS_CLI") ?? "aws", ["--endpoint-url", url, "--region", "us-east-1", .. args], url, TimeSpan.FromMinutes(3));

    /// <summary>
    /// Runs <paramref name="script"/> of tests/js (the AWS SDK for JavaScript v3) against Stratus and returns the JSON its
    /// last line prints; the test fails, naming the install command, when <paramref name="sdkPackage"/> is not installed.
    /// </summary>
    public static async Task<JsonNode> JsSdkAsync(string url, string sdkPackage, string script)
    {
        var js = Path.Combine(RepoPaths.Root, "tests", "js");
        Assert.True(Directory.Exists(Path.Combine(js, "node_modules", "@aws-sdk", sdkPackage)),
            "The JavaScript SDK is not installed: run `npm install --prefix tests/js --no-package-lock` (test.sh does).");
        var run = await RunAsync("node", [Path.Combine(js, script)], url, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonNode.Parse(run.Stdout.Trim().Split('\n')[^1])!;
    }

    public static async Task<ProcessResult> RunAsync(string program, IEnumerable<string> args, string url, TimeSpan timeout, IDictionary<string, string>? env = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var empty = Path.Combine(Path.GetTempPath(), "stratus-empty-aws-config");
        if (!File.Exists(empty)) await File.WriteAllTextAsync(empty, "");
        start.Environment["STRATUS_URL"] = url;
        start.Environment["AWS_ACCESS_KEY_ID"] = "test";
        start.Environment["AWS_SECRET_ACCESS_KEY"] = "test";
        start.Environment["AWS_DEFAULT_REGION"] = "us-east-1";
        start.Environment["AWS_CONFIG_FILE"] = empty;
        start.Environment["AWS_SHARED_CREDENTIALS_FILE"] = empty;
        start.Environment["AWS_PAGER"] = "";
        start.Environment["AWS_MAX_ATTEMPTS"] = "1";
        start.Environment.Remove("AWS_PROFILE");
        start.Environment.Remove("AWS_SESSION_TOKEN");
        if (env is not null) foreach (var (k, v) in env) start.Environment[k] = v;

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {timeout}.");
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}
