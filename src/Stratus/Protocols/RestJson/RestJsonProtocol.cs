using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Stratus.Protocols.Json;

namespace Stratus.Protocols.RestJson;

/// <summary>
/// REST-JSON: the operation chosen by method and path; its input gathered from path labels, the query
/// string and the JSON body into one object; the error code in x-amzn-ErrorType and in the body.
/// </summary>
public sealed class RestJsonProtocol : WireProtocol
{
    private const string JsonContentType = "application/json";
    private readonly RestRoute[] _routes;

    public RestJsonProtocol(IEnumerable<RestRoute> routes)
    {
        _routes = routes.OrderByDescending(r => r.Specificity).ToArray();
    }

    /// <summary>"message" for most services; Lambda's error shapes use "Message" and a "Type".</summary>
    public string ErrorMessageKey { get; init; } = "message";

    public override IEnumerable<string> PathPrefixes => _routes.Select(r => r.LiteralPrefix).Where(p => p.Length > 1).Distinct();

    public override bool Accepts(HttpRequest request) => true;

    public override async Task HandleAsync(ServiceEndpoint service, HttpContext http, CallContext call)
    {
        var request = http.Request;
        var path = (request.Path.Value ?? "/").Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        RestRoute? route = null;
        Dictionary<string, string>? labels = null;
        var pathMatched = false;
        foreach (var candidate in _routes)
        {
            if (candidate.Match(path) is not { } found) continue;
            pathMatched = true;
            if (!string.Equals(candidate.Method, request.Method, StringComparison.OrdinalIgnoreCase) || !candidate.MatchesQuery(request.Query)) continue;
            (route, labels) = (candidate, found);
            break;
        }
        if (route is null || labels is null)
            throw pathMatched
                ? new AwsException("MethodNotAllowedException", $"The method {request.Method} is not allowed on {request.Path}.", 405)
                : new AwsException("UnknownOperationException", $"No {service.SigningName} operation is bound to {request.Method} {request.Path}.", 404);

        var handler = service.FindOperation(route.Operation);
        var body = await service.ReadBodyAsync(http);
        var input = route.RawBody ? new JsonObject() : JsonBody.ParseObject(body);
        foreach (var (name, values) in request.Query)
            input[name] = values.Count == 1 ? values[0] : new JsonArray(values.Select(v => (JsonNode?)v).ToArray());
        foreach (var (name, value) in labels) input[name] = value;

        var result = await handler(service.Input(input, call, body));
        ApplyResultHeaders(http, result);
        if (result.StatusCode == 200 && route.SuccessStatus != 200) http.Response.StatusCode = route.SuccessStatus;
        if (result.StreamedBody is not null)
            await WriteStreamedAsync(http, result);
        else if (result.RawBody is { } raw)
            await WriteAsync(http, result.RawContentType ?? "application/octet-stream", raw);
        else if (result.Body is not null)
            await WriteAsync(http, JsonContentType, JsonBody.Write(result.Body));
        else
            http.Response.ContentLength = 0;
    }

    public override Task WriteErrorAsync(HttpContext http, CallContext call, AwsException error)
    {
        http.Response.StatusCode = error.StatusCode;
        http.Response.Headers["x-amzn-ErrorType"] = error.Code;
        return WriteAsync(http, JsonContentType, JsonBody.Write(ErrorBodies.Build(error, null, ErrorMessageKey)));
    }
}
