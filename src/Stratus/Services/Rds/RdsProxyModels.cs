using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>
/// An RDS Proxy: a loopback listener of its own at its engine family's port, forwarding each client connection to its
/// target group's target. Its one target group (RDS Proxy has exactly one, "default") is kept inside it.
/// </summary>
public sealed record DbProxy
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    /// <summary>Lower-cased, as RDS stores names; unique in the account's Region.</summary>
    public required string Name { get; init; }
    /// <summary>"prx-" + 17 characters: the ARN's last part (RDS names proxies by resource id there) and the owner of its address claim.</summary>
    public required string ResourceId { get; init; }
    /// <summary>MYSQL or POSTGRESQL.</summary>
    public required string EngineFamily { get; init; }
    public required IReadOnlyList<ProxyAuth> Auth { get; init; }
    public required string RoleArn { get; init; }
    public required string VpcId { get; init; }
    public required IReadOnlyList<string> VpcSubnetIds { get; init; }
    public required IReadOnlyList<string> VpcSecurityGroupIds { get; init; }
    public string DefaultAuthScheme { get; init; } = "NONE";
    public bool RequireTls { get; init; }
    public int IdleClientTimeout { get; init; } = 1800;
    public bool DebugLogging { get; init; }
    /// <summary>creating, available, modifying or deleting.</summary>
    public required string Status { get; init; }
    /// <summary>The loopback address it listens on; null until it first listens.</summary>
    public string? Address { get; init; }
    public required DateTimeOffset CreatedDate { get; init; }
    public required DateTimeOffset UpdatedDate { get; init; }
    public required ProxyTargetGroup TargetGroup { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    public string Arn => $"arn:aws:rds:{Region}:{AccountId}:db-proxy:{ResourceId}";

    public string TargetGroupArn => $"arn:aws:rds:{Region}:{AccountId}:target-group:{TargetGroup.ResourceId}";

    /// <summary>RDS Proxy's listening port: the engine family's default, whatever port the target runs on.</summary>
    public int Port => EngineFamily == "POSTGRESQL" ? 5432 : 3306;
}

/// <summary>One entry of a proxy's Auth: the Secrets Manager secret holding a database user's username and password.</summary>
public sealed record ProxyAuth(string? Description, string? UserName, string AuthScheme, string? SecretArn, string IamAuth, string? ClientPasswordAuthType)
{
    public static ProxyAuth Read(IInputReader input) => new(
        input.String("Description"),
        input.String("UserName"),
        input.String("AuthScheme") ?? "SECRETS",
        input.String("SecretArn"),
        input.String("IAMAuth") ?? "DISABLED",
        input.String("ClientPasswordAuthType"));
}

/// <summary>The proxy's target group: its one target (a DB instance or an Aurora cluster) and its recorded pool settings.</summary>
public sealed record ProxyTargetGroup
{
    public required string Name { get; init; }
    public required string ResourceId { get; init; }
    public required ProxyConnectionPool ConnectionPool { get; init; }
    public string? InstanceIdentifier { get; init; }
    public string? ClusterIdentifier { get; init; }
    public required DateTimeOffset CreatedDate { get; init; }
    public required DateTimeOffset UpdatedDate { get; init; }

    public bool HasTarget => InstanceIdentifier is not null || ClusterIdentifier is not null;
}

/// <summary>ConnectionPoolConfig, with RDS Proxy's defaults (100 %, 50 %, 120 s).</summary>
public sealed record ProxyConnectionPool(int MaxConnectionsPercent, int MaxIdleConnectionsPercent, int ConnectionBorrowTimeout,
    IReadOnlyList<string> SessionPinningFilters, string? InitQuery)
{
    public static ProxyConnectionPool Default { get; } = new(100, 50, 120, [], null);
}

/// <summary>A proxy endpoint (CreateDBProxyEndpoint): its own loopback address, reaching the writer (READ_WRITE) or the readers (READ_ONLY).</summary>
public sealed record DbProxyEndpoint
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    /// <summary>Lower-cased; unique in the account's Region.</summary>
    public required string Name { get; init; }
    public required string ProxyResourceId { get; init; }
    /// <summary>"prx-endpoint-" + 17 characters: the ARN's last part and the owner of its address claim.</summary>
    public required string ResourceId { get; init; }
    public required string TargetRole { get; init; }
    public required string VpcId { get; init; }
    public required IReadOnlyList<string> VpcSubnetIds { get; init; }
    public required IReadOnlyList<string> VpcSecurityGroupIds { get; init; }
    /// <summary>creating, available, modifying or deleting.</summary>
    public required string Status { get; init; }
    public string? Address { get; init; }
    public required DateTimeOffset CreatedDate { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    public string Arn => $"arn:aws:rds:{Region}:{AccountId}:db-proxy-endpoint:{ResourceId}";
}

/// <summary>A proxy's endpoint as DescribeDBProxyEndpoints lists it: the default one (the proxy's own) or a created one.</summary>
public sealed record ProxyEndpointView(DbProxy Proxy, DbProxyEndpoint? Created)
{
    public string Name => Created?.Name ?? "default";
    public string? Address => Created is null ? Proxy.Address : Created.Address;
    public string TargetRole => Created?.TargetRole ?? "READ_WRITE";
    public string Status => Created?.Status ?? Proxy.Status;
}

/// <summary>One row of DescribeDBProxyTargets, with the health a TCP probe found.</summary>
public sealed record ProxyTargetView(string TargetArn, string? Endpoint, string? TrackedClusterId, string RdsResourceId, int Port,
    string Type, string? Role, ProxyTargetHealth? Health);

public sealed record ProxyTargetHealth(string State, string? Reason, string? Description);

public sealed record CreateProxyRequest
{
    public required string Name { get; init; }
    public required string EngineFamily { get; init; }
    public required string RoleArn { get; init; }
    public required IReadOnlyList<string> VpcSubnetIds { get; init; }
    public IReadOnlyList<string> VpcSecurityGroupIds { get; init; } = [];
    public IReadOnlyList<ProxyAuth> Auth { get; init; } = [];
    public string? DefaultAuthScheme { get; init; }
    public bool? RequireTls { get; init; }
    public int? IdleClientTimeout { get; init; }
    public bool? DebugLogging { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    /// <summary>CreateDBProxy's members, or an AWS::RDS::DBProxy's (with its name, generated when absent).</summary>
    public static CreateProxyRequest Read(IInputReader input, string? name = null) => new()
    {
        Name = name ?? input.Required("DBProxyName"),
        EngineFamily = input.Required("EngineFamily"),
        RoleArn = input.Required("RoleArn"),
        VpcSubnetIds = input.Strings("VpcSubnetIds"),
        VpcSecurityGroupIds = input.Strings("VpcSecurityGroupIds"),
        Auth = input.Objects("Auth").Select(ProxyAuth.Read).ToList(),
        DefaultAuthScheme = input.String("DefaultAuthScheme"),
        RequireTls = input.Bool("RequireTLS"),
        IdleClientTimeout = input.Int("IdleClientTimeout"),
        DebugLogging = input.Bool("DebugLogging"),
        Tags = RdsTag.List(input),
    };
}

public sealed record ModifyProxyRequest
{
    public required string Name { get; init; }
    public string? NewName { get; init; }
    public IReadOnlyList<ProxyAuth>? Auth { get; init; }
    public string? DefaultAuthScheme { get; init; }
    public bool? RequireTls { get; init; }
    public int? IdleClientTimeout { get; init; }
    public bool? DebugLogging { get; init; }
    public string? RoleArn { get; init; }
    public IReadOnlyList<string>? SecurityGroups { get; init; }

    /// <summary>ModifyDBProxy's members (SecurityGroups there), or an AWS::RDS::DBProxy update's (VpcSecurityGroupIds).</summary>
    public static ModifyProxyRequest Read(IInputReader input, string? name = null) => new()
    {
        Name = name ?? input.Required("DBProxyName"),
        NewName = input.String("NewDBProxyName"),
        Auth = input.Has("Auth") ? input.Objects("Auth").Select(ProxyAuth.Read).ToList() : null,
        DefaultAuthScheme = input.String("DefaultAuthScheme"),
        RequireTls = input.Bool("RequireTLS"),
        IdleClientTimeout = input.Int("IdleClientTimeout"),
        DebugLogging = input.Bool("DebugLogging"),
        RoleArn = input.String("RoleArn"),
        SecurityGroups = input.FromTemplate
            ? input.Has("VpcSecurityGroupIds") ? input.Strings("VpcSecurityGroupIds") : null
            : input.Has("SecurityGroups") ? input.Strings("SecurityGroups") : null,
    };
}

public sealed record CreateProxyEndpointRequest
{
    public required string Name { get; init; }
    public required string ProxyName { get; init; }
    public required IReadOnlyList<string> VpcSubnetIds { get; init; }
    public IReadOnlyList<string> VpcSecurityGroupIds { get; init; } = [];
    public string? TargetRole { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    public static CreateProxyEndpointRequest Read(IInputReader input, string? name = null) => new()
    {
        Name = name ?? input.Required("DBProxyEndpointName"),
        ProxyName = input.Required("DBProxyName"),
        VpcSubnetIds = input.Strings("VpcSubnetIds"),
        VpcSecurityGroupIds = input.Strings("VpcSecurityGroupIds"),
        TargetRole = input.String("TargetRole"),
        Tags = RdsTag.List(input),
    };
}

/// <summary>ModifyDBProxyTargetGroup's ConnectionPoolConfig (ConnectionPoolConfigurationInfo in a template): members left out keep their value.</summary>
public sealed record ProxyConnectionPoolChange(int? MaxConnectionsPercent, int? MaxIdleConnectionsPercent, int? ConnectionBorrowTimeout,
    IReadOnlyList<string>? SessionPinningFilters, string? InitQuery)
{
    public static ProxyConnectionPoolChange? Read(IInputReader? input) => input is null ? null : new(
        input.Int("MaxConnectionsPercent"),
        input.Int("MaxIdleConnectionsPercent"),
        input.Int("ConnectionBorrowTimeout"),
        input.Has("SessionPinningFilters") ? input.Strings("SessionPinningFilters") : null,
        input.String("InitQuery"));
}
