using Stratus.Persistence;

namespace Stratus.Tests.Persistence;

public sealed class GroupCommitTests
{
    [Fact]
    public async Task Every_commit_completes_after_a_flush_that_began_after_it()
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
}
