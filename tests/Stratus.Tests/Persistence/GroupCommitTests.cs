using Stratus.Persistence;

namespace Stratus.Tests.Persistence;

public sealed class GroupCommitTests
{
    [Fact]
    public async Task Every_commit_completes_after_a_flush_that_began_after_it()
    {
        long changes = 0, flushedThrough = 0;
        var flushes = 0;
        var commits = new GroupCommit(() => Interlocked.Read(ref changes), through =>
        {
            Thread.Sleep(2);
            Interlocked.Exchange(ref flushedThrough, through);
            Interlocked.Increment(ref flushes);
        });

        var late = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                var mine = Interlocked.Increment(ref changes);
                await commits.CommitAsync(mine);
                if (Interlocked.Read(ref flushedThrough) < mine) Interlocked.Increment(ref late);
            }
        })));

        Assert.Equal(0, late);
        Assert.InRange(flushes, 1, 800);
    }

    /// <summary>
    /// The order is recorded by a flush the test holds, never timed: a change written while a flush runs waits for the
    /// next flush (which starts after it), and a change written before the running flush started is answered by that one.
    /// </summary>
    [Fact]
    public async Task A_caller_waits_for_the_first_flush_that_started_after_its_commit()
    {
        long written = 0;
        var started = new List<long>();
        using var flushStarted = new SemaphoreSlim(0);
        using var releaseFlush = new SemaphoreSlim(0);
        var commits = new GroupCommit(() => Interlocked.Read(ref written), through =>
        {
            lock (started) started.Add(through);
            flushStarted.Release();
            Assert.True(releaseFlush.Wait(TimeSpan.FromSeconds(60)), "the test never released the flush");
        });

        // The first caller flushes on its own thread, which the held flush blocks.
        var first = Task.Run(() => commits.CommitAsync(Interlocked.Increment(ref written)));
        Assert.True(await flushStarted.WaitAsync(TimeSpan.FromSeconds(60)), "no flush started for the first commit");
        // Written while the first flush runs: that flush read the number before this change, so it cannot cover it.
        var second = commits.CommitAsync(Interlocked.Increment(ref written));
        // A second caller for the first change (written before the running flush started) shares the running flush.
        var firstAgain = commits.CommitAsync(1);

        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);
        Assert.False(firstAgain.IsCompleted);
        releaseFlush.Release();
        await Task.WhenAll(first, firstAgain);

        Assert.True(await flushStarted.WaitAsync(TimeSpan.FromSeconds(60)), "no flush started for the change written during the first");
        Assert.False(second.IsCompleted, "a change written during a flush was acknowledged by that flush");
        releaseFlush.Release();
        await second;

        lock (started) Assert.Equal([1L, 2L], started);
        Assert.Equal(2, commits.Durable);
        // Already covered: answered at once, no flush.
        Assert.True(commits.CommitAsync(2).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Commits_that_arrive_during_a_flush_share_the_next_one()
    {
        long written = 0;
        using var firstFlushEntered = new ManualResetEventSlim();
        using var releaseFirstFlush = new ManualResetEventSlim();
        var flushes = 0;
        var commits = new GroupCommit(() => Interlocked.Read(ref written), _ =>
        {
            if (Interlocked.Increment(ref flushes) == 1)
            {
                firstFlushEntered.Set();
                releaseFirstFlush.Wait();
            }
        });

        var first = Task.Run(() => commits.CommitAsync(Interlocked.Increment(ref written)));
        firstFlushEntered.Wait();
        var arrivedDuringFlush = Enumerable.Range(0, 10).Select(_ => commits.CommitAsync(Interlocked.Increment(ref written))).ToArray();
        Assert.All(arrivedDuringFlush, commit => Assert.False(commit.IsCompleted));
        releaseFirstFlush.Set();
        await first;
        await Task.WhenAll(arrivedDuringFlush);

        Assert.Equal(2, flushes);
    }

    [Fact]
    public async Task A_failed_flush_fails_the_commits_waiting_for_it_and_the_next_flush_runs_again()
    {
        var fail = true;
        var commits = new GroupCommit(() => 1, _ =>
        {
            if (fail) throw new IOException("disk full");
        });
        await Assert.ThrowsAsync<IOException>(() => commits.CommitAsync(1));
        Assert.Equal(0, commits.Durable);
        fail = false;
        await commits.CommitAsync(1);
        Assert.Equal(1, commits.Durable);
    }
}
