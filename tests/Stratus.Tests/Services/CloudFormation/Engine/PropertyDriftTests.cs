using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Engine;

namespace Stratus.Tests.Services.CloudFormation.Engine;

/// <summary>The property differences drift detection reports: CloudFormation's paths, types and value texts.</summary>
public sealed class PropertyDriftTests
{
    private static string Differences(string expected, string actual) =>
        string.Join("; ", PropertyDrift.Between(JsonNode.Parse(expected)!.AsObject(), JsonNode.Parse(actual)!.AsObject())
            .Select(d => $"{d.DifferenceType} {d.PropertyPath} {d.ExpectedValue} -> {d.ActualValue}"));

    [Fact]
    public void Scalars_are_compared_by_their_text_so_a_template_string_matches_the_service_number()
    {
        Assert.Equal("", Differences("""{"MemorySize": "128", "Flag": "true"}""", """{"MemorySize": 128, "Flag": true}"""));
        Assert.Equal("NOT_EQUAL /MemorySize 128 -> 256", Differences("""{"MemorySize": 128}""", """{"MemorySize": 256}"""));
    }

    [Fact]
    public void Nested_members_and_list_items_are_added_removed_or_changed_by_path()
    {
        Assert.Equal(
            "NOT_EQUAL /Environment/Variables/A 1 -> 2; REMOVE /Environment/Variables/B x -> null; ADD /Environment/Variables/C null -> y; " +
            "NOT_EQUAL /Tags/0/Value v -> w; REMOVE /Tags/1 {\"Key\":\"k2\",\"Value\":\"v2\"} -> null",
            Differences(
                """{"Environment": {"Variables": {"A": "1", "B": "x"}}, "Tags": [{"Key": "k", "Value": "v"}, {"Key": "k2", "Value": "v2"}]}""",
                """{"Environment": {"Variables": {"A": "2", "C": "y"}}, "Tags": [{"Key": "k", "Value": "w"}]}"""));
    }
}
