using System.Text;
using System.Text.Json.Nodes;
using Stratus.Services.ApiGateway.Vtl;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>A method request as the client sent it, the stage prefix already removed from the path.</summary>
public sealed record GatewayRequest(
    string HttpMethod,
    string Path,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[] Body,
    string SourceIp)
{
    /// <summary>Who signed the request, when the method request stage authorized it with AWS_IAM.</summary>
    public CallerIdentity? Caller { get; init; }

    /// <summary>What the method's Lambda authorizer granted, when it has one.</summary>
    public AuthorizerGrant? Authorizer { get; init; }

    /// <summary>The API key the request was metered with, as <c>$context.identity.apiKey</c> shows it.</summary>
    public string? ApiKey { get; init; }

    /// <summary>The client certificate a mutual TLS custom domain verified, as <c>$context.identity.clientCert</c> shows it.</summary>
    public ClientCertificateIdentity? ClientCert { get; init; }
}

/// <summary>The signer of an AWS_IAM request, as <c>$context.identity</c> and the proxy event show it.</summary>
public sealed record CallerIdentity(string AccessKey, string AccountId, string? Caller, string? UserArn);

/// <summary>Which API and stage a request runs in.</summary>
public sealed record GatewayTarget(string AccountId, string Region, string ApiId, string StageName,
    IReadOnlyDictionary<string, string> StageVariables, string DomainName)
{
    /// <summary>The API's binary media types ("image/png", "image/*", "*/*"): such bodies reach proxy functions base64-encoded.</summary>
    public IReadOnlyList<string> BinaryMediaTypes { get; init; } = [];

    /// <summary>The stage's client certificate, presented to HTTP backends that ask for one.</summary>
    public string? ClientCertificateId { get; init; }

    public bool IsBinary(string? contentType)
    {
        var type = contentType?.Split(';')[0].Trim();
        if (string.IsNullOrEmpty(type)) return false;
        var slash = type.IndexOf('/');
        return BinaryMediaTypes.Any(binary => binary == "*/*" || string.Equals(binary, type, StringComparison.OrdinalIgnoreCase)
            || binary.EndsWith("/*", StringComparison.Ordinal) && slash > 0 && string.Equals(binary[..^1], type[..(slash + 1)], StringComparison.OrdinalIgnoreCase));
    }
}

public sealed class GatewayResponse(int statusCode, List<KeyValuePair<string, string>> headers, byte[] body)
{
    public int StatusCode { get; } = statusCode;
    public List<KeyValuePair<string, string>> Headers { get; } = headers;
    public byte[] Body { get; } = body;
    public string BodyText => Encoding.UTF8.GetString(Body);

    public static GatewayResponse Message(int status, string message, string? errorType = null)
    {
        var headers = new List<KeyValuePair<string, string>> { new("Content-Type", "application/json") };
        if (errorType is not null) headers.Add(new("x-amzn-ErrorType", errorType));
        return new GatewayResponse(status, headers, Encoding.UTF8.GetBytes(MappingJson.Write(new JsonObject { ["message"] = message })));
    }

    public static GatewayResponse InternalServerError() => Message(500, "Internal server error", "InternalServerErrorException");
}

/// <summary>What running a method produced, with how long the integration took and the execution log.</summary>
public sealed record IntegrationOutcome(GatewayResponse Response, TimeSpan IntegrationLatency, IReadOnlyList<string> Log);

/// <summary>A stage giving up on the request: the execution log line, and the response AWS answers (500 when none).</summary>
internal sealed class GatewayFailure(string message, GatewayResponse? response = null) : Exception(message)
{
    public GatewayResponse Response { get; } = response ?? GatewayResponse.InternalServerError();

    public static GatewayFailure Configuration(string problem) => new($"Execution failed due to configuration error: {problem}");

    public static GatewayFailure Timeout() =>
        new("Execution failed due to a timeout error", GatewayResponse.Message(504, "Endpoint request timed out"));
}

internal static class MediaTypes
{
    /// <summary>The media type of a Content-Type or Accept value, lower-cased, without its parameters; null when empty.</summary>
    public static string? Of(string? header)
    {
        var type = header?.Split(';')[0].Trim();
        return string.IsNullOrEmpty(type) ? null : type.ToLowerInvariant();
    }
}
