using Stratus.Services.Lambda.Engine;

namespace Stratus.Tests.Services.Lambda;

/// <summary>Which AWS SDK the runtimes get from the machine: only the SDK's packages and what they depend on, or a clear reason why not.</summary>
public sealed class RuntimeSdksTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("stratus-sdks-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Package(string directory, string json)
    {
        Directory.CreateDirectory(Path.Combine(_root, directory));
        File.WriteAllText(Path.Combine(_root, directory, "package.json"), json);
    }

    [Fact]
    public void Node_runtimes_get_the_clients_and_their_dependencies_only()
    {
        var modules = "checkout/tests/js/node_modules";
        Package($"{modules}/@aws-sdk/client-lambda", """{"dependencies": {"@smithy/core": "1", "tslib": "2"}}""");
        Package($"{modules}/@smithy/core", """{"dependencies": {"tslib": "1"}}""");
        // @smithy/core needs its own tslib (nested); client-lambda the hoisted one.
        Package($"{modules}/@smithy/core/node_modules/tslib", "{}");
        Package($"{modules}/tslib", "{}");
        Package($"{modules}/aws-cdk-lib", "{}");
        Directory.CreateDirectory(Path.Combine(_root, "checkout/src/Stratus/bin"));
        var runtimeDir = Path.Combine(_root, "runtimes");

        var sdks = new RuntimeSdks(runtimeDir, () => "python3", Path.Combine(_root, "checkout/src/Stratus/bin"));

        Assert.Null(sdks.Missing("nodejs20.x"));
        var linked = Path.Combine(runtimeDir, RuntimeSdks.NodeModulesDir);
        Assert.True(File.Exists(Path.Combine(linked, "@aws-sdk/client-lambda/package.json")));
        Assert.True(File.Exists(Path.Combine(linked, "@smithy/core/node_modules/tslib/package.json")));
        Assert.True(File.Exists(Path.Combine(linked, "tslib/package.json")));
        Assert.False(Directory.Exists(Path.Combine(linked, "aws-cdk-lib")));
    }

    [Fact]
    public void Without_the_sdk_on_the_machine_each_runtime_says_why_and_others_need_none()
    {
        Directory.CreateDirectory(Path.Combine(_root, "empty"));
        var sdks = new RuntimeSdks(Path.Combine(_root, "runtimes"), () => Path.Combine(_root, "no-python3"), Path.Combine(_root, "empty"));

        Assert.StartsWith("python3 cannot be run", sdks.Missing("python3.12"));
        Assert.StartsWith("no npm install of @aws-sdk/client-*", sdks.Missing("nodejs22.x"));
        // AWS's nodejs16.x shipped the v2 SDK, which Stratus does not provide; other runtimes ship none.
        Assert.Null(sdks.Missing("nodejs16.x"));
        Assert.Null(sdks.Missing("java21"));
        Assert.Contains("python3 cannot be run", sdks.Description);
        Assert.StartsWith("Stratus: the AWS SDK that AWS's python3.12 runtime includes is not available here: ", RuntimeSdks.LogNotice("python3.12", "why"));
    }
}
