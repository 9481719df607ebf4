using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Stratus.Protocols.SigV4;

/// <summary>
/// The pieces of Signature Version 4 that both sides compute: canonical request, string to sign,
/// signing key and signature, as AWS's SigV4 documentation defines them.
/// </summary>
public static class SigV4Signer
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const string DateFormat = "yyyyMMdd'T'HHmmss'Z'";

    public static string CanonicalRequest(string method, string canonicalUri, string canonicalQuery,
        IEnumerable<KeyValuePair<string, string>> canonicalHeaders, string signedHeaders, string payloadHash)
    {
        var builder = new StringBuilder();
        builder.Append(method).Append('\n').Append(canonicalUri).Append('\n').Append(canonicalQuery).Append('\n');
        foreach (var (name, value) in canonicalHeaders) builder.Append(name).Append(':').Append(value).Append('\n');
        builder.Append('\n').Append(signedHeaders).Append('\n').Append(payloadHash);
        return builder.ToString();
    }

    public static string StringToSign(string amzDate, string scope, string canonicalRequest) =>
        $"{Algorithm}\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";

    public static byte[] SigningKey(string secretAccessKey, string date, string region, string service)
    {
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        return Hmac(key, "aws4_request");
    }

    public static string Signature(byte[] signingKey, string stringToSign) => Hex(Hmac(signingKey, stringToSign));

    /// <summary>Percent-encodes everything but RFC 3986's unreserved characters, keeping '/' when asked.</summary>
    public static string UriEncode(string value, bool keepSlash)
    {
        var builder = new StringBuilder(value.Length + 16);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' || (keepSlash && c == '/')) builder.Append(c);
            else builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }

    /// <summary>Sorted, re-encoded query parameters, leaving out the signature itself.</summary>
    public static string CanonicalQuery(string rawQuery)
    {
        var pairs = new List<(string Key, string Value)>();
        foreach (var part in rawQuery.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var key = Decode(eq < 0 ? part : part[..eq]);
            var value = eq < 0 ? "" : Decode(part[(eq + 1)..]);
            if (key == "X-Amz-Signature") continue;
            pairs.Add((UriEncode(key, false), UriEncode(value, false)));
        }
        pairs.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key) is var byKey && byKey != 0 ? byKey : string.CompareOrdinal(a.Value, b.Value));
        return string.Join('&', pairs.Select(p => p.Key + "=" + p.Value));
    }

    /// <summary>A header value as SigV4 canonicalises it: trimmed, inner runs of spaces collapsed.</summary>
    public static string CanonicalHeaderValue(string value)
    {
        var builder = new StringBuilder(value.Length);
        var space = false;
        foreach (var c in value.Trim())
        {
            if (c == ' ')
            {
                if (!space) builder.Append(c);
                space = true;
            }
            else
            {
                builder.Append(c);
                space = false;
            }
        }
        return builder.ToString();
    }

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    private static string Decode(string value) => Uri.UnescapeDataString(value.Replace('+', ' '));

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));
}
