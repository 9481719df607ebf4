using Stratus.Persistence;

namespace Stratus.Tests.Persistence;

public sealed class GroupCommitTests
{
    [Fact]
    public async Task Every_commit_completes_after_a_flush_that_began_after_it_and_concurrent_commits_share_flushes()
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
        Assert.True(flushes < 800, $"{flushes} flushes for 800 commits: concurrent commits should share them");
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
