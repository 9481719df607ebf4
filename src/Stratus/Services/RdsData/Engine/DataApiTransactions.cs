using System.Collections.Concurrent;
using System.Data.Common;
using System.Security.Cryptography;
using Stratus.Protocols;

namespace Stratus.Services.RdsData.Engine;

/// <summary>An open Data API transaction: a connection to the cluster's writer held from BeginTransaction to its commit or rollback.</summary>
public sealed class DataApiTransaction(string id, string accountId, string region, string clusterArn, IDataApiEngine engine,
    DbConnection connection, DbTransaction transaction, DateTimeOffset started) : IAsyncDisposable
{
    public string Id { get; } = id;
    public string AccountId { get; } = accountId;
    public string Region { get; } = region;
    public string ClusterArn { get; } = clusterArn;
    public IDataApiEngine Engine { get; } = engine;
    public DbConnection Connection { get; } = connection;
    public DbTransaction Transaction { get; } = transaction;
    public DateTimeOffset Started { get; } = started;
    public DateTimeOffset LastUsed { get; set; } = started;
    /// <summary>One call at a time: a second while a statement runs is refused, as AWS refuses it.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
        Gate.Dispose();
    }
}

/// <summary>
/// The open transactions, by id. A transaction no call used for three minutes, or open for 24 hours, is rolled back, as on AWS.
/// They live in memory with their connections: a Stratus restart ends them, as the database rolls back a closed connection's work.
/// </summary>
public sealed class DataApiTransactions : IDisposable
{
    private readonly ConcurrentDictionary<string, DataApiTransaction> _open = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private readonly ITimer _sweeper;

    public DataApiTransactions(TimeProvider clock)
    {
        _clock = clock;
        _sweeper = clock.CreateTimer(_ => Sweep(), null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
    }

    public DataApiTransaction Add(Scope scope, string clusterArn, IDataApiEngine engine, DbConnection connection, DbTransaction transaction)
    {
        // AWS's ids are long opaque strings; 144 random bits in base64url keep them unguessable and within the model's 192 characters.
        var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
        var open = new DataApiTransaction(id, scope.AccountId, scope.Region, clusterArn, engine, connection, transaction, _clock.GetUtcNow());
        _open[id] = open;
        return open;
    }

    /// <summary>The transaction, held for one call until <see cref="Release"/>; another account's, another cluster's or an ended one is not found.</summary>
    public DataApiTransaction Lease(Scope scope, string clusterArn, string id)
    {
        if (!_open.TryGetValue(id, out var open) || open.AccountId != scope.AccountId || open.Region != scope.Region || open.ClusterArn != clusterArn)
            throw RdsDataErrors.TransactionNotFound(id);
        try
        {
            if (!open.Gate.Wait(0)) throw RdsDataErrors.TransactionBusy();
        }
        catch (ObjectDisposedException)
        {
            throw RdsDataErrors.TransactionNotFound(id);
        }
        // Ended between the lookup and the gate (committed, rolled back, timed out).
        if (!_open.ContainsKey(id))
        {
            open.Gate.Release();
            throw RdsDataErrors.TransactionNotFound(id);
        }
        return open;
    }

    public void Release(DataApiTransaction open)
    {
        open.LastUsed = _clock.GetUtcNow();
        open.Gate.Release();
    }

    /// <summary>Ends a leased transaction's life in the table; the caller commits or rolls it back and disposes it.</summary>
    public void Forget(DataApiTransaction open) => _open.TryRemove(open.Id, out _);

    /// <summary>Rolls back and closes a leased transaction (after an error aborted it, or when it timed out).</summary>
    public async Task AbortAsync(DataApiTransaction open)
    {
        Forget(open);
        try { await open.Transaction.RollbackAsync(); }
        catch (Exception e) when (e is DbException or InvalidOperationException) { /* the connection is gone: the server rolled back already */ }
        await open.DisposeAsync();
    }

    private void Sweep()
    {
        var now = _clock.GetUtcNow();
        foreach (var open in _open.Values)
        {
            var expired = now - open.LastUsed > RdsDataRules.TransactionIdleTimeout || now - open.Started > RdsDataRules.TransactionMaxLifetime;
            // A transaction whose statement still runs is left to it; it expires once the call releases it and stays idle.
            if (expired && open.Gate.Wait(0)) _ = AbortAsync(open);
        }
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        foreach (var open in _open.Values) AbortAsync(open).GetAwaiter().GetResult();
    }
}
