using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Persistence;
using Stratus.Services.Rds.Engine;

namespace Stratus.Tests.Services.Rds.Engine;

/// <summary>An instance's and a snapshot's home hold its databases' files: 0700 from their creation, whatever the umask.</summary>
public sealed class MariaDbHomeTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("stratus-rds-home-").FullName;

    public void Dispose() => Directory.Delete(_dataDir, recursive: true);

    private static UnixFileMode Mode(string path) => OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(path) & (UnixFileMode)0x1ff;

    [Fact]
    public async Task An_initialized_instance_home_and_its_folders_are_private_at_once()
    {
        var installation = MariaDbInstallation.Find();
        Assert.NotNull(installation);
        var fleet = new DbFleet([installation], _dataDir, "127.0.0.1", NullLogger.Instance);
        var server = fleet.Server("db-HOMEMODE", installation);

        await server.InitializeAsync(CancellationToken.None);

        foreach (var path in new[] { fleet.Root, Path.GetDirectoryName(server.Home)!, server.Home, Path.Combine(server.Home, "tmp") })
            Assert.True(Mode(path) == DataDirectory.PrivateDirectory, $"{path} is {Mode(path)}");
    }

    [Fact]
    public void A_copied_data_directory_lands_in_a_private_home()
    {
        var source = Path.Combine(_dataDir, "source");
        Directory.CreateDirectory(Path.Combine(source, "mysql"));
        File.WriteAllText(Path.Combine(source, "mysql", "user.frm"), "table");
        var snapshot = Path.Combine(_dataDir, "rds", "snapshots", "snap-1", "data");

        DbFleet.CopyDirectory(source, snapshot);

        foreach (var path in new[] { Path.GetDirectoryName(Path.GetDirectoryName(snapshot))!, Path.GetDirectoryName(snapshot)!, snapshot, Path.Combine(snapshot, "mysql") })
            Assert.True(Mode(path) == DataDirectory.PrivateDirectory, $"{path} is {Mode(path)}");
        Assert.Equal("table", File.ReadAllText(Path.Combine(snapshot, "mysql", "user.frm")));
    }
}
