using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Stratus.Host;

namespace Stratus.Cli;

/// <summary>The `stratus` command: start the server, ask a running one how it is.</summary>
public static class StratusCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("""
            Stratus: AWS Lambda, API Gateway, RDS, IAM, STS, CloudFormation, CloudWatch and Logs on your machine,
            behind one endpoint that the aws CLI and AWS SDKs talk to unchanged (--endpoint-url http://localhost:4566).
            """);
        root.Subcommands.Add(StartCommand());
        root.Subcommands.Add(StatusCommand());
        root.Subcommands.Add(DemoCommand.Build());
        return root;
    }

    internal static Option<int> PortOption() => new("--port", "-p")
    {
        Description = $"TCP port to serve on (env STRATUS_PORT; 0 picks a free one). Default {StratusOptions.DefaultPort}.",
        DefaultValueFactory = _ => int.TryParse(Environment.GetEnvironmentVariable("STRATUS_PORT"), out var p) ? p : StratusOptions.DefaultPort,
    };

    internal static Option<string> HostOption() => new("--host")
    {
        Description = "Address to bind. Default 127.0.0.1: nothing is reachable from other machines unless you choose so.",
        DefaultValueFactory = _ => StratusOptions.DefaultHost,
    };

    private static Command StartCommand()
    {
        var server = new ServerOptions();
        var command = new Command("start", "Start Stratus in the foreground; Ctrl-C stops it and everything it started.");
        server.AddTo(command);
        command.SetAction((parsed, _) => server.TryRead(parsed, out var options, out var error) ? RunAsync(options) : Task.FromResult(Fail(error)));
        return command;
    }

    /// <summary>The options that say how to run a server, shared by `start` and `demo`.</summary>
    internal sealed class ServerOptions
    {
        public Option<int> Port { get; } = PortOption();
        public Option<string> Host { get; } = HostOption();

        private readonly Option<string> _dataDir = new("--data-dir")
        {
            Description = "Where state, function code and databases are kept across restarts (env STRATUS_DATA_DIR). Default ~/.stratus.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("STRATUS_DATA_DIR") is { Length: > 0 } d ? d : StratusOptions.DefaultDataDir,
        };
        private readonly Option<bool> _ephemeral = new("--ephemeral") { Description = "Keep nothing on disk: everything is gone when Stratus stops." };
        private readonly Option<AuthMode> _auth = new("--auth")
        {
            Description = "accept: any credentials work (default). verify: SigV4 signatures are checked against IAM access keys, STS sessions and --root-key. " +
                "enforce: as verify, and IAM users' and roles' policies must allow each operation (the root key is always allowed).",
            DefaultValueFactory = _ => AuthMode.Accept,
        };
        private readonly Option<string?> _rootKey = new("--root-key")
        {
            Description = "An access key pair ID:SECRET accepted in verify mode as the account's root. Prefer env STRATUS_ROOT_KEY " +
                "or --root-key-file: a command line is visible to every user of the machine (ps).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("STRATUS_ROOT_KEY"),
        };
        private readonly Option<string?> _localCodeRoot = new("--local-code-root")
        {
            Description = "The folder whose files CloudFormation's S3Bucket: stratus-local convention may package (env STRATUS_LOCAL_CODE_ROOT). " +
                "Default: the folder Stratus is started from.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("STRATUS_LOCAL_CODE_ROOT") is { Length: > 0 } root ? root : null,
        };
        private readonly Option<string?> _rootKeyFile = new("--root-key-file")
        {
            Description = "A file holding the root key pair ID:SECRET (one line); it should be readable by you alone (chmod 600).",
        };

        public void AddTo(Command command)
        {
            foreach (Option option in (Option[])[Port, Host, _dataDir, _ephemeral, _auth, _rootKey, _rootKeyFile, _localCodeRoot]) command.Options.Add(option);
        }

        public bool TryRead(ParseResult parsed, out StratusOptions options, out string error)
        {
            options = new StratusOptions();
            error = "";
            var host = parsed.GetValue(Host)!;
            if (!IPAddress.TryParse(host, out IPAddress? _) && host != "localhost")
            {
                error = $"--host must be an IP address or localhost, not '{host}'.";
                return false;
            }
            (string, string)? root = null;
            if (!TryReadRootKey(parsed, out var pair, out error)) return false;
            if (pair is not null)
            {
                var colon = pair.IndexOf(':');
                if (colon <= 0 || colon == pair.Length - 1)
                {
                    error = "--root-key must be ACCESS_KEY_ID:SECRET_ACCESS_KEY.";
                    return false;
                }
                root = (pair[..colon], pair[(colon + 1)..]);
            }
            options = new StratusOptions
            {
                Port = parsed.GetValue(Port),
                Host = host,
                DataDir = parsed.GetValue(_ephemeral) ? null : Path.GetFullPath(parsed.GetValue(_dataDir)!),
                Auth = parsed.GetValue(_auth),
                RootKey = root,
            };
            if (parsed.GetValue(_localCodeRoot) is { } localCodeRoot)
            {
                if (!Directory.Exists(localCodeRoot))
                {
                    error = $"--local-code-root {localCodeRoot} is not a directory.";
                    return false;
                }
                options = options with { LocalCodeRoot = Path.GetFullPath(localCodeRoot) };
            }
            return true;
        }

        /// <summary>Whether the local code root was chosen (option or environment) rather than left to the start folder.</summary>
        public bool ChoosesLocalCodeRoot(ParseResult parsed) => parsed.GetValue(_localCodeRoot) is not null;

        /// <summary>
        /// The root key from --root-key-file, the environment, or (warned about, as every user's ps shows it) the
        /// command line. Kept accepted there so existing scripts run; the warning names the safe ways.
        /// </summary>
        private bool TryReadRootKey(ParseResult parsed, out string? pair, out string error)
        {
            pair = null;
            error = "";
            var onCommandLine = parsed.GetResult(_rootKey) is { Implicit: false };
            if (parsed.GetValue(_rootKeyFile) is { } file)
            {
                if (onCommandLine)
                {
                    error = "give the root key either with --root-key or with --root-key-file, not both.";
                    return false;
                }
                try
                {
                    pair = File.ReadAllText(file).Trim();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    error = $"cannot read --root-key-file {file}: {e.Message}";
                    return false;
                }
                if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(file) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
                    Console.Error.WriteLine($"stratus: warning: {file} is readable by other users; chmod 600 it.");
                return true;
            }
            pair = parsed.GetValue(_rootKey);
            if (onCommandLine)
                Console.Error.WriteLine("stratus: warning: --root-key on the command line is visible to every user of this machine (ps); " +
                    "set STRATUS_ROOT_KEY or use --root-key-file instead.");
            return true;
        }
    }

    /// <summary>
    /// Runs a server until Ctrl-C or SIGTERM. <paramref name="whenReady"/>, if given, runs once it serves;
    /// a non-zero result stops the server and becomes the exit code.
    /// </summary>
    internal static async Task<int> RunAsync(StratusOptions options, Func<StratusServer, CancellationToken, Task<int>>? whenReady = null)
    {
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        string? owner;
        try
        {
            owner = OwnerProcess.Parse(Environment.GetEnvironmentVariable(OwnerProcess.Variable));
        }
        catch (ArgumentException e)
        {
            return Fail(e.Message);
        }
        StratusServer server;
        try
        {
            server = await StratusServer.StartAsync(options, stop.Token);
        }
        catch (IOException e)
        {
            return Fail($"Stratus could not listen on {options.Host}:{options.Port}: {e.Message}. Is another Stratus running? Try --port.");
        }
        await using (server)
        {
            Console.WriteLine($"Stratus ready on {server.BaseUrl.ToString().TrimEnd('/')}");
            Console.WriteLine(options.DataDir is null ? "State: ephemeral (kept in memory only)" : $"State: {options.DataDir}");
            var console = $"{server.BaseUrl.ToString().TrimEnd('/')}/_stratus/";
            if (server.ConsoleAccess.Token is { } token)
                Console.WriteLine($"Console: {server.BaseUrl.ToString().TrimEnd('/')}{ConsoleAccess.LoginPath}?token={token} (the token is " +
                    (options.DataDir is null ? $"this run's; give it to `stratus status --token` or {ConsoleAccess.TokenEnvironmentVariable})" : $"kept in {Path.Combine(options.DataDir, ConsoleAccess.TokenFileName)})"));
            else
                Console.WriteLine($"Console: {console} is open to anyone who can reach {options.Host}:{server.BaseUrl.Port}, as every API is with --auth accept: " +
                    "it shows functions' logs, metrics, alarms and log groups, and /_stratus/health the data dir's path and what is sandboxed. " +
                    "Start with --auth verify to require credentials.");
            var (urls, notListed) = new InvokeUrls(server.Services.ApiGateway, server.Services.ApiGatewayV2, server.Services.Lambda).Listing();
            foreach (var line in InvokeUrls.Describe(urls, notListed)) Console.WriteLine(line);
            if (owner is not null)
                _ = OwnerProcess.WatchAsync(owner, () =>
                {
                    Console.WriteLine($"Stratus's owner process ({OwnerProcess.Variable}={owner}) has exited.");
                    stop.Cancel();
                }, stop.Token);
            if (whenReady is not null && await whenReady(server, stop.Token) is var status and not 0) return status;
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine("Stratus stopping...");
            }
        }
        Console.WriteLine("Stratus stopped.");
        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private static Command StatusCommand()
    {
        var port = PortOption();
        var host = HostOption();
        var token = new Option<string?>("--token")
        {
            Description = $"The console token of a Stratus started with --auth verify (env {ConsoleAccess.TokenEnvironmentVariable}). " +
                $"Default: the one in --data-dir's {ConsoleAccess.TokenFileName}, if any.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ConsoleAccess.TokenEnvironmentVariable),
        };
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "Where that Stratus keeps its state, for its console token (env STRATUS_DATA_DIR). Default ~/.stratus.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("STRATUS_DATA_DIR") is { Length: > 0 } d ? d : StratusOptions.DefaultDataDir,
        };
        var command = new Command("status", "Ask a running Stratus how it is: version, uptime, each service's state, and every invoke URL.") { port, host, token, dataDir };
        command.SetAction(async (parsed, cancellation) =>
        {
            var url = $"http://{parsed.GetValue(host)}:{parsed.GetValue(port)}{HealthEndpoint.Path}";
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            if ((parsed.GetValue(token) ?? ConsoleAccess.TokenIn(parsed.GetValue(dataDir)!)) is { } bearer)
                client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
            JsonNode? health;
            try
            {
                health = JsonNode.Parse(await client.GetStringAsync(url, cancellation));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                return Fail($"No Stratus answers at {url} ({e.Message}). Start one with: stratus start");
            }
            if (health?["services"] is null)
            {
                Console.WriteLine($"Stratus {health?["version"]} running at http://{parsed.GetValue(host)}:{parsed.GetValue(port)}, auth: {health?["auth"]}");
                Console.WriteLine($"  details need its console token: --token, {ConsoleAccess.TokenEnvironmentVariable}, or --data-dir of that Stratus");
                return 0;
            }
            Console.WriteLine($"Stratus {health?["version"]} running for {health?["uptimeSeconds"]} s at http://{parsed.GetValue(host)}:{parsed.GetValue(port)}");
            Console.WriteLine($"State: {health?["persistence"]}, auth: {health?["auth"]}");
            foreach (var (name, state) in health?["services"]?.AsObject() ?? [])
                Console.WriteLine($"  {name,-16} {state?["state"]}");
            var urls = (health?["invokeUrls"] as JsonArray ?? []).Select(InvokeUrl.FromJson).OfType<InvokeUrl>().ToList();
            var notListed = health?["invokeUrlsNotListed"] is JsonValue count && count.TryGetValue<int>(out var more) ? more : 0;
            foreach (var line in InvokeUrls.Describe(urls, notListed)) Console.WriteLine(line);
            return 0;
        });
        return command;
    }

    internal static int Fail(string message)
    {
        Console.Error.WriteLine("stratus: " + message);
        return 1;
    }
}
