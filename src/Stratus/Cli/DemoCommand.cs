using System.CommandLine;
using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Stratus.Host;

namespace Stratus.Cli;

/// <summary>
/// `stratus demo`: the seed's accounts system on this machine in one command. Starts Stratus unless one
/// already answers on the port, deploys examples/accounts/stack.yml through CloudFormation (an update
/// when it is already there), seeds the database, and prints the URL of the accounts page.
/// </summary>
public static partial class DemoCommand
{
    public const string StackName = "accounts-demo";
    private const string CloudFormationVersion = "2010-05-15";
    private const string DatabasePassword = "demo-cct-password";

    public static Command Build()
    {
        var server = new StratusCommandLine.ServerOptions();
        var command = new Command("demo", """
            Deploy the accounts demo (examples/accounts/stack.yml: a MySQL database, two C# Lambdas, an API Gateway
            REST API, a log group and an alarm), seed it and print the accounts page's URL. Starts Stratus (and keeps
            it serving until Ctrl-C) unless one already answers on --port. Running it again updates the stack.
            """);
        server.AddTo(command);
        command.SetAction(async (parsed, cancellation) =>
        {
            if (!server.TryRead(parsed, out var options, out var error)) return StratusCommandLine.Fail(error);
            if (FindExample() is not { } example)
                return StratusCommandLine.Fail("cannot find examples/accounts/stack.yml: run `stratus demo` from the Stratus repository.");
            var running = new Uri($"http://{options.Host}:{options.Port}");
            if (await AnswersAsync(running, cancellation))
            {
                Console.WriteLine($"Using the Stratus already running on {running}");
                return await DeployAsync(running, example, cancellation);
            }
            // The demo's own Stratus packages the example's functions wherever `stratus demo` was started from.
            if (!server.ChoosesLocalCodeRoot(parsed)) options = options with { LocalCodeRoot = example };
            return await StratusCommandLine.RunAsync(options, async (started, stop) =>
            {
                var status = await DeployAsync(started.BaseUrl, example, stop);
                if (status == 0) Console.WriteLine("Stratus keeps serving the demo; press Ctrl-C to stop it.");
                return status;
            });
        });
        return command;
    }

    private static async Task<int> DeployAsync(Uri endpoint, string example, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        var aws = new AwsClient(http, endpoint,
            Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") ?? "test",
            Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY") ?? "test",
            Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? StratusOptions.DefaultRegion);
        try
        {
            Step("Building the accounts functions (examples/accounts/package.sh)");
            var zip = await PackageAsync(example, cancellation);

            var outputs = await DeployStackAsync(aws, Packaged(await File.ReadAllTextAsync(Path.Combine(example, "stack.yml"), cancellation), zip), cancellation);

            Step("Seeding the database");
            var seeded = await aws.InvokeAsync(outputs["SeedFunctionName"], "{}", cancellation);
            Console.WriteLine($"  {seeded}");

            var api = ApiIdPattern().Match(outputs["AccountsUrl"]);
            Console.WriteLine();
            Console.WriteLine($"The accounts page ({clock.Elapsed.TotalSeconds:0} s):");
            Console.WriteLine($"  http://{api.Groups[1].Value}.execute-api.localhost:{endpoint.Port}/demo-cct/");
            Console.WriteLine($"  {outputs["AccountsUrl"]}  (HTTPS with a self-signed certificate)");
            Console.WriteLine($"  {endpoint.ToString().TrimEnd('/')}/_aws/execute-api/{api.Groups[1].Value}/demo-cct/  (no DNS: opens from Python, Node and anything using glibc)");
            Console.WriteLine($"Database: {outputs["DatabaseEndpoint"]} (user democct, password {DatabasePassword}); console: {endpoint}_stratus/");
            return 0;
        }
        catch (Exception e) when (e is AwsCallException or HttpRequestException or DemoFailedException)
        {
            return StratusCommandLine.Fail($"the demo could not be deployed: {e.Message}");
        }
    }

    /// <summary>Creates the stack, or updates it when it exists, printing its events until it settles; returns its outputs.</summary>
    /// <summary>The template's functions' local code folder, which `aws cloudformation package` replaces with the object it uploads to S3.</summary>
    private const string LocalCode = "Code: build/publish";

    /// <summary>
    /// The template as `aws cloudformation package` would leave it, without needing the aws CLI: the demo
    /// points the functions at the zip package.sh built through Stratus's stratus-local convention (an
    /// absolute path, read only under the demo's example folder) instead of uploading it to a bucket.
    /// </summary>
    private static string Packaged(string template, string zip) =>
        template.Contains(LocalCode, StringComparison.Ordinal)
            ? template.Replace(LocalCode, $"Code: {{ S3Bucket: stratus-local, S3Key: \"{zip}\" }}", StringComparison.Ordinal)
            : throw new DemoFailedException($"examples/accounts/stack.yml no longer says '{LocalCode}' for its functions");

    private static async Task<Dictionary<string, string>> DeployStackAsync(AwsClient aws, string template, CancellationToken cancellation)
    {
        var existing = await DescribeAsync(aws, cancellation);
        if (existing is not null && Status(existing) is "ROLLBACK_COMPLETE" or "ROLLBACK_FAILED" or "DELETE_FAILED")
        {
            Step($"Removing the failed stack {StackName} ({Status(existing)})");
            var before = await EventIdsAsync(aws, cancellation);
            await aws.QueryAsync("cloudformation", CloudFormationVersion, "DeleteStack", [new("StackName", StackName)], cancellation);
            await WaitAsync(aws, before, cancellation);
            existing = null;
        }

        var parameters = new Dictionary<string, string>
        {
            ["StackName"] = StackName,
            ["TemplateBody"] = template,
            ["Capabilities.member.1"] = "CAPABILITY_IAM",
        };
        var values = new[] { ("DatabasePassword", DatabasePassword) };
        for (var i = 0; i < values.Length; i++)
        {
            parameters[$"Parameters.member.{i + 1}.ParameterKey"] = values[i].Item1;
            parameters[$"Parameters.member.{i + 1}.ParameterValue"] = values[i].Item2;
        }

        var seen = existing is null ? [] : await EventIdsAsync(aws, cancellation);
        if (existing is null)
        {
            Step($"Creating the stack {StackName}: database, role, functions, API, log group, alarm");
            await aws.QueryAsync("cloudformation", CloudFormationVersion, "CreateStack", parameters, cancellation);
        }
        else
        {
            Step($"Updating the stack {StackName}");
            try
            {
                await aws.QueryAsync("cloudformation", CloudFormationVersion, "UpdateStack", parameters, cancellation);
            }
            catch (AwsCallException e) when (e.Message.Contains("No updates are to be performed", StringComparison.Ordinal))
            {
                Console.WriteLine("  already up to date");
            }
        }

        var stack = await WaitAsync(aws, seen, cancellation);
        if (Status(stack) is not ("CREATE_COMPLETE" or "UPDATE_COMPLETE"))
            throw new DemoFailedException($"the stack ended in {Status(stack)}: {AwsClient.Child(stack, "StackStatusReason")}");
        return stack.Descendants().Where(e => e.Name.LocalName == "member" && AwsClient.Child(e, "OutputKey") is not null)
            .ToDictionary(e => AwsClient.Child(e, "OutputKey")!, e => AwsClient.Child(e, "OutputValue") ?? "");
    }

    /// <summary>
    /// Polls the stack until no operation is in progress, printing each resource event not in
    /// <paramref name="seen"/> (the events from before this operation) as progress.
    /// </summary>
    private static async Task<XElement> WaitAsync(AwsClient aws, HashSet<string> seen, CancellationToken cancellation)
    {
        while (true)
        {
            var fresh = (await EventsAsync(aws, cancellation)).Where(e => seen.Add(AwsClient.Child(e, "EventId")!)).Reverse();
            foreach (var e in fresh.Where(e => AwsClient.Child(e, "ResourceType") != "AWS::CloudFormation::Stack"
                         && AwsClient.Child(e, "ResourceStatus")?.EndsWith("_IN_PROGRESS", StringComparison.Ordinal) == false))
                Console.WriteLine($"  {AwsClient.Child(e, "ResourceStatus"),-20} {AwsClient.Child(e, "ResourceType"),-32} {AwsClient.Child(e, "LogicalResourceId")}"
                    + (AwsClient.Child(e, "ResourceStatusReason") is { Length: > 0 } reason ? $"  ({reason})" : ""));
            var stack = await DescribeAsync(aws, cancellation);
            if (stack is null) return new XElement("Gone");
            if (!Status(stack).EndsWith("_IN_PROGRESS", StringComparison.Ordinal)) return stack;
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellation);
        }
    }

    private static async Task<HashSet<string>> EventIdsAsync(AwsClient aws, CancellationToken cancellation) =>
        (await EventsAsync(aws, cancellation)).Select(e => AwsClient.Child(e, "EventId")!).ToHashSet();

    /// <summary>The stack's events, newest first; none once the stack is gone.</summary>
    private static async Task<IReadOnlyList<XElement>> EventsAsync(AwsClient aws, CancellationToken cancellation)
    {
        try
        {
            var result = await aws.QueryAsync("cloudformation", CloudFormationVersion, "DescribeStackEvents", [new("StackName", StackName)], cancellation);
            return result.Descendants().Where(e => e.Name.LocalName == "member" && AwsClient.Child(e, "EventId") is not null).ToList();
        }
        catch (AwsCallException e) when (e.Code == "ValidationError" && e.Message.Contains("does not exist", StringComparison.Ordinal))
        {
            return [];
        }
    }

    private static async Task<XElement?> DescribeAsync(AwsClient aws, CancellationToken cancellation)
    {
        try
        {
            var result = await aws.QueryAsync("cloudformation", CloudFormationVersion, "DescribeStacks", [new("StackName", StackName)], cancellation);
            return result.Descendants().FirstOrDefault(e => e.Name.LocalName == "member" && AwsClient.Child(e, "StackStatus") is not null);
        }
        catch (AwsCallException e) when (e.Code == "ValidationError" && e.Message.Contains("does not exist", StringComparison.Ordinal))
        {
            return null;
        }
    }

    private static string Status(XElement stack) => AwsClient.Child(stack, "StackStatus") ?? "";

    private static async Task<string> PackageAsync(string example, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(example, "package.sh")]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new DemoFailedException("could not run package.sh");
        var output = process.StandardOutput.ReadToEndAsync(cancellation);
        var errors = process.StandardError.ReadToEndAsync(cancellation);
        await process.WaitForExitAsync(cancellation);
        if (process.ExitCode != 0) throw new DemoFailedException($"package.sh failed: {await errors}{await output}");
        return (await output).Trim().Split('\n')[^1];
    }

    private static async Task<bool> AnswersAsync(Uri endpoint, CancellationToken cancellation)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            using var response = await http.GetAsync(new Uri(endpoint, HealthEndpoint.Path), cancellation);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>The accounts example: from the working directory upward, then from where stratus itself is.</summary>
    private static string? FindExample()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "examples", "accounts", "stack.yml")))
                    return Path.Combine(dir.FullName, "examples", "accounts");
        return null;
    }

    private static void Step(string what) => Console.WriteLine($"==> {what}");

    [GeneratedRegex(@"https://([a-z0-9]+)\.execute-api\.")]
    private static partial Regex ApiIdPattern();

    private sealed class DemoFailedException(string message) : Exception(message);
}
