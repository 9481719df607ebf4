namespace Stratus.Tests.Infrastructure;

/// <summary>
/// buildah and podman without a daemon, on a container store and a login file of the test's own: the vfs driver
/// (works as root inside a container where overlay cannot mount) and nothing left in the machine's own store.
/// </summary>
public sealed class ContainerStore : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("stratus-containers-").FullName;

    public ContainerStore()
    {
        var config = Path.Combine(_root, "storage.conf");
        File.WriteAllText(config, $"""
            [storage]
            driver = "vfs"
            runroot = "{Path.Combine(_root, "run")}"
            graphroot = "{Path.Combine(_root, "graph")}"
            """);
        Environment = new Dictionary<string, string>
        {
            ["CONTAINERS_STORAGE_CONF"] = config,
            ["REGISTRY_AUTH_FILE"] = Path.Combine(_root, "auth.json"),
            // RUN steps, where a Dockerfile has them, run in a chroot: there is no daemon and no nested namespaces here.
            ["BUILDAH_ISOLATION"] = "chroot",
            ["XDG_RUNTIME_DIR"] = Path.Combine(_root, "xdg"),
        };
        Directory.CreateDirectory(Environment["XDG_RUNTIME_DIR"]);
    }

    /// <summary>What a client (or a script that runs one) needs in its environment to use this store.</summary>
    public Dictionary<string, string> Environment { get; }

    /// <summary>A scratch folder inside the store's own, removed with it.</summary>
    public string Scratch(string name) => Directory.CreateDirectory(Path.Combine(_root, "scratch", name)).FullName;

    /// <summary>Runs buildah, podman or skopeo on this store; fails the test with the client's output when it fails.</summary>
    public async Task<string> RunAsync(string client, string url, params string[] args)
    {
        var result = await Clients.RunAsync(client, args, url, TimeSpan.FromMinutes(5), Environment);
        Assert.True(result.ExitCode == 0, $"{client} {string.Join(' ', args)}: {result}");
        return result.Stdout.Trim();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
