using System.Text;
using Stratus.Persistence;
using Stratus.Services.CloudWatch.Engine;
using Stratus.Services.Logs.Engine;

namespace Stratus.Tests.Persistence;

/// <summary>
/// The journal that makes PutMetricData and PutLogEvents durable before they answer: what a call synced comes back
/// after a crash (a store reopened without its fold, as after kill -9), exactly once whether or not a fold
/// happened, and a write the crash cut short is dropped without hiding what came before it.
/// </summary>
public sealed class CommitJournalTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly MetricIdentity Orders = MetricIdentity.Create("111122223333", "us-east-1", "Shop", "Orders", [new MetricDimension("Api", "a")]);
    private readonly string _directory = Directory.CreateTempSubdirectory("stratus-journal-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string[] JournalFiles(string name) => Directory.GetFiles(_directory, name + ".*.journal");

    [Fact]
    public void Synced_records_are_replayed_in_order_up_to_a_torn_write()
    {
        using (var state = StateStore.Open(_directory))
        using (var journal = CommitJournal.Open(state, _directory, "test", _ => Assert.Fail("nothing to replay yet")))
        {
            journal.Append("first"u8);
            journal.Append("second"u8);
            journal.Sync();
        }
        // A crash in the middle of the next group's write: a header promising more than the file holds.
        File.AppendAllText(Assert.Single(JournalFiles("test")), "\u0040\0\0\0partial");

        var replayed = new List<string>();
        using (var state = StateStore.Open(_directory))
        using (var journal = CommitJournal.Open(state, _directory, "test", record => replayed.Add(Encoding.UTF8.GetString(record))))
        {
            Assert.Equal(["first", "second"], replayed);
            // Appends go to a new generation, never after the torn bytes.
            journal.Append("third"u8);
            journal.Sync();
            Assert.Equal(2, JournalFiles("test").Length);
        }
    }

    [Fact]
    public void A_corrupt_record_ends_its_file()
    {
        using (var state = StateStore.Open(_directory))
        using (var journal = CommitJournal.Open(state, _directory, "test", _ => { }))
        {
            journal.Append("kept"u8);
            journal.Append("flipped"u8);
            journal.Append("after"u8);
            journal.Sync();
        }
        var path = Assert.Single(JournalFiles("test"));
        var bytes = File.ReadAllBytes(path);
        bytes[8 + 4 + 8] ^= 0xff;
        File.WriteAllBytes(path, bytes);
        Assert.Equal(["kept"], CommitJournal.Records(bytes).Select(r => Encoding.UTF8.GetString(r.Span)));
    }

    [Fact]
    public async Task Committed_metric_data_survives_a_crash_once_folded_or_not()
    {
        using (var state = StateStore.Open(_directory))
        {
            var store = new MetricStore(state);
            store.Record(Orders, Now, "Count", false, a => a.AddValue(5, 1));
            store.Record(Orders, Now, "Count", true, a => a.AddValue(7, 1));
            await store.CommitAsync();
            // No fold, no dispose: what a kill -9 leaves.
        }
        using (var state = StateStore.Open(_directory))
        {
            var store = new MetricStore(state);
            Assert.Equal([12.0], store.Aggregate(Orders, null, Now, Now.AddMinutes(1), 60).Select(p => p.Aggregate.Sum));
            store.Flush();
            Assert.DoesNotContain(JournalFiles(MetricStore.Collection), f => new FileInfo(f).Length > 0);
            store.Record(Orders, Now, "Count", false, a => a.AddValue(1, 1));
            await store.CommitAsync();
        }
        using (var state = StateStore.Open(_directory))
        {
            var store = new MetricStore(state);
            var minute = Assert.Single(store.Aggregate(Orders, null, Now, Now.AddMinutes(1), 60));
            Assert.Equal((3.0, 13.0), (minute.Aggregate.SampleCount, minute.Aggregate.Sum));
            Assert.Equal([7.0], store.Aggregate(Orders, null, Now, Now.AddMinutes(1), 1).Select(p => p.Aggregate.Sum));
            store.Dispose();
        }
    }

    [Fact]
    public async Task Committed_log_events_survive_a_crash_once_with_their_ids()
    {
        var nowMs = Now.ToUnixTimeMilliseconds();
        using (var state = StateStore.Open(_directory))
        {
            var store = new LogEventStore(state);
            store.Append("stream", [(nowMs, "one"), (nowMs + 1, "two")], nowMs);
            store.Flush();
            store.Append("stream", [(nowMs + 2, "three")], nowMs);
            await store.CommitAsync();
        }
        using (var state = StateStore.Open(_directory))
        {
            var store = new LogEventStore(state);
            Assert.Equal(["one", "two", "three"], store.Events("stream").Select(e => e.Message));
            store.Append("stream", [(nowMs + 3, "four")], nowMs);
            await store.CommitAsync();
            Assert.Equal(4, store.Events("stream").Select(e => e.Id).Distinct().Count());
        }
        using (var state = StateStore.Open(_directory))
        {
            using var store = new LogEventStore(state);
            Assert.Equal(["one", "two", "three", "four"], store.Events("stream").Select(e => e.Message));
            store.Flush(compact: true);
        }
        using (var state = StateStore.Open(_directory))
            Assert.Equal(["one", "two", "three", "four"], new LogEventStore(state).Events("stream").Select(e => e.Message));
    }
}
