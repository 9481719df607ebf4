using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Persistence;
using Stratus.Services.Rds;
using Stratus.Services.SecretsManager;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Rds;

/// <summary>Walks botocore's rds model: each operation is served, or refused by name with a reason README lists.</summary>
public sealed partial class RdsModelCoverageTests
{
    [GeneratedRegex("<!-- rds-not-served -->(.*)<!-- /rds-not-served -->", RegexOptions.Singleline)]
    private static partial Regex NotServedSection();

    [Fact]
    public void Every_operation_of_the_model_is_served_or_listed_as_not_served_in_README()
    {
        var model = ModelOperations();
        using var store = StateStore.Ephemeral();
        var rds = new RdsService(store, TimeProvider.System, engines: [], dataDir: null, "127.0.0.1",
            new SecretsManagerService(store, TimeProvider.System, null), NullLogger.Instance, new Stratus.Services.Ec2.Ec2Service(store, TimeProvider.System));
        using var api = new RdsApi(rds, NullLogger.Instance);
        var table = api.Endpoint.Operations.Names.ToHashSet(StringComparer.Ordinal);
        var notServed = RdsNotServed.Operations.Select(o => o.Operation).ToHashSet(StringComparer.Ordinal);
        var readme = NotServedSection().Match(File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"))).Groups[1].Value;
        var listed = Regex.Matches(readme, "`(\\w+)`").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

        Assert.True(model.Count > 150, $"botocore's rds model has {model.Count} operations");
        // Both ways: nothing of the model is missing, and nothing served is misspelt or outside the model.
        Assert.Equal([], model.Except(table).Order(StringComparer.Ordinal));
        Assert.Equal([], table.Except(model).Order(StringComparer.Ordinal));
        Assert.Equal(notServed.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        foreach (var (operation, reason) in RdsNotServed.Operations)
            Assert.Contains(reason[1..], readme);
    }

    private static HashSet<string> ModelOperations()
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in (string[])["-c", "import botocore.loaders as l; print('\\n'.join(l.Loader().load_service_model('rds', 'service-2')['operations']))"])
            start.ArgumentList.Add(arg);
        using var python = Process.Start(start)!;
        var output = python.StandardOutput.ReadToEnd();
        python.WaitForExit();
        Assert.Equal(0, python.ExitCode);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
    }
}
