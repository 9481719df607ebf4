using System.Collections.Concurrent;
using System.Net;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Rds.Engine;

namespace Stratus.Services.Rds;

/// <summary>
/// Custom endpoints of Aurora clusters (CreateDBClusterEndpoint and the rest): each is a loopback address of its own at
/// the cluster's port, forwarding every connection to one of the members it names in turn, as the reader endpoint does
/// over the readers. A READER endpoint skips the writer (after a failover too); an ANY endpoint takes it as well.
/// </summary>
public sealed partial class RdsService
{
    /// <summary>Aurora's quota of custom endpoints per DB cluster.</summary>
    private const int CustomEndpointsPerCluster = 5;

    private readonly ResourceTable<DbClusterEndpoint> _customEndpoints;
    private readonly ConcurrentDictionary<string, TcpForwarder> _customEndpointForwarders = new(StringComparer.Ordinal);

    public DbClusterEndpoint CreateClusterEndpoint(Scope scope, CreateClusterEndpointRequest request)
    {
        var identifier = RdsRules.InstanceIdentifier("DBClusterEndpointIdentifier", request.Identifier);
        var cluster = GetCluster(scope, request.ClusterIdentifier);
        var type = CustomEndpointType(request.EndpointType);
        CheckEndpointMembers(cluster, request.StaticMembers, request.ExcludedMembers);
        if (cluster.Status != "available")
            throw RdsErrors.InvalidClusterState($"DB cluster {cluster.Identifier} is not in the available state (it is {cluster.Status}).");
        if (CustomEndpointsOf(cluster).Count >= CustomEndpointsPerCluster)
            throw RdsErrors.ClusterEndpointQuotaExceeded(cluster.Identifier, CustomEndpointsPerCluster);
        var endpoint = new DbClusterEndpoint
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Identifier = identifier,
            ClusterIdentifier = cluster.Identifier,
            ResourceId = NewResourceId("cluster-endpoint-"),
            CustomType = type,
            StaticMembers = Members(request.StaticMembers),
            ExcludedMembers = Members(request.ExcludedMembers),
            Status = "creating",
            Tags = request.Tags,
        };
        if (!_customEndpoints.TryAdd(CustomEndpointKey(endpoint), endpoint)) throw RdsErrors.ClusterEndpointAlreadyExists(identifier);
        RunForCluster(cluster, "endpoint creation", (current, _) =>
        {
            // A stop queued before this one ran first: the endpoint then listens when the cluster starts again.
            if (ClusterStatesWithRunningServers.Contains(current.Status)) OpenCustomEndpoint(current, endpoint);
            else _customEndpoints.Update(CustomEndpointKey(endpoint), e => e with { Status = "available" });
            return Task.CompletedTask;
        }, onFailure: current =>
        {
            RemoveCustomEndpoint(endpoint);
            ClusterEvent(current, $"The custom endpoint {endpoint.Identifier} could not be created.", "failure");
        });
        return endpoint;
    }

    /// <summary>
    /// ModifyDBClusterEndpoint: the endpoint is "modifying" until the cluster's queued work reaches the change, then
    /// "available" again, as RDS reports it; the new type and members apply to the next connection.
    /// </summary>
    public DbClusterEndpoint ModifyClusterEndpoint(Scope scope, ModifyClusterEndpointRequest request)
    {
        var endpoint = GetCustomEndpoint(scope, request.Identifier);
        var cluster = GetCluster(scope, endpoint.ClusterIdentifier);
        var type = request.EndpointType is null ? endpoint.CustomType : CustomEndpointType(request.EndpointType);
        CheckEndpointMembers(cluster, request.StaticMembers, request.ExcludedMembers);
        if (cluster.Status is not ("available" or "stopped"))
            throw RdsErrors.InvalidClusterState($"DB cluster {cluster.Identifier} is {cluster.Status}; its endpoints can be modified when it is available or stopped.");
        // Static and excluded members are two ways of naming the members: naming either replaces both.
        var renamesMembers = request.ReplacesMembers || request.StaticMembers.Count > 0 || request.ExcludedMembers.Count > 0;
        var modifying = _customEndpoints.Update(CustomEndpointKey(endpoint), e => e.Status == "available"
            ? e with
            {
                CustomType = type,
                StaticMembers = renamesMembers ? Members(request.StaticMembers) : e.StaticMembers,
                ExcludedMembers = renamesMembers ? Members(request.ExcludedMembers) : e.ExcludedMembers,
                Status = "modifying",
            }
            : throw RdsErrors.InvalidClusterEndpointState($"DB cluster endpoint {e.Identifier} is not in the available state (it is {e.Status})."))
            ?? throw RdsErrors.ClusterEndpointNotFound(request.Identifier);
        RunForCluster(cluster, "endpoint modification", (_, _) =>
        {
            EndModifying(modifying);
            return Task.CompletedTask;
        }, onFailure: _ => EndModifying(modifying));
        return modifying;
    }

    private void EndModifying(DbClusterEndpoint endpoint) =>
        _customEndpoints.Update(CustomEndpointKey(endpoint), e => e.Status == "modifying" ? e with { Status = "available" } : e);

    /// <summary>
    /// A member deleted from the cluster leaves every custom endpoint's static and excluded lists, as RDS drops it; a
    /// READER or ANY endpoint left without static members reaches every member (but its excluded ones), as in RDS.
    /// </summary>
    private void ForgetEndpointMember(DbInstance member)
    {
        if (member.ClusterIdentifier is null) return;
        foreach (var endpoint in _customEndpoints.Values.Where(e => e.AccountId == member.AccountId && e.Region == member.Region
            && e.ClusterIdentifier == member.ClusterIdentifier && (e.StaticMembers.Contains(member.Identifier) || e.ExcludedMembers.Contains(member.Identifier))))
            _customEndpoints.Update(CustomEndpointKey(endpoint), e => e with
            {
                StaticMembers = e.StaticMembers.Where(m => m != member.Identifier).ToList(),
                ExcludedMembers = e.ExcludedMembers.Where(m => m != member.Identifier).ToList(),
            });
    }

    /// <summary>The custom endpoint an ARN names (arn:aws:rds:REGION:ACCOUNT:cluster-endpoint:NAME), for its tags.</summary>
    private DbClusterEndpoint? CustomEndpointByName(Scope scope, string name) =>
        _customEndpoints.Get(CustomEndpointKey(scope.AccountId, scope.Region, name));

    private void ChangeCustomEndpointTags(DbClusterEndpoint endpoint, Func<IReadOnlyList<RdsTag>, IReadOnlyList<RdsTag>> change) =>
        _customEndpoints.Update(CustomEndpointKey(endpoint), e => e with { Tags = change(e.Tags) });

    public DbClusterEndpoint DeleteClusterEndpoint(Scope scope, string identifier)
    {
        var endpoint = GetCustomEndpoint(scope, identifier);
        var cluster = GetCluster(scope, endpoint.ClusterIdentifier);
        if (cluster.Status is not ("available" or "stopped"))
            throw RdsErrors.InvalidClusterState($"DB cluster {cluster.Identifier} is {cluster.Status}; its endpoints can be deleted when it is available or stopped.");
        var deleting = _customEndpoints.Update(CustomEndpointKey(endpoint), e => e.Status == "available"
            ? e with { Status = "deleting" }
            : throw RdsErrors.InvalidClusterEndpointState($"DB cluster endpoint {e.Identifier} is not in the available state (it is {e.Status})."))
            ?? throw RdsErrors.ClusterEndpointNotFound(identifier);
        RunForCluster(cluster, "endpoint deletion", (_, _) =>
        {
            RemoveCustomEndpoint(deleting);
            return Task.CompletedTask;
        }, onFailure: _ => { });
        return deleting;
    }

    /// <summary>
    /// DescribeDBClusterEndpoints: each cluster's writer and reader endpoints (once they have an address), then its custom
    /// ones; <paramref name="endpointIdentifier"/> names a custom one (none matching lists nothing, as RDS answers).
    /// </summary>
    public RdsPage<ClusterEndpointView> DescribeClusterEndpoints(Scope scope, string? clusterIdentifier, string? endpointIdentifier,
        IReadOnlyList<RdsFilter> filters, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        IReadOnlyList<DbCluster> clusters = clusterIdentifier is not null
            ? [GetCluster(scope, clusterIdentifier)]
            : _clusters.Values.Where(c => c.AccountId == scope.AccountId && c.Region == scope.Region).ToList();
        var endpoints = clusters.SelectMany(c => new[]
            {
                new ClusterEndpointView(c, "WRITER", c.WriterEndpointAddress, EndpointStatus(c), null),
                new ClusterEndpointView(c, "READER", c.ReaderEndpointAddress, EndpointStatus(c), null),
            }
            .Where(e => e.Address is not null)
            .Concat(CustomEndpointsOf(c).Select(ViewOf)));
        if (endpointIdentifier is not null)
        {
            var name = NameFromArn(endpointIdentifier, "cluster-endpoint");
            endpoints = endpoints.Where(e => e.Custom?.Identifier == name);
        }
        foreach (var filter in filters)
        {
            var values = filter.Values.Select(v => v.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
            endpoints = filter.Name switch
            {
                "db-cluster-endpoint-type" => endpoints.Where(e => values.Contains(e.Type)),
                "db-cluster-endpoint-custom-type" => endpoints.Where(e => e.Custom is { } custom && values.Contains(custom.CustomType)),
                "db-cluster-endpoint-id" => endpoints.Where(e => e.Custom is { } custom && values.Contains(custom.Identifier.ToUpperInvariant())),
                "db-cluster-endpoint-status" => endpoints.Where(e => values.Contains(e.Status.ToUpperInvariant())),
                _ => throw RdsErrors.InvalidValue($"Unrecognized filter name: {filter.Name}"),
            };
        }
        return Page(endpoints.OrderBy(e => e.Cluster.Identifier, StringComparer.Ordinal).ThenBy(EndpointOrder, StringComparer.Ordinal).ToList(),
            e => $"{e.Cluster.Identifier}/{EndpointOrder(e)}", marker, max);
    }

    /// <summary>A custom endpoint as the operations that change it answer it.</summary>
    public ClusterEndpointView ViewOf(DbClusterEndpoint endpoint)
    {
        var cluster = _clusters.Get(ClusterKey(endpoint.AccountId, endpoint.Region, endpoint.ClusterIdentifier))
            ?? throw RdsErrors.ClusterNotFound(endpoint.ClusterIdentifier);
        // An available custom endpoint listens while its cluster's servers run, as the cluster's own endpoints do.
        return new ClusterEndpointView(cluster, "CUSTOM", endpoint.Address, endpoint.Status == "available" ? EndpointStatus(cluster) : endpoint.Status, endpoint);
    }

    private static string EndpointOrder(ClusterEndpointView e) => e.Type switch
    {
        "WRITER" => "0",
        "READER" => "1",
        _ => "2" + e.Custom!.Identifier,
    };

    public DbClusterEndpoint GetCustomEndpoint(Scope scope, string identifier) =>
        _customEndpoints.Get(CustomEndpointKey(scope.AccountId, scope.Region, NameFromArn(identifier, "cluster-endpoint")))
        ?? throw RdsErrors.ClusterEndpointNotFound(identifier);

    private IReadOnlyList<DbClusterEndpoint> CustomEndpointsOf(DbCluster cluster) => _customEndpoints.Values
        .Where(e => e.AccountId == cluster.AccountId && e.Region == cluster.Region && e.ClusterIdentifier == cluster.Identifier)
        .OrderBy(e => e.Identifier, StringComparer.Ordinal).ToList();

    /// <summary>RDS's custom endpoint types, named in either case (the CLI's own examples write "reader").</summary>
    private static string CustomEndpointType(string? type) => type?.ToUpperInvariant() switch
    {
        "READER" => "READER",
        "ANY" => "ANY",
        _ => throw RdsErrors.InvalidValue($"Invalid endpoint type: {type}. A custom endpoint's EndpointType is READER or ANY."),
    };

    /// <summary>Static and excluded members are instances of the cluster, and only one of the two lists is given.</summary>
    private void CheckEndpointMembers(DbCluster cluster, IReadOnlyList<string> staticMembers, IReadOnlyList<string> excludedMembers)
    {
        if (staticMembers.Count > 0 && excludedMembers.Count > 0)
            throw RdsErrors.InvalidCombination("StaticMembers and ExcludedMembers cannot both be specified for a DB cluster endpoint.");
        var members = ClusterMembers(cluster).Select(m => m.Identifier).ToHashSet(StringComparer.Ordinal);
        foreach (var member in staticMembers.Concat(excludedMembers))
            if (!members.Contains(member.ToLowerInvariant())) throw RdsErrors.InstanceNotFound(member);
    }

    private static IReadOnlyList<string> Members(IReadOnlyList<string> names) =>
        names.Select(n => n.ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Listens on the endpoint's address (the one it had before a restart first) and records it available there.</summary>
    private void OpenCustomEndpoint(DbCluster cluster, DbClusterEndpoint endpoint)
    {
        CloseCustomEndpoint(endpoint);
        var address = RequireFleet().ClaimListenAddress(endpoint.ResourceId, endpoint.Address, cluster.Port);
        var key = CustomEndpointKey(endpoint);
        _customEndpointForwarders[endpoint.ResourceId] = TcpForwarder.Start(address, cluster.Port, () => CustomEndpointTarget(key), _logger);
        _customEndpoints.Update(key, e => e with { Address = address, Status = e.Status == "creating" ? "available" : e.Status });
    }

    private void CloseCustomEndpoint(DbClusterEndpoint endpoint)
    {
        if (_customEndpointForwarders.TryRemove(endpoint.ResourceId, out var forwarder)) forwarder.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private void RemoveCustomEndpoint(DbClusterEndpoint endpoint)
    {
        CloseCustomEndpoint(endpoint);
        _fleet?.ReleaseAddresses(endpoint.ResourceId);
        _customEndpoints.Remove(CustomEndpointKey(endpoint));
    }

    /// <summary>The members the endpoint names, in turn: its static members, or every member but its excluded ones; never the writer for READER.</summary>
    private IPEndPoint? CustomEndpointTarget(string endpointKey)
    {
        if (_customEndpoints.Get(endpointKey) is not { } endpoint
            || _clusters.Get(ClusterKey(endpoint.AccountId, endpoint.Region, endpoint.ClusterIdentifier)) is not { } cluster) return null;
        var members = ClusterMembers(cluster).Where(m => endpoint.StaticMembers.Count > 0
            ? endpoint.StaticMembers.Contains(m.Identifier)
            : !endpoint.ExcludedMembers.Contains(m.Identifier));
        if (endpoint.CustomType == "READER") members = members.Where(m => m.Identifier != cluster.WriterIdentifier);
        return InTurn(members);
    }

    private static string CustomEndpointKey(string accountId, string region, string identifier) => ResourceTable<DbClusterEndpoint>.Key(accountId, region, identifier);

    private static string CustomEndpointKey(DbClusterEndpoint e) => CustomEndpointKey(e.AccountId, e.Region, e.Identifier);
}

/// <summary>One row of DescribeDBClusterEndpoints: a built-in endpoint (WRITER, READER) or a custom one.</summary>
public sealed record ClusterEndpointView(DbCluster Cluster, string Type, string? Address, string Status, DbClusterEndpoint? Custom);
