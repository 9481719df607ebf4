using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Protocols.Json;

/// <summary>
/// Reads request bodies of the JSON protocols and writes results, rendering timestamps the way
/// AWS JSON protocols do (epoch seconds) unless a handler formatted them itself.
/// </summary>
public static class JsonBody
{
    /// <summary>How deep JSON may nest before it is refused: far beyond any AWS input shape, far below the stack.</summary>
    public const int MaxDepth = 64;

    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = MaxDepth, AllowDuplicateProperties = false };

    public static JsonObject ParseObject(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty || body.Trim(" \t\r\n"u8).IsEmpty) return new JsonObject();
        try
        {
            return Parse(body) as JsonObject
                ?? throw new AwsException("SerializationException", "The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new AwsException("SerializationException", $"The request body is not valid JSON: {e.Message}");
        }
    }

    /// <summary>
    /// Parses JSON text so that every fault surfaces here as a <see cref="JsonException"/>: invalid UTF-8,
    /// duplicate member names, unpaired surrogate escapes and nesting deeper than <see cref="MaxDepth"/>.
    /// (JsonNode otherwise defers reading objects and strings until first use, where those faults escaped
    /// as other exceptions in the middle of a handler.)
    /// </summary>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8)) throw new JsonException("The JSON text is not valid UTF-8.");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(utf8, documentOptions: ReadOptions);
        }
        catch (InvalidOperationException)
        {
            // Checking member names for duplicates decodes them, and an unpaired surrogate escape fails there.
            throw new JsonException("The JSON text has a member name that is not valid Unicode (an unpaired surrogate escape).");
        }
        if (HasSurrogateEscape(utf8)) CheckStrings(node);
        return node;
    }

    /// <summary>
    /// Whether the text has a \uD800-\uDFFF escape, the only way a string in valid UTF-8 JSON can fail to
    /// decode. Without one (nearly always), strings need not be decoded twice just to check them.
    /// </summary>
    private static bool HasSurrogateEscape(ReadOnlySpan<byte> utf8)
    {
        var rest = utf8;
        int at;
        while ((at = rest.IndexOf("\\u"u8)) >= 0)
        {
            rest = rest[(at + 2)..];
            if (rest.Length >= 2 && rest[0] is (byte)'d' or (byte)'D' && rest[1] is >= (byte)'8' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F')
                return true;
        }
        return false;
    }

    public static JsonNode? Parse(string text) => Parse(System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// A JSON document a caller sent as a member's text (a policy, an event pattern, a lifecycle policy), with that
    /// document's own depth bound and its usual duplicate-member rule: as with <see cref="Parse(ReadOnlySpan{byte})"/>,
    /// an unpaired surrogate escape is a <see cref="JsonException"/> here, not an InvalidOperationException wherever the
    /// string is first read.
    /// </summary>
    public static JsonNode? ParseMember(string text, int maxDepth)
    {
        var utf8 = System.Text.Encoding.UTF8.GetBytes(text);
        var node = JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = maxDepth });
        if (HasSurrogateEscape(utf8))
        {
            try { CheckStrings(node); }
            catch (InvalidOperationException) { throw UnpairedSurrogate(); }
        }
        return node;
    }

    /// <inheritdoc cref="ParseMember"/>
    public static JsonDocument ParseMemberDocument(string text, int maxDepth)
    {
        var utf8 = System.Text.Encoding.UTF8.GetBytes(text);
        var document = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = maxDepth });
        if (!HasSurrogateEscape(utf8)) return document;
        try
        {
            CheckStrings(document.RootElement);
            return document;
        }
        catch (InvalidOperationException)
        {
            document.Dispose();
            throw UnpairedSurrogate();
        }
    }

    private static JsonException UnpairedSurrogate() => new("The JSON text has a string that is not valid Unicode (an unpaired surrogate escape).");

    /// <summary>Decodes every member name and string, which throws InvalidOperationException for an unpaired surrogate escape.</summary>
    private static void CheckStrings(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    _ = member.Name;
                    CheckStrings(member.Value);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray()) CheckStrings(item);
                break;
            case JsonValueKind.String:
                element.GetString();
                break;
        }
    }

    private static void CheckStrings(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj) CheckStrings(child);
                break;
            case JsonArray list:
                foreach (var item in list) CheckStrings(item);
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                try
                {
                    value.GetValue<string>();
                }
                catch (InvalidOperationException)
                {
                    throw UnpairedSurrogate();
                }
                break;
        }
    }

    public static byte[] Write(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            WriteNode(writer, node ?? new JsonObject());
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteNode(Utf8JsonWriter w, JsonNode? node)
    {
        switch (node)
        {
            case null:
                w.WriteNullValue();
                break;
            case JsonObject obj:
                w.WriteStartObject();
                foreach (var (name, value) in obj)
                {
                    if (value is null) continue;
                    w.WritePropertyName(name);
                    WriteNode(w, value);
                }
                w.WriteEndObject();
                break;
            case JsonArray list:
                w.WriteStartArray();
                foreach (var item in list) WriteNode(w, item);
                w.WriteEndArray();
                break;
            case JsonValue value when value.TryGetValue<DateTimeOffset>(out var t):
                w.WriteNumberValue(Math.Round((t - DateTimeOffset.UnixEpoch).TotalSeconds, 3));
                break;
            default:
                node.WriteTo(w);
                break;
        }
    }
}
