using Microsoft.AspNetCore.Http;

namespace Stratus.Protocols.Json;

/// <summary>AWS JSON 1.0 / 1.1: the operation in X-Amz-Target, the input and output as JSON objects.</summary>
public sealed class AwsJsonProtocol(string targetPrefix, string jsonVersion) : WireProtocol
{
    private readonly string _contentType = "application/x-amz-json-" + jsonVersion;

    /// <summary>Services that also speak Query tell clients the Query error code in a header.</summary>
    public bool QueryCompatible { get; init; }
    public override string TargetPrefix => targetPrefix;

    public override bool Accepts(HttpRequest request) => request.Headers.ContainsKey("X-Amz-Target");

    public override async Task HandleAsync(ServiceEndpoint service, HttpContext http, CallContext call)
    {
        var target = http.Request.Headers["X-Amz-Target"].ToString();
        var dot = target.LastIndexOf('.');
        if (dot < 0 || !target.AsSpan(0, dot).Equals(targetPrefix, StringComparison.Ordinal))
            throw new AwsException("UnknownOperationException", $"X-Amz-Target '{target}' does not name an operation of {targetPrefix}.");
        var handler = service.FindOperation(target[(dot + 1)..]);
        var body = await service.ReadBodyAsync(http);
        var result = await handler(service.Input(JsonBody.ParseObject(body), call));
        ApplyResultHeaders(http, result);
        await WriteResultAsync(http, result, _contentType, () => JsonBody.Write(result.Body));
    }

    public override Task WriteErrorAsync(HttpContext http, CallContext call, AwsException error)
    {
        http.Response.StatusCode = error.StatusCode;
        http.Response.Headers["x-amzn-ErrorType"] = error.Code;
        if (QueryCompatible) http.Response.Headers["x-amzn-query-error"] = $"{error.Code};{(error.IsSenderFault ? "Sender" : "Receiver")}";
        return WriteAsync(http, _contentType, JsonBody.Write(ErrorBodies.Build(error, "__type", "message")));
    }
}
