using Microsoft.AspNetCore.Http;

namespace Stratus.Protocols;

/// <summary>Who is calling, where, and under which request id: what every operation is scoped by.</summary>
public sealed class CallContext
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string RequestId { get; init; }
    public string? AccessKeyId { get; init; }
    /// <summary>The IAM principal behind the access key when Stratus issued it (user or assumed role).</summary>
    public string? PrincipalArn { get; init; }
    /// <summary>The unique id of that principal (AIDA... for users, AROA...:session for assumed roles).</summary>
    public string? PrincipalId { get; init; }
    public required HttpContext Http { get; init; }
    /// <summary>Under --auth enforce, refuses the named operation unless the caller's policies allow it on the resources its input names (throws AccessDenied); null otherwise.</summary>
    public Action<string, OperationInput>? Authorize { get; init; }
    /// <summary>Told of each operation a caller behind a key IAM or STS issued attempts, before it is authorized (IAM's service last accessed data counts attempts); null otherwise.</summary>
    public Action<string, OperationInput>? Attempted { get; init; }

    /// <summary>What the domain call below the wire is scoped by: everything above but the HTTP request.</summary>
    public Scope Scope => _scope ??= new Scope(AccountId, Region, RequestId) { PrincipalArn = PrincipalArn, PrincipalId = PrincipalId };
    private Scope? _scope;

    /// <summary>The base URL clients reached us on, for URLs we hand back (code locations, invoke URLs).</summary>
    public string PublicBaseUrl => $"{Http.Request.Scheme}://{Http.Request.Host}";
}
