using System.Text;
using System.Text.Json;

namespace Stratus.Lambda.RuntimeHost;

/// <summary>One event as the Runtime API hands it over.</summary>
public sealed record NextInvocation(string RequestId, long DeadlineUnixMs, string InvokedFunctionArn, string? TraceId, byte[] Payload);

/// <summary>
/// The Lambda Runtime API over one kept-alive connection: next event, response, error, init error. Calls are
/// synchronous on the loop's own thread, over a plain socket: an idle environment waits in one blocking read,
/// an event wakes exactly that thread, and an invoke runs little code. That matters when many environments
/// share few cores, each one's code and data evicted from the CPU's caches by the others between its events.
/// </summary>
public sealed class RuntimeApiClient
{
    private const string Base = "/2018-06-01/";
    private readonly RuntimeHttpConnection _connection;

    /// <param name="runtimeApi">host:port, as AWS_LAMBDA_RUNTIME_API gives it.</param>
    public RuntimeApiClient(string runtimeApi) => _connection = new RuntimeHttpConnection(runtimeApi);

    /// <summary>Stratus's extension for pre-started hosts: waits for the function this host is given, as its variables (NAME=VALUE, each ended by NUL).</summary>
    public List<(string Name, string Value)> Assignment()
    {
        var response = _connection.Send("GET", Base + "stratus/assignment", null, []);
        response.EnsureSuccess();
        return Encoding.UTF8.GetString(response.Body).Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(entry => entry.IndexOf('=') > 0)
            .Select(entry => (entry[..entry.IndexOf('=')], entry[(entry.IndexOf('=') + 1)..]))
            .ToList();
    }

    public NextInvocation Next()
    {
        var response = _connection.Send("GET", Base + "runtime/invocation/next", null, []);
        response.EnsureSuccess();
        return new NextInvocation(
            response.Header("Lambda-Runtime-Aws-Request-Id") ?? "",
            long.TryParse(response.Header("Lambda-Runtime-Deadline-Ms"), out var deadline) ? deadline : 0,
            response.Header("Lambda-Runtime-Invoked-Function-Arn") ?? "",
            response.Header("Lambda-Runtime-Trace-Id"),
            response.Body);
    }

    public void Respond(string requestId, Stream body)
    {
        ArraySegment<byte> bytes;
        if (body is MemoryStream memory && memory.TryGetBuffer(out var buffer))
            bytes = buffer[(int)memory.Position..];
        else
        {
            using var copy = new MemoryStream();
            body.CopyTo(copy);
            bytes = copy.ToArray();
        }
        _connection.Send("POST", $"{Base}runtime/invocation/{requestId}/response", bytes, []);
    }

    public void Error(string requestId, Exception error) => PostError($"runtime/invocation/{requestId}/error", ErrorDocument.From(error));

    public void InitError(string errorType, string message) => PostError("runtime/init/error", new ErrorDocument(errorType, message, []));

    private void PostError(string path, ErrorDocument error) =>
        _connection.Send("POST", Base + path, JsonSerializer.SerializeToUtf8Bytes(error, ErrorDocumentJson.Default.ErrorDocument),
            [("Lambda-Runtime-Function-Error-Type", error.ErrorType)]);
}

/// <summary>An error as AWS's .NET runtime reports it.</summary>
public sealed record ErrorDocument(
    [property: System.Text.Json.Serialization.JsonPropertyName("errorType")] string ErrorType,
    [property: System.Text.Json.Serialization.JsonPropertyName("errorMessage")] string ErrorMessage,
    [property: System.Text.Json.Serialization.JsonPropertyName("stackTrace")] string[] StackTrace)
{
    public static ErrorDocument From(Exception error)
    {
        var trace = (error.StackTrace ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r').Trim()).ToArray();
        return new ErrorDocument(error.GetType().Name, error.Message, trace);
    }

    public override string ToString() => Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(this, ErrorDocumentJson.Default.ErrorDocument));
}

[System.Text.Json.Serialization.JsonSerializable(typeof(ErrorDocument))]
internal sealed partial class ErrorDocumentJson : System.Text.Json.Serialization.JsonSerializerContext;
