using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Stratus.Protocols;
using Stratus.Protocols.Json;
using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.ApiGateway.Vtl;
using Stratus.Services.Lambda;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>
/// WebSocket APIs' data plane: the upgrade runs the $connect route (a non-2xx answer refuses it), each message goes to the route its
/// route selection expression names (else $default) and, on a two-way route, the integration's answer goes back; $disconnect runs
/// once the connection is gone. Lambda proxy events are built as AWS documents them for WebSocket APIs.
/// </summary>
public sealed class WebSocketSessions(ApiGatewayV2Service gateway, ILambdaInvoker lambda, WebSocketIntegrations integrations, WebSocketConnections connections, WebSocketAuthorization authorization,
    StageTelemetry telemetry, TimeProvider clock, ILogger logger)
{
    /// <summary>AWS closes a connection that has been idle for 10 minutes.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(10);
    /// <summary>AWS closes every connection after 2 hours.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(2);
    /// <summary>How often a connection's idle time and age are looked at; the timeouts fire at most this late.</summary>
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(15);

    public async Task ServeAsync(HttpContext http, ServedStage stage, string domainName)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            await MessageAsync(http, 426, "Upgrade Required");
            return;
        }
        if (!connections.TryReserve(stage.Api.ApiId))
        {
            await MessageAsync(http, 429, "Too Many Requests");
            return;
        }
        try
        {
            await ConnectAsync(http, stage, domainName);
        }
        finally
        {
            connections.Release(stage.Api.ApiId);
        }
    }

    private async Task ConnectAsync(HttpContext http, ServedStage stage, string domainName)
    {
        var request = http.Request;
        var connectionId = WebSocketConnections.NewConnectionId();
        var connectedAt = clock.GetUtcNow();
        var sourceIp = http.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1";
        var userAgent = request.Headers.UserAgent.ToString();
        var context = new EventContext(stage, connectionId, connectedAt, sourceIp, userAgent, domainName);
        string? subProtocol = null;
        if (RouteNamed(stage, WebSocketRules.Connect) is { } connect)
        {
            var record = new EventRecord("CONNECT", connect.RouteKey, Guid.NewGuid().ToString(), connectedAt);
            (context, subProtocol, var refusal) = await ConnectRouteAsync(http, context, connect, record);
            Record(context, record);
            if (refusal is not null)
            {
                await InvokeHttp.WriteAsync(http, refusal.StatusCode, refusal.Headers, refusal.Body);
                return;
            }
        }
        using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = subProtocol });
        var connection = new WebSocketConnection(socket, stage, connectionId, connectedAt, sourceIp, userAgent, domainName);
        connections.Add(connection);
        using var watch = new CancellationTokenSource();
        var watchdog = WatchAsync(connection, watch.Token);
        var (closeStatus, closeReason) = (1006, "Going away");
        try
        {
            (closeStatus, closeReason) = await ReceiveAsync(connection, context);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client vanished without a closing handshake: AWS reports 1006 to $disconnect.
        }
        finally
        {
            connections.Remove(connection);
            await watch.CancelAsync();
            await watchdog;
        }
        stage = Current(stage);
        if (RouteNamed(stage, WebSocketRules.Disconnect) is { } disconnect)
        {
            var record = new EventRecord("DISCONNECT", disconnect.RouteKey, Guid.NewGuid().ToString(), clock.GetUtcNow());
            var @event = Event(context, disconnect.RouteKey, "DISCONNECT", record.RequestId);
            var requestContext = @event["requestContext"]!.AsObject();
            requestContext["disconnectStatusCode"] = closeStatus;
            requestContext["disconnectReason"] = connection.ServerCloseReason ?? closeReason;
            // $disconnect is best effort on AWS too: the client is gone, so nothing waits for the answer.
            record.Answered(await InvokeAsync(stage, disconnect, @event, context, record, WebSocketMessage.None, CancellationToken.None));
            Record(context with { Stage = stage }, record);
        }
    }

    /// <summary>
    /// The $connect route: authorization first, as on AWS (the authorizer's event is made from the $connect event without an
    /// authorizer), then the required request parameters, then the integration, whose non-2xx answer refuses the upgrade.
    /// </summary>
    private async Task<(EventContext Context, string? SubProtocol, HttpApiResponse? Refusal)> ConnectRouteAsync(HttpContext http, EventContext context,
        HttpRoute connect, EventRecord record)
    {
        var request = http.Request;
        var stage = context.Stage;
        var @event = ConnectEvent(context, connect, request, record.RequestId);
        if (connect.AuthorizationType != "NONE" || connect.ApiKeyRequired)
        {
            var authorized = await authorization.AuthorizeAsync(http, stage, connect, @event, http.RequestAborted);
            if (authorized.Refusal is { } refusal) return (context, null, record.Refused(refusal, "the request was not authorized"));
            context = context with { Authorizer = authorized.Authorizer, Caller = authorized.Caller, ApiKey = authorized.ApiKey };
            @event = ConnectEvent(context, connect, request, record.RequestId);
        }
        if (MissingParameters(connect, request) is { Count: > 0 } missing)
        {
            var message = $"Missing required request parameters: [{string.Join(", ", missing)}]";
            return (context, null, record.Refused(HttpApiResponse.Message(400, message), message));
        }
        var upgrade = new WebSocketMessage([], false, request.Headers.ToDictionary(h => h.Key, h => h.Value.LastOrDefault() ?? "", StringComparer.OrdinalIgnoreCase),
            request.Query.ToDictionary(q => q.Key, q => q.Value.LastOrDefault() ?? "", StringComparer.Ordinal));
        var answer = await InvokeAsync(stage, connect, @event, context, record, upgrade, http.RequestAborted);
        record.Answered(answer);
        if (answer.StatusCode is >= 200 and < 300) return (context, answer.SubProtocol, null);
        // A status no HTTP answer can carry (a function's "statusCode": 42) is the integration failing.
        var status = answer.StatusCode is >= 300 and <= 599 ? answer.StatusCode : 500;
        record.Status = status;
        return (context, null, HttpApiResponse.Message(status, status >= 500 ? "Internal server error" : "Forbidden"));
    }

    /// <summary>Reads messages until the closing handshake; returns the close status and reason the client gave.</summary>
    private async Task<(int Status, string Reason)> ReceiveAsync(WebSocketConnection connection, EventContext context)
    {
        var socket = connection.Socket;
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    if (socket.State == WebSocketState.CloseReceived)
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    return ((int?)socket.CloseStatus ?? 1005, socket.CloseStatusDescription ?? "");
                }
                if (message.Length + received.Count > WebSocketConnections.MaxMessageBytes)
                {
                    // AWS's bound on a message (128 KB): the connection is closed with 1009, Message Too Big.
                    await connection.CloseAsync(WebSocketCloseStatus.MessageTooBig, "Message too big");
                    message.SetLength(0);
                    continue;
                }
                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage) continue;
                connection.Touch(clock.GetUtcNow());
                var body = message.ToArray();
                message.SetLength(0);
                if (connection.ServerCloseReason is null) await DispatchAsync(connection, context, body, received.MessageType == WebSocketMessageType.Binary);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>One message: its route (by the selection expression, else $default), the integration, and on a two-way route the answer.</summary>
    private async Task DispatchAsync(WebSocketConnection connection, EventContext context, byte[] body, bool binary)
    {
        var stage = Current(connection.Stage);
        var selected = WebSocketRules.SelectRouteKey(stage.Api.RouteSelectionExpression, body);
        var route = (selected is null ? null : RouteNamed(stage, selected)) ?? RouteNamed(stage, WebSocketRules.Default);
        var requestId = Guid.NewGuid().ToString();
        var messageId = WebSocketConnections.NewConnectionId();
        var record = new EventRecord("MESSAGE", route?.RouteKey ?? selected ?? WebSocketRules.Default, requestId, clock.GetUtcNow()) { MessageId = messageId };
        if (route is null || route.RouteKey is WebSocketRules.Connect or WebSocketRules.Disconnect)
        {
            // AWS answers a message no route takes with Forbidden, naming the connection and the request.
            record.Refused(HttpApiResponse.Forbidden(), "no route takes the message");
            await ReplyErrorAsync(connection, "Forbidden", requestId);
            record.Replies++;
            Record(context with { Stage = stage }, record);
            return;
        }
        if (FailsItsModel(stage, route, body))
        {
            // A message that breaks the route's request model never reaches the integration; AWS answers it with its message.
            record.Refused(HttpApiResponse.Message(400, "Invalid request body"), "the message does not satisfy the route's request model");
            await ReplyErrorAsync(connection, "Invalid request body", requestId);
            record.Replies++;
            Record(context with { Stage = stage }, record);
            return;
        }
        var @event = Event(context, route.RouteKey, "MESSAGE", requestId);
        @event["requestContext"]!["messageId"] = messageId;
        @event["body"] = binary ? Convert.ToBase64String(body) : Encoding.UTF8.GetString(body);
        @event["isBase64Encoded"] = binary;
        record.Body = @event["body"]!.GetValue<string>();
        var answer = await InvokeAsync(stage, route, @event, context, record, new WebSocketMessage(body, binary, Empty, Empty), CancellationToken.None);
        record.Answered(answer);
        if (answer.Failed)
        {
            record.Status = 500;
            await ReplyErrorAsync(connection, "Internal server error", requestId);
            record.Replies++;
        }
        else
        {
            var twoWay = stage.Definition.RouteResponses.GetValueOrDefault(route.RouteId)?.Values.Any(r => r.RouteResponseKey == WebSocketRules.Default) == true;
            if (twoWay && answer.Body is { Length: > 0 } reply)
            {
                await SendQuietlyAsync(connection, reply);
                record.Replies++;
            }
        }
        Record(context with { Stage = stage }, record);
    }

    /// <summary>
    /// Whether the message breaks the model the route's RequestModels name for it (by the value ModelSelectionExpression selects, else
    /// $default), checked by the JSON Schema engine REST APIs' request validators use; a message that is not JSON breaks any model.
    /// </summary>
    private static bool FailsItsModel(ServedStage stage, HttpRoute route, byte[] body)
    {
        if (route.RequestModels is not { Count: > 0 } models) return false;
        var selected = route.ModelSelectionExpression is { } expression ? WebSocketRules.SelectRouteKey(expression, body) : null;
        var name = (selected is null ? null : models.GetValueOrDefault(selected)) ?? models.GetValueOrDefault(WebSocketRules.Default);
        if (name is null || ApiGatewayV2Service.SchemaNamed(stage.Definition.Models, name) is not { } schema) return false;
        try
        {
            return body.Length == 0 || !ModelSchema.Accepts(schema, JsonBody.Parse(body), other => ApiGatewayV2Service.SchemaNamed(stage.Definition.Models, other));
        }
        catch (Exception e) when (e is JsonException or ArgumentException or System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            return true;
        }
    }

    private static Task ReplyErrorAsync(WebSocketConnection connection, string message, string requestId) =>
        SendQuietlyAsync(connection, Encoding.UTF8.GetBytes(new JsonObject
        {
            ["message"] = message,
            ["connectionId"] = connection.ConnectionId,
            ["requestId"] = requestId,
        }.ToJsonString()));

    private static async Task SendQuietlyAsync(WebSocketConnection connection, byte[] data)
    {
        try
        {
            await connection.SendAsync(data, CancellationToken.None);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The client closed meanwhile; its $disconnect follows.
        }
    }

    /// <summary>Closes the connection from the server's side once it has been idle 10 minutes or open 2 hours, as AWS does.</summary>
    private async Task WatchAsync(WebSocketConnection connection, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(WatchInterval, clock, stop);
                var now = clock.GetUtcNow();
                if (now - connection.ConnectedAt >= MaxDuration)
                {
                    await connection.CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "Going away");
                    return;
                }
                if (now - connection.LastActiveAt >= IdleTimeout)
                {
                    await connection.CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "Going away");
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The session ended first.
        }
    }

    /// <summary>What every event of one connection shares; what $connect's authorization established reaches every later route.</summary>
    private sealed record EventContext(ServedStage Stage, string ConnectionId, DateTimeOffset ConnectedAt, string SourceIp, string UserAgent, string DomainName)
    {
        public JsonObject? Authorizer { get; init; }
        public CallerIdentity? Caller { get; init; }
        public string? ApiKey { get; init; }
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    /// <summary>What an integration gets of the event besides its context: the message, and at $connect the upgrade's headers and query string.</summary>
    private sealed record WebSocketMessage(byte[] Body, bool Binary, IReadOnlyDictionary<string, string> Headers, IReadOnlyDictionary<string, string> QueryString)
    {
        public static readonly WebSocketMessage None = new([], false, Empty, Empty);
    }

    /// <summary>The $context variables WebSocket APIs document (the access log's, nested by their dots) with the authorizer's context, for mapping templates.</summary>
    private static Dictionary<string, object?> TemplateContext(EventContext context, EventRecord record)
    {
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["authorizer"] = context.Authorizer is { } authorizer ? JsonPath.ToVtl(authorizer) : new Dictionary<string, object?>(StringComparer.Ordinal),
        };
        foreach (var name in TemplateContextNames)
        {
            if (ContextValue("context." + name, context, record) is not { } value) continue;
            var parts = name.Split('.');
            var map = variables;
            foreach (var part in parts[..^1])
            {
                if (map.GetValueOrDefault(part) is not Dictionary<string, object?> inner) map[part] = inner = new Dictionary<string, object?>(StringComparer.Ordinal);
                map = inner;
            }
            map[parts[^1]] = value;
        }
        return variables;
    }

    private static readonly string[] TemplateContextNames =
    [
        "requestId", "extendedRequestId", "apiId", "stage", "routeKey", "eventType", "connectionId", "connectedAt", "messageId", "messageDirection",
        "domainName", "requestTime", "requestTimeEpoch", "identity.sourceIp", "identity.userAgent", "identity.accountId", "identity.accessKey",
        "identity.caller", "identity.user", "identity.userArn", "identity.apiKey",
    ];

    /// <summary>The $connect route's event: the common part with the upgrade request's headers and query string.</summary>
    private JsonObject ConnectEvent(EventContext context, HttpRoute connect, HttpRequest request, string requestId)
    {
        var @event = Event(context, connect.RouteKey, "CONNECT", requestId);
        @event["headers"] = Single(request.Headers);
        @event["multiValueHeaders"] = Multi(request.Headers);
        if (request.Query.Count > 0)
        {
            @event["queryStringParameters"] = Single(request.Query);
            @event["multiValueQueryStringParameters"] = Multi(request.Query);
        }
        return @event;
    }

    /// <summary>requestContext.identity: the source, and the AWS_IAM signer and the API key where $connect established them.</summary>
    private static JsonObject Identity(EventContext context)
    {
        var identity = new JsonObject { ["sourceIp"] = context.SourceIp, ["userAgent"] = context.UserAgent };
        if (context.Caller is { } caller)
        {
            identity["accountId"] = caller.AccountId;
            identity["accessKey"] = caller.AccessKey;
            identity["caller"] = caller.Caller;
            identity["user"] = caller.Caller;
            identity["userArn"] = caller.UserArn;
        }
        if (context.ApiKey is { } apiKey) identity["apiKey"] = apiKey;
        return identity;
    }

    /// <summary>A WebSocket Lambda proxy event's common part: requestContext as AWS fills it for CONNECT, MESSAGE and DISCONNECT.</summary>
    private JsonObject Event(EventContext context, string routeKey, string eventType, string? requestId)
    {
        var now = clock.GetUtcNow();
        requestId ??= Guid.NewGuid().ToString();
        var @event = new JsonObject
        {
            ["requestContext"] = new JsonObject
            {
                ["routeKey"] = routeKey,
                ["eventType"] = eventType,
                ["extendedRequestId"] = requestId,
                ["requestTime"] = now.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture),
                ["messageDirection"] = "IN",
                ["stage"] = context.Stage.Stage.StageName,
                ["connectedAt"] = context.ConnectedAt.ToUnixTimeMilliseconds(),
                ["requestTimeEpoch"] = now.ToUnixTimeMilliseconds(),
                ["identity"] = Identity(context),
                ["requestId"] = requestId,
                ["domainName"] = context.DomainName,
                ["connectionId"] = context.ConnectionId,
                ["apiId"] = context.Stage.Api.ApiId,
            },
            ["isBase64Encoded"] = false,
        };
        if (context.Authorizer is { } authorizer) @event["requestContext"]!["authorizer"] = authorizer.DeepClone();
        return @event;
    }

    /// <summary>
    /// Runs the route's integration: Lambda proxy here, the others through <see cref="WebSocketIntegrations"/>. The function answers
    /// <c>{statusCode, headers, body}</c> (an answer without statusCode counts as 200 with the whole answer as its body); an invocation
    /// error or a function error is a failure (500).
    /// </summary>
    private async Task<WebSocketAnswer> InvokeAsync(ServedStage stage, HttpRoute route, JsonObject @event, EventContext context, EventRecord record,
        WebSocketMessage message, CancellationToken cancellation)
    {
        var failed = new WebSocketAnswer(500, null, null, Failed: true);
        if (route.Target is not { } target || stage.Definition.Integrations.GetValueOrDefault(target["integrations/".Length..]) is not { } integration)
            return failed with { Unreachable = true, Error = "the route has no integration" };
        if (integration.IntegrationType != "AWS_PROXY")
            return await integrations.RunAsync(new WebSocketCall(stage, route, integration, message.Body, message.Binary, message.Headers, message.QueryString,
                () => TemplateContext(context with { Stage = stage }, record)), cancellation);
        var function = LambdaTarget.FunctionArn(integration.IntegrationUri)!;
        var trace = new List<string> { $"Integration {integration.IntegrationId}: AWS_PROXY {integration.IntegrationUri}" };
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(integration.TimeoutInMillis);
        LambdaInvokeResult result;
        try
        {
            var sourceArn = $"arn:aws:execute-api:{stage.Region}:{stage.AccountId}:{stage.Api.ApiId}/{stage.Stage.StageName}/{route.RouteKey}";
            result = await lambda.InvokeAsync(new LambdaInvokeRequest(stage.AccountId, stage.Region, function, null,
                Encoding.UTF8.GetBytes(@event.ToJsonString()), HttpApiIntegrations.ServicePrincipal, sourceArn), timeout.Token).WaitAsync(timeout.Token);
        }
        catch (Exception e) when (e is AwsException or OperationCanceledException)
        {
            logger.LogWarning("WebSocket API {ApiId} route {RouteKey}: the integration failed: {Error}", stage.Api.ApiId, route.RouteKey, e.Message);
            return failed with { Unreachable = true, Latency = watch.Elapsed, Error = e is AwsException ? e.Message : "the integration timed out", Trace = trace };
        }
        if (result.FunctionError is not null)
        {
            var error = Encoding.UTF8.GetString(result.Payload.Span);
            logger.LogWarning("WebSocket API {ApiId} route {RouteKey}: the function failed: {Error}", stage.Api.ApiId, route.RouteKey, error);
            return failed with { Latency = watch.Elapsed, Error = error, Trace = trace };
        }
        return Read(result.Payload.ToArray()) with { Latency = watch.Elapsed, Trace = trace };
    }

    private static WebSocketAnswer Read(byte[] payload)
    {
        JsonNode? node;
        try
        {
            node = payload.Length == 0 ? null : JsonNode.Parse(payload, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            return new WebSocketAnswer(200, payload, null, false);
        }
        if (node is JsonObject answer && answer["statusCode"] is JsonValue status)
        {
            var code = status.TryGetValue<int>(out var number) ? number : int.TryParse(status.ToString(), out var parsed) ? parsed : 500;
            var body = answer["body"] switch
            {
                null => null,
                JsonValue text when text.TryGetValue<string>(out var s) => answer["isBase64Encoded"] is JsonValue b && b.TryGetValue<bool>(out var base64) && base64
                    ? FromBase64(s) : Encoding.UTF8.GetBytes(s),
                var other => Encoding.UTF8.GetBytes(other.ToJsonString()),
            };
            var subProtocol = (answer["headers"] as JsonObject)?.FirstOrDefault(h => string.Equals(h.Key, "Sec-WebSocket-Protocol", StringComparison.OrdinalIgnoreCase)).Value?.ToString();
            return new WebSocketAnswer(code, body, subProtocol, false);
        }
        // A function answering null or a bare value: AWS passes it through as the message body, a success.
        return new WebSocketAnswer(200, node is null ? null : node is JsonValue v && v.TryGetValue<string>(out var bare) ? Encoding.UTF8.GetBytes(bare) : payload, null, false);
    }

    /// <summary>A body the function marked base64; one that is not base64 is sent as the text it is.</summary>
    private static byte[] FromBase64(string text)
    {
        var bytes = new byte[text.Length];
        return Convert.TryFromBase64String(text, bytes, out var written) ? bytes[..written] : Encoding.UTF8.GetBytes(text);
    }

    /// <summary>The stage's deployment now: a deployment made while a connection is open applies to its next message, as on AWS.</summary>
    private ServedStage Current(ServedStage stage) => gateway.FindServedStage(stage.Api.ApiId, stage.Stage.StageName) ?? stage;

    private static HttpRoute? RouteNamed(ServedStage stage, string routeKey) =>
        stage.Definition.Routes.Values.FirstOrDefault(r => r.RouteKey == routeKey);

    /// <summary>The $connect route's required request parameters the upgrade request lacks, named as the route names them.</summary>
    private static List<string> MissingParameters(HttpRoute route, HttpRequest request) =>
        [.. (route.RequestParameters ?? []).Where(p => p.Value.Required && WebSocketRules.RequestParameter(p.Key) is var (location, name) && (location == "header"
            ? !request.Headers.ContainsKey(name) : !request.Query.ContainsKey(name))).Select(p => p.Key)];

    private static JsonObject Single(IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> values) =>
        new(values.Select(v => new KeyValuePair<string, JsonNode?>(v.Key, v.Value.LastOrDefault() ?? "")));

    private static JsonObject Multi(IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> values) =>
        new(values.Select(v => new KeyValuePair<string, JsonNode?>(v.Key, new JsonArray([.. v.Value.Select(s => (JsonNode?)s)]))));

    private static async Task MessageAsync(HttpContext http, int status, string message)
    {
        var bytes = Encoding.UTF8.GetBytes(new JsonObject { ["message"] = message }.ToJsonString());
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = bytes.Length;
        await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
    }

    /// <summary>One event's way through the stage (a connect, a message or a disconnect), for its metrics, access log line and execution log.</summary>
    private sealed class EventRecord(string eventType, string routeKey, string requestId, DateTimeOffset start)
    {
        public string EventType => eventType;
        public string RouteKey => routeKey;
        public string RequestId => requestId;
        public DateTimeOffset Start => start;
        public string? MessageId { get; init; }
        /// <summary>The message's body, for a data trace.</summary>
        public string? Body { get; set; }
        public int Status { get; set; } = 200;
        /// <summary>API Gateway refused the event before the integration ran (ClientError).</summary>
        public bool RefusedEarly { get; private set; }
        public string? Error { get; private set; }
        public WebSocketAnswer? Integration { get; private set; }
        /// <summary>Messages sent back to the client for this event, which AWS's MessageCount counts too.</summary>
        public int Replies { get; set; }

        public HttpApiResponse Refused(HttpApiResponse refusal, string error)
        {
            (Status, RefusedEarly, Error) = (refusal.StatusCode, true, error);
            return refusal;
        }

        public void Answered(WebSocketAnswer answer)
        {
            Integration = answer;
            Error ??= answer.Error;
            if (answer.Failed) Status = 500;
        }
    }

    /// <summary>
    /// The event's CloudWatch metrics (AWS/ApiGateway, per ApiId and Stage: ConnectCount, MessageCount, ClientError, IntegrationError,
    /// ExecutionError, IntegrationLatency, as AWS documents them for WebSocket APIs), its access log line and, by the route's LoggingLevel
    /// (INFO: every event; ERROR: failed ones), its execution log, with the message and the integration's answer under DataTraceEnabled.
    /// </summary>
    private void Record(EventContext context, EventRecord record)
    {
        var stage = context.Stage;
        var now = clock.GetUtcNow();
        var answer = record.Integration;
        void Publish(string name, double value, string unit) => telemetry.Publish(stage, record.RouteKey, name, value, unit, now);
        if (record.EventType == "CONNECT") Publish("ConnectCount", 1, "Count");
        if (record.EventType == "MESSAGE") Publish("MessageCount", 1 + record.Replies, "Count");
        Publish("ClientError", record.RefusedEarly && record.Status is >= 400 and < 500 ? 1 : 0, "Count");
        Publish("IntegrationError", answer is { Unreachable: false } && (answer.Failed || answer.StatusCode >= 400) ? 1 : 0, "Count");
        Publish("ExecutionError", answer?.Unreachable == true ? 1 : 0, "Count");
        if (answer?.Latency is { } latency) Publish("IntegrationLatency", latency.TotalMilliseconds, "Milliseconds");
        telemetry.WriteAccessLog(stage, now, variable => ContextValue(variable, context, record));

        var settings = stage.RouteSettingsOf(record.RouteKey);
        var failed = record.Status >= 400;
        if (settings.LoggingLevel == "INFO" || settings.LoggingLevel == "ERROR" && failed)
            telemetry.WriteExecutionLog(stage, record.RequestId, now, ExecutionLog(context, record, settings.DataTraceEnabled == true));
    }

    /// <summary>An event's execution log lines, each prefixed with its request id as AWS prefixes them (the wording is Stratus's).</summary>
    private static List<string> ExecutionLog(EventContext context, EventRecord record, bool dataTrace)
    {
        var prefix = $"({record.RequestId})";
        var lines = new List<string> { $"{prefix} Received {record.EventType} event on route {record.RouteKey} for connection {context.ConnectionId}" };
        if (dataTrace && record.Body is { } body) lines.Add($"{prefix} Message body: {body}");
        lines.AddRange((record.Integration?.Trace ?? []).Select(step => $"{prefix} {step}"));
        if (record.Integration is { Latency: { } latency } answer)
        {
            lines.Add($"{prefix} Integration answered {answer.StatusCode} in {(long)latency.TotalMilliseconds} ms");
            if (dataTrace && answer.Body is { } reply) lines.Add($"{prefix} Integration response body: {Encoding.UTF8.GetString(reply)}");
        }
        if (record.Error is { } error) lines.Add($"{prefix} Execution failed: {error}");
        lines.Add($"{prefix} Completed with status {record.Status}");
        return lines;
    }

    /// <summary>A WebSocket $context variable (without the '$') for the access log, or null when it has none.</summary>
    private static string? ContextValue(string variable, EventContext context, EventRecord record)
    {
        var name = variable["context.".Length..];
        if (name.StartsWith("authorizer.", StringComparison.Ordinal)) return context.Authorizer?[name["authorizer.".Length..]]?.ToString();
        var answer = record.Integration;
        return name switch
        {
            "requestId" or "extendedRequestId" => record.RequestId,
            "apiId" => context.Stage.Api.ApiId,
            "stage" => context.Stage.Stage.StageName,
            "routeKey" => record.RouteKey,
            "eventType" => record.EventType,
            "connectionId" => context.ConnectionId,
            "connectedAt" => context.ConnectedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            "messageId" => record.MessageId,
            "messageDirection" => "IN",
            "domainName" => context.DomainName,
            "requestTime" => record.Start.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture),
            "requestTimeEpoch" => record.Start.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            "status" => record.Status.ToString(CultureInfo.InvariantCulture),
            "error.message" or "error.messageString" => record.Error,
            "identity.sourceIp" => context.SourceIp,
            "identity.userAgent" => context.UserAgent,
            "identity.accountId" => context.Caller?.AccountId,
            "identity.accessKey" => context.Caller?.AccessKey,
            "identity.caller" or "identity.user" => context.Caller?.Caller,
            "identity.userArn" => context.Caller?.UserArn,
            "identity.apiKey" => context.ApiKey,
            "integrationLatency" or "integration.latency" => answer?.Latency is { } latency ? ((long)latency.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) : null,
            "integration.status" or "integrationStatus" => answer is { Latency: not null } ? answer.StatusCode.ToString(CultureInfo.InvariantCulture) : null,
            "integration.error" or "integrationErrorMessage" => answer?.Error,
            _ => null,
        };
    }
}
