using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Persistence;
using Stratus.Services.Iam;
using Stratus.Services.S3;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.S3;

/// <summary>Walks botocore's s3 model: each operation is served, or refused by name with a reason README lists.</summary>
public sealed partial class S3ModelCoverageTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"stratus-s3-coverage-{Guid.NewGuid():N}");

    [GeneratedRegex("<!-- s3-not-served -->(.*)<!-- /s3-not-served -->", RegexOptions.Singleline)]
    private static partial Regex NotServedSection();

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Every_operation_of_the_model_is_served_or_listed_as_not_served_in_README()
    {
        var model = ModelOperations();
        using var store = StateStore.Ephemeral();
        using var api = new S3Api(new S3Service(store, TimeProvider.System, _root, TimeSpan.FromHours(1)), new IamService(store, TimeProvider.System), NullLogger.Instance);
        var table = api.Endpoint.Operations.Names.ToHashSet(StringComparer.Ordinal);
        var notServed = S3NotServed.Operations.Select(o => o.Operation).ToHashSet(StringComparer.Ordinal);
        var readme = NotServedSection().Match(File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"))).Groups[1].Value;
        var listed = Regex.Matches(readme, "`(\\w+)`").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

        Assert.True(model.Count > 100, $"botocore's s3 model has {model.Count} operations");
        // Both ways: nothing of the model is missing, and nothing served is misspelt or outside the model;
        // the deprecated twins of served operations are the same request on the wire.
        Assert.Equal([], model.Except(table).Except(S3Api.SharedRoutes.Keys).Order(StringComparer.Ordinal));
        Assert.Equal([], table.Except(model).Except([S3Api.CorsPreflight]).Order(StringComparer.Ordinal));
        Assert.All(S3Api.SharedRoutes, twin => Assert.Contains(twin.Value, table));
        Assert.Equal(notServed.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        foreach (var (operation, reason) in S3NotServed.Operations)
            Assert.Contains(reason, readme);
    }

    private static HashSet<string> ModelOperations()
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in (string[])["-c", "import botocore.loaders as l; print('\\n'.join(l.Loader().load_service_model('s3', 'service-2')['operations']))"])
            start.ArgumentList.Add(arg);
        using var python = Process.Start(start)!;
        var output = python.StandardOutput.ReadToEnd();
        python.WaitForExit();
        Assert.Equal(0, python.ExitCode);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
    }
}
