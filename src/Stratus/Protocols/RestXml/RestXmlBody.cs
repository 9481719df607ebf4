using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Stratus.Protocols.Query;

namespace Stratus.Protocols.RestXml;

/// <summary>
/// REST-XML documents: JSON-shaped results written as XML (an array becomes repeated elements of its
/// member's name, the flattened lists S3 uses), and request documents read with DTDs refused and size
/// and depth bounded.
/// </summary>
public static class RestXmlBody
{
    /// <summary>No S3 request document nests anywhere near this deep; deeper ones are refused before loading.</summary>
    public const int MaxDepth = 32;

    /// <summary>Writes <paramref name="document"/>, whose one member is the root element, in <paramref name="xmlNamespace"/>.</summary>
    public static byte[] Write(JsonObject document, string? xmlNamespace)
    {
        if (document.Count != 1) throw new ArgumentException("A REST-XML document has exactly one root member.", nameof(document));
        var (name, value) = document.First();
        XNamespace ns = xmlNamespace ?? "";
        var root = new XElement(ns + name);
        Fill(root, value, ns, 0);
        return Serialize(root);
    }

    public static byte[] Serialize(XElement root)
    {
        // Text XML 1.0 cannot carry (a control character from a header echoed in an error, a key or value stored
        // through another protocol) becomes U+FFFD rather than an unwritable document and a 500.
        foreach (var text in root.DescendantNodes().OfType<XText>())
            if (!XmlBody.CanCarry(text.Value)) text.Value = XmlBody.Safe(text.Value);
        foreach (var attribute in root.DescendantsAndSelf().SelectMany(e => e.Attributes()))
            if (!XmlBody.CanCarry(attribute.Value)) attribute.Value = XmlBody.Safe(attribute.Value);
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false }))
            new XDocument(new XDeclaration("1.0", "UTF-8", null), root).Save(writer);
        return buffer.ToArray();
    }

    /// <summary>S3's error document: Code, Message, the error's extra fields, RequestId and HostId.</summary>
    public static byte[] Error(AwsException error, string requestId)
    {
        var root = new XElement("Error", new XElement("Code", error.Code), new XElement("Message", error.Message));
        if (error.Fields is not null)
            foreach (var (name, value) in error.Fields) root.Add(new XElement(name, value));
        root.Add(new XElement("RequestId", requestId), new XElement("HostId", requestId));
        return Serialize(root);
    }

    /// <summary>Reads a request document of at most <paramref name="maxBytes"/>; null when the body is empty.</summary>
    public static async Task<XElement?> ReadAsync(HttpContext http, int maxBytes, Func<AwsException> malformed, Func<AwsException> tooLarge)
    {
        var request = http.Request;
        if (request.ContentLength > maxBytes) throw tooLarge();
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw tooLarge();
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) return null;
        return Parse(buffer.ToArray(), malformed);
    }

    public static XElement Parse(byte[] body, Func<AwsException> malformed)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = body.Length + 1L };
        try
        {
            using (var scan = XmlReader.Create(new MemoryStream(body), settings))
                while (scan.Read())
                    if (scan.Depth > MaxDepth) throw malformed();
            using var reader = XmlReader.Create(new MemoryStream(body), settings);
            return XDocument.Load(reader).Root ?? throw malformed();
        }
        catch (XmlException)
        {
            throw malformed();
        }
    }

    /// <summary>The element's children by local name, whatever namespace the client used (SDKs send S3's, hand-written XML often none).</summary>
    public static IEnumerable<XElement> Children(this XElement element, string localName) =>
        element.Elements().Where(e => e.Name.LocalName == localName);

    public static XElement? Child(this XElement element, string localName) => element.Children(localName).FirstOrDefault();

    public static string? ChildValue(this XElement element, string localName) => element.Child(localName)?.Value;

    /// <summary>A copy of a stored document with every element in <paramref name="xmlNamespace"/>, as S3 returns configurations.</summary>
    public static XElement InNamespace(XElement element, string xmlNamespace)
    {
        XNamespace ns = xmlNamespace;
        var copy = new XElement(element);
        foreach (var e in copy.DescendantsAndSelf()) e.Name = ns + e.Name.LocalName;
        copy.Attributes().Where(a => a.IsNamespaceDeclaration).Remove();
        foreach (var e in copy.Descendants()) e.Attributes().Where(a => a.IsNamespaceDeclaration).Remove();
        return copy;
    }

    private static void Fill(XElement element, JsonNode? value, XNamespace ns, int depth)
    {
        if (depth > MaxDepth) throw new InvalidOperationException("Result document nests too deep.");
        switch (value)
        {
            case null:
                return;
            case JsonObject obj:
                foreach (var (name, member) in obj)
                {
                    if (member is JsonArray items)
                    {
                        foreach (var item in items)
                        {
                            var child = new XElement(ns + name);
                            Fill(child, item, ns, depth + 1);
                            element.Add(child);
                        }
                    }
                    else if (member is not null)
                    {
                        var child = new XElement(ns + name);
                        Fill(child, member, ns, depth + 1);
                        element.Add(child);
                    }
                }
                return;
            case JsonValue scalar:
                element.Value = scalar.GetValueKind() switch
                {
                    JsonValueKind.String => scalar.GetValue<string>(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => scalar.ToJsonString(),
                };
                return;
            default:
                throw new InvalidOperationException("Nested arrays have no REST-XML form.");
        }
    }

    /// <summary>Timestamps in S3's documents: ISO 8601 with milliseconds, UTC.</summary>
    public static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
