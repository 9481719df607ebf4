using System.Text.Json.Nodes;
using Stratus.Services.Rds.Engine;

namespace Stratus.Tests.Services.Rds.Engine;

/// <summary>
/// Where a MariaDB point-in-time restore starts replaying the archived binary log: from the position an online snapshot
/// (mariadb-backup) noted, in the file it names; after a stopped copy's own last file otherwise.
/// </summary>
public sealed class MariaDbRecoveryPlanTests : IDisposable
{
    private static readonly DateTimeOffset RestoreTime = DateTimeOffset.Parse("2026-12-06T07:00:00.250Z", System.Globalization.CultureInfo.InvariantCulture);

    private readonly string _root = Directory.CreateTempSubdirectory("stratus-rds-plan-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A server home whose data directory holds <paramref name="inDataDir"/>, and an archive holding <paramref name="archived"/>.</summary>
    private (IDbServer Server, string Archive) Copy(string[] inDataDir, string[] archived)
    {
        var installation = MariaDbInstallation.Find();
        Assert.NotNull(installation);
        var server = installation.Server(Path.Combine(_root, "home"));
        var archive = Path.Combine(_root, "archive");
        Directory.CreateDirectory(server.DataDir);
        Directory.CreateDirectory(archive);
        foreach (var name in inDataDir) File.WriteAllText(Path.Combine(server.DataDir, name), name == "xtrabackup_binlog_info" ? "binlog.000002\t4711\t0-1-9\n" : "");
        foreach (var name in archived) File.WriteAllText(Path.Combine(archive, name), "");
        return (server, archive);
    }

    private static JsonNode Plan(IDbServer server) => JsonNode.Parse(File.ReadAllText(Path.Combine(server.Home, "recovery-plan.json")))!;

    private static string[] Logs(JsonNode plan) => plan["Logs"]!.AsArray().Select(l => Path.GetFileName((string)l!)).ToArray();

    [Fact]
    public void An_online_snapshot_replays_from_the_position_it_noted_in_the_file_it_names()
    {
        var (server, archive) = Copy(["xtrabackup_binlog_info", "ibdata1"], ["binlog.000001", "binlog.000002", "binlog.000003"]);

        server.PrepareRecovery(archive, RestoreTime);

        var plan = Plan(server);
        Assert.Equal(["binlog.000002", "binlog.000003"], Logs(plan));
        Assert.Equal(4711, (long)plan["StartPosition"]!);
        Assert.Equal("2026-12-06 07:00:01", (string?)plan["StopDatetime"]);
    }

    [Fact]
    public void A_stopped_copy_replays_the_files_after_its_own_last_one_whatever_note_it_carries()
    {
        // A server restored from an online snapshot keeps the note in its data directory; a stopped copy of it has binary logs of its own.
        var (server, archive) = Copy(["xtrabackup_binlog_info", "binlog.000001", "binlog.000002"], ["binlog.000001", "binlog.000002", "binlog.000003"]);

        server.PrepareRecovery(archive, null);

        var plan = Plan(server);
        Assert.Equal(["binlog.000003"], Logs(plan));
        Assert.Null(plan["StartPosition"]);
        Assert.Null(plan["StopDatetime"]);
    }

    [Fact]
    public void An_archive_without_the_file_an_online_snapshot_ends_in_is_refused()
    {
        var (server, archive) = Copy(["xtrabackup_binlog_info"], ["binlog.000003"]);

        var refused = Assert.Throws<InvalidOperationException>(() => server.PrepareRecovery(archive, RestoreTime));
        Assert.Contains("binlog.000002", refused.Message);
    }
}
