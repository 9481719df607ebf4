using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Stratus.Protocols.Query;

/// <summary>AWS Query: form-encoded Action/Version/parameters in, namespaced XML out.</summary>
public sealed class AwsQueryProtocol(string version, string xmlNamespace) : WireProtocol
{
    private const string XmlContentType = "text/xml";

    public XmlShape Shape { get; init; } = XmlShape.Default;
    public override string QueryVersion => version;

    public override bool Accepts(HttpRequest request) => IsFormRequest(request);

    public override async Task HandleAsync(ServiceEndpoint service, HttpContext http, CallContext call)
    {
        var (action, result) = await InvokeAsync(service, http, call, version);
        ApplyResultHeaders(http, result);
        await WriteResultAsync(http, result, XmlContentType, () => XmlBody.Response(action, xmlNamespace, result.Body, call.RequestId, Shape));
    }

    /// <summary>
    /// Reads a form request (Action, Version, flattened members) and runs its operation: the request side
    /// the Query protocol and EC2's variant of it share.
    /// </summary>
    internal static async Task<(string Action, OperationResult Result)> InvokeAsync(ServiceEndpoint service, HttpContext http, CallContext call, string version)
    {
        var body = await service.ReadBodyAsync(http);
        var pairs = Parse(http.Request, body);
        if (pairs.FirstOrDefault(p => !XmlBody.CanCarry(p.Value)) is { Key: { } uncarried })
            throw service.Validation.Invalid(XmlBody.Safe(uncarried), "must not contain control characters other than tab, line feed and carriage return");
        var action = pairs.FirstOrDefault(p => p.Key == "Action").Value;
        if (string.IsNullOrEmpty(action))
            throw new AwsException("MissingAction", "The request must contain the parameter Action.");
        var handler = service.Checked(action, service.Operations.Find(action)
            ?? throw new AwsException("InvalidAction", $"Could not find operation {action} for version {version}."));
        return (action, await handler(service.Input(QueryParameters.ToJson(pairs), call)));
    }

    internal static bool IsFormRequest(HttpRequest request) =>
        request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true
        || request.Query.ContainsKey("Action");

    public override Task WriteErrorAsync(HttpContext http, CallContext call, AwsException error)
    {
        http.Response.StatusCode = error.StatusCode;
        return WriteAsync(http, XmlContentType, XmlBody.Error(xmlNamespace, error, call.RequestId));
    }

    /// <summary>Parameters from the query string and the form body together, as AWS accepts either.</summary>
    private static List<KeyValuePair<string, string>> Parse(HttpRequest request, byte[] body)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var (key, values) in request.Query) pairs.Add(new(key, values.ToString()));
        if (body.Length > 0)
        {
            var reader = new FormReader(Encoding.UTF8.GetString(body))
            {
                ValueCountLimit = 100_000,
                KeyLengthLimit = 1024,
                ValueLengthLimit = body.Length,
            };
            try
            {
                while (reader.ReadNextPair() is { } pair) pairs.Add(new(pair.Key, pair.Value));
            }
            catch (InvalidDataException e)
            {
                throw new AwsException("MalformedQueryString", $"The form body could not be read: {e.Message}");
            }
        }
        return pairs;
    }
}
