using Stratus.Services.CloudWatch;
using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Tests.Services.CloudWatch;

public sealed class MetricAggregateTests
{
    [Fact]
    public void Statistics_of_values_and_counts_weigh_each_value_by_its_count()
    {
        var aggregate = new MetricAggregate();
        aggregate.AddValue(10, 3);
        aggregate.AddValue(40, 1);

        Assert.Equal(4, aggregate.SampleCount);
        Assert.Equal(70, aggregate.Sum);
        Assert.Equal(17.5, aggregate.Average);
        Assert.Equal(10, aggregate.Minimum);
        Assert.Equal(40, aggregate.Maximum);
    }

    [Theory]
    [InlineData("p50", 50)]
    [InlineData("p90", 90)]
    [InlineData("p99", 99)]
    [InlineData("p100", 100)]
    [InlineData("p0", 1)]
    [InlineData("p99.5", 100)]
    public void Percentiles_use_the_nearest_rank(string statistic, double expected)
    {
        var aggregate = new MetricAggregate();
        foreach (var value in Enumerable.Range(1, 100).Reverse()) aggregate.AddValue(value, 1);

        Assert.Equal(expected, aggregate.Statistic(statistic));
    }

    [Fact]
    public void Statistic_sets_count_in_the_set_but_have_no_percentiles()
    {
        var aggregate = new MetricAggregate();
        aggregate.AddSet(4, 20, 1, 9);

        Assert.Equal(4, aggregate.Statistic("SampleCount"));
        Assert.Equal(5, aggregate.Statistic("Average"));
        Assert.Null(aggregate.Statistic("p99"));
    }

    [Fact]
    public void Merging_periods_keeps_the_distribution()
    {
        var first = new MetricAggregate();
        first.AddValue(1, 1);
        var second = new MetricAggregate();
        second.AddValue(100, 1);
        second.AddSet(2, 10, 5, 5);

        first.Merge(second);

        Assert.Equal(4, first.SampleCount);
        Assert.Equal(111, first.Sum);
        Assert.Equal(100, first.Statistic("p100"));
        Assert.Equal(1, first.Statistic("p50"));
    }

    [Fact]
    public void Many_distinct_values_stay_bounded()
    {
        var aggregate = new MetricAggregate();
        for (var i = 0; i < 20_000; i++) aggregate.AddValue(i * 1.001, 1);

        Assert.True(aggregate.Distribution.Count <= MetricAggregate.MaxDistinctValues, $"{aggregate.Distribution.Count} distinct values kept");
        Assert.Equal(20_000, aggregate.SampleCount);
        Assert.InRange(aggregate.Statistic("p50")!.Value, 9_700, 10_300);
    }

    [Theory]
    [InlineData("p99", true)]
    [InlineData("p99.9", true)]
    [InlineData("Sum", true)]
    [InlineData("p101", false)]
    [InlineData("q99", false)]
    [InlineData("sum", false)]
    public void Known_statistics(string statistic, bool known) => Assert.Equal(known, MetricStatistics.IsKnown(statistic));
}
