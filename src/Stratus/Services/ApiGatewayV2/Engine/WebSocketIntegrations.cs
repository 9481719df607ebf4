using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.ApiGateway.Vtl;
using Stratus.Services.Lambda;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>The integration's outcome: Unreachable when it could not be called (ExecutionError), Failed when it failed (IntegrationError).</summary>
internal sealed record WebSocketAnswer(int StatusCode, byte[]? Body, string? SubProtocol, bool Failed)
{
    /// <summary>How long the integration took, null when it was not called.</summary>
    public TimeSpan? Latency { get; init; }
    public bool Unreachable { get; init; }
    public string? Error { get; init; }
    /// <summary>What the integration and response selection did, for the execution log.</summary>
    public IReadOnlyList<string> Trace { get; init; } = [];
}

/// <summary>
/// What a WebSocket route's integration is given: the message (empty for $connect and $disconnect), the $connect request's headers and
/// query string (route.request.header.x / route.request.querystring.x are the $connect route's only, as AWS documents), and the
/// event's $context variables.
/// </summary>
internal sealed record WebSocketCall(ServedStage Stage, HttpRoute Route, HttpIntegration Integration, byte[] Body, bool Binary,
    IReadOnlyDictionary<string, string> Headers, IReadOnlyDictionary<string, string> QueryString, Func<Dictionary<string, object?>> Context);

/// <summary>
/// WebSocket APIs' integrations other than Lambda proxy, as AWS documents them: MOCK, AWS (Lambda, non-proxy) and HTTP map the message
/// through the request template its TemplateSelectionExpression selects (else the $default one, else the passthrough behavior), and
/// their answer through the integration response its key selects (status code, or the function's error message) and that response's
/// template; HTTP_PROXY sends the message as it is and hands the backend's body back. The REST APIs' Velocity engine renders the
/// templates, with $input over the message, $util, WebSocket's $context and $stageVariables.
/// </summary>
public sealed class WebSocketIntegrations(ILambdaInvoker lambda, HttpClient http)
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64 };

    internal async Task<WebSocketAnswer> RunAsync(WebSocketCall call, CancellationToken cancellation)
    {
        var integration = call.Integration;
        var trace = new List<string> { $"Integration {integration.IntegrationId}: {integration.IntegrationType} {integration.IntegrationUri ?? ""}".TrimEnd() };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(integration.TimeoutInMillis);
        var watch = Stopwatch.StartNew();
        try
        {
            var answer = integration.IntegrationType == "HTTP_PROXY"
                ? await ProxyAsync(call, trace, timeout.Token)
                : await MapAsync(call, trace, timeout.Token);
            return answer with { Latency = watch.Elapsed, Trace = trace };
        }
        catch (OperationCanceledException)
        {
            return Unreachable($"the integration did not answer within {integration.TimeoutInMillis} ms", watch, trace);
        }
        catch (HttpRequestException e)
        {
            return Unreachable("the HTTP integration failed: " + e.Message, watch, trace);
        }
        catch (AwsException e)
        {
            return Unreachable($"Lambda invocation failed: {e.Code}: {e.Message}", watch, trace);
        }
        catch (VtlException e)
        {
            // A template that fails is AWS's "Execution failed due to configuration error"; the client gets Internal server error.
            return new WebSocketAnswer(500, null, null, Failed: true) { Latency = watch.Elapsed, Error = "Execution failed due to configuration error: " + e.Message, Trace = trace };
        }
    }

    private static WebSocketAnswer Unreachable(string error, Stopwatch watch, List<string> trace) =>
        new(500, null, null, Failed: true) { Unreachable = true, Latency = watch.Elapsed, Error = error, Trace = trace };

    /// <summary>HTTP_PROXY: the message as it is, with the mapped parameters, to the URL; the backend's body is the answer.</summary>
    private async Task<WebSocketAnswer> ProxyAsync(WebSocketCall call, List<string> trace, CancellationToken cancellation)
    {
        var (status, body, _) = await SendAsync(call, Converted(call), cancellation);
        return new WebSocketAnswer(status, body, null, Failed: false);
    }

    /// <summary>MOCK, AWS and HTTP: request template, the backend, then the integration response and its template.</summary>
    private async Task<WebSocketAnswer> MapAsync(WebSocketCall call, List<string> trace, CancellationToken cancellation)
    {
        var integration = call.Integration;
        var message = new JsonPayload(WebSocketSelection.Text(Converted(call)));
        if (RequestBody(call, message, trace) is not { } payload)
        {
            var error = $"The message has no mapping template and the passthrough behavior is {integration.PassthroughBehavior}";
            trace.Add(error);
            return new WebSocketAnswer(415, null, null, Failed: true) { Error = error };
        }
        Output output;
        switch (integration.IntegrationType)
        {
            case "MOCK":
                output = new Output(MockIntegration.StatusOf(payload) ?? MockIntegration.DefaultStatus, [], [], null);
                break;
            case "AWS":
                output = await InvokeAsync(call, payload, cancellation);
                break;
            default:
                var (status, body, headers) = await SendAsync(call, Encoding.UTF8.GetBytes(payload), cancellation);
                output = new Output(status, body, headers, null);
                break;
        }
        trace.Add($"Endpoint answered {output.Status}{(output.ErrorMessage is { } failure ? " with the function error " + failure : "")}");
        // AWS sets the selection expression by type: ${integration.response.body.errorMessage} for Lambda, the status code for the others.
        var subject = integration.IntegrationType == "AWS" ? output.ErrorMessage ?? "" : output.Status.ToString(CultureInfo.InvariantCulture);
        var responses = call.Stage.Definition.IntegrationResponses.GetValueOrDefault(integration.IntegrationId)?.Values ?? Enumerable.Empty<WebSocketIntegrationResponse>();
        if (WebSocketSelection.SelectIntegrationResponse(responses, subject) is not { } response)
        {
            const string noMatch = "Execution failed due to configuration error: No match for output mapping and no default output mapping configured";
            trace.Add($"{noMatch} (selection key '{subject}')");
            return new WebSocketAnswer(500, null, null, Failed: true) { Error = noMatch };
        }
        trace.Add($"Selected integration response {response.IntegrationResponseKey} by '{subject}'");
        var reply = ResponseBody(call, message, response, output, trace);
        // A function error mapped by an integration response is still the integration failing, for the IntegrationError metric.
        var answerStatus = output.ErrorMessage is null ? output.Status : 500;
        return new WebSocketAnswer(answerStatus, reply, null, Failed: false);
    }

    /// <summary>What the backend answered: its status, body and headers, and the Lambda function's error message when it failed.</summary>
    private sealed record Output(int Status, byte[] Body, IReadOnlyList<KeyValuePair<string, string>> Headers, string? ErrorMessage);

    /// <summary>The request template's output, the message itself under the passthrough behavior, or null when the behavior refuses it.</summary>
    private static string? RequestBody(WebSocketCall call, JsonPayload message, List<string> trace)
    {
        var integration = call.Integration;
        var key = WebSocketSelection.TemplateKey(integration.TemplateSelectionExpression, variable => RequestVariable(variable, message));
        if (WebSocketSelection.SelectTemplate(integration.RequestTemplates, key) is { } template)
        {
            trace.Add($"Request template {template.Key} selected by '{key}'");
            return template.Value.Length == 0 ? message.Text : Render(template.Value, call, message);
        }
        var passes = integration.PassthroughBehavior switch
        {
            "NEVER" => false,
            "WHEN_NO_TEMPLATES" => integration.RequestTemplates is not { Count: > 0 },
            _ => true,
        };
        if (passes) trace.Add($"No request template for '{key}': the message passes through ({integration.PassthroughBehavior})");
        return passes ? message.Text : null;
    }

    private static string? RequestVariable(string variable, JsonPayload message) =>
        variable.StartsWith("request.body.", StringComparison.Ordinal) ? WebSocketSelection.BodyValue(message, variable["request.body.".Length..]) : null;

    /// <summary>The integration response's template, selected by its expression; without one the backend's body goes back as it is.</summary>
    private static byte[] ResponseBody(WebSocketCall call, JsonPayload message, WebSocketIntegrationResponse response, Output output, List<string> trace)
    {
        var key = WebSocketSelection.TemplateKey(response.TemplateSelectionExpression, variable => variable switch
        {
            "integration.response.statuscode" => output.Status.ToString(CultureInfo.InvariantCulture),
            _ when variable.StartsWith("integration.response.header.", StringComparison.Ordinal) =>
                Header(output.Headers, variable["integration.response.header.".Length..]) is { Count: > 0 } values ? values[^1] : null,
            _ when variable.StartsWith("integration.response.multivalueheader.", StringComparison.Ordinal) =>
                string.Join(',', Header(output.Headers, variable["integration.response.multivalueheader.".Length..])),
            _ => RequestVariable(variable, message),
        });
        var body = output.Body;
        if (WebSocketSelection.SelectTemplate(response.ResponseTemplates, key) is { Value.Length: > 0 } template)
        {
            trace.Add($"Response template {template.Key} selected by '{key}'");
            body = Encoding.UTF8.GetBytes(Render(template.Value, call, new JsonPayload(WebSocketSelection.Text(output.Body))));
        }
        return response.ContentHandlingStrategy switch
        {
            "CONVERT_TO_BINARY" => FromBase64(body),
            "CONVERT_TO_TEXT" => Encoding.UTF8.GetBytes(WebSocketSelection.Text(body)),
            _ => body,
        };
    }

    private static List<string> Header(IReadOnlyList<KeyValuePair<string, string>> headers, string name) =>
        [.. headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value)];

    /// <summary>A body CONVERT_TO_BINARY decodes; one that is not base64 is a configuration error, as REST APIs' conversion makes it.</summary>
    private static byte[] FromBase64(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body).Trim();
        var bytes = new byte[text.Length];
        return Convert.TryFromBase64String(text, bytes, out var written) ? bytes[..written] : throw new VtlException("CONVERT_TO_BINARY on a body that is not base64");
    }

    /// <summary>The message as the integration's ContentHandlingStrategy hands it on: CONVERT_TO_TEXT base64-encodes a binary message, CONVERT_TO_BINARY decodes a base64 text one.</summary>
    private static byte[] Converted(WebSocketCall call) => call.Integration.ContentHandlingStrategy switch
    {
        "CONVERT_TO_TEXT" when call.Binary => Encoding.UTF8.GetBytes(Convert.ToBase64String(call.Body)),
        "CONVERT_TO_BINARY" when !call.Binary => FromBase64(call.Body),
        _ => call.Body,
    };

    /// <summary>A template rendered with $input over the payload, $util, the event's $context and the stage's variables.</summary>
    private static string Render(string source, WebSocketCall call, JsonPayload payload) => WebSocketSelection.Compiled(source).Render(new Dictionary<string, object?>(StringComparer.Ordinal)
    {
        ["input"] = new InputVariable(payload, new Dictionary<string, string>(), call.QueryString, call.Headers),
        ["util"] = UtilVariable.Instance,
        ["context"] = call.Context(),
        ["stageVariables"] = call.Stage.Stage.StageVariables.ToDictionary(v => v.Key, v => (object?)v.Value, StringComparer.Ordinal),
    });

    /// <summary>AWS (non-proxy Lambda): the template's output is the event; a function error's errorMessage selects the integration response.</summary>
    private async Task<Output> InvokeAsync(WebSocketCall call, string payload, CancellationToken cancellation)
    {
        var stage = call.Stage;
        var sourceArn = $"arn:aws:execute-api:{stage.Region}:{stage.AccountId}:{stage.Api.ApiId}/{stage.Stage.StageName}/{call.Route.RouteKey}";
        var result = await lambda.InvokeAsync(new LambdaInvokeRequest(stage.AccountId, stage.Region, LambdaTarget.FunctionArn(call.Integration.IntegrationUri)!, null,
            Encoding.UTF8.GetBytes(payload), HttpApiIntegrations.ServicePrincipal, sourceArn), cancellation).WaitAsync(cancellation);
        var body = result.Payload.ToArray();
        return new Output(200, body, [], result.FunctionError is null ? null : ErrorMessage(body));
    }

    /// <summary>The errorMessage of a function error's payload (the whole payload when it has none), as AWS selects by it.</summary>
    private static string ErrorMessage(byte[] payload)
    {
        try
        {
            if (JsonNode.Parse(payload, documentOptions: ParseOptions) is JsonObject error && error["errorMessage"] is JsonValue message)
                return message.ToString();
        }
        catch (JsonException)
        {
            // Not JSON: the payload itself is the message.
        }
        return Encoding.UTF8.GetString(payload);
    }

    /// <summary>HTTP and HTTP_PROXY: the body to the URL with the integration's method and its mapped headers and query string.</summary>
    private async Task<(int Status, byte[] Body, List<KeyValuePair<string, string>> Headers)> SendAsync(WebSocketCall call, byte[] body, CancellationToken cancellation)
    {
        var integration = call.Integration;
        var headers = new List<KeyValuePair<string, string>>();
        var query = new List<string>();
        foreach (var (key, source) in integration.RequestParameters ?? [])
        {
            if (WebSocketParameterMapping.Target(key) is not { } target || MappedValue(source, call) is not { } value) continue;
            if (target.Location == "header") headers.Add(new(target.Name, value));
            else query.Add(Uri.EscapeDataString(target.Name) + "=" + Uri.EscapeDataString(value));
        }
        var uri = integration.IntegrationUri!;
        if (query.Count > 0) uri += (uri.Contains('?') ? "&" : "?") + string.Join('&', query);
        var content = new ByteArrayContent(body);
        using var request = new HttpRequestMessage(new HttpMethod(integration.IntegrationMethod ?? "POST"), uri) { Content = content };
        content.Headers.TryAddWithoutValidation("Content-Type", call.Binary && integration.ContentHandlingStrategy is null ? "application/octet-stream" : "application/json");
        foreach (var (name, value) in headers)
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                content.Headers.Remove(name);
                content.Headers.TryAddWithoutValidation(name, value);
            }
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellation);
        var answer = await response.Content.ReadAsByteArrayAsync(cancellation);
        var answerHeaders = response.Headers.Concat(response.Content.Headers).SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v))).ToList();
        return ((int)response.StatusCode, answer, answerHeaders);
    }

    /// <summary>A request parameter's source: 'static', route.request.header.x / querystring.x, route.request.body.x, context.x or stageVariables.x.</summary>
    private static string? MappedValue(string source, WebSocketCall call)
    {
        if (source.Length >= 2 && source[0] == '\'' && source[^1] == '\'') return source[1..^1];
        if (source.StartsWith("route.request.header.", StringComparison.Ordinal))
            return call.Headers.FirstOrDefault(h => string.Equals(h.Key, source["route.request.header.".Length..], StringComparison.OrdinalIgnoreCase)).Value;
        if (source.StartsWith("route.request.querystring.", StringComparison.Ordinal)) return call.QueryString.GetValueOrDefault(source["route.request.querystring.".Length..]);
        if (source.StartsWith("route.request.body.", StringComparison.Ordinal))
            return WebSocketSelection.BodyValue(new JsonPayload(WebSocketSelection.Text(call.Body)), source["route.request.body.".Length..]);
        if (source.StartsWith("stageVariables.", StringComparison.Ordinal)) return call.Stage.Stage.StageVariables.GetValueOrDefault(source["stageVariables.".Length..]);
        if (source.StartsWith("context.", StringComparison.Ordinal))
        {
            object? node = call.Context();
            foreach (var part in source["context.".Length..].Split('.')) node = node is Dictionary<string, object?> map ? map.GetValueOrDefault(part) : null;
            return node is null ? null : VtlValues.ToText(node);
        }
        return null;
    }
}
