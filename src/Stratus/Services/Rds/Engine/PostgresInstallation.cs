using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// The PostgreSQL server binaries found on this machine (Debian's postgresql package keeps them in
/// /usr/lib/postgresql/&lt;major&gt;/bin; the newest major is taken), if any: the engine of postgres instances.
/// </summary>
public sealed partial record PostgresInstallation(string BinDir, string Version) : IDbEngine
{
    public const string Hint = "apt-get install postgresql";

    private const string DebianRoot = "/usr/lib/postgresql";

    public string Product => "PostgreSQL";

    public IReadOnlyList<string> RdsEngines { get; } = ["postgres", "aurora-postgresql"];

    public int DefaultPort => 5432;

    public string InstallHint => Hint;

    public string ServerPath => Path.Combine(BinDir, "postgres");

    public string InitDbPath => Path.Combine(BinDir, "initdb");

    /// <summary>Copies a running server's data directory over a replication connection: how a read replica is seeded.</summary>
    public string BaseBackupPath => Path.Combine(BinDir, "pg_basebackup");

    public IDbServer Server(string home) => new PostgresServer(this, home);

    [GeneratedRegex(@"\(PostgreSQL\)\s+(\d+(?:\.\d+)?)")]
    private static partial Regex VersionPattern();

    /// <summary>Finds postgres and initdb side by side; null when PostgreSQL is not installed.</summary>
    public static PostgresInstallation? Find()
    {
        var binDirs = Directory.Exists(DebianRoot)
            ? Directory.EnumerateDirectories(DebianRoot)
                .Select(dir => (Major: int.TryParse(Path.GetFileName(dir), out var major) ? major : -1, Bin: Path.Combine(dir, "bin")))
                .Where(d => d.Major > 0).OrderByDescending(d => d.Major).Select(d => d.Bin)
            : [];
        var binDir = binDirs.FirstOrDefault(dir => File.Exists(Path.Combine(dir, "postgres")) && File.Exists(Path.Combine(dir, "initdb")));
        if (binDir is null) return null;
        var version = ReadVersion(Path.Combine(binDir, "postgres"));
        return version is null ? null : new PostgresInstallation(binDir, version);
    }

    private static string? ReadVersion(string server)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(server, "--version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var text = process.StandardOutput.ReadToEnd();
            process.WaitForExit(10_000);
            return VersionPattern().Match(text) is { Success: true } m ? m.Groups[1].Value : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
