using System.Security.Cryptography;

namespace Stratus.Persistence;

/// <summary>
/// An AES-256-GCM key that seals values: Stratus's own key for secrets kept in the state store (KMS key
/// material), a 0600 key file in the data directory or, for an ephemeral Stratus, a key in memory only; and
/// KMS's key material itself, for what Encrypt returns. A sealed value is nonce (12) | tag (16) | ciphertext;
/// what it is bound to goes in as associated data, so a sealed value moved to another record does not open.
/// </summary>
public sealed class SealingKey
{
    private const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    public const int Overhead = NonceSize + TagSize;

    /// <param name="key">16, 24 or 32 bytes.</param>
    public SealingKey(byte[] key) => _key = key;

    /// <param name="keyFile">The key file, made on first use; null keeps a fresh key in memory only.</param>
    public static SealingKey FromFile(string? keyFile) =>
        new(keyFile is null ? RandomNumberGenerator.GetBytes(KeySize) : DataDirectory.ReadOrCreateSecret(keyFile, KeySize));

    public byte[] Seal(ReadOnlySpan<byte> plain, ReadOnlySpan<byte> associatedData)
    {
        var sealedValue = new byte[NonceSize + TagSize + plain.Length];
        var nonce = sealedValue.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plain, sealedValue.AsSpan(NonceSize + TagSize), sealedValue.AsSpan(NonceSize, TagSize), associatedData);
        return sealedValue;
    }

    /// <summary>The plain bytes, or null when the value was not sealed under this key with this associated data (a replaced key file, a tampered value).</summary>
    public byte[]? TryOpen(ReadOnlySpan<byte> sealedValue, ReadOnlySpan<byte> associatedData)
    {
        if (sealedValue.Length < NonceSize + TagSize) return null;
        var plain = new byte[sealedValue.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        try
        {
            aes.Decrypt(sealedValue[..NonceSize], sealedValue[(NonceSize + TagSize)..], sealedValue.Slice(NonceSize, TagSize), plain, associatedData);
            return plain;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }
}
