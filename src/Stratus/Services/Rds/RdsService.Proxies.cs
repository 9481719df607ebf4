using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Rds.Engine;

namespace Stratus.Services.Rds;

/// <summary>
/// RDS Proxy: each proxy and each proxy endpoint is a loopback listener of its own (the TcpForwarder the cluster endpoints
/// use) at the engine family's port, handing every client connection to the target group's target when it arrives: the
/// registered DB instance, or the Aurora cluster's current writer (so a failover is followed) and, for a READ_ONLY
/// endpoint, its readers in turn. Connections are forwarded, not pooled: clients sign in with the database's own users.
/// </summary>
public sealed partial class RdsService
{
    /// <summary>RDS Proxy's default quotas: proxies per account and Region, endpoints per proxy (the default one aside).</summary>
    private const int ProxiesPerRegion = 20;
    private const int EndpointsPerProxy = 20;
    private const string DefaultTargetGroup = "default";
    private static readonly TimeSpan TargetProbeTimeout = TimeSpan.FromSeconds(2);

    private readonly ResourceTable<DbProxy> _proxies;
    private readonly ResourceTable<DbProxyEndpoint> _proxyEndpoints;
    /// <summary>The listening proxies and proxy endpoints, by their resource id.</summary>
    private readonly ConcurrentDictionary<string, TcpForwarder> _proxyListeners = new(StringComparer.Ordinal);

    // ---- proxies ----

    public DbProxy CreateProxy(Scope scope, CreateProxyRequest request)
    {
        var name = RdsRules.InstanceIdentifier("DBProxyName", request.Name);
        var family = ProxyEngineFamily(request.EngineFamily);
        var (vpcId, _) = ResolveSubnets(scope, request.VpcSubnetIds);
        var securityGroups = SecurityGroups(scope, request.VpcSecurityGroupIds, vpcId);
        var auth = CheckProxyAuth(scope, request.Auth);
        var idleTimeout = ProxyIdleClientTimeout(request.IdleClientTimeout) ?? 1800;
        RequireFleet();
        if (ProxiesIn(scope).Count() >= ProxiesPerRegion) throw RdsErrors.ProxyQuotaExceeded(ProxiesPerRegion);
        var now = Now;
        var proxy = new DbProxy
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Name = name,
            ResourceId = NewResourceId("prx-").ToLowerInvariant(),
            EngineFamily = family,
            Auth = auth,
            RoleArn = request.RoleArn,
            VpcId = vpcId,
            VpcSubnetIds = request.VpcSubnetIds.Distinct(StringComparer.Ordinal).ToList(),
            VpcSecurityGroupIds = securityGroups,
            DefaultAuthScheme = request.DefaultAuthScheme ?? "NONE",
            RequireTls = request.RequireTls ?? false,
            IdleClientTimeout = idleTimeout,
            DebugLogging = request.DebugLogging ?? false,
            Status = "creating",
            CreatedDate = now,
            UpdatedDate = now,
            TargetGroup = new ProxyTargetGroup
            {
                Name = DefaultTargetGroup,
                ResourceId = NewResourceId("prx-tg-").ToLowerInvariant(),
                ConnectionPool = ProxyConnectionPool.Default,
                CreatedDate = now,
                UpdatedDate = now,
            },
            Tags = request.Tags,
        };
        if (!_proxies.TryAdd(ProxyKey(proxy), proxy)) throw RdsErrors.ProxyAlreadyExists(name);
        RunForProxy(proxy, "creation", current =>
        {
            OpenProxyListener(current.ResourceId, current.Address, current.Port, () => ProxyTarget(current.ResourceId, "READ_WRITE"),
                address => UpdateProxy(current, p => p with { Address = address, Status = "available" }));
        }, onFailure: RemoveProxy);
        return proxy;
    }

    public DbProxy GetProxy(Scope scope, string name) =>
        _proxies.Get(ProxyKey(scope.AccountId, scope.Region, name.ToLowerInvariant())) ?? throw RdsErrors.ProxyNotFound(name);

    /// <summary>DescribeDBProxies: one proxy by name, or the Region's proxies by name (its Filters are not supported by RDS either).</summary>
    public RdsPage<DbProxy> DescribeProxies(Scope scope, string? name, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        IReadOnlyList<DbProxy> proxies = name is not null ? [GetProxy(scope, name)] : ProxiesIn(scope).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        return Page(proxies, p => p.Name, marker, max);
    }

    /// <summary>ModifyDBProxy: settings change at once; a new name moves the proxy (its ARN, by resource id, stays).</summary>
    public DbProxy ModifyProxy(Scope scope, ModifyProxyRequest request)
    {
        var proxy = RequireAvailable(GetProxy(scope, request.Name));
        var newName = request.NewName is null ? proxy.Name : RdsRules.InstanceIdentifier("NewDBProxyName", request.NewName);
        var auth = request.Auth is null ? proxy.Auth : CheckProxyAuth(scope, request.Auth);
        var securityGroups = request.SecurityGroups is null ? proxy.VpcSecurityGroupIds : SecurityGroups(scope, request.SecurityGroups, proxy.VpcId);
        var idleTimeout = ProxyIdleClientTimeout(request.IdleClientTimeout) ?? proxy.IdleClientTimeout;
        var modified = proxy with
        {
            Name = newName,
            Auth = auth,
            VpcSecurityGroupIds = securityGroups,
            DefaultAuthScheme = request.DefaultAuthScheme ?? proxy.DefaultAuthScheme,
            RequireTls = request.RequireTls ?? proxy.RequireTls,
            IdleClientTimeout = idleTimeout,
            DebugLogging = request.DebugLogging ?? proxy.DebugLogging,
            RoleArn = request.RoleArn ?? proxy.RoleArn,
            UpdatedDate = Now,
        };
        if (newName != proxy.Name)
        {
            if (!_proxies.TryAdd(ProxyKey(modified), modified)) throw RdsErrors.ProxyAlreadyExists(newName);
            _proxies.Remove(ProxyKey(proxy));
            return modified;
        }
        return UpdateProxy(proxy, _ => modified);
    }

    public DbProxy DeleteProxy(Scope scope, string name)
    {
        var proxy = GetProxy(scope, name);
        var deleting = _proxies.Update(ProxyKey(proxy), p => p.Status == "deleting"
            ? throw RdsErrors.InvalidProxyState(p.Name, p.Status)
            : p with { Status = "deleting" }) ?? throw RdsErrors.ProxyNotFound(name);
        RunForProxy(deleting, "deletion", RemoveProxy, onFailure: RemoveProxy);
        return deleting;
    }

    // ---- target groups and targets ----

    public DbProxy DescribeProxyTargetGroup(Scope scope, string proxyName, string? targetGroupName) =>
        WithTargetGroup(GetProxy(scope, proxyName), targetGroupName);

    /// <summary>ModifyDBProxyTargetGroup: the pool settings are recorded and reported; Stratus forwards connections and pools none.</summary>
    public DbProxy ModifyProxyTargetGroup(Scope scope, string proxyName, string targetGroupName, ProxyConnectionPoolChange? change, string? newName)
    {
        var proxy = RequireAvailable(WithTargetGroup(GetProxy(scope, proxyName), targetGroupName));
        var renamed = newName is null ? proxy.TargetGroup.Name : RdsRules.InstanceIdentifier("NewName", newName);
        var pool = ConnectionPool(proxy.TargetGroup.ConnectionPool, change, proxy.EngineFamily);
        return UpdateProxy(proxy, p => p with { TargetGroup = p.TargetGroup with { Name = renamed, ConnectionPool = pool, UpdatedDate = Now } });
    }

    /// <summary>
    /// RegisterDBProxyTargets: the target group's one target, a DB instance (not an Aurora member: its cluster is
    /// registered instead) or an Aurora cluster, running and of the proxy's engine family.
    /// </summary>
    public async Task<IReadOnlyList<ProxyTargetView>> RegisterProxyTargetsAsync(Scope scope, string proxyName, string? targetGroupName,
        IReadOnlyList<string> instanceIdentifiers, IReadOnlyList<string> clusterIdentifiers)
    {
        var proxy = RequireAvailable(WithTargetGroup(GetProxy(scope, proxyName), targetGroupName));
        if (instanceIdentifiers.Count + clusterIdentifiers.Count == 0)
            throw RdsErrors.InvalidValue("One of DBInstanceIdentifiers or DBClusterIdentifiers must be given.");
        if (instanceIdentifiers.Count + clusterIdentifiers.Count > 1 || LiveTargetGroup(proxy).HasTarget)
            throw RdsErrors.ProxyTargetAlreadyRegistered(proxy.Name);
        ProxyTargetGroup group;
        if (instanceIdentifiers.Count == 1)
        {
            var instance = GetInstance(scope, instanceIdentifiers[0]);
            if (instance.ClusterIdentifier is not null)
                throw RdsErrors.InvalidCombination($"DB instance {instance.Identifier} is a member of DB cluster {instance.ClusterIdentifier}: register the cluster.");
            if (!RunningStates.Contains(instance.Status)) throw RdsErrors.InvalidInstanceState($"DB instance {instance.Identifier} is {instance.Status}, not available.");
            CheckProxyEngine(proxy, instance.Identifier, instance.Engine);
            group = proxy.TargetGroup with { InstanceIdentifier = instance.Identifier, UpdatedDate = Now };
        }
        else
        {
            var cluster = GetCluster(scope, clusterIdentifiers[0]);
            if (!ClusterStatesWithRunningServers.Contains(cluster.Status))
                throw RdsErrors.InvalidClusterState($"DB cluster {cluster.Identifier} is {cluster.Status}, not available.");
            CheckProxyEngine(proxy, cluster.Identifier, cluster.Engine);
            group = proxy.TargetGroup with { ClusterIdentifier = cluster.Identifier, UpdatedDate = Now };
        }
        return await ProxyTargetsAsync(UpdateProxy(proxy, p => p with { TargetGroup = group }));
    }

    public void DeregisterProxyTargets(Scope scope, string proxyName, string? targetGroupName,
        IReadOnlyList<string> instanceIdentifiers, IReadOnlyList<string> clusterIdentifiers)
    {
        var proxy = RequireAvailable(WithTargetGroup(GetProxy(scope, proxyName), targetGroupName));
        var group = proxy.TargetGroup;
        foreach (var id in instanceIdentifiers.Select(i => NameFromArn(i, "db")))
            if (id != group.InstanceIdentifier) throw RdsErrors.ProxyTargetNotFound(id);
        foreach (var id in clusterIdentifiers.Select(c => NameFromArn(c, "cluster")))
            if (id != group.ClusterIdentifier) throw RdsErrors.ProxyTargetNotFound(id);
        UpdateProxy(proxy, p => p with
        {
            TargetGroup = p.TargetGroup with
            {
                InstanceIdentifier = instanceIdentifiers.Count > 0 ? null : p.TargetGroup.InstanceIdentifier,
                ClusterIdentifier = clusterIdentifiers.Count > 0 ? null : p.TargetGroup.ClusterIdentifier,
                UpdatedDate = Now,
            },
        });
    }

    public async Task<RdsPage<ProxyTargetView>> DescribeProxyTargetsAsync(Scope scope, string proxyName, string? targetGroupName, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        var targets = await ProxyTargetsAsync(WithTargetGroup(GetProxy(scope, proxyName), targetGroupName));
        return Page(targets, t => t.TargetArn, marker, max);
    }

    /// <summary>
    /// The target group's targets as RDS Proxy lists them: a registered instance, or a cluster (TRACKED_CLUSTER) followed
    /// by each member with its role; every instance's TargetHealth comes from a TCP connection to its server, made now.
    /// </summary>
    private async Task<IReadOnlyList<ProxyTargetView>> ProxyTargetsAsync(DbProxy proxy)
    {
        var group = LiveTargetGroup(proxy);
        var rows = new List<ProxyTargetView>();
        if (group.InstanceIdentifier is { } instanceId && _instances.Get(InstanceKey(proxy.AccountId, proxy.Region, instanceId)) is { } instance)
            rows.Add(await InstanceTargetAsync(instance, null, "READ_WRITE"));
        if (group.ClusterIdentifier is { } clusterId && _clusters.Get(ClusterKey(proxy.AccountId, proxy.Region, clusterId)) is { } cluster)
        {
            rows.Add(new ProxyTargetView(cluster.Arn, cluster.WriterEndpointAddress, null, cluster.ResourceId, cluster.Port, "TRACKED_CLUSTER", null, null));
            foreach (var member in ClusterMembers(cluster).OrderBy(m => m.Identifier, StringComparer.Ordinal))
                rows.Add(await InstanceTargetAsync(member, cluster.Identifier, member.Identifier == cluster.WriterIdentifier ? "READ_WRITE" : "READ_ONLY"));
        }
        return rows;
    }

    private static async Task<ProxyTargetView> InstanceTargetAsync(DbInstance instance, string? trackedCluster, string role) =>
        new(instance.Arn, instance.Address, trackedCluster, instance.ResourceId, instance.Port, "RDS_INSTANCE", role, await ProbeAsync(instance));

    /// <summary>A target is AVAILABLE when its server accepts a TCP connection now; otherwise UNAVAILABLE with why.</summary>
    private static async Task<ProxyTargetHealth> ProbeAsync(DbInstance instance)
    {
        if (instance.Address is not { } address || !RunningStates.Contains(instance.Status))
            return new ProxyTargetHealth("UNAVAILABLE", "UNREACHABLE", $"DB instance {instance.Identifier} is {instance.Status}.");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TargetProbeTimeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(address), instance.Port), timeout.Token);
            return new ProxyTargetHealth("AVAILABLE", null, null);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return new ProxyTargetHealth("UNAVAILABLE", "CONNECTION_FAILED", $"A connection to {address}:{instance.Port} failed: {e.Message}");
        }
    }

    /// <summary>The target group without a target deleted since it was registered: RDS drops a deleted target from its group.</summary>
    private ProxyTargetGroup LiveTargetGroup(DbProxy proxy)
    {
        var group = proxy.TargetGroup;
        if (group.InstanceIdentifier is { } i && _instances.Get(InstanceKey(proxy.AccountId, proxy.Region, i)) is null) group = group with { InstanceIdentifier = null };
        if (group.ClusterIdentifier is { } c && _clusters.Get(ClusterKey(proxy.AccountId, proxy.Region, c)) is null) group = group with { ClusterIdentifier = null };
        return group;
    }

    // ---- proxy endpoints ----

    public DbProxyEndpoint CreateProxyEndpoint(Scope scope, CreateProxyEndpointRequest request)
    {
        var name = RdsRules.InstanceIdentifier("DBProxyEndpointName", request.Name);
        var proxy = RequireAvailable(GetProxy(scope, request.ProxyName));
        var role = request.TargetRole ?? "READ_WRITE";
        if (role is not ("READ_WRITE" or "READ_ONLY")) throw RdsErrors.InvalidValue($"Invalid TargetRole: {role}. It is READ_WRITE or READ_ONLY.");
        var (vpcId, _) = ResolveSubnets(scope, request.VpcSubnetIds);
        var securityGroups = SecurityGroups(scope, request.VpcSecurityGroupIds, vpcId);
        if (name == DefaultTargetGroup) throw RdsErrors.ProxyEndpointAlreadyExists(name);
        if (EndpointsOf(proxy).Count >= EndpointsPerProxy) throw RdsErrors.ProxyEndpointQuotaExceeded(proxy.Name, EndpointsPerProxy);
        var endpoint = new DbProxyEndpoint
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Name = name,
            ProxyResourceId = proxy.ResourceId,
            ResourceId = NewResourceId("prx-endpoint-").ToLowerInvariant(),
            TargetRole = role,
            VpcId = vpcId,
            VpcSubnetIds = request.VpcSubnetIds.Distinct(StringComparer.Ordinal).ToList(),
            VpcSecurityGroupIds = securityGroups,
            Status = "creating",
            CreatedDate = Now,
            Tags = request.Tags,
        };
        if (!_proxyEndpoints.TryAdd(ProxyEndpointKey(endpoint), endpoint)) throw RdsErrors.ProxyEndpointAlreadyExists(name);
        RunForProxy(proxy, "endpoint creation", current => OpenProxyEndpoint(current, endpoint), onFailure: _ => RemoveProxyEndpoint(endpoint));
        return endpoint;
    }

    public DbProxyEndpoint GetProxyEndpoint(Scope scope, string name) =>
        _proxyEndpoints.Get(ProxyEndpointKey(scope.AccountId, scope.Region, name.ToLowerInvariant())) ?? throw RdsErrors.ProxyEndpointNotFound(name);

    public DbProxyEndpoint ModifyProxyEndpoint(Scope scope, string name, string? newName, IReadOnlyList<string>? securityGroupIds)
    {
        var endpoint = GetProxyEndpoint(scope, name);
        if (endpoint.Status != "available") throw RdsErrors.InvalidProxyEndpointState(endpoint.Name, endpoint.Status);
        var renamed = newName is null ? endpoint.Name : RdsRules.InstanceIdentifier("NewDBProxyEndpointName", newName);
        var modified = endpoint with
        {
            Name = renamed,
            VpcSecurityGroupIds = securityGroupIds is null ? endpoint.VpcSecurityGroupIds : SecurityGroups(scope, securityGroupIds, endpoint.VpcId),
        };
        if (renamed == endpoint.Name) return _proxyEndpoints.Update(ProxyEndpointKey(endpoint), _ => modified) ?? throw RdsErrors.ProxyEndpointNotFound(name);
        if (renamed == DefaultTargetGroup || !_proxyEndpoints.TryAdd(ProxyEndpointKey(modified), modified)) throw RdsErrors.ProxyEndpointAlreadyExists(renamed);
        _proxyEndpoints.Remove(ProxyEndpointKey(endpoint));
        return modified;
    }

    public DbProxyEndpoint DeleteProxyEndpoint(Scope scope, string name)
    {
        var endpoint = GetProxyEndpoint(scope, name);
        var deleting = _proxyEndpoints.Update(ProxyEndpointKey(endpoint), e => e.Status == "deleting"
            ? throw RdsErrors.InvalidProxyEndpointState(e.Name, e.Status)
            : e with { Status = "deleting" }) ?? throw RdsErrors.ProxyEndpointNotFound(name);
        if (ProxyByResourceId(endpoint.ProxyResourceId) is { } proxy)
            RunForProxy(proxy, "endpoint deletion", _ => RemoveProxyEndpoint(deleting), onFailure: _ => RemoveProxyEndpoint(deleting));
        else RemoveProxyEndpoint(deleting);
        return deleting;
    }

    /// <summary>DescribeDBProxyEndpoints: each proxy's default endpoint (IsDefault) then its created ones, by proxy and name.</summary>
    public RdsPage<ProxyEndpointView> DescribeProxyEndpoints(Scope scope, string? proxyName, string? endpointName, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        IReadOnlyList<DbProxy> proxies = proxyName is not null ? [GetProxy(scope, proxyName)] : ProxiesIn(scope).ToList();
        var views = proxies.SelectMany(p => EndpointsOf(p).Select(e => new ProxyEndpointView(p, e)).Prepend(new ProxyEndpointView(p, null)));
        if (endpointName is not null)
        {
            var wanted = endpointName.ToLowerInvariant();
            views = views.Where(v => v.Created?.Name == wanted);
            if (!views.Any()) throw RdsErrors.ProxyEndpointNotFound(endpointName);
        }
        return Page(views.OrderBy(ViewOrder, StringComparer.Ordinal).ToList(), ViewOrder, marker, max);

        static string ViewOrder(ProxyEndpointView v) => v.Proxy.Name + "/" + (v.Created is null ? "0" : "1" + v.Created.Name);
    }

    public ProxyEndpointView ViewOf(DbProxyEndpoint endpoint) =>
        new(ProxyByResourceId(endpoint.ProxyResourceId) ?? throw RdsErrors.ProxyNotFound(endpoint.ProxyResourceId), endpoint);

    // ---- listening ----

    /// <summary>
    /// Where a proxy connection goes, chosen when it arrives: the registered instance, or the cluster's current writer
    /// (READ_WRITE) or its readers in turn (READ_ONLY); none (the connection is closed) without a running target.
    /// </summary>
    private IPEndPoint? ProxyTarget(string proxyResourceId, string role)
    {
        if (ProxyByResourceId(proxyResourceId) is not { } proxy) return null;
        var group = LiveTargetGroup(proxy);
        if (group.InstanceIdentifier is { } instanceId)
            return role == "READ_WRITE" && _instances.Get(InstanceKey(proxy.AccountId, proxy.Region, instanceId)) is { Address: { } address } instance
                && RunningStates.Contains(instance.Status)
                ? new IPEndPoint(IPAddress.Parse(address), instance.Port)
                : null;
        if (group.ClusterIdentifier is not { } clusterId) return null;
        var cluster = _clusters.Get(ClusterKey(proxy.AccountId, proxy.Region, clusterId));
        if (role == "READ_WRITE") return WriterTarget(cluster);
        return cluster is not null ? InTurn(ClusterMembers(cluster).Where(m => m.Identifier != cluster.WriterIdentifier)) : null;
    }

    /// <summary>Listens for a proxy or proxy endpoint at its address of before a restart first, then records where.</summary>
    private void OpenProxyListener(string owner, string? preferredAddress, int port, Func<IPEndPoint?> target, Action<string> opened)
    {
        CloseProxyListener(owner);
        var address = RequireFleet().ClaimListenAddress(owner, preferredAddress, port);
        _proxyListeners[owner] = TcpForwarder.Start(address, port, target, _logger);
        opened(address);
    }

    private void OpenProxyEndpoint(DbProxy proxy, DbProxyEndpoint endpoint) =>
        OpenProxyListener(endpoint.ResourceId, endpoint.Address, proxy.Port, () => ProxyTarget(endpoint.ProxyResourceId, endpoint.TargetRole),
            address => _proxyEndpoints.Update(ProxyEndpointKey(endpoint), e => e with { Address = address, Status = "available" }));

    private void CloseProxyListener(string owner)
    {
        if (_proxyListeners.TryRemove(owner, out var listener)) listener.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private void CloseAllProxyListeners()
    {
        foreach (var owner in _proxyListeners.Keys) CloseProxyListener(owner);
    }

    private void RemoveProxy(DbProxy proxy)
    {
        foreach (var endpoint in EndpointsOf(proxy)) RemoveProxyEndpoint(endpoint);
        CloseProxyListener(proxy.ResourceId);
        _fleet?.ReleaseAddresses(proxy.ResourceId);
        if (ProxyByResourceId(proxy.ResourceId) is { } current) _proxies.Remove(ProxyKey(current));
    }

    private void RemoveProxyEndpoint(DbProxyEndpoint endpoint)
    {
        CloseProxyListener(endpoint.ResourceId);
        _fleet?.ReleaseAddresses(endpoint.ResourceId);
        if (_proxyEndpoints.Values.FirstOrDefault(e => e.ResourceId == endpoint.ResourceId) is { } current) _proxyEndpoints.Remove(ProxyEndpointKey(current));
    }

    /// <summary>A proxy's listening work runs after the request returns, one piece per proxy at a time.</summary>
    private void RunForProxy(DbProxy proxy, string what, Action<DbProxy> work, Action<DbProxy> onFailure) =>
        RunInBackground(proxy.ResourceId, $"Proxy {what} of {proxy.Name}",
            _ =>
            {
                if (ProxyByResourceId(proxy.ResourceId) is { } current) work(current);
                return Task.CompletedTask;
            },
            _ =>
            {
                onFailure(proxy);
                return Task.CompletedTask;
            });

    /// <summary>After a restart of Stratus: proxies and their endpoints listen again where they did; a deletion cut short ends.</summary>
    private void RecoverProxies()
    {
        var fleet = _fleet!;
        foreach (var proxy in _proxies.Values.ToList())
        {
            if (proxy.Status == "deleting")
            {
                RemoveProxy(proxy);
                continue;
            }
            if (proxy.Address is { } address) fleet.Reserve(proxy.ResourceId, address);
            foreach (var endpoint in EndpointsOf(proxy).Where(e => e.Address is not null)) fleet.Reserve(endpoint.ResourceId, endpoint.Address!);
        }
        foreach (var endpoint in _proxyEndpoints.Values.Where(e => e.Status == "deleting" || ProxyByResourceId(e.ProxyResourceId) is null).ToList())
            RemoveProxyEndpoint(endpoint);
        foreach (var proxy in _proxies.Values.ToList())
            RunForProxy(proxy, "restart", current =>
            {
                OpenProxyListener(current.ResourceId, current.Address, current.Port, () => ProxyTarget(current.ResourceId, "READ_WRITE"),
                    address => UpdateProxy(current, p => p with { Address = address, Status = "available" }));
                foreach (var endpoint in EndpointsOf(current)) OpenProxyEndpoint(current, endpoint);
            }, onFailure: failed => _logger.LogError("RDS Proxy {Proxy} could not listen again after the restart", failed.Name));
    }

    // ---- rules ----

    /// <summary>
    /// Auth as RDS Proxy needs it: each SECRETS entry names a Secrets Manager secret that exists and holds the database
    /// user's "username" and "password" (the proxy would sign in with them).
    /// </summary>
    private IReadOnlyList<ProxyAuth> CheckProxyAuth(Scope scope, IReadOnlyList<ProxyAuth> auth)
    {
        foreach (var entry in auth)
        {
            if (entry.AuthScheme != "SECRETS") throw RdsErrors.InvalidValue($"Invalid AuthScheme: {entry.AuthScheme}. The only value is SECRETS.");
            if (entry.SecretArn is not { } secretArn) throw RdsErrors.MissingParameter("SecretArn", isText: true);
            string? secretString;
            try
            {
                // Read as the proxy reads it (GetSecretValue, so the secret's last access is recorded).
                secretString = _secrets.GetValue(scope, secretArn, null, null).Value.String;
            }
            catch (AwsException e) when (e.Code is "ResourceNotFoundException" or "InvalidRequestException")
            {
                throw RdsErrors.ProxySecretUnusable(secretArn, "Secrets Manager has no such secret with a value");
            }
            if (secretString is null) throw RdsErrors.ProxySecretUnusable(secretArn, "its value is binary, not a JSON object");
            JsonNode? value;
            try
            {
                value = JsonNode.Parse(secretString, documentOptions: new JsonDocumentOptions { MaxDepth = 8 });
            }
            catch (JsonException)
            {
                throw RdsErrors.ProxySecretUnusable(secretArn, "its value is not a JSON object");
            }
            foreach (var field in new[] { "username", "password" })
                if (value is not JsonObject fields || fields[field] is not JsonValue text || text.GetValueKind() != JsonValueKind.String)
                    throw RdsErrors.ProxySecretUnusable(secretArn, $"its value has no \"{field}\"");
        }
        return auth;
    }

    private static string ProxyEngineFamily(string family) => family switch
    {
        "MYSQL" or "POSTGRESQL" => family,
        "SQLSERVER" => throw RdsErrors.InvalidValue("EngineFamily SQLSERVER is not served: Stratus does not run SQL Server."),
        _ => throw RdsErrors.InvalidValue($"Invalid EngineFamily: {family}. It is MYSQL or POSTGRESQL."),
    };

    private static void CheckProxyEngine(DbProxy proxy, string target, string engine)
    {
        if ((RdsRules.IsPostgres(engine) ? "POSTGRESQL" : "MYSQL") != proxy.EngineFamily)
            throw RdsErrors.ProxyEngineFamilyMismatch(target, engine, proxy.EngineFamily);
    }

    /// <summary>IdleClientTimeout: 1 second to 8 hours, as RDS Proxy allows.</summary>
    private static int? ProxyIdleClientTimeout(int? seconds) => seconds is null or (>= 1 and <= 28800)
        ? seconds
        : throw RdsErrors.InvalidValue($"Invalid IdleClientTimeout: {seconds}. It is between 1 and 28800 seconds.");

    /// <summary>ConnectionPoolConfig within RDS Proxy's ranges: MaxIdleConnectionsPercent at most MaxConnectionsPercent; session pinning filters for MYSQL only.</summary>
    private static ProxyConnectionPool ConnectionPool(ProxyConnectionPool current, ProxyConnectionPoolChange? change, string family)
    {
        if (change is null) return current;
        var pool = new ProxyConnectionPool(
            change.MaxConnectionsPercent ?? current.MaxConnectionsPercent,
            change.MaxIdleConnectionsPercent ?? current.MaxIdleConnectionsPercent,
            change.ConnectionBorrowTimeout ?? current.ConnectionBorrowTimeout,
            change.SessionPinningFilters ?? current.SessionPinningFilters,
            change.InitQuery ?? current.InitQuery);
        if (pool.MaxConnectionsPercent is < 1 or > 100)
            throw RdsErrors.InvalidValue($"Invalid MaxConnectionsPercent: {pool.MaxConnectionsPercent}. It is between 1 and 100.");
        if (pool.MaxIdleConnectionsPercent < 0 || pool.MaxIdleConnectionsPercent > pool.MaxConnectionsPercent)
            throw RdsErrors.InvalidValue($"Invalid MaxIdleConnectionsPercent: {pool.MaxIdleConnectionsPercent}. It is between 0 and MaxConnectionsPercent ({pool.MaxConnectionsPercent}).");
        if (pool.ConnectionBorrowTimeout is < 0 or > 3600)
            throw RdsErrors.InvalidValue($"Invalid ConnectionBorrowTimeout: {pool.ConnectionBorrowTimeout}. It is between 0 and 3600 seconds.");
        foreach (var filter in pool.SessionPinningFilters)
            if (filter != "EXCLUDE_VARIABLE_SETS" || family != "MYSQL")
                throw RdsErrors.InvalidValue($"Invalid SessionPinningFilters value: {filter}. The only value is EXCLUDE_VARIABLE_SETS, for the MYSQL engine family.");
        return pool;
    }

    private static DbProxy RequireAvailable(DbProxy proxy) =>
        proxy.Status == "available" ? proxy : throw RdsErrors.InvalidProxyState(proxy.Name, proxy.Status);

    private static DbProxy WithTargetGroup(DbProxy proxy, string? targetGroupName) =>
        targetGroupName is null || targetGroupName.Equals(proxy.TargetGroup.Name, StringComparison.OrdinalIgnoreCase)
            ? proxy
            : throw RdsErrors.ProxyTargetGroupNotFound(targetGroupName);

    // ---- records ----

    private IEnumerable<DbProxy> ProxiesIn(Scope scope) => _proxies.Values.Where(p => p.AccountId == scope.AccountId && p.Region == scope.Region);

    private DbProxy? ProxyByResourceId(string resourceId) => _proxies.Values.FirstOrDefault(p => p.ResourceId == resourceId);

    /// <summary>The proxy an ARN names (arn:aws:rds:REGION:ACCOUNT:db-proxy:prx-...), for its tags.</summary>
    private DbProxy? ProxyByArnName(Scope scope, string resourceId) =>
        ProxiesIn(scope).FirstOrDefault(p => p.ResourceId == resourceId);

    private DbProxyEndpoint? ProxyEndpointByArnName(Scope scope, string resourceId) =>
        _proxyEndpoints.Values.FirstOrDefault(e => e.AccountId == scope.AccountId && e.Region == scope.Region && e.ResourceId == resourceId);

    private IReadOnlyList<DbProxyEndpoint> EndpointsOf(DbProxy proxy) => _proxyEndpoints.Values
        .Where(e => e.ProxyResourceId == proxy.ResourceId).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();

    private DbProxy UpdateProxy(DbProxy proxy, Func<DbProxy, DbProxy> change) =>
        _proxies.Update(ProxyKey(proxy), change) ?? throw RdsErrors.ProxyNotFound(proxy.Name);

    private void ChangeProxyTags(DbProxy proxy, Func<IReadOnlyList<RdsTag>, IReadOnlyList<RdsTag>> change) =>
        UpdateProxy(proxy, p => p with { Tags = change(p.Tags) });

    private void ChangeProxyEndpointTags(DbProxyEndpoint endpoint, Func<IReadOnlyList<RdsTag>, IReadOnlyList<RdsTag>> change) =>
        _proxyEndpoints.Update(ProxyEndpointKey(endpoint), e => e with { Tags = change(e.Tags) });

    private static string ProxyKey(string accountId, string region, string name) => ResourceTable<DbProxy>.Key(accountId, region, name);

    private static string ProxyKey(DbProxy p) => ProxyKey(p.AccountId, p.Region, p.Name);

    private static string ProxyEndpointKey(string accountId, string region, string name) => ResourceTable<DbProxyEndpoint>.Key(accountId, region, name);

    private static string ProxyEndpointKey(DbProxyEndpoint e) => ProxyEndpointKey(e.AccountId, e.Region, e.Name);
}
