using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// The HTTP side of an invoke URL, the same for REST APIs (ApiGatewayDataPlane) and HTTP APIs (ApiGatewayV2DataPlane):
/// reading the method request's body within API Gateway's payload limit, and writing the answer back.
/// </summary>
public static class InvokeHttp
{
    private const string ExecuteApiLabel = "execute-api.";

    /// <summary>
    /// The API id of an invoke URL's Host, <c>{api-id}.execute-api.{...}</c> (lowercased), or null for any other Host. Read from the
    /// raw Host without splitting it, since both data planes ask it of every request Stratus serves.
    /// </summary>
    public static string? ExecuteApiHostId(HttpRequest request)
    {
        var host = (request.Host.Value ?? "").AsSpan();
        var firstDot = host.IndexOf('.');
        if (firstDot <= 0 || !host[(firstDot + 1)..].StartsWith(ExecuteApiLabel, StringComparison.OrdinalIgnoreCase)) return null;
        return host[..firstDot].ToString().ToLowerInvariant();
    }

    /// <summary>API Gateway's payload limit, the same for REST and HTTP APIs: 10 MB.</summary>
    public const long MaxPayloadBytes = 10 * 1024 * 1024;

    /// <summary>The request's whole body, or null when it is larger than API Gateway accepts.</summary>
    public static async Task<byte[]?> ReadBodyAsync(HttpContext http)
    {
        var request = http.Request;
        if (request.ContentLength > MaxPayloadBytes) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxPayloadBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>Headers or query parameters as name/value pairs, one a value, in the order they came.</summary>
    public static List<KeyValuePair<string, string>> Pairs(IEnumerable<KeyValuePair<string, StringValues>> values) =>
        values.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? ""))).ToList();

    /// <summary>Writes an answer; a HEAD request gets its headers and length without the body.</summary>
    public static async Task WriteAsync(HttpContext http, int statusCode, IEnumerable<KeyValuePair<string, string>> headers, byte[] body)
    {
        http.Response.StatusCode = statusCode;
        foreach (var (name, value) in headers)
        {
            if (string.Equals(name, "Content-Type", StringComparison.OrdinalIgnoreCase)) http.Response.ContentType = value;
            else http.Response.Headers.Append(name, value);
        }
        http.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(http.Request.Method) && body.Length > 0) await http.Response.Body.WriteAsync(body, http.RequestAborted);
    }
}
