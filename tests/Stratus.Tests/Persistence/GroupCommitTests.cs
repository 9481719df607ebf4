using Stratus.Persistence;

namespace Stratus.Tests.Persistence;

public sealed class GroupCommitTests
{
    [Fact]
    public async Task Every_commit_completes_after_a_flush_that_began_after_it()
    {
        long changes = 0, flushedThrough = 0;
        var flushes = 0;
        using var commits = new GroupCommit(() =>
        {
            var seen = Interlocked.Read(ref changes);
            Thread.Sleep(2);
            Interlocked.Exchange(ref flushedThrough, seen);
            Interlocked.Increment(ref flushes);
        }, "test flush");

        var late = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                var mine = Interlocked.Increment(ref changes);
                await commits.CommitAsync();
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
        using var commits = new GroupCommit(() =>
        {
            if (Interlocked.Increment(ref flushes) == 1)
            {
                firstFlushEntered.Set();
                releaseFirstFlush.Wait();
            }
        }, "test flush");

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
    public async Task Calls_resume_off_the_flushing_thread_and_can_commit_again()
    {
        // The flushing thread goes on to the next batch while the calls it served resume elsewhere: none runs on it, and
        // one that commits again is flushed by the next batch.
        var flushes = 0;
        Thread? flushing = null;
        using var commits = new GroupCommit(() =>
        {
            flushing = Thread.CurrentThread;
            Interlocked.Increment(ref flushes);
            Thread.Sleep(1);
        }, "test flush");
        var resumedOnFlushingThread = 0;
        async Task CommitThrice()
        {
            for (var i = 0; i < 3; i++)
            {
                await commits.CommitAsync();
                if (Thread.CurrentThread == flushing) Interlocked.Increment(ref resumedOnFlushingThread);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(CommitThrice))).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.InRange(flushes, 3, 48);
        Assert.Equal(0, resumedOnFlushingThread);
        Assert.Equal("test flush", flushing!.Name);
    }

    [Fact]
    public async Task Disposing_ends_the_flushing_thread_and_refuses_later_commits()
    {
        Thread? flushing = null;
        var commits = new GroupCommit(() => flushing = Thread.CurrentThread, "test flush");
        await commits.CommitAsync();

        commits.Dispose();

        Assert.True(flushing!.Join(TimeSpan.FromMinutes(1)));
        Assert.Throws<ObjectDisposedException>(() => { _ = commits.CommitAsync(); });
    }

    [Fact]
    public async Task A_failed_flush_fails_the_commits_waiting_for_it_and_the_next_flush_runs_again()
    {
        var fail = true;
        using var commits = new GroupCommit(() =>
        {
            if (fail) throw new IOException("disk full");
        }, "test flush");
        await Assert.ThrowsAsync<IOException>(commits.CommitAsync);
        fail = false;
        await commits.CommitAsync();
    }
}
