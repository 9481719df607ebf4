using Stratus.Persistence;

namespace Stratus.Tests.Persistence;

/// <summary>The sweep of what a killed Stratus left, when several Stratus processes start at the same moment.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class OwnedTempDirectoryTests
{
    [Fact]
    public async Task Concurrent_sweeps_of_one_orphan_remove_all_of_it_and_never_follow_its_links()
    {
        var prefix = $"stratus-sweep-test-{Guid.NewGuid():N}-";
        var outside = Directory.CreateTempSubdirectory("stratus-sweep-outside-").FullName;
        File.WriteAllText(Path.Combine(outside, "keep"), "not the orphan's");
        try
        {
            for (var trial = 0; trial < 10; trial++)
            {
                // Shaped as an ephemeral Stratus's work dir (S3's 256 blob folders, function code), owned by a process
                // that is gone: this pid with another start time, as when the pid has been reused.
                var orphan = Directory.CreateTempSubdirectory(prefix).FullName;
                for (var folder = 0; folder < 256; folder++)
                    File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(orphan, "s3", "blobs", folder.ToString("x2"))).FullName, "blob"), "x");
                File.CreateSymbolicLink(Path.Combine(orphan, "s3", "link"), outside);
                File.WriteAllText(Path.Combine(orphan, OwnedTempDirectory.OwnerFile), $"{Environment.ProcessId} 1");

                using var start = new Barrier(4);
                await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
                {
                    start.SignalAndWait();
                    OwnedTempDirectory.RemoveOrphans(prefix);
                })));

                Assert.False(Directory.Exists(orphan), $"trial {trial}: the orphan is gone");
            }
            Assert.Equal("not the orphan's", File.ReadAllText(Path.Combine(outside, "keep")));
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }
}
