using System.Security.Cryptography;
using System.Text;
using Stratus.Persistence;

namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// What a function sees at /opt: its layers' unpacked trees merged in the function's order, later layers over
/// earlier ones (a file in layer 2 replaces the same path from layer 1, directories are merged), as AWS extracts
/// them into /opt. Each combination is merged once on disk, from hard links to the stored layers (copies where the
/// file system refuses links), and reused by every environment of every function naming the same layers.
/// </summary>
public sealed class LayerMount
{
    /// <summary>Where /opt is in the sandbox; AWS's layer paths hang below it.</summary>
    public const string SandboxOpt = "/opt";

    private readonly string _root;
    private readonly Durability _durability;

    public LayerMount(string root, Durability durability)
    {
        _root = root;
        _durability = durability;
        Directory.CreateDirectory(root);
    }

    /// <summary>The merged tree of <paramref name="layerDirs"/> (unpacked layers, in order), built on first use.</summary>
    public string Prepare(IReadOnlyList<string> layerDirs)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', layerDirs))));
        var target = Path.Combine(_root, key);
        if (Directory.Exists(target)) return target;
        var staging = target + ".staging-" + Guid.NewGuid().ToString("N");
        try
        {
            Merge(layerDirs, staging);
            // Derived from the stored layers (synced when published), but reused across restarts once it exists, so
            // the merged links must be on the disk before the rename publishes it: one syncfs, not a flush per entry.
            _durability.SyncFileSystem(staging);
            Directory.Move(staging, target);
        }
        catch (IOException) when (Directory.Exists(target))
        {
            // Another environment merged the same layers at the same time.
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        return target;
    }

    /// <summary>Lays each tree over <paramref name="target"/> in order: a later file or directory replaces whatever an earlier layer had at its path.</summary>
    internal static void Merge(IReadOnlyList<string> layerDirs, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var layer in layerDirs)
        {
            foreach (var directory in Directory.EnumerateDirectories(layer, "*", SearchOption.AllDirectories))
            {
                var destination = Path.Combine(target, Path.GetRelativePath(layer, directory));
                if (File.Exists(destination)) File.Delete(destination);
                Directory.CreateDirectory(destination);
            }
            foreach (var file in Directory.EnumerateFiles(layer, "*", SearchOption.AllDirectories))
            {
                var destination = Path.Combine(target, Path.GetRelativePath(layer, file));
                if (Directory.Exists(destination)) Directory.Delete(destination, recursive: true);
                else if (File.Exists(destination)) File.Delete(destination);
                LinkOrCopy(file, destination);
            }
        }
    }

    /// <summary>
    /// The search paths AWS's runtimes set for layers (bin on PATH, lib on LD_LIBRARY_PATH, python and its
    /// site-packages on Python's path, nodejs/node_modules and nodejs/nodeNN/node_modules on NODE_PATH), after the
    /// function's own code as on AWS, so the package wins over a layer; last, the runtime's AWS SDK (<see cref="RuntimeSdks"/>),
    /// as AWS places it, so a package's or layer's own SDK wins. <paramref name="opt"/> is /opt in a sandbox,
    /// else the merged tree's own path.
    /// </summary>
    public static Dictionary<string, string> SearchPaths(string runtime, string taskRoot, string runtimeDir, string opt, string hostPath)
    {
        var paths = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = $"{hostPath}:{opt}/bin",
            ["LD_LIBRARY_PATH"] = $"{taskRoot}:{taskRoot}/lib:{opt}/lib",
        };
        if (RuntimeCatalog.IsPython(runtime))
            paths["PYTHONPATH"] = $"{runtimeDir}/python:{taskRoot}:{opt}/python/lib/{runtime}/site-packages:{opt}/python:{runtimeDir}/{RuntimeSdks.PythonDir}";
        if (RuntimeCatalog.IsNode(runtime))
        {
            var major = runtime["nodejs".Length..].TrimEnd('x').TrimEnd('.');
            paths["NODE_PATH"] = $"{opt}/nodejs/node{major}/node_modules:{opt}/nodejs/node_modules:{taskRoot}/node_modules:{taskRoot}:{runtimeDir}/{RuntimeSdks.NodeModulesDir}";
        }
        return paths;
    }

    /// <summary>A hard link where the file system allows one, else a copy.</summary>
    internal static void LinkOrCopy(string existing, string created)
    {
        if (HardLink(existing, created) != 0) File.Copy(existing, created);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int HardLink(string existing, string created);
}
