using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// The Lambda Runtime API (2018-06-01), one loopback listener per execution environment: each environment's
/// AWS_LAMBDA_RUNTIME_API is a plain "127.0.0.1:PORT" as AWS's is (strict clients such as Rust's lambda_runtime
/// parse it as an authority), and the port says which environment a request is for. One Kestrel serves them all
/// (<see cref="EnvironmentListeners"/> feeds it every environment's connections), and it accepts a connection
/// only from a process of the environment the port belongs to, so a function that finds another environment's
/// port (the host network's socket table shows them) cannot take its events. Runtime traffic never passes the
/// public endpoint's SigV4 router.
/// </summary>
public sealed class RuntimeApiServer : IAsyncDisposable
{
    public const int MaxResponseBytes = 6 * 1024 * 1024;
    private const string ApiVersion = "2018-06-01";
    private readonly ConcurrentDictionary<int, ExecutionEnvironment> _environments = new();
    private readonly WebApplication _app;
    private readonly EnvironmentListeners _listeners;

    private RuntimeApiServer(WebApplication app, EnvironmentListeners listeners)
    {
        _app = app;
        _listeners = listeners;
    }

    public static async Task<RuntimeApiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var listeners = new EnvironmentListeners();
        builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IConnectionListenerFactory>(listeners);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxResponseBytes * 2L;
            kestrel.Listen(EnvironmentListeners.EndPoint);
        });
        var app = builder.Build();
        RuntimeApiServer? server = null;
        app.Run(http => server!.HandleAsync(http));
        server = new RuntimeApiServer(app, listeners);
        await app.StartAsync();
        return server;
    }

    /// <summary>Opens the environment's own listener; its address is the environment's AWS_LAMBDA_RUNTIME_API.</summary>
    public async Task<string> RegisterAsync(ExecutionEnvironment environment)
    {
        var port = await _listeners.OpenAsync(environment);
        _environments[port] = environment;
        environment.RuntimeApiPort = port;
        return $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
    }

    public void Unregister(ExecutionEnvironment environment)
    {
        if (environment.RuntimeApiPort is not { } port) return;
        _environments.TryRemove(port, out _);
        _listeners.Close(port);
    }

    /// <summary>Every live environment, busy or idle.</summary>
    public IEnumerable<ExecutionEnvironment> Environments => _environments.Values;

    private async Task HandleAsync(HttpContext http)
    {
        // /2018-06-01/runtime/invocation/next | /invocation/{id}/response | /invocation/{id}/error | /init/error
        var segments = (http.Request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (!_environments.TryGetValue(http.Connection.LocalPort, out var environment))
        {
            await WriteErrorAsync(http, 404, "UnknownEnvironment", "No execution environment answers at this address.");
            return;
        }
        if (segments is [ApiVersion, "stratus", "assignment"])
        {
            await AssignmentAsync(http, environment);
            return;
        }
        if (segments.Length < 3 || segments[0] != ApiVersion || segments[1] != "runtime")
        {
            await WriteErrorAsync(http, 404, "InvalidRequest", $"{http.Request.Method} {http.Request.Path} is not a Runtime API operation.");
            return;
        }
        var isPost = HttpMethods.IsPost(http.Request.Method);
        switch (segments.Length)
        {
            case 4 when segments[2] == "invocation" && segments[3] == "next" && HttpMethods.IsGet(http.Request.Method):
                await NextAsync(http, environment);
                break;
            case 5 when segments[2] == "invocation" && segments[4] == "response" && isPost:
                await ResponseAsync(http, environment, segments[3]);
                break;
            case 5 when segments[2] == "invocation" && segments[4] == "error" && isPost:
                await ErrorAsync(http, environment, segments[3]);
                break;
            case 4 when segments[2] == "init" && segments[3] == "error" && isPost:
                environment.FailInit(await ReadErrorAsync(http));
                await AcceptedAsync(http);
                break;
            default:
                await WriteErrorAsync(http, 404, "InvalidRequest", $"{http.Request.Method} {http.Request.Path} is not a Runtime API operation.");
                break;
        }
    }

    private static async Task NextAsync(HttpContext http, ExecutionEnvironment environment)
    {
        Invocation invocation;
        try
        {
            invocation = await environment.NextAsync(http.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or System.Threading.Channels.ChannelClosedException)
        {
            // The runtime went away, or the environment was retired while it waited.
            return;
        }
        var headers = http.Response.Headers;
        headers["Lambda-Runtime-Aws-Request-Id"] = invocation.RequestId;
        headers["Lambda-Runtime-Deadline-Ms"] = invocation.DeadlineUnixMs.ToString(CultureInfo.InvariantCulture);
        headers["Lambda-Runtime-Invoked-Function-Arn"] = invocation.InvokedFunctionArn;
        headers["Lambda-Runtime-Trace-Id"] = invocation.TraceHeader;
        if (invocation.ClientContext is { } context) headers["Lambda-Runtime-Client-Context"] = context;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = invocation.Payload.Length;
        await http.Response.Body.WriteAsync(invocation.Payload, http.RequestAborted);
    }

    /// <summary>
    /// Stratus's own extension for pre-started hosts: the variables of the function they are given, once they
    /// are, as NAME=VALUE entries each ended by a NUL byte (the form of a process environment, which a host
    /// reads without loading a JSON parser on its cold path).
    /// </summary>
    private static async Task AssignmentAsync(HttpContext http, ExecutionEnvironment environment)
    {
        IReadOnlyDictionary<string, string> variables;
        try
        {
            variables = await environment.Assignment.WaitAsync(http.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        var body = new StringBuilder();
        foreach (var (name, value) in variables) body.Append(name).Append('=').Append(value.Replace('\0', ' ')).Append('\0');
        var bytes = Encoding.UTF8.GetBytes(body.ToString());
        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = bytes.Length;
        await http.Response.Body.WriteAsync(bytes);
    }

    private static async Task ResponseAsync(HttpContext http, ExecutionEnvironment environment, string requestId)
    {
        if (string.Equals(http.Request.Headers["Lambda-Runtime-Function-Response-Mode"].ToString(), "streaming", StringComparison.OrdinalIgnoreCase)
            && environment.Running(requestId) is { Stream: { } stream } invocation)
        {
            await StreamResponseAsync(http, invocation, stream);
            return;
        }
        // A streamed response to a caller that takes it whole (Invoke) is buffered, its error trailers read at the end.
        var body = await ReadBodyAsync(http, MaxResponseBytes);
        var outcome = body is null
            ? InvocationOutcome.Failure("Function.ResponseSizeTooLarge", $"Response payload size exceeded maximum allowed payload size ({MaxResponseBytes} bytes).")
            : TrailerError(http) ?? InvocationOutcome.Success(body);
        if (!environment.Complete(requestId, outcome))
        {
            await WriteErrorAsync(http, 400, "InvalidRequestID", $"Invalid request ID: {requestId}");
            return;
        }
        if (body is null)
        {
            await WriteErrorAsync(http, 413, "RequestEntityTooLarge", $"Response payload size exceeded maximum allowed payload size ({MaxResponseBytes} bytes).");
            return;
        }
        await AcceptedAsync(http);
    }

    /// <summary>
    /// A response in the streaming mode: each chunk of the runtime's chunked body is relayed as it arrives; an error
    /// the function meets mid-stream comes in the Lambda-Runtime-Function-Error-Type/-Body trailers, as AWS reads them.
    /// </summary>
    private static async Task StreamResponseAsync(HttpContext http, Invocation invocation, ResponseStream stream)
    {
        stream.Open(http.Request.ContentType);
        InvocationOutcome outcome;
        try
        {
            long total = 0;
            var buffer = new byte[16 * 1024];
            int read;
            var tooLarge = false;
            while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
            {
                total += read;
                if (total > ResponseStream.MaxBytes)
                {
                    tooLarge = true;
                    continue;
                }
                stream.Write(buffer.AsSpan(0, read).ToArray());
            }
            outcome = tooLarge
                ? InvocationOutcome.Failure("Function.ResponseSizeTooLarge", $"Response payload size exceeded maximum allowed payload size ({ResponseStream.MaxBytes} bytes).")
                : TrailerError(http) ?? InvocationOutcome.Success(ReadOnlyMemory<byte>.Empty);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The runtime went away mid-stream: the caller has what arrived, the invocation fails as AWS reports it.
            outcome = InvocationOutcome.Failure("Runtime.StreamInterrupted", "The runtime closed its streaming response before it ended.");
        }
        finally
        {
            stream.Close();
        }
        invocation.Complete(outcome);
        if (!http.RequestAborted.IsCancellationRequested) await AcceptedAsync(http);
    }

    private static InvocationOutcome? TrailerError(HttpContext http)
    {
        if (!http.Request.SupportsTrailers() || !http.Request.CheckTrailersAvailable()) return null;
        var type = http.Request.GetTrailer("Lambda-Runtime-Function-Error-Type").ToString();
        if (type.Length == 0) return null;
        // The body is the base64 of the error document the runtime would have posted to /error.
        var body = http.Request.GetTrailer("Lambda-Runtime-Function-Error-Body").ToString();
        byte[] document;
        try
        {
            document = Convert.FromBase64String(body);
        }
        catch (FormatException)
        {
            return InvocationOutcome.Failure(type, body);
        }
        try
        {
            using var parsed = JsonDocument.Parse(document);
            if (parsed.RootElement.ValueKind == JsonValueKind.Object) return new InvocationOutcome(document, "Unhandled");
        }
        catch (JsonException)
        {
        }
        return InvocationOutcome.Failure(type, Encoding.UTF8.GetString(document));
    }

    private static async Task ErrorAsync(HttpContext http, ExecutionEnvironment environment, string requestId)
    {
        if (!environment.Complete(requestId, await ReadErrorAsync(http)))
        {
            await WriteErrorAsync(http, 400, "InvalidRequestID", $"Invalid request ID: {requestId}");
            return;
        }
        await AcceptedAsync(http);
    }

    /// <summary>The error document as the runtime sent it when it is JSON, else one built from the error-type header.</summary>
    private static async Task<InvocationOutcome> ReadErrorAsync(HttpContext http)
    {
        var body = await ReadBodyAsync(http, MaxResponseBytes) ?? [];
        var errorType = http.Request.Headers["Lambda-Runtime-Function-Error-Type"].ToString();
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object) return new InvocationOutcome(body, "Unhandled");
        }
        catch (JsonException)
        {
        }
        return InvocationOutcome.Failure(errorType.Length > 0 ? errorType : "Runtime.Unknown", Encoding.UTF8.GetString(body));
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpContext http, int limit)
    {
        if (http.Request.ContentLength is { } length)
        {
            if (length > limit) return null;
            var exact = new byte[length];
            await http.Request.Body.ReadExactlyAsync(exact, http.RequestAborted);
            return exact;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static Task AcceptedAsync(HttpContext http)
    {
        http.Response.StatusCode = 202;
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync("{\"status\":\"OK\"}");
    }

    private static Task WriteErrorAsync(HttpContext http, int status, string type, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string> { ["errorType"] = type, ["errorMessage"] = message }));
    }

    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
        await _listeners.DisposeAsync();
    }
}
