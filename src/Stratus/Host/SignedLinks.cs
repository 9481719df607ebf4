using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Stratus.Persistence;

namespace Stratus.Host;

/// <summary>
/// Download links that carry their own authorization, as S3 presigns GetFunction's Code.Location: an expiry
/// (10 minutes, as AWS's) and an HMAC-SHA256 of the path and expiry under a key only Stratus holds (0600 in the
/// data dir, so links outlive a restart; random per run when ephemeral). Anything else is refused.
/// </summary>
public sealed class SignedLinks(byte[] key, TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    public const string KeyFileName = "link-signing.key";

    public static SignedLinks For(StratusOptions options, TimeProvider clock) => new(
        options.DataDir is null ? RandomNumberGenerator.GetBytes(32) : DataDirectory.ReadOrCreateSecret(Path.Combine(options.DataDir, KeyFileName), 32),
        clock);

    /// <summary>The path with <c>Expires</c> and <c>Signature</c> query parameters (the names S3's query-string authentication uses).</summary>
    public string Sign(string path)
    {
        var expires = (clock.GetUtcNow() + Lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"{path}?Expires={expires}&Signature={Signature(path, expires)}";
    }

    /// <summary>Null when the link is good; else why it is refused, in S3's words.</summary>
    public string? Refusal(string path, string? expires, string? signature)
    {
        if (string.IsNullOrEmpty(expires) || string.IsNullOrEmpty(signature))
            return "Query-string authentication requires the Signature and Expires parameters";
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Signature(path, expires)), Encoding.ASCII.GetBytes(signature)))
            return "The request signature we calculated does not match the signature you provided.";
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var at) || at < clock.GetUtcNow().ToUnixTimeSeconds())
            return "Request has expired";
        return null;
    }

    private string Signature(string path, string expires) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(path + "\n" + expires)));
}
