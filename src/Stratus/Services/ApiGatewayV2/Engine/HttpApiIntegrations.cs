using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Stratus.Protocols;
using Stratus.Services.Lambda;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>
/// Runs a route's integration: AWS_PROXY through Lambda's domain invoker (payload format 1.0 or 2.0), HTTP_PROXY
/// to its URL; both after the integration's parameter mapping. Failures answer as HTTP APIs do: 500 Internal
/// Server Error, and 503 Service Unavailable when the integration outlasts its timeout.
/// </summary>
public sealed partial class HttpApiIntegrations(ILambdaInvoker lambda, HttpClient http)
{
    public const string ServicePrincipal = "apigateway.amazonaws.com";

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host", "Content-Length",
    };

    public async Task<HttpApiResponse> RunAsync(HttpApiRun run, HttpIntegration integration, CancellationToken cancellation)
    {
        var mapped = integration.RequestParameters is { Count: > 0 } mapping ? Map(run, mapping) : run;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(integration.TimeoutInMillis);
        var watch = Stopwatch.StartNew();
        try
        {
            var response = integration.IntegrationType == "AWS_PROXY"
                ? await InvokeLambdaAsync(mapped, integration, timeout.Token)
                : await ForwardAsync(mapped, integration, timeout.Token);
            run.IntegrationLatency = watch.Elapsed;
            return response;
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            run.IntegrationLatency = watch.Elapsed;
            run.IntegrationError = $"The integration did not answer within {integration.TimeoutInMillis} ms";
            return HttpApiResponse.ServiceUnavailable();
        }
    }

    private async Task<HttpApiResponse> InvokeLambdaAsync(HttpApiRun run, HttpIntegration integration, CancellationToken cancellation)
    {
        var format2 = integration.PayloadFormatVersion == "2.0";
        var @event = format2 ? PayloadFormat2.Event(run) : PayloadFormat1.Event(run);
        LambdaInvokeResult result;
        try
        {
            // WaitAsync holds the integration timeout even if the function keeps running past it.
            result = await lambda.InvokeAsync(new LambdaInvokeRequest(run.Stage.AccountId, run.Stage.Region, LambdaTarget.FunctionArn(integration.IntegrationUri)!,
                null, Encoding.UTF8.GetBytes(@event.ToJsonString()), ServicePrincipal, SourceArn(run)), cancellation).WaitAsync(cancellation);
        }
        catch (AwsException e)
        {
            run.IntegrationError = $"Lambda invocation failed: {e.Code}: {e.Message}";
            return HttpApiResponse.InternalServerError();
        }
        run.IntegrationStatus = 200;
        if (result.FunctionError is not null)
        {
            run.IntegrationError = "The Lambda function returned an error: " + Encoding.UTF8.GetString(result.Payload.Span);
            return HttpApiResponse.InternalServerError();
        }
        var response = format2 ? PayloadFormat2.Response(result.Payload.Span) : PayloadFormat1.Response(result.Payload.Span);
        if (response is null) run.IntegrationError = "The Lambda function's response is malformed: " + Encoding.UTF8.GetString(result.Payload.Span);
        return response ?? HttpApiResponse.InternalServerError();
    }

    /// <summary>The source ARN Lambda's resource policy sees: arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}{path}, AWS's form for HTTP APIs.</summary>
    private static string SourceArn(HttpApiRun run)
    {
        var key = run.Route!.Route.RouteKey;
        var resource = key == "$default" ? "$default" : key.Replace(' ', '/').Replace("//", "/");
        return $"arn:aws:execute-api:{run.Stage.Region}:{run.Stage.AccountId}:{run.Stage.Api.ApiId}/{run.Stage.Stage.StageName}/{resource}";
    }

    private async Task<HttpApiResponse> ForwardAsync(HttpApiRun run, HttpIntegration integration, CancellationToken cancellation)
    {
        var request = run.Request;
        var uri = PathVariable().Replace(integration.IntegrationUri!, m =>
            run.Route!.PathParameters.TryGetValue(m.Groups[1].Value, out var value) ? string.Join('/', value.Split('/').Select(Uri.EscapeDataString)) : m.Value);
        if (request.RawQueryString.Length > 0) uri += (uri.Contains('?') ? "&" : "?") + request.RawQueryString;
        var method = integration.IntegrationMethod is null or "ANY" ? request.Method : integration.IntegrationMethod;
        using var message = new HttpRequestMessage(new HttpMethod(method), uri);
        if (request.Body.Length > 0 || method is not ("GET" or "HEAD")) message.Content = new ByteArrayContent(request.Body);
        foreach (var (name, value) in request.Headers.Where(h => !HopByHop.Contains(h.Key)))
            if (!message.Headers.TryAddWithoutValidation(name, value)) message.Content?.Headers.TryAddWithoutValidation(name, value);
        try
        {
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellation);
            var body = await response.Content.ReadAsByteArrayAsync(cancellation);
            run.IntegrationStatus = (int)response.StatusCode;
            var headers = response.Headers.Concat(response.Content.Headers).Where(h => !HopByHop.Contains(h.Key))
                .SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v))).ToList();
            return new HttpApiResponse((int)response.StatusCode, headers, body);
        }
        catch (HttpRequestException e)
        {
            run.IntegrationError = "The HTTP integration failed: " + e.Message;
            return HttpApiResponse.InternalServerError();
        }
    }

    /// <summary>
    /// Parameter mapping (HTTP APIs): overwrite, append or remove a header or query string parameter, or
    /// overwrite the path, with values from $request.header.x, $request.querystring.x, $request.path.x,
    /// $request.path, $context.x, $stageVariables.x, or static text, as AWS documents.
    /// </summary>
    internal static HttpApiRun Map(HttpApiRun run, IReadOnlyDictionary<string, string> mapping)
    {
        var request = run.Request;
        var headers = request.Headers.ToList();
        var query = request.Query.ToList();
        var path = request.Path;
        var rawPath = request.RawPath;
        foreach (var (key, expression) in mapping)
        {
            var (action, location, name) = ParameterMapping.Parse(key);
            var value = Expression().Replace(expression, m => Resolve(m.Groups[1].Value.Length > 0 ? m.Groups[1].Value : m.Groups[2].Value, run) ?? "");
            var target = location == "header" ? headers : location == "querystring" ? query : null;
            if (target is null)
            {
                if (location == "path" && action == "overwrite") path = rawPath = value.StartsWith('/') ? value : "/" + value;
                continue;
            }
            var comparison = location == "header" ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            if (action is "overwrite" or "remove") target.RemoveAll(p => string.Equals(p.Key, name, comparison));
            if (action is "overwrite" or "append") target.Add(new(name, value));
        }
        var rawQuery = string.Join('&', query.Select(q => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(q.Value)));
        var mapped = new HttpApiRequest
        {
            Method = request.Method, Path = path, RawPath = rawPath, RawQueryString = rawQuery, Headers = headers, Query = query, Body = request.Body,
            SourceIp = request.SourceIp, DomainName = request.DomainName, RequestId = request.RequestId, Start = request.Start,
            ClientCert = request.ClientCert,
        };
        return new HttpApiRun { Stage = run.Stage, Request = mapped, Route = run.Route, Authorizer = run.Authorizer };
    }

    private static string? Resolve(string variable, HttpApiRun run)
    {
        var request = run.Request;
        if (variable.StartsWith("request.header.", StringComparison.Ordinal))
            return request.HeaderValues(variable["request.header.".Length..]).ToList() is { Count: > 0 } values ? string.Join(',', values) : null;
        if (variable.StartsWith("request.querystring.", StringComparison.Ordinal))
        {
            var name = variable["request.querystring.".Length..];
            return request.Query.Where(q => q.Key == name).Select(q => q.Value).ToList() is { Count: > 0 } values ? string.Join(',', values) : null;
        }
        if (variable == "request.path") return request.Path;
        if (variable.StartsWith("request.path.", StringComparison.Ordinal)) return run.Route?.PathParameters.GetValueOrDefault(variable["request.path.".Length..]);
        if (variable.StartsWith("stageVariables.", StringComparison.Ordinal)) return run.Stage.Stage.StageVariables.GetValueOrDefault(variable["stageVariables.".Length..]);
        if (variable.StartsWith("context.", StringComparison.Ordinal)) return ContextVariables.Value(variable, run);
        return null;
    }

    [GeneratedRegex(@"\{([^}+]+)\+?\}")]
    private static partial Regex PathVariable();

    /// <summary>$name.a.b or ${name.a.b}.</summary>
    [GeneratedRegex(@"\$\{([A-Za-z][A-Za-z0-9_.-]*)\}|\$((?:request|context|stageVariables)\.[A-Za-z0-9_.-]*[A-Za-z0-9_-])")]
    private static partial Regex Expression();
}
