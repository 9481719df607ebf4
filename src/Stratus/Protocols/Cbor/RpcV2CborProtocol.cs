using Microsoft.AspNetCore.Http;

namespace Stratus.Protocols.Cbor;

/// <summary>
/// Smithy RPC v2 CBOR: <c>POST /service/{Service}/operation/{Operation}</c> with a CBOR map in and out,
/// marked by the <c>smithy-protocol: rpc-v2-cbor</c> header both ways.
/// </summary>
public sealed class RpcV2CborProtocol(string serviceName) : WireProtocol
{
    private const string ContentType = "application/cbor";
    private const string ProtocolHeader = "smithy-protocol";
    private const string ProtocolName = "rpc-v2-cbor";
    private readonly string _pathPrefix = $"/service/{serviceName}/operation/";

    /// <summary>Services that also speak Query tell clients the Query error code in a header.</summary>
    public bool QueryCompatible { get; init; }

    public override IEnumerable<string> PathPrefixes => [_pathPrefix.TrimEnd('/')];

    public override bool Accepts(HttpRequest request) =>
        request.Path.StartsWithSegments("/service", StringComparison.Ordinal)
        || request.Headers[ProtocolHeader] == ProtocolName;

    public override async Task HandleAsync(ServiceEndpoint service, HttpContext http, CallContext call)
    {
        var path = http.Request.Path.Value ?? "";
        if (!path.StartsWith(_pathPrefix, StringComparison.Ordinal) || !HttpMethods.IsPost(http.Request.Method))
            throw new AwsException("UnknownOperationException", $"Expected POST {_pathPrefix}{{Operation}}, got {http.Request.Method} {path}.", 404);
        var handler = service.FindOperation(path[_pathPrefix.Length..]);
        var body = await service.ReadBodyAsync(http);
        var result = await handler(service.Input(CborBody.ReadObject(body), call));
        ApplyResultHeaders(http, result);
        http.Response.Headers[ProtocolHeader] = ProtocolName;
        await WriteResultAsync(http, result, ContentType, () => CborBody.Write(result.Body));
    }

    public override Task WriteErrorAsync(HttpContext http, CallContext call, AwsException error)
    {
        http.Response.StatusCode = error.StatusCode;
        http.Response.Headers[ProtocolHeader] = ProtocolName;
        if (QueryCompatible) http.Response.Headers["x-amzn-query-error"] = $"{error.Code};{(error.IsSenderFault ? "Sender" : "Receiver")}";
        return WriteAsync(http, ContentType, CborBody.Write(ErrorBodies.Build(error, "__type", "message")));
    }
}
