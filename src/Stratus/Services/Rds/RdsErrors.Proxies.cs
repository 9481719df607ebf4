using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>RDS Proxy errors, with the codes and status codes of botocore's rds model.</summary>
public static partial class RdsErrors
{
    public static AwsException ProxyNotFound(string name) => new("DBProxyNotFoundFault", $"DBProxy {name} not found.", 404);

    public static AwsException ProxyAlreadyExists(string name) => new("DBProxyAlreadyExistsFault", $"DBProxy {name} already exists.");

    public static AwsException ProxyQuotaExceeded(int quota) =>
        new("DBProxyQuotaExceededFault", $"You have reached the quota of {quota} DB proxies in this Region.");

    public static AwsException InvalidProxyState(string name, string status) =>
        new("InvalidDBProxyStateFault", $"DBProxy {name} is not in the available state (it is {status}).");

    public static AwsException ProxyEndpointNotFound(string name) => new("DBProxyEndpointNotFoundFault", $"DBProxyEndpoint {name} not found.", 404);

    public static AwsException ProxyEndpointAlreadyExists(string name) => new("DBProxyEndpointAlreadyExistsFault", $"DBProxyEndpoint {name} already exists.");

    public static AwsException ProxyEndpointQuotaExceeded(string proxy, int quota) =>
        new("DBProxyEndpointQuotaExceededFault", $"DBProxy {proxy} already has {quota} endpoints, the most it can have.");

    public static AwsException InvalidProxyEndpointState(string name, string status) =>
        new("InvalidDBProxyEndpointStateFault", $"DBProxyEndpoint {name} is not in the available state (it is {status}).");

    public static AwsException ProxyTargetGroupNotFound(string name) => new("DBProxyTargetGroupNotFoundFault", $"DBProxyTargetGroup {name} not found.", 404);

    public static AwsException ProxyTargetNotFound(string name) => new("DBProxyTargetNotFoundFault", $"DBProxyTarget {name} not found.", 404);

    /// <summary>RDS Proxy's target group holds one target: a DB instance or an Aurora cluster.</summary>
    public static AwsException ProxyTargetAlreadyRegistered(string proxy) =>
        new("DBProxyTargetAlreadyRegisteredFault", $"DBProxy {proxy} already has a registered target; a target group has one DB instance or DB cluster.");

    public static AwsException ProxyEngineFamilyMismatch(string target, string engine, string family) =>
        InvalidValue($"The engine {engine} of {target} does not belong to the proxy's engine family {family}.");

    /// <summary>A proxy's Auth naming a secret Secrets Manager does not have, or one without the username and password the proxy reads.</summary>
    public static AwsException ProxySecretUnusable(string secretArn, string problem) =>
        InvalidValue($"The secret {secretArn} in Auth cannot be used: {problem}.");
}
