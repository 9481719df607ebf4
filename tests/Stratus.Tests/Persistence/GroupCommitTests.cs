using Stratus.Persistence;

namespace Stratus.Tests.Persistence;

public sealed class GroupCommitTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_commit_completes_after_a_flush_that_began_after_it(bool announced)
    {
        long changes = 0, flushedThrough = 0;
        var flushes = 0;
        var commits = new GroupCommit(() =>
        {
            var seen = Interlocked.Read(ref changes);
            Thread.Sleep(2);
            Interlocked.Exchange(ref flushedThrough, seen);
            Interlocked.Increment(ref flushes);
        });

        var late = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                using var write = announced ? commits.BeginWrite() : GroupCommit.Write.None;
                await Task.Yield();
                var mine = Interlocked.Increment(ref changes);
                await (announced ? write.CommitAsync() : commits.CommitAsync());
                if (Interlocked.Read(ref flushedThrough) < mine) Interlocked.Increment(ref late);
            }
        })));

        Assert.Equal(0, late);
        Assert.InRange(flushes, 1, 800);
    }

    [Fact]
    public async Task Commits_that_arrive_during_a_flush_share_the_next_one()
    {
        using var firstFlushEntered = new ManualResetEventSlim();
        using var releaseFirstFlush = new ManualResetEventSlim();
        var flushes = 0;
        var commits = new GroupCommit(() =>
        {
            if (Interlocked.Increment(ref flushes) == 1)
            {
                firstFlushEntered.Set();
                releaseFirstFlush.Wait();
            }
        });

        var first = Task.Run(commits.CommitAsync);
        firstFlushEntered.Wait();
        var arrivedDuringFlush = Enumerable.Range(0, 10).Select(_ => commits.CommitAsync()).ToArray();
        Assert.All(arrivedDuringFlush, commit => Assert.False(commit.IsCompleted));
        releaseFirstFlush.Set();
        await first;
        await Task.WhenAll(arrivedDuringFlush);

        Assert.Equal(2, flushes);
    }

    [Fact]
    public async Task Calls_resumed_on_the_flushing_thread_can_commit_again()
    {
        // A batch's calls resume inline on the thread that flushed: one that commits again must be flushed by someone,
        // never wait for the thread it runs on.
        var flushes = 0;
        var commits = new GroupCommit(() =>
        {
            Interlocked.Increment(ref flushes);
            Thread.Sleep(1);
        });
        async Task CommitThrice()
        {
            for (var i = 0; i < 3; i++) await commits.CommitAsync();
        }

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(CommitThrice))).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.InRange(flushes, 3, 48);
    }

    [Fact]
    public async Task A_failed_flush_fails_the_commits_waiting_for_it_and_the_next_flush_runs_again()
    {
        var fail = true;
        var commits = new GroupCommit(() =>
        {
            if (fail) throw new IOException("disk full");
        });
        await Assert.ThrowsAsync<IOException>(commits.CommitAsync);
        fail = false;
        await commits.CommitAsync();
    }

    [Fact]
    public void A_lone_writer_is_flushed_at_once()
    {
        var flushes = 0;
        var commits = new GroupCommit(() => flushes++);

        using var write = commits.BeginWrite();
        var commit = write.CommitAsync();

        Assert.True(commit.IsCompletedSuccessfully);
        Assert.Equal(1, flushes);
    }

    [Fact]
    public void A_writer_in_flight_is_included_in_the_next_flush()
    {
        var flushes = 0;
        var commits = new GroupCommit(() => flushes++);

        using var inFlight = commits.BeginWrite();
        var waiting = commits.CommitAsync();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(0, flushes);

        var last = inFlight.CommitAsync();
        Assert.True(waiting.IsCompletedSuccessfully);
        Assert.True(last.IsCompletedSuccessfully);
        Assert.Equal(1, flushes);
    }

    [Fact]
    public void An_abandoned_write_no_longer_holds_the_flush()
    {
        var flushes = 0;
        var commits = new GroupCommit(() => flushes++);

        var failing = commits.BeginWrite();
        var waiting = commits.CommitAsync();
        Assert.False(waiting.IsCompleted);
        failing.Dispose();

        Assert.True(waiting.IsCompletedSuccessfully);
        Assert.Equal(1, flushes);
    }

    [Fact]
    public void A_stalled_writer_holds_the_flush_no_longer_than_the_hold()
    {
        var flushes = 0;
        var commits = new GroupCommit(() => flushes++);

        using var stalled = commits.BeginWrite();
        var first = commits.CommitAsync();
        Thread.Sleep(GroupCommit.MaxHold * 10);
        var second = commits.CommitAsync();

        Assert.True(first.IsCompletedSuccessfully);
        Assert.True(second.IsCompletedSuccessfully);
        Assert.Equal(1, flushes);
        Assert.True(stalled.CommitAsync().IsCompletedSuccessfully);
        Assert.Equal(2, flushes);
    }
}
