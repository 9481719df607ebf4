using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Stratus.Protocols;

/// <summary>
/// AWS's event stream encoding (application/vnd.amazon.eventstream), the framing of streamed REST responses: each
/// message is its total and headers lengths, a CRC32 of those 8 bytes, the headers (name, type 7 string, value), the
/// payload and a CRC32 of everything before it, all big-endian.
/// </summary>
public static class EventStreamEncoding
{
    private const byte StringHeaderType = 7;

    /// <summary>An event message: :message-type event, with the event's type and its payload's content type.</summary>
    public static byte[] Event(string eventType, string contentType, ReadOnlySpan<byte> payload) =>
        Message([(":event-type", eventType), (":content-type", contentType), (":message-type", "event")], payload);

    /// <summary>A modeled exception of the stream (a member of its union marked as an error): :message-type exception, with its code.</summary>
    public static byte[] Exception(string exceptionType, string contentType, ReadOnlySpan<byte> payload) =>
        Message([(":exception-type", exceptionType), (":content-type", contentType), (":message-type", "exception")], payload);

    public static byte[] Message(IReadOnlyList<(string Name, string Value)> headers, ReadOnlySpan<byte> payload)
    {
        using var encodedHeaders = new MemoryStream();
        Span<byte> length = stackalloc byte[2];
        foreach (var (name, value) in headers)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            var valueBytes = Encoding.UTF8.GetBytes(value);
            if (nameBytes.Length > byte.MaxValue || valueBytes.Length > ushort.MaxValue)
                throw new ArgumentException($"Event stream header {name} is beyond the encoding's lengths.", nameof(headers));
            encodedHeaders.WriteByte((byte)nameBytes.Length);
            encodedHeaders.Write(nameBytes);
            encodedHeaders.WriteByte(StringHeaderType);
            BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)valueBytes.Length);
            encodedHeaders.Write(length);
            encodedHeaders.Write(valueBytes);
        }
        var headerBytes = encodedHeaders.GetBuffer().AsSpan(0, (int)encodedHeaders.Length);
        var total = 12 + headerBytes.Length + payload.Length + 4;
        var message = new byte[total];
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(0, 4), total);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4, 4), headerBytes.Length);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8, 4), Crc32.HashToUInt32(message.AsSpan(0, 8)));
        headerBytes.CopyTo(message.AsSpan(12));
        payload.CopyTo(message.AsSpan(12 + headerBytes.Length));
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(total - 4), Crc32.HashToUInt32(message.AsSpan(0, total - 4)));
        return message;
    }
}
