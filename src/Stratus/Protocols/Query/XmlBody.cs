using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;

namespace Stratus.Protocols.Query;

/// <summary>
/// How a Query service names list members in XML: "member" unless the service model says otherwise
/// (RDS writes <c>&lt;DBInstances&gt;&lt;DBInstance&gt;</c>).
/// </summary>
public sealed class XmlShape
{
    public static readonly XmlShape Default = new();

    public IReadOnlyDictionary<string, string> ListMemberNames { get; init; } = new Dictionary<string, string>();

    public string MemberName(string listName) => ListMemberNames.GetValueOrDefault(listName, "member");

    /// <summary>Members that are maps in the service model (CloudWatch's ExtendedStatistics): written as entry/key/value.</summary>
    public IReadOnlySet<string> MapNames { get; init; } = new HashSet<string>();
}

/// <summary>Renders the protocol-neutral JSON result as Query protocol XML.</summary>
public static class XmlBody
{
    private static readonly XmlWriterSettings Settings = new()
    {
        OmitXmlDeclaration = true,
        Encoding = new UTF8Encoding(false),
        Indent = false,
    };

    public static byte[] Response(string action, string xmlNamespace, JsonObject? result, string requestId, XmlShape shape)
    {
        return Write(w =>
        {
            w.WriteStartElement(action + "Response", xmlNamespace);
            if (result is not null)
            {
                w.WriteStartElement(action + "Result");
                WriteMembers(w, result, shape);
                w.WriteEndElement();
            }
            w.WriteStartElement("ResponseMetadata");
            w.WriteElementString("RequestId", requestId);
            w.WriteEndElement();
            w.WriteEndElement();
        });
    }

    public static byte[] Error(string xmlNamespace, AwsException error, string requestId)
    {
        return Write(w =>
        {
            w.WriteStartElement("ErrorResponse", xmlNamespace);
            w.WriteStartElement("Error");
            w.WriteElementString("Type", error.IsSenderFault ? "Sender" : "Receiver");
            w.WriteElementString("Code", Safe(error.Code));
            w.WriteElementString("Message", Safe(error.Message));
            w.WriteEndElement();
            w.WriteElementString("RequestId", requestId);
            w.WriteEndElement();
        });
    }

    /// <summary>ISO 8601 in UTC with milliseconds, as AWS's Query services write timestamps.</summary>
    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Whether XML 1.0 can carry the text: no control characters other than tab, line feed and carriage
    /// return, no unpaired surrogates. The Query protocol refuses parameters that fail this, since it
    /// could never write them back.
    /// </summary>
    public static bool CanCarry(string text) => FirstUncarried(text) < 0;

    /// <summary>
    /// The text with what XML cannot carry replaced by U+FFFD. Values stored through another protocol
    /// (a CloudWatch metric name with a NUL sent over JSON) must not make a Query response unwritable.
    /// </summary>
    public static string Safe(string text)
    {
        var at = FirstUncarried(text);
        if (at < 0) return text;
        var safe = new StringBuilder(text.Length);
        safe.Append(text, 0, at);
        for (var i = at; i < text.Length; i++)
        {
            if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], text[i])) safe.Append(text, i++, 2);
            else safe.Append(XmlConvert.IsXmlChar(text[i]) ? text[i] : '\uFFFD');
        }
        return safe.ToString();
    }

    private static int FirstUncarried(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (XmlConvert.IsXmlChar(text[i])) continue;
            if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], text[i])) { i++; continue; }
            return i;
        }
        return -1;
    }

    internal static byte[] Write(Action<XmlWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, Settings)) body(writer);
        return stream.ToArray();
    }

    private static void WriteMembers(XmlWriter w, JsonObject obj, XmlShape shape)
    {
        foreach (var (name, value) in obj) WriteNode(w, name, value, shape);
    }

    private static void WriteNode(XmlWriter w, string name, JsonNode? node, XmlShape shape)
    {
        switch (node)
        {
            case null:
                return;
            case JsonObject map when shape.MapNames.Contains(name):
                w.WriteStartElement(name);
                foreach (var (key, value) in map)
                {
                    w.WriteStartElement("entry");
                    w.WriteElementString("key", Safe(key));
                    WriteNode(w, "value", value, shape);
                    w.WriteEndElement();
                }
                w.WriteEndElement();
                return;
            case JsonObject obj:
                w.WriteStartElement(name);
                WriteMembers(w, obj, shape);
                w.WriteEndElement();
                return;
            case JsonArray list:
                w.WriteStartElement(name);
                var member = shape.MemberName(name);
                foreach (var item in list) WriteNode(w, member, item, shape);
                w.WriteEndElement();
                return;
            case JsonValue value:
                w.WriteElementString(name, Safe(Scalar(value)));
                return;
        }
    }

    internal static string Scalar(JsonValue value)
    {
        if (value.TryGetValue<DateTimeOffset>(out var t)) return Timestamp(t);
        if (value.TryGetValue<byte[]>(out var blob)) return Convert.ToBase64String(blob);
        if (value.TryGetValue<DateTime>(out var d)) return Timestamp(new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)));
        return value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => value.ToJsonString(),
        };
    }
}
