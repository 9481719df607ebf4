using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// Every database server this Stratus runs, whatever its engine: where their files live, which loopback address
/// each one holds, and cleaning up after a Stratus that died without stopping its servers. Each instance gets
/// its own 127.0.0.N (from .2 up, as a system MariaDB or PostgreSQL often holds 127.0.0.1:3306 or :5432), so
/// several instances can all listen on the port their users asked for.
/// </summary>
public sealed partial class DbFleet
{
    private const string EphemeralPrefix = "stratus-rds-";
    private const string OwnerFile = "owner.pid";

    private readonly ConcurrentDictionary<string, IDbServer> _servers = new(StringComparer.Ordinal);
    private readonly AddressClaims _addresses = new();
    private readonly string? _publicHost;
    private readonly ILogger _logger;
    private readonly StorageCgroups _storageCgroups;

    public DbFleet(IReadOnlyList<IDbEngine> engines, string? dataDir, string stratusHost, ILogger logger)
    {
        Engines = engines;
        _logger = logger;
        _publicHost = IsLoopback(stratusHost) ? null : stratusHost;
        IsEphemeral = dataDir is null;
        if (dataDir is null)
        {
            Root = Directory.CreateTempSubdirectory(EphemeralPrefix).FullName;
            File.WriteAllText(Path.Combine(Root, OwnerFile), Environment.ProcessId.ToString());
        }
        else
        {
            Root = Path.Combine(dataDir, "rds");
            Persistence.DataDirectory.CreatePrivate(Root);
        }
        _storageCgroups = StorageCgroups.Detect(Root);
        Authorities = new DbCertificateAuthorities(Root);
    }

    /// <summary>The certificate authorities of every account and Region, kept with the servers' files.</summary>
    public DbCertificateAuthorities Authorities { get; }

    /// <summary>How servers' storage operations are counted, or why they are not (the health page says it).</summary>
    public string StorageCounting => _storageCgroups.Description;

    /// <summary>The engines installed here (at least one).</summary>
    public IReadOnlyList<IDbEngine> Engines { get; }
    public string Root { get; }
    public bool IsEphemeral { get; }

    /// <summary>Raised when a server's process ends without being asked to (resource id, exit code).</summary>
    public event Action<string, int>? ServerDied;

    /// <summary>
    /// Issues a server's TLS certificate for the address it is about to listen on (resource id, address, server), before each
    /// start: RDS's, from the instance's certificate authority.
    /// </summary>
    public Action<string, string, IDbServer>? IssueCertificate { get; set; }

    public string SnapshotDataDir(string snapshotResourceId) => Path.Combine(Root, "snapshots", snapshotResourceId, "data");

    /// <summary>
    /// Where an instance's automated backups keep its transaction log (by DbiResourceId, outside the instance's home, so that
    /// retained backups outlive a deleted instance). Present only while the instance has backups.
    /// </summary>
    public string LogArchiveDir(string resourceId) => Path.Combine(Root, "backups", resourceId, "log");

    public void CreateLogArchive(string resourceId)
    {
        Persistence.DataDirectory.CreatePrivate(Path.Combine(Root, "backups"));
        Persistence.DataDirectory.CreatePrivate(Path.GetDirectoryName(LogArchiveDir(resourceId))!);
        Persistence.DataDirectory.CreatePrivate(LogArchiveDir(resourceId));
    }

    public void DeleteLogArchive(string resourceId)
    {
        var dir = Path.GetDirectoryName(LogArchiveDir(resourceId))!;
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    /// <summary>
    /// Brings a replicated copy of a log archive up to date with its source's (automated backups replicated to another Region):
    /// each file the copy lacks, or holds shorter or older, is copied through a temporary name (a restore never reads half a
    /// file) and keeps the source file's time, which retention prunes by. The work is the files new since the last pass.
    /// </summary>
    public void CopyLogArchive(string fromId, string toId)
    {
        var from = LogArchiveDir(fromId);
        var to = LogArchiveDir(toId);
        if (!Directory.Exists(from)) return;
        CreateLogArchive(toId);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            var source = new FileInfo(file);
            var copy = new FileInfo(Path.Combine(to, source.Name));
            if (copy.Exists && copy.Length == source.Length && copy.LastWriteTimeUtc >= source.LastWriteTimeUtc) continue;
            var partial = copy.FullName + ".copying";
            File.Copy(source.FullName, partial, overwrite: true);
            File.SetLastWriteTimeUtc(partial, source.LastWriteTimeUtc);
            File.Move(partial, copy.FullName, overwrite: true);
        }
    }

    /// <summary>Removes archived log files last written before <paramref name="before"/> (older than every automated snapshot kept).</summary>
    public void PruneLogArchive(string resourceId, DateTimeOffset before) => PruneLogFolder(LogArchiveDir(resourceId), before);

    private static void PruneLogFolder(string dir, DateTimeOffset before)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var file in Directory.EnumerateFiles(dir).Where(f => File.GetLastWriteTimeUtc(f) < before.UtcDateTime).ToList()) File.Delete(file);
    }

    /// <summary>
    /// One log lineage of an Aurora cluster's automated backups: a folder in the cluster's log archive (so retained backups
    /// outlive the cluster and its instances) that one writer after another archives into while the data they run on
    /// continues the same log.
    /// </summary>
    public string ClusterLogArchiveDir(string clusterResourceId, string lineage) => Path.Combine(LogArchiveDir(clusterResourceId), lineage);

    public string CreateClusterLogArchive(string clusterResourceId, string lineage)
    {
        CreateLogArchive(clusterResourceId);
        var dir = ClusterLogArchiveDir(clusterResourceId, lineage);
        Persistence.DataDirectory.CreatePrivate(dir);
        return dir;
    }

    /// <summary>Removes a lineage's archived log files written before <paramref name="before"/>, or the whole lineage when <paramref name="before"/> is null.</summary>
    public void PruneClusterLogArchive(string clusterResourceId, string lineage, DateTimeOffset? before)
    {
        var dir = ClusterLogArchiveDir(clusterResourceId, lineage);
        if (before is { } time) PruneLogFolder(dir, time);
        else if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    /// <summary>The engine that serves an RDS engine name (mysql, mariadb, postgres), if it is installed.</summary>
    public IDbEngine? EngineFor(string rdsEngine) => Engines.FirstOrDefault(e => e.RdsEngines.Contains(rdsEngine));

    public IDbServer Server(string resourceId, IDbEngine engine) => _servers.GetOrAdd(resourceId, id =>
    {
        var server = engine.Server(Path.Combine(Root, "instances", id));
        server.StorageCgroup = _storageCgroups.For(id);
        server.LogArchive = LogArchiveDir(id);
        server.ExitedUnexpectedly += (_, code) => ServerDied?.Invoke(id, code);
        return server;
    });

    /// <summary>Keeps an address for an instance that already has one (loaded at startup), so new instances do not take it.</summary>
    public void Reserve(string resourceId, string address) => _addresses.TryClaim(resourceId, address);

    /// <summary>Starts the instance's server on its address, or the next free one; returns the address it listens on.</summary>
    public async Task<string> StartAsync(string resourceId, IDbEngine engine, string? preferredAddress, int port, bool publiclyAccessible, CancellationToken cancellation)
    {
        var server = Server(resourceId, engine);
        var tried = new List<string>();
        foreach (var address in Candidates(preferredAddress, publiclyAccessible))
        {
            if (!_addresses.TryClaim(resourceId, address)) continue;
            if (!IsFree(address, port))
            {
                _addresses.Release(resourceId, address);
                continue;
            }
            tried.Add(address);
            try
            {
                IssueCertificate?.Invoke(resourceId, address, server);
                await server.StartAsync(address, port, cancellation);
                _addresses.ReleaseAll(resourceId, keep: address);
                return address;
            }
            catch (DbStartException e) when (e.AddressInUse)
            {
                _addresses.Release(resourceId, address);
                _logger.LogInformation("{Address}:{Port} was taken while starting {Instance}; trying the next address", address, port, resourceId);
            }
            if (tried.Count >= 20) break;
        }
        throw new DbStartException(tried.Count == 0
            ? $"Port {port} is taken on every address this instance may use (127.0.0.2-127.0.0.254, or the host address when publicly accessible). Does something listen on 0.0.0.0:{port}?"
            : $"Port {port} was taken on each address tried ({string.Join(", ", tried)}).", addressInUse: true);
    }

    public Task StopAsync(string resourceId) => _servers.TryGetValue(resourceId, out var server) ? server.StopAsync() : Task.CompletedTask;

    /// <summary>Stops the server and removes everything of the instance.</summary>
    public async Task DestroyAsync(string resourceId)
    {
        if (_servers.TryRemove(resourceId, out var server))
        {
            await server.StopAsync();
            server.StorageCgroup?.Remove();
        }
        _addresses.ReleaseAll(resourceId);
        var home = Path.Combine(Root, "instances", resourceId);
        if (Directory.Exists(home)) Directory.Delete(home, recursive: true);
    }

    public void DeleteSnapshotData(string snapshotResourceId)
    {
        var dir = Path.GetDirectoryName(SnapshotDataDir(snapshotResourceId))!;
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    /// <summary>
    /// Copies a data directory (the server must be stopped for the copy to be consistent) into a snapshot's or an
    /// instance's home, which is created 0700 with the copy's folders, as the databases' files are its owner's alone.
    /// </summary>
    public static void CopyDirectory(string from, string to)
    {
        if (Directory.Exists(to)) Directory.Delete(to, recursive: true);
        // Each level on its own (instances/ or snapshots/, the home, the copy): a directory's parents get the umask's mode.
        var home = Path.GetDirectoryName(to)!;
        Persistence.DataDirectory.CreatePrivate(Path.GetDirectoryName(home)!);
        Persistence.DataDirectory.CreatePrivate(home);
        Persistence.DataDirectory.CreatePrivate(to);
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Persistence.DataDirectory.CreatePrivate(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

    /// <summary>
    /// Stops servers an earlier Stratus left behind when it was killed: those of this data dir (they
    /// are started again under supervision) and those of dead ephemeral Stratus processes (removed).
    /// Each engine looks for its own server's pid file in every home.
    /// </summary>
    public async Task StopOrphansAsync()
    {
        var instances = Path.Combine(Root, "instances");
        if (Directory.Exists(instances))
            foreach (var home in Directory.EnumerateDirectories(instances))
                foreach (var engine in Engines)
                    if (await engine.Server(home).StopOrphanAsync())
                        _logger.LogWarning("Stopped a {Product} server left running by an earlier Stratus in {Home}", engine.Product, home);

        foreach (var root in Directory.EnumerateDirectories(Path.GetTempPath(), EphemeralPrefix + "*"))
        {
            if (root == Root || IsOwnerAlive(root)) continue;
            var orphanInstances = Path.Combine(root, "instances");
            if (Directory.Exists(orphanInstances))
                foreach (var home in Directory.EnumerateDirectories(orphanInstances))
                    foreach (var engine in Engines)
                        await engine.Server(home).StopOrphanAsync();
            TryDelete(root);
        }
    }

    public async Task StopAllAsync()
    {
        await Task.WhenAll(_servers.Values.Select(s => s.StopAsync()));
        _addresses.Dispose();
        _storageCgroups.Dispose();
        if (IsEphemeral) TryDelete(Root);
    }

    private IEnumerable<string> Candidates(string? preferred, bool publiclyAccessible)
    {
        if (publiclyAccessible && _publicHost is not null)
        {
            yield return _publicHost;
            yield break;
        }
        if (preferred is not null && IsLoopback(preferred)) yield return preferred;
        foreach (var address in AddressClaims.FreeLongestFirst(Enumerable.Range(2, 253).Select(n => $"127.0.0.{n}"))) yield return address;
    }

    /// <summary>Whether nothing listens there now (another program, or another Stratus's instance).</summary>
    private static bool IsFree(string address, int port)
    {
        try
        {
            // With SO_REUSEADDR, as mariadbd and postgres bind: only a live listener, not a closed connection's TIME_WAIT, makes it busy.
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            probe.Bind(new IPEndPoint(IPAddress.Parse(address), port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool IsLoopback(string host) =>
        host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    private static bool IsOwnerAlive(string root)
    {
        var owner = Path.Combine(root, OwnerFile);
        // A root without its owner file yet may belong to a Stratus that is starting right now.
        if (!File.Exists(owner)) return Directory.GetCreationTimeUtc(root) > DateTime.UtcNow.AddMinutes(-5);
        if (!int.TryParse(File.ReadAllText(owner).Trim(), out var pid)) return false;
        return Directory.Exists($"/proc/{pid}");
    }

    private void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("Could not remove {Dir}: {Message}", dir, e.Message);
        }
    }
}
