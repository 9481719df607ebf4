using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Stratus.Protocols.SigV4;
using Stratus.Services.ApiGateway.Engine;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>One client's open WebSocket connection to a stage of a WebSocket API.</summary>
public sealed class WebSocketConnection(WebSocket socket, ServedStage stage, string connectionId, DateTimeOffset connectedAt, string sourceIp,
    string userAgent, string domainName)
{
    private readonly SemaphoreSlim _sending = new(1, 1);
    private long _lastActiveAtTicks = connectedAt.UtcTicks;
    private int _closing;

    public WebSocket Socket { get; } = socket;
    public ServedStage Stage { get; } = stage;
    public string ConnectionId { get; } = connectionId;
    public DateTimeOffset ConnectedAt { get; } = connectedAt;
    public string SourceIp { get; } = sourceIp;
    public string UserAgent { get; } = userAgent;
    public string DomainName { get; } = domainName;
    public DateTimeOffset LastActiveAt => new(Interlocked.Read(ref _lastActiveAtTicks), TimeSpan.Zero);
    /// <summary>Why the server closed the connection (DeleteConnection, idle timeout, duration), for $disconnect's disconnectReason.</summary>
    public string? ServerCloseReason { get; private set; }

    public void Touch(DateTimeOffset now) => Interlocked.Exchange(ref _lastActiveAtTicks, now.UtcTicks);

    /// <summary>Sends one whole message; sends from the integration's answer and from PostToConnection never interleave their frames.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellation)
    {
        // AWS delivers text to the client; bytes that are not UTF-8 go as a binary message rather than as broken text.
        var type = IsUtf8(data.Span) ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
        await _sending.WaitAsync(cancellation);
        try
        {
            await Socket.SendAsync(data, type, endOfMessage: true, cancellation);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Starts the closing handshake from the server's side, once; the session ends when the client answers it.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) == 1) return;
        ServerCloseReason = reason;
        await _sending.WaitAsync();
        try
        {
            if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await Socket.CloseOutputAsync(status, reason, CancellationToken.None);
        }
        catch (WebSocketException)
        {
            // The client went away meanwhile: the session's receive loop ends on its own.
        }
        finally
        {
            _sending.Release();
        }
    }

    private static bool IsUtf8(ReadOnlySpan<byte> data) => System.Text.Unicode.Utf8.IsValid(data);
}

/// <summary>
/// The open connections of every WebSocket API, by connection id (unique across APIs, as AWS's are), and the management API
/// (apigatewaymanagementapi: PostToConnection, GetConnection, DeleteConnection) that reaches them.
/// </summary>
/// <param name="signers">Decides who may call the management API (a SigV4 signature; execute-api:ManageConnections under --auth enforce).</param>
public sealed class WebSocketConnections(TimeProvider clock, MethodRequestStage signers)
{
    /// <summary>Stratus's bound on one API's open connections, so a runaway client cannot hold every socket of the process.</summary>
    public const int MaxConnectionsPerApi = 1000;
    /// <summary>AWS's bound on a WebSocket message, which PostToConnection's data is too: 128 KB.</summary>
    public const int MaxMessageBytes = 128 * 1024;

    private readonly ConcurrentDictionary<string, WebSocketConnection> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _perApi = new(StringComparer.Ordinal);

    /// <summary>A new connection id: 16 characters of base64, the form AWS's take ("L0SM9cOFvHcCIhw=").</summary>
    public static string NewConnectionId() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(12))[..15] + "=";

    /// <summary>Reserves a place for one more connection to the API; false when the API is at its bound.</summary>
    public bool TryReserve(string apiId)
    {
        while (true)
        {
            var count = _perApi.GetOrAdd(apiId, 0);
            if (count >= MaxConnectionsPerApi) return false;
            if (_perApi.TryUpdate(apiId, count + 1, count)) return true;
        }
    }

    public void Release(string apiId) => _perApi.AddOrUpdate(apiId, 0, (_, count) => Math.Max(0, count - 1));

    public void Add(WebSocketConnection connection) => _byId[connection.ConnectionId] = connection;

    public void Remove(WebSocketConnection connection) => _byId.TryRemove(new KeyValuePair<string, WebSocketConnection>(connection.ConnectionId, connection));

    /// <summary>
    /// One management API call, <c>{method} .../@connections/{id}</c>. Reached at the stage's connection URL (path form
    /// <c>/_aws/execute-api/{api}/{stage}/@connections/{id}</c> or the host form), where the connection must belong to that API and
    /// stage, or at Stratus's own address (a function's AWS_ENDPOINT_URL), where the id alone names it.
    /// </summary>
    public async Task HandleAsync(HttpContext http, string connectionId, ServedStage? urlStage)
    {
        var connection = _byId.GetValueOrDefault(connectionId);
        if (connection is not null && urlStage is not null
            && (connection.Stage.Api.ApiId != urlStage.Api.ApiId || connection.Stage.Stage.StageName != urlStage.Stage.StageName))
            connection = null;
        // Authorized on the ARN of the stage the URL names, else of the connection's; at Stratus's own address with no such
        // connection, on an ARN that names neither (only a policy for every API allows it, and the answer is then Gone).
        var stage = urlStage ?? connection?.Stage;
        var region = stage?.Region ?? SigV4Credential.From(http.Request)?.Region ?? "*";
        var arn = $"arn:aws:execute-api:{region}:{stage?.AccountId ?? "*"}:{stage?.Api.ApiId ?? "*"}/{stage?.Stage.StageName ?? "*"}/{http.Request.Method}/@connections/{connectionId}";
        if (await signers.ManageConnectionsRefusalAsync(http, region, arn) is { } refusal)
        {
            await WriteAsync(http, refusal);
            return;
        }
        if (connection is null || connection.Socket.State != WebSocketState.Open)
        {
            await ErrorAsync(http, 410, "GoneException", null);
            return;
        }
        switch (http.Request.Method)
        {
            case "POST":
                await PostAsync(http, connection);
                break;
            case "GET":
                await WriteJsonAsync(http, 200, new JsonObject
                {
                    ["connectedAt"] = connection.ConnectedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"),
                    ["identity"] = new JsonObject { ["sourceIp"] = connection.SourceIp, ["userAgent"] = connection.UserAgent },
                    ["lastActiveAt"] = connection.LastActiveAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"),
                });
                break;
            case "DELETE":
                await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, "Connection deleted");
                http.Response.StatusCode = 204;
                break;
            default:
                await ErrorAsync(http, 405, "MethodNotAllowedException", $"The management API has no {http.Request.Method} on @connections.");
                break;
        }
    }

    private async Task PostAsync(HttpContext http, WebSocketConnection connection)
    {
        if (await ReadBoundedAsync(http.Request.Body, http.RequestAborted) is not { } data)
        {
            await ErrorAsync(http, 413, "PayloadTooLargeException", $"The data is larger than the {MaxMessageBytes / 1024} KB a WebSocket message may carry.");
            return;
        }
        try
        {
            await connection.SendAsync(data, http.RequestAborted);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            await ErrorAsync(http, 410, "GoneException", null);
            return;
        }
        connection.Touch(clock.GetUtcNow());
        http.Response.StatusCode = 200;
    }

    private static async Task<byte[]?> ReadBoundedAsync(Stream body, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellation)) > 0)
        {
            if (buffer.Length + read > MaxMessageBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>A rest-json error of the management API: the code in x-amzn-ErrorType, the message (if its shape has one) in the body.</summary>
    private static Task ErrorAsync(HttpContext http, int status, string code, string? message)
    {
        http.Response.Headers["x-amzn-ErrorType"] = code;
        return WriteJsonAsync(http, status, message is null ? new JsonObject() : new JsonObject { ["message"] = message });
    }

    private static async Task WriteAsync(HttpContext http, GatewayResponse response)
    {
        http.Response.StatusCode = response.StatusCode;
        foreach (var (name, value) in response.Headers) http.Response.Headers[name] = value;
        http.Response.ContentLength = response.Body.Length;
        await http.Response.Body.WriteAsync(response.Body, http.RequestAborted);
    }

    private static async Task WriteJsonAsync(HttpContext http, int status, JsonObject body)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = bytes.Length;
        await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
    }
}
