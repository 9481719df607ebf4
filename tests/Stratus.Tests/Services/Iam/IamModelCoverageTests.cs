using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Services.Iam;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Iam;

/// <summary>Every operation in botocore's IAM model is either served or listed in README with its reason.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed partial class IamModelCoverageTests
{
    [GeneratedRegex("`([A-Z][A-Za-z]+)`")]
    private static partial Regex OperationName();

    [Fact]
    public async Task Every_model_operation_is_served_or_listed_as_not_served()
    {
        var located = await Clients.RunAsync("python3", ["-c", "import botocore,os;print(os.path.dirname(botocore.__file__))"], "", TimeSpan.FromMinutes(1));
        Assert.True(located.ExitCode == 0, located.ToString());
        var modelDir = Path.Combine(located.Stdout.Trim(), "data", "iam", "2010-05-08");
        using var model = File.Exists(Path.Combine(modelDir, "service-2.json"))
            ? JsonDocument.Parse(File.ReadAllText(Path.Combine(modelDir, "service-2.json")))
            : JsonDocument.Parse(new GZipStream(File.OpenRead(Path.Combine(modelDir, "service-2.json.gz")), CompressionMode.Decompress));
        var operations = model.RootElement.GetProperty("operations").EnumerateObject().Select(o => o.Name).ToHashSet();

        using var store = StateStore.Ephemeral();
        var served = new IamApi(new IamService(store, TimeProvider.System), new OutboundWebIdentityFederation(store, SealingKey.FromFile(null), StratusAddress.Known(new Uri("http://localhost:4566/"))), NullLogger.Instance).Endpoint.Operations.Names.ToHashSet();

        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var section = readme[readme.IndexOf("### IAM operations Stratus does not serve", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n#", 1, StringComparison.Ordinal)];
        var listed = OperationName().Matches(section).Select(m => m.Groups[1].Value).ToHashSet();

        Assert.Empty(served.Except(operations));
        Assert.Empty(listed.Intersect(served));
        Assert.Empty(operations.Except(served).Except(listed));
    }
}
