using System.Formats.Cbor;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Protocols.Cbor;

/// <summary>
/// Converts between CBOR and the JSON-shaped values handlers use. Timestamps travel as CBOR tag 1
/// (epoch seconds) and become <see cref="DateTimeOffset"/> values; blobs become base64 strings.
/// </summary>
public static class CborBody
{
    private const int MaxDepth = 64;

    public static JsonObject ReadObject(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty) return new JsonObject();
        try
        {
            var reader = new CborReader(body, CborConformanceMode.Lax);
            var value = ReadValue(reader, 0);
            if (reader.BytesRemaining != 0) throw new CborContentException("Trailing bytes after the top-level value.");
            return value as JsonObject ?? throw new AwsException("SerializationException", "The CBOR request body must be a map.");
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or FormatException or OverflowException or System.Text.DecoderFallbackException)
        {
            throw new AwsException("SerializationException", $"The request body is not valid CBOR: {e.Message}");
        }
    }

    public static byte[] Write(JsonNode? node)
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        WriteValue(writer, node ?? new JsonObject());
        return writer.Encode();
    }

    private static JsonNode? ReadValue(CborReader reader, int depth)
    {
        if (depth > MaxDepth) throw new CborContentException("The CBOR value is nested too deeply.");
        switch (reader.PeekState())
        {
            case CborReaderState.StartMap:
            {
                reader.ReadStartMap();
                var obj = new JsonObject();
                while (reader.PeekState() != CborReaderState.EndMap)
                {
                    var key = reader.ReadTextString();
                    obj[key] = ReadValue(reader, depth + 1);
                }
                reader.ReadEndMap();
                return obj;
            }
            case CborReaderState.StartArray:
            {
                reader.ReadStartArray();
                var list = new JsonArray();
                while (reader.PeekState() != CborReaderState.EndArray) list.Add(ReadValue(reader, depth + 1));
                reader.ReadEndArray();
                return list;
            }
            case CborReaderState.TextString:
            case CborReaderState.StartIndefiniteLengthTextString:
                return reader.ReadTextString();
            case CborReaderState.ByteString:
            case CborReaderState.StartIndefiniteLengthByteString:
                return Convert.ToBase64String(reader.ReadByteString());
            case CborReaderState.UnsignedInteger:
            case CborReaderState.NegativeInteger:
                return reader.ReadInt64();
            case CborReaderState.HalfPrecisionFloat:
            case CborReaderState.SinglePrecisionFloat:
            case CborReaderState.DoublePrecisionFloat:
                return reader.ReadDouble();
            case CborReaderState.Boolean:
                return reader.ReadBoolean();
            case CborReaderState.Null:
                reader.ReadNull();
                return null;
            case CborReaderState.SimpleValue:
                reader.ReadSimpleValue();
                return null;
            case CborReaderState.Tag:
            {
                var tag = reader.ReadTag();
                var inner = ReadValue(reader, depth + 1);
                if (tag == CborTag.UnixTimeSeconds && inner is JsonValue seconds && EpochSeconds.Of(seconds) is { } epoch)
                    return JsonValue.Create(EpochSeconds.ToTimestamp(epoch) ?? throw new CborContentException($"Timestamp {epoch} seconds is outside years 1 to 9999."));
                return inner;
            }
            default:
                throw new CborContentException($"Unexpected CBOR item {reader.PeekState()}.");
        }
    }

    private static void WriteValue(CborWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNull();
                break;
            case JsonObject obj:
                var members = obj.Where(m => m.Value is not null).ToList();
                writer.WriteStartMap(members.Count);
                foreach (var (name, value) in members)
                {
                    writer.WriteTextString(name);
                    WriteValue(writer, value);
                }
                writer.WriteEndMap();
                break;
            case JsonArray list:
                writer.WriteStartArray(list.Count);
                foreach (var item in list) WriteValue(writer, item);
                writer.WriteEndArray();
                break;
            case JsonValue value when value.TryGetValue<byte[]>(out var blob):
                // A blob member (GetMetricWidgetImage's image) is a CBOR byte string; JSON and XML carry it as base64.
                writer.WriteByteString(blob);
                break;
            case JsonValue value when value.TryGetValue<DateTimeOffset>(out var t):
                writer.WriteTag(CborTag.UnixTimeSeconds);
                writer.WriteDouble((t - DateTimeOffset.UnixEpoch).TotalMilliseconds / 1000.0);
                break;
            case JsonValue value:
                WriteScalar(writer, value);
                break;
        }
    }

    private static void WriteScalar(CborWriter writer, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                writer.WriteTextString(value.GetValue<string>());
                break;
            case JsonValueKind.True:
                writer.WriteBoolean(true);
                break;
            case JsonValueKind.False:
                writer.WriteBoolean(false);
                break;
            case JsonValueKind.Number when value.TryGetValue<long>(out var whole):
                writer.WriteInt64(whole);
                break;
            case JsonValueKind.Number when value.TryGetValue<int>(out var small):
                writer.WriteInt64(small);
                break;
            case JsonValueKind.Number:
                var number = value.TryGetValue<double>(out var d) ? d : double.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
                if (number == Math.Floor(number) && Math.Abs(number) < 9e15) writer.WriteInt64((long)number);
                else writer.WriteDouble(number);
                break;
            default:
                writer.WriteNull();
                break;
        }
    }
}
