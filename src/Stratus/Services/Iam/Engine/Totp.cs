using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Stratus.Services.Iam.Engine;

/// <summary>
/// Time-based one-time passwords as virtual MFA devices compute them (RFC 6238 over RFC 4226): HMAC-SHA1 of the
/// count of 30-second steps since the Unix epoch, dynamically truncated to six digits; and the RFC 4648 base32
/// the seed is shown in.
/// </summary>
public static class Totp
{
    public const int StepSeconds = 30;
    public const int SeedBytes = 20;

    public static long StepAt(DateTimeOffset time) => time.ToUnixTimeSeconds() / StepSeconds;

    public static string Code(ReadOnlySpan<byte> seed, long step)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        Span<byte> hash = stackalloc byte[20];
        HMACSHA1.HashData(seed, counter, hash);
        var offset = hash[^1] & 0x0F;
        var value = BinaryPrimitives.ReadInt32BigEndian(hash[offset..]) & 0x7FFFFFFF;
        return (value % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The first step in the range whose code is the given one; null when none is.</summary>
    public static long? FindStep(ReadOnlySpan<byte> seed, string code, long from, long to)
    {
        for (var step = from; step <= to; step++)
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Code(seed, step)), Encoding.ASCII.GetBytes(code))) return step;
        return null;
    }

    public static string Base32(ReadOnlySpan<byte> bytes)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var text = new StringBuilder((bytes.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) text.Append(alphabet[(buffer << (5 - bits)) & 31]);
        return text.ToString();
    }
}
