using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>A Stratus with a data directory on disk, so a function can be pointed at its state.db and code.</summary>
public sealed class PersistentLambdaFixture : IAsyncLifetime
{
    public StratusProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await StratusProcess.StartPersistentAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// Every escape issue #15 found, tried from inside a real Python function: each must fail. The paths tried are
/// real ones on this machine (Stratus's data directory, another function's unpacked code), so a failure means
/// the sandbox hides them, not that they do not exist.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaSandboxTests(PersistentLambdaFixture stratus) : IClassFixture<PersistentLambdaFixture>
{
    private const string Attacker = """
        ATTACKER = '''
        import errno, os, pwd, subprocess, threading, urllib.request

        def attempt(action):
            try:
                action()
                return "succeeded"
            except OSError as e:
                return errno.errorcode.get(e.errno, str(e.errno))

        def write(path):
            with open(path, "w") as f:
                f.write("escaped")

        def handler(event, context):
            action = event["action"]
            if action == "escapes":
                status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
                tmp_before = sorted(os.listdir("/tmp"))
                write("/tmp/mine")
                return {
                    "remount_bind_rw": subprocess.run(["mount", "-o", "remount,bind,rw", "/"], capture_output=True).returncode,
                    "remount_rw": subprocess.run(["mount", "-o", "remount,rw", "/"], capture_output=True).returncode,
                    "nested_user_namespace": subprocess.run(["unshare", "-r", "true"], capture_output=True).returncode,
                    "write_root": attempt(lambda: write("/root/stratus-escape")),
                    "write_usr": attempt(lambda: write("/usr/stratus-escape")),
                    "write_task": attempt(lambda: write("/var/task/stratus-escape")),
                    "shadow": attempt(lambda: open("/etc/shadow").read()),
                    "state_db": attempt(lambda: open(event["state_db"], "rb").read(16)),
                    "data_dir": attempt(lambda: os.listdir(event["data_dir"])),
                    "other_code": attempt(lambda: os.listdir(event["other_code"])),
                    "home": attempt(lambda: os.listdir("/home")),
                    "uid": os.getuid(), "gid": os.getgid(), "user": pwd.getpwuid(os.getuid()).pw_name,
                    "cap_eff": status["CapEff"].strip(), "cap_bnd": status["CapBnd"].strip(), "no_new_privs": status["NoNewPrivs"].strip(),
                    "tmp_before": tmp_before, "tmp_after": sorted(os.listdir("/tmp")),
                }
            if action == "threads":
                threading.stack_size(64 * 1024)
                gate, threads, error = threading.Event(), [], None
                try:
                    for _ in range(1100):
                        thread = threading.Thread(target=gate.wait)
                        thread.start()
                        threads.append(thread)
                except RuntimeError as e:
                    error = str(e)
                gate.set()
                for thread in threads:
                    thread.join()
                return {"started": len(threads), "error": error}
            if action == "address":
                return os.environ["AWS_LAMBDA_RUNTIME_API"]
            if action == "steal":
                try:
                    return "took: " + urllib.request.urlopen("http://" + event["address"] + "/2018-06-01/runtime/invocation/next", timeout=5).read().decode()
                except Exception as e:
                    return "refused: " + type(e).__name__
            return "ok"
        '''
        """;

    [Fact]
    public async Task Escapes_from_inside_a_function_fail()
    {
        var dataDir = stratus.Server.DataDir!;
        var result = await Clients.Boto3Async(stratus.Server.Url, LambdaScripts.Prelude + Attacker + """

            create("sbx-victim", {"victim_secret.py": "KEY = 1", "app.py": "def handler(e, c):\n    return 'victim'\n"})
            create("sbx-attacker", {"app.py": ATTACKER}, MemorySize=512, Timeout=60)
            out["victim_first"] = invoke("sbx-victim")["payload"]
            """ + $"""

            data_dir = {System.Text.Json.JsonSerializer.Serialize(dataDir)}
            """ + """

            import glob, os
            state_db = glob.glob(data_dir + "/**/state.db", recursive=True)[0]
            other_code = os.path.dirname(glob.glob(data_dir + "/**/victim_secret.py", recursive=True)[0])
            out["paths_exist"] = os.path.exists(state_db) and os.path.isdir(other_code)
            out["escapes"] = invoke("sbx-attacker", {"action": "escapes", "state_db": state_db, "data_dir": data_dir, "other_code": other_code})
            out["threads"] = invoke("sbx-attacker", {"action": "threads"})["payload"]
            out["host_root_written"] = os.path.exists("/root/stratus-escape")

            # The victim's environment is idle, waiting for its next event on its own Runtime API port.
            lam.create_function(FunctionName="sbx-victim-address", Runtime="python3.12", Role=role(), Handler="app.handler",
                                Code={"ZipFile": zip_of({"app.py": ATTACKER})})
            victim_address = invoke("sbx-victim-address", {"action": "address"})["payload"]
            out["victim_address"] = victim_address
            out["steal"] = invoke("sbx-attacker", {"action": "steal", "address": victim_address})["payload"]
            out["victim_after"] = invoke("sbx-victim-address", {"action": "address"})["payload"]
            """);

        Assert.True(result["paths_exist"]!.GetValue<bool>());
        var escapes = result["escapes"]!;
        Assert.Null(escapes["error"]);
        var tried = escapes["payload"]!;
        Assert.NotEqual(0, tried["remount_bind_rw"]!.GetValue<int>());
        Assert.NotEqual(0, tried["remount_rw"]!.GetValue<int>());
        Assert.NotEqual(0, tried["nested_user_namespace"]!.GetValue<int>());
        Assert.NotEqual("succeeded", tried["write_root"]!.GetValue<string>());
        Assert.False(result["host_root_written"]!.GetValue<bool>());
        Assert.Equal("EROFS", tried["write_usr"]!.GetValue<string>());
        Assert.Equal("EROFS", tried["write_task"]!.GetValue<string>());
        // Not "permission denied": the files are not there at all.
        Assert.Equal("ENOENT", tried["shadow"]!.GetValue<string>());
        Assert.Equal("ENOENT", tried["state_db"]!.GetValue<string>());
        Assert.Equal("ENOENT", tried["data_dir"]!.GetValue<string>());
        Assert.Equal("ENOENT", tried["other_code"]!.GetValue<string>());
        Assert.Equal("ENOENT", tried["home"]!.GetValue<string>());
        Assert.Equal(993, tried["uid"]!.GetValue<int>());
        Assert.Equal(990, tried["gid"]!.GetValue<int>());
        Assert.Equal("sbx_user1051", tried["user"]!.GetValue<string>());
        Assert.Equal("0000000000000000", tried["cap_eff"]!.GetValue<string>());
        Assert.Equal("0000000000000000", tried["cap_bnd"]!.GetValue<string>());
        Assert.Equal("1", tried["no_new_privs"]!.GetValue<string>());
        // A private /tmp: none of the host's /tmp (where this Stratus's data directory is), writable.
        Assert.Equal("[]", tried["tmp_before"]!.ToJsonString());
        Assert.Equal("""["mine"]""", tried["tmp_after"]!.ToJsonString());

        // Lambda's 1,024 processes and threads per environment: the runtime's own threads count too.
        var threads = result["threads"]!;
        Assert.Contains("can't start new thread", threads["error"]!.GetValue<string>());
        Assert.InRange(threads["started"]!.GetValue<int>(), 100, 1023);

        Assert.Matches(@"^127\.0\.0\.1:\d+$", result["victim_address"]!.GetValue<string>());
        Assert.StartsWith("refused: ", result["steal"]!.GetValue<string>());
        Assert.Equal(result["victim_address"]!.GetValue<string>(), result["victim_after"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_runtime_that_cannot_start_has_its_stderr_in_the_log_and_its_exit_status_named()
    {
        var result = await Clients.Boto3Async(stratus.Server.Url, LambdaScripts.Prelude + """
            def custom(name, script):
                create(name, {"bootstrap": "#!/bin/sh\n" + script}, runtime="provided.al2023", handler="unused", executable=("bootstrap",))
                return invoke(name, LogType="Tail")
            # The dotnet host's status when the application it is given does not exist (issue #15's report).
            out["status"] = custom("sbx-exit", "echo 'The application to execute does not exist' >&2\nexit 129\n")
            out["signal"] = custom("sbx-segv", "kill -SEGV $$\n")
            """);

        var status = result["status"]!;
        Assert.Equal("Unhandled", status["error"]!.GetValue<string>());
        Assert.Equal("Runtime.ExitError", status["payload"]!["errorType"]!.GetValue<string>());
        Assert.EndsWith("Runtime exited with error: exit status 129", status["payload"]!["errorMessage"]!.GetValue<string>());
        Assert.Contains("The application to execute does not exist", status["log"]!.GetValue<string>());
        Assert.Contains("Runtime exited with error: exit status 129", status["log"]!.GetValue<string>());
        Assert.EndsWith("Runtime exited with error: signal: segmentation fault", result["signal"]!["payload"]!["errorMessage"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_page_says_what_isolates_functions()
    {
        using var http = new HttpClient();
        var health = JsonNode.Parse(await http.GetStringAsync(stratus.Server.Url.TrimEnd('/') + "/_stratus/health"))!;
        var state = health["services"]!["lambda"]!["state"]!.GetValue<string>();
        Assert.Contains("sbx_user1051 (uid 993", state);
        Assert.Contains("no capabilities", state);
        Assert.Contains("1024 processes and threads per environment", state);
        Assert.Contains("host network", state);
    }
}

/// <summary>Stratus installed under /tmp (a clone there, or a package unpacked into a temporary folder): its functions still run.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaInstalledUnderTmpTests
{
    [Fact]
    public async Task Dotnet_function_runs_when_Stratus_lives_under_tmp()
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var build = Path.Combine(RepoPaths.Root, "src", "Stratus", "bin", configuration, "net10.0");
        var install = Directory.CreateTempSubdirectory("stratus-install-").FullName;
        try
        {
            Assert.StartsWith("/tmp/", install);
            foreach (var file in Directory.EnumerateFiles(build, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(install, Path.GetRelativePath(build, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
            await using var server = await StratusProcess.StartEphemeralFromAsync(Path.Combine(install, "stratus.dll"));
            var result = await Clients.Boto3Async(server.Url, LambdaScripts.Prelude + $"""
                library = base64.b64decode("{LambdaPackages.Base64("DotnetFunctions")}")
                """ + """

                lam.create_function(FunctionName="tmp-echo", Runtime="dotnet10", Role=role(), Handler="DotnetFunctions::DotnetFunctions.Echo::Handle",
                                    Code={"ZipFile": library}, MemorySize=512, Timeout=30)
                out["echo"] = invoke("tmp-echo", raw=b'"from tmp"', LogType="Tail")
                """);
            Assert.Null(result["echo"]!["error"]);
            Assert.Equal("FROM TMP", result["echo"]!["payload"]!.GetValue<string>());
        }
        finally
        {
            Directory.Delete(install, recursive: true);
        }
    }
}
