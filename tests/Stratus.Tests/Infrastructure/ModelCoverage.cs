using System.Text.RegularExpressions;

namespace Stratus.Tests.Infrastructure;

/// <summary>
/// The whole-model walk every service's coverage test makes: each operation of botocore's model is served, or
/// refused by name with a reason that README lists between the service's "not served" markers.
/// </summary>
public static class ModelCoverage
{
    /// <param name="service">botocore's name for the service, e.g. rds.</param>
    /// <param name="served">The operations the service's table answers (the refusals included).</param>
    /// <param name="notServed">The refused operations and their reasons, as the service declares them.</param>
    /// <param name="modelAtLeast">How many operations the model has at least, so that a model that failed to load is not read as covered (rds-data has 6).</param>
    public static void AssertServedOrListed(string service, IEnumerable<string> served, IReadOnlyList<(string Operation, string Reason)> notServed, int modelAtLeast = 10)
    {
        var model = BotocoreModel.Operations(service);
        var table = served.ToHashSet(StringComparer.Ordinal);
        var marker = $"<!-- {service}-not-served -->";
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var start = readme.IndexOf(marker, StringComparison.Ordinal);
        var end = readme.IndexOf($"<!-- /{service}-not-served -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"README has no {marker} section");
        var section = readme[(start + marker.Length)..end];
        var listed = Regex.Matches(section, "`(\\w+)`").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

        Assert.True(model.Count >= modelAtLeast, $"botocore's {service} model has {model.Count} operations");
        // Both ways: nothing of the model is missing, and nothing served is misspelt or outside the model.
        Assert.Equal([], model.Except(table).Order(StringComparer.Ordinal));
        Assert.Equal([], table.Except(model).Order(StringComparer.Ordinal));
        Assert.Equal(notServed.Select(o => o.Operation).Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        foreach (var (_, reason) in notServed)
            Assert.Contains(reason[1..], section);
    }
}
