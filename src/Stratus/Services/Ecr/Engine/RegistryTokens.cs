using System.Security.Cryptography;
using System.Text;
using Stratus.Persistence;

namespace Stratus.Services.Ecr.Engine;

/// <summary>
/// GetAuthorizationToken's registry passwords: "v2.ACCOUNT.REGION.EXPIRY.ACCESSKEY.MAC", where MAC is an
/// HMAC-SHA256 of the rest under a key Stratus keeps in its state (so tokens survive restarts as ECR's do). A
/// password names the account and region it was issued for and the access key that asked for it (whose
/// principal `--auth enforce` authorizes its pulls and pushes as), and is refused once it expires (12 hours, as ECR).
/// </summary>
public sealed class RegistryTokens
{
    private const string Version = "v2";
    private readonly byte[] _key;
    private readonly TimeProvider _clock;

    public RegistryTokens(StateStore store, TimeProvider clock, TimeSpan lifetime)
    {
        _clock = clock;
        Lifetime = lifetime;
        var keys = new ResourceTable<SigningKey>(store, "ecr.registry-key");
        var existing = keys.Get("token-key");
        if (existing is null)
        {
            existing = new SigningKey(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            keys.Put("token-key", existing);
        }
        _key = Convert.FromBase64String(existing.Key);
    }

    public TimeSpan Lifetime { get; }

    /// <summary>The password (what follows "AWS:") and when it expires.</summary>
    public (string Password, DateTimeOffset ExpiresAt) Issue(string accountId, string region, string accessKeyId)
    {
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds((_clock.GetUtcNow() + Lifetime).ToUnixTimeSeconds());
        var body = $"{Version}.{accountId}.{region}.{expiresAt.ToUnixTimeSeconds()}.{accessKeyId}";
        return ($"{body}.{Mac(body)}", expiresAt);
    }

    /// <summary>The account, region and access key a password was issued for, or null for a forged, malformed or expired one.</summary>
    public (string AccountId, string Region, string AccessKeyId)? Verify(string password)
    {
        var parts = password.Split('.');
        if (parts.Length != 6 || parts[0] != Version || !long.TryParse(parts[3], out var expiry)) return null;
        var body = string.Join('.', parts[..5]);
        var expected = Encoding.ASCII.GetBytes(Mac(body));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[5]))) return null;
        if (_clock.GetUtcNow().ToUnixTimeSeconds() >= expiry) return null;
        return (parts[1], parts[2], parts[4]);
    }

    private string Mac(string body) => Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(body)));

    private sealed record SigningKey(string Key);
}
