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
    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = 64 };

    public static JsonObject ParseObject(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty || body.Trim(" \t\r\n"u8).IsEmpty) return new JsonObject();
        try
        {
            return JsonNode.Parse(body, documentOptions: ReadOptions) as JsonObject
                ?? throw new AwsException("SerializationException", "The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new AwsException("SerializationException", $"The request body is not valid JSON: {e.Message}");
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
