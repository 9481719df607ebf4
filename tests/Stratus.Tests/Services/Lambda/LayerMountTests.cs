using Stratus.Persistence;
using Stratus.Services.Lambda.Engine;

namespace Stratus.Tests.Services.Lambda;

/// <summary>How layers are merged into /opt (later over earlier, as AWS extracts them) and the search paths AWS sets for them.</summary>
public sealed class LayerMountTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("stratus-layers-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Layer(string name, Dictionary<string, string> files)
    {
        var directory = Path.Combine(_root, name);
        foreach (var (path, content) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(directory, path))!);
            File.WriteAllText(Path.Combine(directory, path), content);
        }
        return directory;
    }

    [Fact]
    public void Later_layers_replace_files_and_directories_of_earlier_ones_and_directories_merge()
    {
        var first = Layer("first", new() { ["python/shared.py"] = "first", ["python/only_first.py"] = "1", ["lib/thing"] = "a file in layer one" });
        var second = Layer("second", new() { ["python/shared.py"] = "second", ["python/only_second.py"] = "2", ["lib/thing/inner.so"] = "a directory in layer two" });
        var target = Path.Combine(_root, "merged");

        LayerMount.Merge([first, second], target);

        Assert.Equal("second", File.ReadAllText(Path.Combine(target, "python/shared.py")));
        Assert.Equal("1", File.ReadAllText(Path.Combine(target, "python/only_first.py")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(target, "python/only_second.py")));
        Assert.True(Directory.Exists(Path.Combine(target, "lib/thing")));
        Assert.Equal("a directory in layer two", File.ReadAllText(Path.Combine(target, "lib/thing/inner.so")));
        // The stored layers are untouched by the merge.
        Assert.Equal("first", File.ReadAllText(Path.Combine(first, "python/shared.py")));
    }

    [Fact]
    public void The_same_layers_in_another_order_are_another_merge_and_one_order_is_merged_once()
    {
        var first = Layer("a", new() { ["shared"] = "a" });
        var second = Layer("b", new() { ["shared"] = "b" });
        var mount = new LayerMount(Path.Combine(_root, "opt"), Durability.Durable);

        var forward = mount.Prepare([first, second]);
        var backward = mount.Prepare([second, first]);

        Assert.NotEqual(forward, backward);
        Assert.Equal("b", File.ReadAllText(Path.Combine(forward, "shared")));
        Assert.Equal("a", File.ReadAllText(Path.Combine(backward, "shared")));
        Assert.Equal(forward, mount.Prepare([first, second]));
    }

    [Fact]
    public void Search_paths_put_the_function_code_before_its_layers_as_AWS_does()
    {
        var python = LayerMount.SearchPaths("python3.12", "/var/task", "/var/runtime", "/opt", "/usr/bin:/bin");
        Assert.Equal("/var/runtime/python:/var/task:/opt/python/lib/python3.12/site-packages:/opt/python:/var/runtime/sdk/python", python["PYTHONPATH"]);
        Assert.Equal("/usr/bin:/bin:/opt/bin", python["PATH"]);
        Assert.Equal("/var/task:/var/task/lib:/opt/lib", python["LD_LIBRARY_PATH"]);
        Assert.False(python.ContainsKey("NODE_PATH"));

        var node = LayerMount.SearchPaths("nodejs22.x", "/var/task", "/var/runtime", "/opt", "/usr/bin");
        Assert.Equal("/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:/var/task/node_modules:/var/task:/var/runtime/node_modules", node["NODE_PATH"]);
        Assert.False(node.ContainsKey("PYTHONPATH"));

        // Without a sandbox the merged tree's own path stands where /opt would be.
        var unsandboxed = LayerMount.SearchPaths("provided.al2023", "/code", "/runtimes", "/data/opt/abc", "/usr/bin");
        Assert.Equal("/usr/bin:/data/opt/abc/bin", unsandboxed["PATH"]);
        Assert.Equal("/code:/code/lib:/data/opt/abc/lib", unsandboxed["LD_LIBRARY_PATH"]);
    }
}
