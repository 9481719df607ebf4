using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Stratus.Protocols;

/// <summary>
/// One AWS service as it appears on the wire: its operations and the protocols that carry them
/// (CloudWatch speaks three). Error handling shared by every protocol lives here once.
/// </summary>
public sealed class ServiceEndpoint
{
    public ServiceEndpoint(string signingName, OperationTable operations, params WireProtocol[] protocols)
    {
        if (protocols.Length == 0) throw new ArgumentException("A service needs at least one protocol.", nameof(protocols));
        SigningName = signingName;
        Operations = operations;
        Protocols = protocols;
    }

    /// <summary>The SigV4 credential scope's service name, e.g. "iam", "monitoring".</summary>
    public string SigningName { get; }
    public OperationTable Operations { get; }
    public IReadOnlyList<WireProtocol> Protocols { get; }
    public ValidationStyle Validation { get; init; } = ValidationStyle.Smithy;
    /// <summary>The service's member constraints (its &lt;S&gt;Rules), checked before an operation runs as AWS checks them; none when null.</summary>
    public MemberRules? Rules { get; init; }
    /// <summary>The largest body this service takes as sent (its AWS limit where AWS states one), refused from Content-Length or as it streams.</summary>
    public long MaxBodyBytes { get; init; } = 10 * 1024 * 1024;
    /// <summary>What a gzip body (CloudWatch PutMetricData) may expand to: a few KB of gzip can hold gigabytes of zeros.</summary>
    public long MaxDecompressedBytes { get; init; } = 10 * 1024 * 1024;
    public ILogger Logger { get; init; } = NullLogger.Instance;
    /// <summary>Operations AWS serves without a signature (STS's AssumeRoleWithWebIdentity: the token is the proof), which --auth verify and enforce let through unsigned.</summary>
    public IReadOnlySet<string> UnsignedOperations { get; init; } = new HashSet<string>();
    /// <summary>
    /// The service authorizes each operation itself under --auth enforce (S3: the bucket's and object's ARNs, S3's own action
    /// names and the bucket policy decide), so the central check of service:Operation on "*" is not made for it.
    /// </summary>
    public bool AuthorizesOwnOperations { get; init; }

    public async Task HandleAsync(HttpContext http, CallContext call)
    {
        var protocol = Protocols.FirstOrDefault(p => p.Accepts(http.Request)) ?? Protocols[0];
        try
        {
            await protocol.HandleAsync(this, http, call);
        }
        catch (AwsException error)
        {
            await WriteErrorIfPossibleAsync(protocol, http, call, error);
        }
        catch (Exception unexpected) when (!http.RequestAborted.IsCancellationRequested)
        {
            Logger.LogError(unexpected, "{Service} request {RequestId} failed", SigningName, call.RequestId);
            await WriteErrorIfPossibleAsync(protocol, http, call, new AwsException("InternalFailure",
                $"The request processing has failed because of an unknown error (request {call.RequestId}).", 500));
        }
    }

    /// <summary>Refuses a request before any operation runs (a failed signature check), in the request's protocol.</summary>
    public Task RejectAsync(HttpContext http, CallContext call, AwsException error) =>
        WriteErrorIfPossibleAsync(Protocols.FirstOrDefault(p => p.Accepts(http.Request)) ?? Protocols[0], http, call, error);

    public OperationHandler FindOperation(string name) =>
        Checked(name, Operations.Find(name) ?? throw new AwsException("UnknownOperationException",
            $"The operation {name} is not supported by Stratus's {SigningName} service."));

    /// <summary>The operation behind the caller's authorization (under --auth enforce) and the service's member rules,
    /// for a protocol that finds (and refuses) operations in its own words.</summary>
    public OperationHandler Checked(string name, OperationHandler handler) => input =>
    {
        input.Call.Attempted?.Invoke(name, input);
        if (!AuthorizesOwnOperations) input.Call.Authorize?.Invoke(name, input);
        Rules?.Check(name, input.Body, input.Style);
        return handler(input);
    };

    public OperationInput Input(System.Text.Json.Nodes.JsonObject body, CallContext call, ReadOnlyMemory<byte> raw = default) =>
        new(body, call, Validation) { RawBody = raw };

    /// <summary>Reads the whole body, refusing more than this service accepts before buffering it.</summary>
    public async Task<byte[]> ReadBodyAsync(HttpContext http)
    {
        var request = http.Request;
        if (request.ContentLength > MaxBodyBytes) throw TooLarge(MaxBodyBytes);
        byte[] body;
        try
        {
            body = request.ContentLength is { } length
                ? await ReadExactlyAsync(request.Body, (int)length, http.RequestAborted)
                : await ReadBoundedAsync(request.Body, MaxBodyBytes, http.RequestAborted);
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException && !http.RequestAborted.IsCancellationRequested)
        {
            throw e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } ? TooLarge(MaxBodyBytes) : Unreadable(e);
        }
        if (!IsGzip(request)) return body;
        try
        {
            await using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(body), System.IO.Compression.CompressionMode.Decompress);
            return await ReadBoundedAsync(gzip, MaxDecompressedBytes, http.RequestAborted);
        }
        catch (InvalidDataException)
        {
            throw new AwsException("SerializationException", "The request body says Content-Encoding: gzip but is not valid gzip.");
        }
    }

    /// <summary>SDKs gzip large bodies of operations the model marks for request compression (CloudWatch PutMetricData).</summary>
    private static bool IsGzip(HttpRequest request) =>
        request.Headers.ContentEncoding.Any(v => v is not null && v.Split(',').Any(e => e.Trim().Equals("gzip", StringComparison.OrdinalIgnoreCase)));

    /// <summary>A body of declared length, read straight into one array of that size (the invoke path's common case).</summary>
    private static async Task<byte[]> ReadExactlyAsync(Stream source, int length, CancellationToken cancellation)
    {
        var body = new byte[length];
        try
        {
            await source.ReadExactlyAsync(body, cancellation);
        }
        catch (EndOfStreamException)
        {
            throw new AwsException("IncompleteBody", "The request body ended before its Content-Length.");
        }
        return body;
    }

    /// <summary>A body of unknown length (chunked, or decompressed), refused as soon as it passes the limit.</summary>
    private async Task<byte[]> ReadBoundedAsync(Stream source, long limit, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await source.ReadAsync(chunk, cancellation)) > 0)
        {
            if (buffer.Length + read > limit) throw TooLarge(limit);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// A body the HTTP server could not read: a malformed chunk size (Kestrel throws BadHttpRequestException,
    /// or an IOException when the size overflows), a body that stops short of its Content-Length (the server
    /// waits for the rest until the minimum data rate gives up), a connection closed mid-body. The client's
    /// fault, answered in the service's own error shape.
    /// </summary>
    public static AwsException Unreadable(Exception e) => e is BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout }
        ? new("RequestTimeout", "The request body did not arrive: it stopped before its Content-Length or the final chunk, and the wait timed out.")
        : new("IncompleteBody", $"The request body could not be read: {e.Message}");

    private AwsException TooLarge(long limit) =>
        new("RequestEntityTooLargeException", $"Request must be smaller than {limit} bytes for the {SigningName} service.", 413);

    private static async Task WriteErrorIfPossibleAsync(WireProtocol protocol, HttpContext http, CallContext call, AwsException error)
    {
        if (http.Response.HasStarted) return;
        var requestIdHeaders = http.Response.Headers.Where(h => h.Key.StartsWith("x-amz", StringComparison.OrdinalIgnoreCase)).ToList();
        http.Response.Clear();
        foreach (var (name, value) in requestIdHeaders) http.Response.Headers[name] = value;
        CloseIfBodyWithheld(http);
        await protocol.WriteErrorAsync(http, call, error);
    }

    /// <summary>
    /// For an error answered to a request with Expect: 100-continue, whatever its protocol: the client was refused before
    /// its body was asked for (too large, badly signed, ...) and does not send it, but the server would still take that
    /// many bytes off the connection as the body, eating the next request: the connection is closed instead, as AWS does.
    /// </summary>
    public static void CloseIfBodyWithheld(HttpContext http)
    {
        if (http.Request.Headers.Expect.ToString().Contains("100-continue", StringComparison.OrdinalIgnoreCase))
            http.Response.Headers.Connection = "close";
    }
}

/// <summary>One AWS wire protocol: how a request is read into an operation call and a result or error written back.</summary>
public abstract class WireProtocol
{
    /// <summary>Whether this request is in this protocol (for services that speak several).</summary>
    public abstract bool Accepts(HttpRequest request);

    public abstract Task HandleAsync(ServiceEndpoint service, HttpContext http, CallContext call);

    public abstract Task WriteErrorAsync(HttpContext http, CallContext call, AwsException error);

    /// <summary>X-Amz-Target prefix ("Logs_20140328") that identifies an unsigned request as this service's.</summary>
    public virtual string? TargetPrefix => null;
    /// <summary>The Query protocol's Version value that identifies an unsigned form request as this service's.</summary>
    public virtual string? QueryVersion => null;
    /// <summary>Path prefixes ("/2015-03-31/functions") that identify an unsigned REST request as this service's.</summary>
    public virtual IEnumerable<string> PathPrefixes => [];
    /// <summary>Whether an unsigned request no other rule placed is this service's (S3's bucket host names and paths).</summary>
    public virtual bool ClaimsUnsigned(HttpRequest request) => false;

    protected static void ApplyResultHeaders(HttpContext http, OperationResult result)
    {
        http.Response.StatusCode = result.StatusCode;
        foreach (var (name, value) in result.Headers) http.Response.Headers.Append(name, value);
    }

    /// <summary>
    /// The body an RPC protocol answers: the rendered result, the raw bytes an operation answers on AWS in place of one
    /// whatever the protocol (CloudWatch's GetMetricWidgetImage with OutputFormat image/png), or an event stream written as
    /// it is produced (CloudWatch Logs' StartLiveTail).
    /// </summary>
    protected static Task WriteResultAsync(HttpContext http, OperationResult result, string contentType, Func<ReadOnlyMemory<byte>> render) =>
        result.StreamedBody is not null ? WriteStreamedAsync(http, result)
        : result.RawBody is { } raw ? WriteAsync(http, result.RawContentType ?? "application/octet-stream", raw)
        : WriteAsync(http, contentType, render());

    /// <summary>A streamed body, sent chunked as the operation writes it, until it ends or the caller leaves.</summary>
    protected static Task WriteStreamedAsync(HttpContext http, OperationResult result)
    {
        http.Response.ContentType = result.RawContentType ?? "application/octet-stream";
        return result.StreamedBody!(http.Response.Body, http.RequestAborted);
    }

    protected static async Task WriteAsync(HttpContext http, string contentType, ReadOnlyMemory<byte> body)
    {
        http.Response.ContentType = contentType;
        http.Response.ContentLength = body.Length;
        await http.Response.Body.WriteAsync(body, http.RequestAborted);
    }
}
