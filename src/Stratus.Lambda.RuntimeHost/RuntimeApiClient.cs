using System.Net;
using System.Text;
using System.Text.Json;

namespace Stratus.Lambda.RuntimeHost;

/// <summary>One event as the Runtime API hands it over.</summary>
public sealed record NextInvocation(string RequestId, long DeadlineUnixMs, string InvokedFunctionArn, string? TraceId, byte[] Payload);

/// <summary>
/// The Lambda Runtime API over one kept-alive connection: next event, response, error, init error. Calls are
/// synchronous on the loop's own thread: an idle environment then waits in one blocking read, and an event
/// wakes exactly that thread, with no hop through the thread pool (which matters when many environments
/// share few cores).
/// </summary>
public sealed class RuntimeApiClient
{
    private readonly HttpClient _http;

    public RuntimeApiClient(string runtimeApi)
    {
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AutomaticDecompression = DecompressionMethods.None, MaxConnectionsPerServer = 1 })
        {
            BaseAddress = new Uri($"http://{runtimeApi.TrimEnd('/')}/2018-06-01/runtime/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Stratus's extension for pre-started hosts: waits for the function this host is given, as its variables.</summary>
    public Dictionary<string, string> Assignment()
    {
        using var response = _http.Send(new HttpRequestMessage(HttpMethod.Get, "../stratus/assignment"));
        response.EnsureSuccessStatusCode();
        return JsonSerializer.Deserialize(response.Content.ReadAsStream(), ErrorDocumentJson.Default.DictionaryStringString)!;
    }

    public NextInvocation Next()
    {
        using var response = _http.Send(new HttpRequestMessage(HttpMethod.Get, "invocation/next"), HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        var headers = response.Headers;
        var payload = new byte[response.Content.Headers.ContentLength ?? 0];
        using (var body = response.Content.ReadAsStream()) body.ReadExactly(payload);
        return new NextInvocation(
            Header(headers, "Lambda-Runtime-Aws-Request-Id") ?? "",
            long.TryParse(Header(headers, "Lambda-Runtime-Deadline-Ms"), out var deadline) ? deadline : 0,
            Header(headers, "Lambda-Runtime-Invoked-Function-Arn") ?? "",
            Header(headers, "Lambda-Runtime-Trace-Id"),
            payload);
    }

    public void Respond(string requestId, Stream body)
    {
        using var content = new StreamContent(body);
        content.Headers.ContentType = new("application/json");
        using var response = _http.Send(new HttpRequestMessage(HttpMethod.Post, $"invocation/{requestId}/response") { Content = content });
    }

    public void Error(string requestId, Exception error) => PostError($"invocation/{requestId}/error", ErrorDocument.From(error));

    public void InitError(string errorType, string message) => PostError("init/error", new ErrorDocument(errorType, message, []));

    private void PostError(string path, ErrorDocument error)
    {
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(error, ErrorDocumentJson.Default.ErrorDocument));
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.TryAddWithoutValidation("Lambda-Runtime-Function-Error-Type", error.ErrorType);
        using var response = _http.Send(request);
    }

    private static string? Header(System.Net.Http.Headers.HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
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
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class ErrorDocumentJson : System.Text.Json.Serialization.JsonSerializerContext;
