using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Stratus.Protocols.RestXml;

/// <summary>The operation a REST-XML request names, and the labels (bucket, key) its URL carries.</summary>
public sealed record RestXmlCall(string Operation, IReadOnlyDictionary<string, string> Labels);

/// <summary>
/// REST-XML as S3 speaks it: the operation chosen from method, URL and query by the service's resolver
/// (S3 addresses by host as well as path); results as XML documents in the service's namespace or as
/// streamed payloads; errors as <c>&lt;Error&gt;&lt;Code/&gt;&lt;Message/&gt;...&lt;RequestId/&gt;&lt;/Error&gt;</c>
/// without a namespace, and no body at all for HEAD requests and 304s, as S3 answers them.
/// </summary>
public sealed class RestXmlProtocol(string xmlNamespace, Func<HttpRequest, RestXmlCall> resolve) : WireProtocol
{
    private const string XmlContentType = "application/xml";

    public string XmlNamespace => xmlNamespace;

    /// <summary>Whether an unsigned request belongs to this service (S3: a bucket host name, or a path naming a bucket).</summary>
    public Func<HttpRequest, bool> UnsignedClaim { get; init; } = _ => false;

    /// <summary>Path prefixes that tell this service's requests from another's signed under the same name (S3 Control's /v20180820 beside S3).</summary>
    public IReadOnlyList<string> Prefixes { get; init; } = [];

    public override IEnumerable<string> PathPrefixes => Prefixes;

    public override bool Accepts(HttpRequest request) => true;

    public override bool ClaimsUnsigned(HttpRequest request) => UnsignedClaim(request);

    public override async Task HandleAsync(ServiceEndpoint service, HttpContext http, CallContext call)
    {
        var route = resolve(http.Request);
        var handler = service.FindOperation(route.Operation);
        var input = new JsonObject();
        foreach (var (name, value) in route.Labels) input[name] = value;
        var result = await handler(service.Input(input, call));

        ApplyResultHeaders(http, result);
        var writesBody = !HttpMethods.IsHead(http.Request.Method);
        if (result.FileBody is { } file)
        {
            using (file)
                if (writesBody) await file.WriteToAsync(http.Response, http.RequestAborted);
        }
        else if (result.RawBody is { } raw)
        {
            await WriteAsync(http, result.RawContentType ?? XmlContentType, writesBody ? raw : ReadOnlyMemory<byte>.Empty);
        }
        else if (result.Body is not null)
        {
            await WriteAsync(http, XmlContentType, RestXmlBody.Write(result.Body, xmlNamespace));
        }
        else if (!http.Response.Headers.ContentLength.HasValue)
        {
            http.Response.ContentLength = 0;
        }
    }

    public override Task WriteErrorAsync(HttpContext http, CallContext call, AwsException error)
    {
        http.Response.StatusCode = error.StatusCode;
        if (HttpMethods.IsHead(http.Request.Method) || error.StatusCode == 304) return Task.CompletedTask;
        return WriteAsync(http, XmlContentType, RestXmlBody.Error(error, call.RequestId));
    }
}
