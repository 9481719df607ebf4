using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Stratus.Services.Rds.Engine;

/// <summary>The MariaDB (or MySQL) server binaries found on this machine, if any: the engine of mysql and mariadb instances.</summary>
public sealed partial record MariaDbInstallation(string ServerPath, string InstallDbPath, string Version) : IDbEngine
{
    /// <summary>mariadb-tzinfo-to-sql, which turns the machine's zoneinfo into the server's time zone tables; null when missing.</summary>
    public string? TimeZoneLoaderPath { get; init; } = OnPath("mariadb-tzinfo-to-sql") ?? OnPath("mysql_tzinfo_to_sql");

    /// <summary>mariadb-dump and the mariadb client, which seed a read replica from its source; null when missing.</summary>
    public string? DumpPath { get; init; } = OnPath("mariadb-dump") ?? OnPath("mysqldump");
    public string? ClientPath { get; init; } = OnPath("mariadb") ?? OnPath("mysql");
    /// <summary>mariadb-binlog, which replays archived binary logs for a point-in-time restore.</summary>
    public string? BinlogToolPath { get; init; } = OnPath("mariadb-binlog") ?? OnPath("mysqlbinlog");
    /// <summary>mariadb-backup, which copies a running server for a snapshot (Debian's mariadb-backup package); null when missing.</summary>
    public string? BackupToolPath { get; init; } = OnPath("mariadb-backup") ?? OnPath("mariabackup");

    public const string InstallHint = "apt-get install mariadb-server";

    public string Product => "MariaDB";

    public IReadOnlyList<string> RdsEngines { get; } = ["mysql", "mariadb", "aurora-mysql"];

    public int DefaultPort => 3306;

    string IDbEngine.InstallHint => InstallHint;

    public IDbServer Server(string home) => new MariaDbServer(this, home);

    private static readonly string[] ServerCandidates = ["/usr/sbin/mariadbd", "/usr/sbin/mysqld", "/usr/local/sbin/mariadbd", "/usr/local/bin/mariadbd"];
    private static readonly string[] InstallDbNames = ["mariadb-install-db", "mysql_install_db"];

    [GeneratedRegex(@"Ver\s+(\d+\.\d+\.\d+)")]
    private static partial Regex VersionPattern();

    /// <summary>Finds the server and its data directory initialiser; null when either is missing.</summary>
    public static MariaDbInstallation? Find()
    {
        var server = ServerCandidates.FirstOrDefault(File.Exists) ?? OnPath("mariadbd") ?? OnPath("mysqld");
        var installDb = InstallDbNames.Select(OnPath).FirstOrDefault(p => p is not null);
        if (server is null || installDb is null) return null;
        return new MariaDbInstallation(server, installDb, ReadVersion(server));
    }

    private static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/usr/bin")
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static string ReadVersion(string server)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(server, "--version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var text = process.StandardOutput.ReadToEnd();
            process.WaitForExit(10_000);
            return VersionPattern().Match(text) is { Success: true } m ? m.Groups[1].Value : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
