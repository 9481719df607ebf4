using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Tests.Services.CloudWatch.Engine;

public sealed class MetricsInsightsQueryTests
{
    private static MetricIdentity Metric(string ns, string name, params (string Name, string Value)[] dimensions) =>
        MetricIdentity.Create("123456789012", "us-east-1", ns, name, dimensions.Select(d => new MetricDimension(d.Name, d.Value)));

    [Fact]
    public void Parses_every_clause_with_keywords_in_any_case()
    {
        var query = MetricsInsightsQuery.Parse(
            "select avg(CPUUtilization) from SCHEMA(\"AWS/EC2\", InstanceId, InstanceType) where InstanceId != 'i-1' and (InstanceType = 't3.micro' or InstanceType = 'm5.large') " +
            "group by InstanceId, InstanceType order by max() desc limit 10");

        Assert.Equal("AVG", query.Function);
        Assert.Equal("CPUUtilization", query.MetricName);
        Assert.Equal("AWS/EC2", query.Namespace);
        Assert.Equal(["InstanceId", "InstanceType"], query.Schema);
        Assert.Equal(["InstanceId", "InstanceType"], query.GroupBy);
        Assert.Equal("MAX", query.OrderFunction);
        Assert.True(query.Descending);
        Assert.Equal(10, query.Limit);
        Assert.True(query.Where!.Holds([new("InstanceId", "i-2"), new("InstanceType", "m5.large")]));
        Assert.False(query.Where.Holds([new("InstanceId", "i-1"), new("InstanceType", "m5.large")]));
        Assert.False(query.Where.Holds([new("InstanceId", "i-2"), new("InstanceType", "c5.xlarge")]));
    }

    [Fact]
    public void Only_select_expressions_are_queries()
    {
        Assert.True(MetricsInsightsQuery.IsQuery("  SELECT SUM(Errors) FROM App"));
        Assert.False(MetricsInsightsQuery.IsQuery("SELECTED + 1"));
        Assert.False(MetricsInsightsQuery.IsQuery("SUM(METRICS())"));
    }

    [Fact]
    public void And_binds_tighter_than_or()
    {
        var query = MetricsInsightsQuery.Parse("SELECT SUM(Errors) FROM App WHERE A = '1' OR A = '2' AND B = 'x'");

        Assert.True(query.Where!.Holds([new("A", "1"), new("B", "y")]));
        Assert.False(query.Where.Holds([new("A", "2"), new("B", "y")]));
    }

    [Fact]
    public void From_a_namespace_matches_any_dimensions_and_schema_the_exact_set()
    {
        var plain = MetricsInsightsQuery.Parse("SELECT AVG(Latency) FROM App");
        var exact = MetricsInsightsQuery.Parse("SELECT AVG(Latency) FROM SCHEMA(App, Host)");
        var none = MetricsInsightsQuery.Parse("SELECT AVG(Latency) FROM SCHEMA(App)");
        var host = Metric("App", "Latency", ("Host", "a"));
        var hostAndPath = Metric("App", "Latency", ("Host", "a"), ("Path", "/"));
        var bare = Metric("App", "Latency");

        Assert.All(new[] { host, hostAndPath, bare }, m => Assert.True(plain.Matches(m)));
        Assert.True(exact.Matches(host));
        Assert.False(exact.Matches(hostAndPath));
        Assert.False(exact.Matches(bare));
        Assert.True(none.Matches(bare));
        Assert.False(none.Matches(host));
        Assert.False(plain.Matches(Metric("Other", "Latency")));
        Assert.False(plain.Matches(Metric("App", "latency")));
    }

    [Fact]
    public void A_missing_key_satisfies_neither_equal_nor_not_equal()
    {
        var query = MetricsInsightsQuery.Parse("SELECT SUM(Errors) FROM App WHERE Host != 'a'");

        Assert.False(query.Matches(Metric("App", "Errors")));
        Assert.True(query.Matches(Metric("App", "Errors", ("Host", "b"))));
    }

    [Fact]
    public void Quoted_identifiers_and_escaped_quotes()
    {
        var query = MetricsInsightsQuery.Parse("SELECT MAX(\"Request Count\") FROM \"My App\" WHERE Name = 'it\\'s'");

        Assert.Equal("Request Count", query.MetricName);
        Assert.Equal("My App", query.Namespace);
        Assert.True(query.Where!.Holds([new("Name", "it's")]));
    }

    private static readonly Dictionary<string, (long Time, double[] Values)[]> Observations = new()
    {
        ["a"] = [(0, [1, 3]), (60, [10])],
        ["b"] = [(0, [5]), (60, [7, 9])],
        ["c"] = [(60, [2])],
    };

    private static IReadOnlyList<InsightsSeries> Run(string text)
    {
        var metrics = Observations.Keys.Select(h => Metric("App", "Latency", ("Host", h), ("Zone", h == "c" ? "z2" : "z1")))
            .Append(Metric("App", "Latency", ("Zone", "z1"))).ToList();
        return MetricsInsightsQuery.Parse(text).Run(metrics, metric =>
        {
            var host = metric.Dimensions.FirstOrDefault(d => d.Name == "Host")?.Value;
            var observations = host is null ? [(0L, new[] { 100.0 })] : Observations[host];
            return observations.Select(o =>
            {
                var aggregate = new MetricAggregate();
                foreach (var value in o.Values) aggregate.AddValue(value, 1);
                return new PeriodAggregate(DateTimeOffset.FromUnixTimeSeconds(o.Time), aggregate, "None");
            }).ToList();
        });
    }

    [Fact]
    public void Without_group_by_all_observations_of_a_period_combine_into_one_series()
    {
        var series = Assert.Single(Run("SELECT AVG(Latency) FROM SCHEMA(App, Host, Zone)"));

        Assert.Equal((1 + 3 + 5) / 3.0, series.Points[0], 9);
        Assert.Equal((10 + 7 + 9 + 2) / 4.0, series.Points[60], 9);
        Assert.Equal(3, Assert.Single(Run("SELECT COUNT(Latency) FROM App WHERE Zone = 'z1' AND Host = 'b' OR Host = 'a'")).Points[60]);
    }

    [Fact]
    public void Group_by_gives_a_series_per_value_ordered_and_limited()
    {
        var sums = Run("SELECT SUM(Latency) FROM App GROUP BY Host ORDER BY SUM() DESC");
        Assert.Equal(["Other", "b", "a", "c"], sums.Select(s => s.Label));
        Assert.Equal(21, sums[1].Points.Values.Sum());
        Assert.Equal([new MetricDimension("Host", "b")], sums[1].Attributes);

        var top = Run("SELECT AVG(Latency) FROM SCHEMA(App, Host, Zone) GROUP BY Host ORDER BY MAX() ASC LIMIT 2");
        Assert.Equal(["c", "b"], top.Select(s => s.Label));

        var byTwo = Run("SELECT MIN(Latency) FROM SCHEMA(App, Host, Zone) GROUP BY Zone, Host");
        Assert.Equal(["z1 a", "z1 b", "z2 c"], byTwo.Select(s => s.Label));
        Assert.Equal(1, byTwo[0].Points[0]);
    }

    [Theory]
    [InlineData("SELECT MEDIAN(Latency) FROM App", "Expected a function")]
    [InlineData("SELECT AVG(Latency)", "Expected FROM but found the end of the query")]
    [InlineData("SELECT AVG(Latency) FROM App WHERE Host > 'a'", "Unexpected character '>'")]
    [InlineData("SELECT AVG(Latency) FROM App WHERE Host = a", "Expected a label value in single quotes")]
    [InlineData("SELECT AVG(Latency) FROM App WHERE Host LIKE 'a%'", "Expected = or !=")]
    [InlineData("SELECT AVG(Latency) FROM App LIMIT 501", "LIMIT takes a whole number from 1 to 500")]
    [InlineData("SELECT AVG(Latency) FROM App LIMIT 0", "LIMIT takes a whole number")]
    [InlineData("SELECT AVG(Latency) FROM App ORDER BY AVG(Latency)", "Expected ')'")]
    [InlineData("SELECT AVG(Latency) FROM App WHERE Host = 'a", "Unterminated string")]
    [InlineData("SELECT AVG(Latency) FROM App; DROP", "Unexpected character ';'")]
    [InlineData("SELECT AVG(Latency) FROM SCHEMA(App, Host, Host)", "names the label key Host twice")]
    [InlineData("SELECT AVG(Latency) FROM App GROUP BY Host extra", "Unexpected 'extra' at position 44")]
    public void Refuses_what_the_syntax_does_not_allow(string text, string message)
    {
        var error = Assert.Throws<MetricsInsightsException>(() => MetricsInsightsQuery.Parse(text));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Nesting_is_bounded()
    {
        string Nested(int depth) => "SELECT AVG(Latency) FROM App WHERE " + new string('(', depth) + "Host = 'a'" + new string(')', depth);

        Assert.NotNull(MetricsInsightsQuery.Parse(Nested(MetricsInsightsQuery.MaxNesting)).Where);
        var error = Assert.Throws<MetricsInsightsException>(() => MetricsInsightsQuery.Parse(Nested(MetricsInsightsQuery.MaxNesting + 1)));
        Assert.Contains("nests more than", error.Message);
        Assert.Contains("characters long", Assert.Throws<MetricsInsightsException>(() => MetricsInsightsQuery.Parse(Nested(2000))).Message);
    }
}
