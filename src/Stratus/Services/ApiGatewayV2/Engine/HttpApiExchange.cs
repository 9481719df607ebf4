using System.Text;
using Stratus.Services.ApiGateway.Engine;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>
/// One request to an HTTP API stage as the integrations see it. <see cref="Path"/> is the path the route
/// matched (after the stage); <see cref="RawPath"/> is the path as sent, with a named stage's prefix, as
/// AWS puts it in payload format 2.0's rawPath.
/// </summary>
public sealed class HttpApiRequest
{
    public required string Method { get; init; }
    public required string Path { get; init; }
    public required string RawPath { get; init; }
    public required string RawQueryString { get; init; }
    public required IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; }
    public required IReadOnlyList<KeyValuePair<string, string>> Query { get; init; }
    public required byte[] Body { get; init; }
    public required string SourceIp { get; init; }
    public required string DomainName { get; init; }
    public required string RequestId { get; init; }
    public required DateTimeOffset Start { get; init; }
    /// <summary>The client certificate a mutual TLS custom domain verified, when the request came through one.</summary>
    public ClientCertificateIdentity? ClientCert { get; init; }

    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public IEnumerable<string> HeaderValues(string name) =>
        Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);

    /// <summary>Cookies from every Cookie header, one entry each, as payload 2.0's cookies list carries them.</summary>
    public IReadOnlyList<string> Cookies =>
        [.. HeaderValues("Cookie").SelectMany(c => c.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))];

    /// <summary>requestContext.time, in the format AWS uses ("12/Mar/2020:19:03:58 +0000").</summary>
    public string Time => Start.ToString("dd/MMM/yyyy:HH:mm:ss +0000", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>What the caller gets back.</summary>
public sealed record HttpApiResponse(int StatusCode, List<KeyValuePair<string, string>> Headers, byte[] Body)
{
    /// <summary>API Gateway's own answers for HTTP APIs: {"message":"..."} as JSON.</summary>
    public static HttpApiResponse Message(int status, string message) =>
        new(status, [new("Content-Type", "application/json")], Encoding.UTF8.GetBytes($"{{\"message\":\"{message}\"}}"));

    public static HttpApiResponse NotFound() => Message(404, "Not Found");
    public static HttpApiResponse Unauthorized() => Message(401, "Unauthorized");
    public static HttpApiResponse Forbidden() => Message(403, "Forbidden");
    public static HttpApiResponse InternalServerError() => Message(500, "Internal Server Error");
    public static HttpApiResponse ServiceUnavailable() => Message(503, "Service Unavailable");
    public static HttpApiResponse TooManyRequests() => Message(429, "Too Many Requests");
}

/// <summary>What authorization established about the caller, handed to the integration (requestContext.authorizer).</summary>
/// <param name="Format2">requestContext.authorizer in payload format 2.0 ({"jwt": ...} or {"lambda": ...}).</param>
/// <param name="Format1">requestContext.authorizer in payload format 1.0 (the claims, or the Lambda authorizer's context, at the top).</param>
public sealed record AuthorizerContext(System.Text.Json.Nodes.JsonObject Format2, System.Text.Json.Nodes.JsonObject Format1)
{
    /// <summary>The API key a Lambda authorizer named for usage plans (its answer's usageIdentifierKey).</summary>
    public string? UsageIdentifierKey { get; init; }
}

/// <summary>One request's way through a stage: its route, authorization and integration outcome, for the integrations, the access log and metrics.</summary>
public sealed class HttpApiRun
{
    public required ServedStage Stage { get; init; }
    public required HttpApiRequest Request { get; init; }
    public MatchedHttpRoute? Route { get; set; }
    public AuthorizerContext? Authorizer { get; set; }
    /// <summary>The SigV4 signer of a request to an AWS_IAM route.</summary>
    public CallerIdentity? Caller { get; set; }
    public string? AuthorizerError { get; set; }
    public string? IntegrationError { get; set; }
    public int? IntegrationStatus { get; set; }
    public TimeSpan IntegrationLatency { get; set; }
    public int Status { get; set; }
    public long ResponseLength { get; set; }
    public TimeSpan ResponseLatency { get; set; }
}
