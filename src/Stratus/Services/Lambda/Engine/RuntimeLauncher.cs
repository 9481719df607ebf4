using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// Starts an execution environment's process: the runtime's command, the environment AWS sets, its cgroup,
/// and, where the machine allows one, the <see cref="Sandbox"/> (code read-only at /var/task, runtime clients
/// and the .NET runtime host at /var/runtime, a private /tmp, only the system and the runtime visible).
/// </summary>
public sealed partial class RuntimeLauncher
{
    public const string SandboxTaskRoot = "/var/task";
    public const string SandboxRuntimeDir = "/var/runtime";
    private readonly string _runtimeDir;
    private readonly string _scratchRoot;
    private readonly Sandbox _sandbox;
    private readonly RuntimeSdks _sdks;
    private readonly ConcurrentDictionary<string, string> _interpreters = new(StringComparer.Ordinal);

    private readonly MemoryLimits _memory;

    public RuntimeLauncher(string workDir, MemoryLimits memory)
    {
        _memory = memory;
        _runtimeDir = Path.Combine(workDir, "runtimes");
        _scratchRoot = Path.Combine(workDir, "scratch");
        Directory.CreateDirectory(_runtimeDir);
        Directory.CreateDirectory(_scratchRoot);
        WriteRuntimeClients(_runtimeDir);
        CopyDotnetHost(Path.Combine(_runtimeDir, "dotnet"));
        // The machine's python3 as a user runs it (a pyenv shim included): its boto3 is the one the machine has.
        _sdks = new RuntimeSdks(_runtimeDir, () => "python3", AppContext.BaseDirectory);
        _sandbox = Sandbox.Detect(workDir, FindOnPath("bwrap"), FindOnPath("setpriv"));
    }

    public bool Sandboxed => _sandbox.Enabled;

    /// <summary>What isolates functions, or why nothing does.</summary>
    public string SandboxDescription => _sandbox.Description;

    public MemoryLimits MemoryLimits => _memory;

    /// <summary>Which AWS SDKs the runtimes include, or why not.</summary>
    public string SdkDescription => _sdks.Description;

    /// <summary>The Stratus-shipped .NET runtime host, built beside Stratus.</summary>
    public static string DotnetHostPath => Path.Combine(AppContext.BaseDirectory, DotnetHostFiles[0]);

    /// <summary>The runtime host's assembly and the files `dotnet exec` reads beside it.</summary>
    private static readonly string[] DotnetHostFiles =
        ["Stratus.Lambda.RuntimeHost.dll", "Stratus.Lambda.RuntimeHost.runtimeconfig.json", "Stratus.Lambda.RuntimeHost.deps.json"];

    /// <summary>Why a function cannot start at all (missing bootstrap, missing interpreter), checked before any process is made.</summary>
    /// <param name="optDir">The function's merged layers, where a custom runtime's bootstrap may come from (/opt/bootstrap), or null.</param>
    public string? CannotStart(FunctionConfig config, string codeDir, string? optDir = null)
    {
        var runtime = config.Runtime ?? "";
        if (RuntimeCatalog.IsCustom(runtime) && !File.Exists(Path.Combine(codeDir, "bootstrap")) && (optDir is null || !File.Exists(Path.Combine(optDir, "bootstrap"))))
            return "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]";
        if (RuntimeCatalog.IsDotnet(runtime) && !File.Exists(DotnetHostPath))
            return $"The Stratus .NET runtime host is missing at {DotnetHostPath}.";
        return null;
    }

    /// <summary>
    /// A .NET runtime host started ahead of need, in a sandbox whose task root is an empty directory of its
    /// own: on assignment the function's files are linked into it and the host loads them.
    /// </summary>
    public Process StartStandbyDotnetHost(ExecutionEnvironment environment, string runtimeApi) =>
        Start(environment, StandbyTaskRoot(environment), runtimeApi, new Dictionary<string, string> { ["STRATUS_STANDBY"] = "1" });

    public string StandbyTaskRoot(ExecutionEnvironment environment) => Path.Combine(_scratchRoot, environment.Id + "-task");

    /// <summary>Puts a package's files into a standby host's task root: hard links where the file system allows, else copies.</summary>
    public void Populate(ExecutionEnvironment environment, string codeDir)
    {
        var target = StandbyTaskRoot(environment);
        foreach (var directory in Directory.EnumerateDirectories(codeDir, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(codeDir, directory)));
        foreach (var file in Directory.EnumerateFiles(codeDir, "*", SearchOption.AllDirectories))
        {
            LayerMount.LinkOrCopy(file, Path.Combine(target, Path.GetRelativePath(codeDir, file)));
        }
    }

    /// <param name="optDir">The function's merged layers, shown read-only at /opt; null without layers.</param>
    public Process Start(ExecutionEnvironment environment, string codeDir, string runtimeApi, IReadOnlyDictionary<string, string> variables, string? optDir = null)
    {
        var config = environment.Config;
        environment.Cgroup = _memory.Create(environment.Id, config.MemorySize);
        var taskRoot = Sandboxed ? SandboxTaskRoot : codeDir;
        var runtimeDir = Sandboxed ? SandboxRuntimeDir : _runtimeDir;
        // As AWS: a custom runtime's bootstrap is /var/task/bootstrap, else a layer's /opt/bootstrap.
        var bootstrap = File.Exists(Path.Combine(codeDir, "bootstrap")) || optDir is null ? $"{taskRoot}/bootstrap"
            : Sandboxed ? $"{LayerMount.SandboxOpt}/bootstrap" : Path.Combine(optDir, "bootstrap");
        var command = Command(config, taskRoot, runtimeDir, bootstrap);
        var scratch = Path.Combine(_scratchRoot, environment.Id);

        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = Sandboxed ? "/" : codeDir,
        };
        var argv = SandboxPrefix(environment.Cgroup);
        if (!Sandboxed) Directory.CreateDirectory(scratch);
        argv.AddRange(_sandbox.Wrap(codeDir, _runtimeDir, RuntimeTrees(config), config.EphemeralStorageSize * 1024L * 1024, command, optDir));
        start.FileName = argv[0];
        foreach (var arg in argv.Skip(1)) start.ArgumentList.Add(arg);

        start.Environment.Clear();
        start.Environment["LANG"] = "en_US.UTF-8";
        start.Environment["TZ"] = ":UTC";
        start.Environment["HOME"] = Sandboxed ? "/tmp" : scratch;
        if (!Sandboxed) start.Environment["TMPDIR"] = scratch;
        foreach (var (name, value) in variables) start.Environment[name] = value;
        start.Environment["LAMBDA_TASK_ROOT"] = taskRoot;
        start.Environment["LAMBDA_RUNTIME_DIR"] = runtimeDir;
        start.Environment["AWS_LAMBDA_RUNTIME_API"] = runtimeApi;
        start.Environment["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + config.Runtime;
        // Without a sandbox there is no /opt of the function's own: the paths name the merged layers where they are.
        var opt = Sandboxed || optDir is null ? LayerMount.SandboxOpt : optDir;
        foreach (var (name, value) in LayerMount.SearchPaths(config.Runtime ?? "", taskRoot, runtimeDir, opt,
            Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin"))
            start.Environment[name] = value;
        if (RuntimeCatalog.IsPython(config.Runtime ?? "")) start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        if (RuntimeCatalog.IsDotnet(config.Runtime ?? ""))
        {
            start.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(ResolveInterpreter("dotnet"))!;
            start.Environment["DOTNET_ROLL_FORWARD"] = "Major";
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_TieredPGO"] = "0";
            start.Environment["DOTNET_TC_QuickJitForLoops"] = "1";
            start.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
            start.Environment["DOTNET_gcConcurrent"] = "0";
        }

        // Before the runtime's own output, so it is the first line of the function's log.
        if (_sdks.Missing(config.Runtime ?? "") is { } missing) environment.Capture(RuntimeSdks.LogNotice(config.Runtime!, missing));

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.Start();
        return process;
    }

    /// <summary>
    /// What every environment's command line starts with, zip or image: a shell that joins the cgroups (one per v1
    /// hierarchy) before it becomes the sandbox, so every process the function starts is inside the limits, and opens
    /// the seccomp filter as descriptor 3 for bubblewrap's <c>--seccomp 3</c> (.NET passes a child no other descriptor).
    /// Empty when there is neither.
    /// </summary>
    private List<string> SandboxPrefix(EnvironmentCgroup? cgroup) =>
        cgroup is null && _sandbox.SeccompFilter is null
            ? []
            : ["/bin/sh", "-c",
                "filter=$1; shift; while [ \"$1\" != -- ]; do echo $$ > \"$1\" || exit 125; shift; done; shift; [ -z \"$filter\" ] || exec 3<\"$filter\"; exec \"$@\"",
                "stratus-sandbox", _sandbox.SeccompFilter ?? "", .. cgroup?.ProcessesFiles ?? [], "--"];

    public void CleanUp(ExecutionEnvironment environment)
    {
        environment.Cgroup?.Remove();
        foreach (var directory in new[] { Path.Combine(_scratchRoot, environment.Id), StandbyTaskRoot(environment) })
        {
            try
            {
                if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private string[] Command(FunctionConfig config, string taskRoot, string runtimeDir, string bootstrap)
    {
        var runtime = config.Runtime ?? "";
        if (RuntimeCatalog.IsPython(runtime)) return [Python(runtime), "-u", $"{runtimeDir}/python/bootstrap.py"];
        if (RuntimeCatalog.IsNode(runtime)) return [ResolveInterpreter("node"), $"{runtimeDir}/node/bootstrap.js"];
        if (RuntimeCatalog.IsDotnet(runtime))
        {
            var handler = config.Handler ?? "";
            // An executable assembly brings its own runtime client: the handler names the assembly.
            return handler.Contains("::", StringComparison.Ordinal)
                ? [ResolveInterpreter("dotnet"), "exec", $"{runtimeDir}/dotnet/{DotnetHostFiles[0]}"]
                : [ResolveInterpreter("dotnet"), "exec", $"{taskRoot}/{handler}.dll"];
        }
        return [bootstrap];
    }

    /// <summary>
    /// The runtime's installation, which the sandbox shows at its own path when it lies outside the system
    /// directories: a pyenv or nvm prefix in a home directory, a .NET under /opt. Only that tree, never the home directory around it.
    /// </summary>
    private IEnumerable<string> RuntimeTrees(FunctionConfig config)
    {
        var runtime = config.Runtime ?? "";
        if (RuntimeCatalog.IsPython(runtime)) return InstallationPrefix(Python(runtime));
        if (RuntimeCatalog.IsNode(runtime)) return InstallationPrefix(ResolveInterpreter("node"));
        if (RuntimeCatalog.IsDotnet(runtime)) return [Path.GetDirectoryName(ResolveInterpreter("dotnet"))!];
        return [];
    }

    /// <summary>PREFIX for PREFIX/bin/interpreter (where its libraries are), or just the interpreter's directory when PREFIX would be a whole home or the root.</summary>
    private static string[] InstallationPrefix(string interpreter)
    {
        var bin = Path.GetDirectoryName(interpreter)!;
        var prefix = Path.GetFileName(bin) == "bin" ? Path.GetDirectoryName(bin)! : bin;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return prefix == "/" || prefix == home || Path.GetDirectoryName(prefix) == "/home" ? [bin] : [prefix];
    }

    /// <summary>python3.X runs on that exact version when the machine has it (pyenv or /usr/bin), else on the default python3.</summary>
    private string Python(string runtime) => _interpreters.GetOrAdd(runtime, r =>
    {
        var version = r["python".Length..];
        var pyenvRoot = Environment.GetEnvironmentVariable("PYENV_ROOT")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pyenv");
        var versions = Path.Combine(pyenvRoot, "versions");
        if (Directory.Exists(versions))
        {
            var match = Directory.EnumerateDirectories(versions)
                .Where(d => Path.GetFileName(d).StartsWith(version + ".", StringComparison.Ordinal))
                .Select(d => Path.Combine(d, "bin", "python" + version))
                .FirstOrDefault(File.Exists);
            if (match is not null) return match;
        }
        return FindOnPath("python" + version) ?? ResolveInterpreter("python3");
    });

    private string ResolveInterpreter(string name) => _interpreters.GetOrAdd(name, n =>
    {
        var found = FindOnPath(n) ?? n;
        return new FileInfo(found).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? found;
    });

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Where(dir => !dir.Contains("/shims", StringComparison.Ordinal))
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    /// <summary>
    /// The runtime host is copied beside the runtime clients: the sandbox shows /var/runtime, never Stratus's own
    /// installation (which may live anywhere, under /tmp or /var included).
    /// </summary>
    private static void CopyDotnetHost(string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in DotnetHostFiles)
        {
            var source = Path.Combine(AppContext.BaseDirectory, file);
            if (File.Exists(source)) File.Copy(source, Path.Combine(target, file), overwrite: true);
        }
    }

    private static void WriteRuntimeClients(string root)
    {
        var assembly = Assembly.GetExecutingAssembly();
        foreach (var (resource, relative) in new[] { ("Stratus.Lambda.Runtimes.python.bootstrap.py", "python/bootstrap.py"), ("Stratus.Lambda.Runtimes.node.bootstrap.js", "node/bootstrap.js") })
        {
            using var source = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"The runtime client {resource} is not embedded in Stratus.");
            var target = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using var file = File.Create(target);
            source.CopyTo(file);
        }
    }
}
