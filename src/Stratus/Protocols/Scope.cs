namespace Stratus.Protocols;

/// <summary>
/// What every domain call is scoped by: the account and region the resources live in, the request id AWS
/// reports, and, when known, who is calling. Services take a Scope, never an HTTP context, so the wire,
/// CloudFormation and tests reach the same domain code the same way.
/// </summary>
public sealed record Scope(string AccountId, string Region, string RequestId)
{
    /// <summary>The IAM principal behind the caller's access key when Stratus issued it (user or assumed role).</summary>
    public string? PrincipalArn { get; init; }
    /// <summary>The unique id of that principal (AIDA... for users, AROA...:session for assumed roles).</summary>
    public string? PrincipalId { get; init; }

    /// <summary>A scope for work no request stands behind (a stack's resources, a background task): a fresh request id.</summary>
    public static Scope Of(string accountId, string region) => new(accountId, region, Guid.NewGuid().ToString());
}
