using System.Text.Json.Nodes;

namespace Stratus.Protocols;

/// <summary>
/// What an operation answers, independent of protocol: a JSON-shaped body (rendered as XML, JSON or
/// CBOR by the protocol), or raw bytes for the few operations whose payload is opaque (Lambda Invoke).
/// </summary>
public sealed class OperationResult
{
    public int StatusCode { get; init; } = 200;
    public JsonObject? Body { get; init; }
    public ReadOnlyMemory<byte>? RawBody { get; init; }
    public string? RawContentType { get; init; }
    /// <summary>A payload too large to hold in memory, a window of a file (an S3 object): the protocol sends it from the file and disposes it.</summary>
    public FileRange? FileBody { get; init; }
    /// <summary>A payload the operation writes as it is produced (Lambda's InvokeWithResponseStream events), flushing as it goes.</summary>
    public Func<Stream, CancellationToken, Task>? StreamedBody { get; init; }
    public List<KeyValuePair<string, string>> Headers { get; } = [];

    public static implicit operator OperationResult(JsonObject body) => new() { Body = body };

    public static OperationResult Empty(int statusCode = 200) => new() { StatusCode = statusCode };
}
