using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Persistence;
using Stratus.Services.Logs;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Logs;

/// <summary>Walks botocore's logs model: each operation is served, or refused by name with a reason README lists.</summary>
public sealed partial class LogsModelCoverageTests
{
    [GeneratedRegex("<!-- logs-not-served -->(.*)<!-- /logs-not-served -->", RegexOptions.Singleline)]
    private static partial Regex NotServedSection();

    [Fact]
    public void Every_operation_of_the_model_is_served_or_listed_as_not_served_in_README()
    {
        var model = BotocoreModel.Operations("logs");
        using var store = StateStore.Ephemeral();
        var metrics = new Stratus.Services.CloudWatch.CloudWatchService(store, TimeProvider.System, new NoLambda(), NullLogger.Instance);
        using var api = new LogsApi(new LogsService(store, TimeProvider.System, metrics, NullLogger.Instance, new NoLambda(), () => null), NullLogger.Instance);
        var table = api.Endpoint.Operations.Names.ToHashSet(StringComparer.Ordinal);
        var notServed = LogsNotServed.Operations.Select(o => o.Operation).ToHashSet(StringComparer.Ordinal);
        var readme = NotServedSection().Match(File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"))).Groups[1].Value;
        var listed = Regex.Matches(readme, "`(\\w+)`").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

        Assert.True(model.Count > 100, $"botocore's logs model has {model.Count} operations");
        Assert.Equal([], model.Except(table).Order(StringComparer.Ordinal));
        Assert.Equal([], table.Except(model).Order(StringComparer.Ordinal));
        Assert.Equal(notServed.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        foreach (var (_, reason) in LogsNotServed.Operations)
            Assert.Contains(reason[1..], readme);
        metrics.Dispose();
    }

    private sealed class NoLambda : Stratus.Services.Lambda.ILambdaInvoker
    {
        public Task<Stratus.Services.Lambda.LambdaInvokeResult> InvokeAsync(Stratus.Services.Lambda.LambdaInvokeRequest request, CancellationToken cancellation) =>
            throw new NotSupportedException();
    }
}
