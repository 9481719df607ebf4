using System.Text.Json.Nodes;
using System.Xml;
using Microsoft.AspNetCore.Http;

namespace Stratus.Protocols.Query;

/// <summary>
/// EC2's variant of the Query protocol: the same form-encoded requests (lists as <c>Name.N</c>, filters as
/// <c>Filter.N.Name</c>/<c>Filter.N.Value.M</c>), but responses carry their members directly under
/// <c>&lt;ActionResponse&gt;</c> beside a <c>&lt;requestId&gt;</c> (no Result wrapper, no ResponseMetadata),
/// every list's elements are <c>&lt;item&gt;</c>, and errors are
/// <c>&lt;Response&gt;&lt;Errors&gt;&lt;Error&gt;...&lt;/Errors&gt;&lt;RequestID&gt;</c>. Handlers answer
/// with members named as they appear on the wire (EC2's locationNames: vpcSet, vpcId, tagSet).
/// </summary>
public sealed class Ec2QueryProtocol(string version, string xmlNamespace) : WireProtocol
{
    private const string XmlContentType = "text/xml;charset=UTF-8";

    public override string QueryVersion => version;

    public override bool Accepts(HttpRequest request) => AwsQueryProtocol.IsFormRequest(request);

    public override async Task HandleAsync(ServiceEndpoint service, HttpContext http, CallContext call)
    {
        var (action, result) = await AwsQueryProtocol.InvokeAsync(service, http, call, version);
        ApplyResultHeaders(http, result);
        await WriteAsync(http, XmlContentType, Response(action, result.Body, call.RequestId));
    }

    public override Task WriteErrorAsync(HttpContext http, CallContext call, AwsException error)
    {
        http.Response.StatusCode = error.StatusCode;
        return WriteAsync(http, XmlContentType, XmlBody.Write(w =>
        {
            w.WriteStartElement("Response");
            w.WriteStartElement("Errors");
            w.WriteStartElement("Error");
            w.WriteElementString("Code", XmlBody.Safe(error.Code));
            w.WriteElementString("Message", XmlBody.Safe(error.Message));
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteElementString("RequestID", call.RequestId);
            w.WriteEndElement();
        }));
    }

    private byte[] Response(string action, JsonObject? result, string requestId) => XmlBody.Write(w =>
    {
        w.WriteStartElement(action + "Response", xmlNamespace);
        w.WriteElementString("requestId", requestId);
        if (result is not null)
            foreach (var (name, value) in result) WriteNode(w, name, value);
        w.WriteEndElement();
    });

    private static void WriteNode(XmlWriter w, string name, JsonNode? node)
    {
        switch (node)
        {
            case null:
                return;
            case JsonObject obj:
                w.WriteStartElement(name);
                foreach (var (member, value) in obj) WriteNode(w, member, value);
                w.WriteEndElement();
                return;
            case JsonArray list:
                w.WriteStartElement(name);
                foreach (var item in list) WriteNode(w, "item", item);
                w.WriteEndElement();
                return;
            case JsonValue value:
                w.WriteElementString(name, XmlBody.Safe(XmlBody.Scalar(value)));
                return;
        }
    }
}
