using System.Diagnostics;
using System.Text.Json;

namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// The AWS SDKs AWS's managed runtimes ship beside the runtime client: boto3 and botocore (with jmespath, dateutil,
/// urllib3, s3transfer, six) for Python, the AWS SDK for JavaScript v3 (<c>@aws-sdk/client-*</c>) for nodejs18.x and
/// later. Stratus takes them from the machine, never from the network: the Python packages the machine's
/// <c>python3</c> imports, and the <c>@aws-sdk/client-*</c> packages of an npm install found above Stratus's own
/// build (the repository's <c>tests/js/node_modules</c>, or a <c>node_modules</c> in an ancestor). Each is linked once
/// (hard links, copies where the file system refuses) into the runtime directory the sandbox shows at /var/runtime,
/// with only the packages named and, for Node, their dependencies: nothing else of the host. A source that changed
/// (an upgrade) is linked again at the next start. The paths put them last, as AWS does, so a function's own SDK wins.
/// </summary>
public sealed class RuntimeSdks
{
    /// <summary>boto3 and what it imports, as AWS's Python runtimes bundle them.</summary>
    private static readonly string[] PythonModules = ["boto3", "botocore", "jmespath", "dateutil", "urllib3", "s3transfer", "six"];

    /// <summary>Under the runtime directory: the Python packages (a sys.path entry of their own) and Node's modules (AWS's /var/runtime/node_modules).</summary>
    public const string PythonDir = "sdk/python";
    public const string NodeModulesDir = "node_modules";

    /// <summary>A bound on the dependency walk of the JS SDK (it needs a few hundred packages).</summary>
    private const int MaxNodePackages = 2000;

    private readonly Lazy<string?> _pythonProblem;
    private readonly Lazy<string?> _nodeProblem;

    /// <param name="runtimeDir">The runtime directory (shown at /var/runtime in a sandbox).</param>
    /// <param name="python3">The machine's python3 interpreter, whose boto3 is taken.</param>
    /// <param name="searchFrom">Where the search for an npm install of the JS SDK starts (Stratus's own directory), walking up.</param>
    public RuntimeSdks(string runtimeDir, Func<string> python3, string searchFrom)
    {
        _pythonProblem = new(() => Guarded(() => LinkPython(Path.Combine(runtimeDir, PythonDir), python3())));
        _nodeProblem = new(() => Guarded(() => LinkNode(Path.Combine(runtimeDir, NodeModulesDir), searchFrom)));
    }

    /// <summary>A file system that refuses the links is a reason to give, never an error of the function's start or of the health page.</summary>
    private static string? Guarded(Func<string?> link)
    {
        try
        {
            return link();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"it could not be linked into the runtime directory ({e.Message})";
        }
    }

    /// <summary>Why <paramref name="runtime"/>'s functions do not get the AWS SDK (linking it on first use), or null when they do or the runtime ships none.</summary>
    public string? Missing(string runtime) =>
        RuntimeCatalog.IsPython(runtime) ? _pythonProblem.Value
        : ShipsJavaScriptSdkV3(runtime) ? _nodeProblem.Value
        : null;

    /// <summary>AWS's Node runtimes include the v3 SDK from nodejs18.x on (earlier ones shipped v2, which Stratus does not provide).</summary>
    public static bool ShipsJavaScriptSdkV3(string runtime) =>
        RuntimeCatalog.IsNode(runtime) && int.TryParse(runtime["nodejs".Length..].Split('.')[0], out var major) && major >= 18;

    /// <summary>What functions get, for the health page and <c>stratus status</c>.</summary>
    /// <summary>
    /// What the health page and `stratus status` say. Finding and linking the SDKs takes seconds on a busy machine, so the
    /// description never does it: a runtime no function has started yet is reported as such (the health check answers at once).
    /// </summary>
    public string Description =>
        $"AWS SDK in Python runtimes: {State(_pythonProblem, "boto3 from the machine's python3")}; in Node runtimes: {State(_nodeProblem, "the AWS SDK for JavaScript v3 from the npm install beside Stratus")}";

    private static string State(Lazy<string?> problem, string available) =>
        !problem.IsValueCreated ? "looked for at the first start of such a function" : problem.Value ?? available;

    /// <summary>The line a function's log starts with when its runtime lacks the SDK AWS would give it.</summary>
    public static string LogNotice(string runtime, string problem) =>
        $"Stratus: the AWS SDK that AWS's {runtime} runtime includes is not available here: {problem}";

    private static string? LinkPython(string target, string python3)
    {
        // find_spec locates each module without running it (no import of boto3 at every start).
        const string Script = "import importlib.util,sys\nfor n in sys.argv[1:]:\n s=importlib.util.find_spec(n)\n print(n+'\\t'+(s.origin if s and s.origin else ''))";
        var start = new ProcessStartInfo { FileName = python3, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-c", Script }.Concat(PythonModules)) start.ArgumentList.Add(argument);
        string output;
        try
        {
            using var process = Process.Start(start)!;
            output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"python3 cannot be run ({e.Message})";
        }
        var sources = new List<string>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, origin) = (line.Split('\t')[0], line.Split('\t')[^1]);
            if (origin.Length == 0 || !File.Exists(origin))
                return $"{python3} has no {name} (install boto3 for it: python3 -m pip install boto3)";
            // A package is its directory, a single-file module (six) its file.
            sources.Add(Path.GetFileName(origin) == "__init__.py" ? Path.GetDirectoryName(origin)! : origin);
        }
        if (sources.Count != PythonModules.Length) return $"{python3} did not report where boto3 is";
        Link(target, sources.Select(source => (Path.GetFileName(source), source)).ToList());
        return null;
    }

    private static string? LinkNode(string target, string searchFrom)
    {
        var root = FindNodeModules(searchFrom);
        if (root is null)
            return "no npm install of @aws-sdk/client-* found above Stratus (run npm install --prefix tests/js in the repository, as ./test.sh does)";
        Link(target, NodeClosure(root).Select(name => (name, Path.Combine(root, name))).ToList());
        return null;
    }

    /// <summary>The first <c>tests/js/node_modules</c> or <c>node_modules</c> holding an @aws-sdk/client-* package, from <paramref name="start"/> up.</summary>
    private static string? FindNodeModules(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "tests", "js", "node_modules"), Path.Combine(dir.FullName, "node_modules") })
                if (ClientPackages(candidate).Any()) return candidate;
        return null;
    }

    private static IEnumerable<string> ClientPackages(string nodeModules)
    {
        var scope = Path.Combine(nodeModules, "@aws-sdk");
        return Directory.Exists(scope)
            ? Directory.EnumerateDirectories(scope, "client-*").Select(dir => "@aws-sdk/" + Path.GetFileName(dir))
            : [];
    }

    /// <summary>
    /// The top-level packages of <paramref name="root"/> the clients need: every client and, following package.json's
    /// dependencies as Node resolves them (nested node_modules first, then up), the top-level package each one lives in.
    /// </summary>
    private static SortedSet<string> NodeClosure(string root)
    {
        var topLevel = new SortedSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>(ClientPackages(root).Select(name => Path.Combine(root, name)));
        while (pending.TryDequeue(out var package) && seen.Count < MaxNodePackages)
        {
            if (!seen.Add(package)) continue;
            var relative = Path.GetRelativePath(root, package).Split('/');
            topLevel.Add(relative[0].StartsWith('@') ? relative[0] + "/" + relative[1] : relative[0]);
            foreach (var dependency in Dependencies(Path.Combine(package, "package.json")))
                if (Resolve(root, package, dependency) is { } resolved) pending.Enqueue(resolved);
        }
        return topLevel;
    }

    private static IEnumerable<string> Dependencies(string packageJson)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(packageJson));
            var names = new List<string>();
            foreach (var section in new[] { "dependencies", "optionalDependencies" })
                if (document.RootElement.TryGetProperty(section, out var map) && map.ValueKind == JsonValueKind.Object)
                    names.AddRange(map.EnumerateObject().Select(property => property.Name));
            return names;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Node's lookup: <paramref name="from"/>/node_modules/name, then each ancestor's, up to <paramref name="root"/> itself.</summary>
    private static string? Resolve(string root, string from, string name)
    {
        if (name.Contains("..", StringComparison.Ordinal)) return null;
        var top = Path.GetDirectoryName(root)!;
        for (var dir = from; dir.Length >= top.Length; dir = Path.GetDirectoryName(dir)!)
        {
            var candidate = Path.Combine(dir, "node_modules", name);
            if (Directory.Exists(candidate)) return candidate;
            if (dir == top) break;
        }
        return null;
    }

    /// <summary>
    /// Links each source (a directory or a file) into <paramref name="target"/> under its name, unless the stamp left by
    /// the last link names the same sources at the same modification times.
    /// </summary>
    private static void Link(string target, IReadOnlyList<(string Name, string Source)> sources)
    {
        var stamp = string.Join('\n', sources.Select(s => $"{s.Name}\t{s.Source}\t{Modified(s.Source):O}"));
        var stampFile = target + ".stamp";
        if (Directory.Exists(target) && File.Exists(stampFile) && File.ReadAllText(stampFile) == stamp) return;
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        foreach (var (name, source) in sources)
        {
            var destination = Path.Combine(target, name);
            if (File.Exists(source))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                LayerMount.LinkOrCopy(source, destination);
            }
            else LayerMount.Merge([source], destination);
        }
        File.WriteAllText(stampFile, stamp);
    }

    /// <summary>A package's version shows in its package.json or __init__.py: their times change when it is upgraded.</summary>
    private static DateTime Modified(string source)
    {
        foreach (var marker in new[] { Path.Combine(source, "package.json"), Path.Combine(source, "__init__.py"), source })
            if (File.Exists(marker)) return File.GetLastWriteTimeUtc(marker);
        return Directory.GetLastWriteTimeUtc(source);
    }
}
