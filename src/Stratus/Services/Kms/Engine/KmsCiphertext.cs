using System.Buffers.Binary;
using System.Text;
using Stratus.Persistence;

namespace Stratus.Services.Kms.Engine;

/// <summary>
/// The ciphertext blob Encrypt returns, as Stratus lays it out: a format byte, the key id (36 ASCII characters)
/// and the material generation, so Decrypt finds the key without being told (as AWS's blobs carry their key),
/// then the AES-256-GCM sealed plain text. The header and the encryption context are the associated data: a
/// changed header or a different context fails the tag check, which KMS answers as InvalidCiphertextException.
/// </summary>
public static class KmsCiphertext
{
    private const byte Format = 1;
    private const int KeyIdLength = 36;
    private const int HeaderLength = 1 + KeyIdLength + 4;

    public static byte[] Seal(string keyId, int generation, byte[] material, ReadOnlySpan<byte> plaintext, IReadOnlyDictionary<string, string> context)
    {
        var header = Header(keyId, generation);
        var sealedText = new SealingKey(material).Seal(plaintext, AssociatedData(header, context));
        return [.. header, .. sealedText];
    }

    /// <summary>The key id and generation a blob names, or null when it is not a blob of this format.</summary>
    public static (string KeyId, int Generation)? Read(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < HeaderLength + SealingKey.Overhead || blob[0] != Format) return null;
        var keyId = Encoding.ASCII.GetString(blob.Slice(1, KeyIdLength));
        if (!Guid.TryParseExact(keyId, "D", out _)) return null;
        return (keyId, BinaryPrimitives.ReadInt32BigEndian(blob.Slice(1 + KeyIdLength, 4)));
    }

    /// <summary>The plain text, or null when the blob, its key material or its encryption context do not match.</summary>
    public static byte[]? Open(ReadOnlySpan<byte> blob, byte[] material, IReadOnlyDictionary<string, string> context) =>
        new SealingKey(material).TryOpen(blob[HeaderLength..], AssociatedData(blob[..HeaderLength].ToArray(), context));

    private static byte[] Header(string keyId, int generation)
    {
        var header = new byte[HeaderLength];
        header[0] = Format;
        Encoding.ASCII.GetBytes(keyId, header.AsSpan(1, KeyIdLength));
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(1 + KeyIdLength), generation);
        return header;
    }

    /// <summary>The header, then each context pair in ordinal key order, length-prefixed so no two contexts share an encoding.</summary>
    private static byte[] AssociatedData(byte[] header, IReadOnlyDictionary<string, string> context)
    {
        using var data = new MemoryStream();
        data.Write(header);
        Span<byte> length = stackalloc byte[4];
        foreach (var (key, value) in context.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var text in new[] { key, value })
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
                data.Write(length);
                data.Write(bytes);
            }
        }
        return data.ToArray();
    }
}
