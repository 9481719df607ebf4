using Stratus.Persistence;
using Stratus.Services.CloudWatch;
using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Tests.Services.CloudWatch;

public sealed class MetricStoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly MetricIdentity Orders = MetricIdentity.Create("111122223333", "us-east-1", "Shop", "Orders", [new MetricDimension("Api", "a")]);

    private static void Put(MetricStore store, DateTimeOffset at, double value, bool highResolution = false) =>
        store.Record(Orders, at, "Count", highResolution, a => a.AddValue(value, 1));

    [Fact]
    public void Retention_drops_second_data_after_3_hours_minute_data_after_15_days_and_then_the_metric()
    {
        var store = new MetricStore(StateStore.Ephemeral());
        Put(store, Now.AddDays(-16), 1);
        Put(store, Now.AddHours(-4), 2, highResolution: true);
        Put(store, Now.AddMinutes(-5), 4, highResolution: true);

        store.Prune(Now);

        Assert.Equal([6.0], store.Aggregate(Orders, null, Now.AddDays(-20), Now, 86_400 * 30).Select(p => p.Aggregate.Sum));
        Assert.Equal([4.0], store.Aggregate(Orders, null, Now.AddDays(-20), Now, 1).Select(p => p.Aggregate.Sum));

        store.Prune(Now.AddDays(16));
        Assert.Empty(store.Metrics("111122223333", "us-east-1"));
        Put(store, Now.AddDays(16), 8);
        Assert.Single(store.Metrics("111122223333", "us-east-1"));
    }

    [Fact]
    public void Flushed_slots_load_back_with_their_distribution()
    {
        var directory = Directory.CreateTempSubdirectory("stratus-metrics-");
        try
        {
            using (var state = StateStore.Open(directory.FullName))
            {
                var store = new MetricStore(state);
                Put(store, Now, 1);
                Put(store, Now.AddSeconds(1), 100, highResolution: true);
                store.Record(Orders, Now, "Milliseconds", false, a => a.AddSet(2, 10, 4, 6));
                store.Flush();
            }
            using (var state = StateStore.Open(directory.FullName))
            {
                var loaded = new MetricStore(state);
                var minute = Assert.Single(loaded.Aggregate(Orders, null, Now, Now.AddMinutes(1), 60));
                Assert.Equal((4.0, 111.0, "None"), (minute.Aggregate.SampleCount, minute.Aggregate.Sum, minute.Unit));
                Assert.Equal(100, minute.Aggregate.Statistic("p99"));
                Assert.Equal([100.0], loaded.Aggregate(Orders, "Count", Now, Now.AddMinutes(1), 1).Select(p => p.Aggregate.Sum));
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
