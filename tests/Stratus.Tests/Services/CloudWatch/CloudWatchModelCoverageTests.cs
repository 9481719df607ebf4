using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Persistence;
using Stratus.Services.CloudWatch;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>Walks botocore's cloudwatch model: each operation is served, or refused by name with a reason README lists.</summary>
public sealed partial class CloudWatchModelCoverageTests
{
    [GeneratedRegex("<!-- cloudwatch-not-served -->(.*)<!-- /cloudwatch-not-served -->", RegexOptions.Singleline)]
    private static partial Regex NotServedSection();

    [Fact]
    public void Every_operation_of_the_model_is_served_or_listed_as_not_served_in_README()
    {
        var model = BotocoreModel.Operations("cloudwatch");
        using var store = StateStore.Ephemeral();
        using var api = new CloudWatchApi(new CloudWatchService(store, TimeProvider.System, new NoLambda(), NullLogger.Instance), NullLogger.Instance);
        var table = api.Endpoint.Operations.Names.ToHashSet(StringComparer.Ordinal);
        var notServed = CloudWatchNotServed.Operations.Select(o => o.Operation).ToHashSet(StringComparer.Ordinal);
        var readme = NotServedSection().Match(File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"))).Groups[1].Value;
        var listed = Regex.Matches(readme, "`(\\w+)`").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

        Assert.True(model.Count > 40, $"botocore's cloudwatch model has {model.Count} operations");
        Assert.Equal([], model.Except(table).Order(StringComparer.Ordinal));
        Assert.Equal([], table.Except(model).Order(StringComparer.Ordinal));
        Assert.Equal(notServed.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        foreach (var (_, reason) in CloudWatchNotServed.Operations)
            Assert.Contains(reason[1..], readme);
    }

    private sealed class NoLambda : Stratus.Services.Lambda.ILambdaInvoker
    {
        public Task<Stratus.Services.Lambda.LambdaInvokeResult> InvokeAsync(Stratus.Services.Lambda.LambdaInvokeRequest request, CancellationToken cancellation) =>
            throw new NotSupportedException();
    }
}
