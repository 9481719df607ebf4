using System.Text.Json;
using System.Text.RegularExpressions;
using Stratus.Protocols;
using Stratus.Protocols.Json;

namespace Stratus.Services.Kms;

/// <summary>KMS's member constraints (botocore's kms model) and quotas, refused with KMS's wording.</summary>
public static partial class KmsRules
{
    public const int MaxPlaintext = 4096;
    public const int MaxCiphertext = 6144;
    public const int MaxPolicyLength = 32768;
    public const int MaxDescriptionLength = 8192;
    public const int MaxTags = 50;
    public const int MinPendingWindow = 7;
    public const int MaxPendingWindow = 30;
    public const int DefaultPendingWindow = 30;
    public const int MinRotationPeriod = 90;
    public const int MaxRotationPeriod = 2560;
    public const int DefaultRotationPeriod = 365;
    public const int MaxListLimit = 1000;
    public const int DefaultListLimit = 100;

    public static readonly string[] KeySpecs =
        ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SYMMETRIC_DEFAULT",
         "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ECC_NIST_EDWARDS25519"];
    public static readonly string[] KeyUsages = ["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"];

    private static ValidationStyle Style => ValidationStyle.Smithy;

    /// <summary>
    /// KMS's member constraints, declared once: the published model's (KmsRules.json, written by
    /// scripts/member-rules.py), answered as ValidationException in Smithy's wording before an operation
    /// runs. The checks below are KMS's own beyond the model (which key specs are built, key usage against
    /// key spec, the alias prefix, the pending window of 7 to 30 days) and what a template sets.
    /// </summary>
    public static readonly MemberRules Members = MemberRules.Embedded("Stratus.Rules.KmsRules.json");

    [GeneratedRegex("^[a-zA-Z0-9:/_-]+$")]
    private static partial Regex AliasCharacters();

    /// <summary>The HMAC key specs Stratus builds, with their key length and their one MAC algorithm (.NET has no HMAC-SHA-224).</summary>
    private static readonly Dictionary<string, (int Bytes, string Algorithm)> HmacSpecs = new()
    {
        ["HMAC_256"] = (32, "HMAC_SHA_256"),
        ["HMAC_384"] = (48, "HMAC_SHA_384"),
        ["HMAC_512"] = (64, "HMAC_SHA_512"),
    };

    public static bool IsHmac(string keySpec) => HmacSpecs.ContainsKey(keySpec);

    /// <summary>The bytes of material a key spec needs: 256 bits for SYMMETRIC_DEFAULT, the HMAC's own length otherwise.</summary>
    public static int MaterialLength(string keySpec) => HmacSpecs.TryGetValue(keySpec, out var hmac) ? hmac.Bytes : 32;

    /// <summary>The MAC algorithm an HMAC key spec computes (AWS ties each HMAC key to one).</summary>
    public static string? MacAlgorithm(string keySpec) => HmacSpecs.TryGetValue(keySpec, out var hmac) ? hmac.Algorithm : null;

    /// <summary>The key spec; every spec AWS has is known, SYMMETRIC_DEFAULT and HMAC_256/384/512 are built, the rest are refused by name.</summary>
    public static string CheckKeySpec(string keySpec)
    {
        if (!KeySpecs.Contains(keySpec)) throw Style.Rejected("keySpec", keySpec, $"Member must satisfy enum value set: [{string.Join(", ", KeySpecs)}]");
        if (keySpec != "SYMMETRIC_DEFAULT" && !IsHmac(keySpec))
            throw KmsErrors.NotBuilt($"KeySpec {keySpec} (asymmetric, SM2, ML-DSA and HMAC_224 keys); it builds SYMMETRIC_DEFAULT encryption keys and HMAC_256/384/512 keys");
        return keySpec;
    }

    /// <summary>The key usage, which a key spec fixes: ENCRYPT_DECRYPT for SYMMETRIC_DEFAULT (the default), GENERATE_VERIFY_MAC for HMAC keys.</summary>
    public static string CheckKeyUsage(string keySpec, string? keyUsage)
    {
        if (keyUsage is not null && !KeyUsages.Contains(keyUsage))
            throw Style.Rejected("keyUsage", keyUsage, $"Member must satisfy enum value set: [{string.Join(", ", KeyUsages)}]");
        var usage = keyUsage ?? "ENCRYPT_DECRYPT";
        var required = IsHmac(keySpec) ? "GENERATE_VERIFY_MAC" : "ENCRYPT_DECRYPT";
        if (usage != required) throw KmsErrors.Validation($"KeyUsage {usage} is not compatible with KeySpec {keySpec}.");
        return usage;
    }

    public const int MaxKeyIdLength = 2048;

    public static void CheckKeyId(string keyId)
    {
        if (keyId.Length is 0 or > MaxKeyIdLength)
            throw Style.Rejected("keyId", keyId, $"Member must have length {(keyId.Length == 0 ? "greater than or equal to 1" : $"less than or equal to {MaxKeyIdLength}")}");
    }

    public static void CheckDescription(string? description)
    {
        if (description is { Length: > MaxDescriptionLength })
            throw Style.Rejected("description", description, $"Member must have length less than or equal to {MaxDescriptionLength}");
    }

    /// <summary>A key policy is JSON with a Statement, at most 32 KB (KMS's quota).</summary>
    public static string CheckPolicy(string policy)
    {
        if (policy.Length > MaxPolicyLength) throw KmsErrors.LimitExceeded($"The key policy is larger than the {MaxPolicyLength}-byte key policy quota.");
        try
        {
            using var document = JsonBody.ParseMemberDocument(policy, 32);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("Statement", out _))
                throw KmsErrors.MalformedPolicy("The policy document must be a JSON object with a Statement.");
        }
        catch (JsonException)
        {
            throw KmsErrors.MalformedPolicy("The policy document is not valid JSON.");
        }
        return policy;
    }

    public static void CheckTags(IReadOnlyDictionary<string, string> tags)
    {
        if (tags.Count > MaxTags) throw KmsErrors.Tag($"A KMS key can have at most {MaxTags} tags.");
        foreach (var (key, value) in tags)
        {
            if (key.Length is 0 or > 128) throw KmsErrors.Tag($"Tag key '{key}' must be 1 to 128 characters long.");
            if (value.Length > 256) throw KmsErrors.Tag($"The value of tag '{key}' must be at most 256 characters long.");
            if (key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase)) throw KmsErrors.Tag("Tags beginning with aws: are reserved.");
        }
    }

    /// <summary>An alias name a caller may create, update or delete: alias/..., not in the reserved alias/aws/ space.</summary>
    public static string CheckAliasName(string aliasName)
    {
        if (aliasName.Length is 0 or > 256) throw Style.Rejected("aliasName", aliasName, "Member must have length less than or equal to 256");
        if (!AliasCharacters().IsMatch(aliasName)) throw Style.Rejected("aliasName", aliasName, "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$");
        if (!aliasName.StartsWith("alias/", StringComparison.Ordinal) || aliasName.Length == "alias/".Length) throw KmsErrors.AliasPrefix();
        if (aliasName.StartsWith("alias/aws/", StringComparison.Ordinal)) throw KmsErrors.ReservedAlias();
        return aliasName;
    }

    public static int CheckPendingWindow(int? days)
    {
        var window = days ?? DefaultPendingWindow;
        Style.CheckRange("pendingWindowInDays", window, MinPendingWindow, MaxPendingWindow);
        return window;
    }

    public static int CheckRotationPeriod(int? days)
    {
        var period = days ?? DefaultRotationPeriod;
        Style.CheckRange("rotationPeriodInDays", period, MinRotationPeriod, MaxRotationPeriod);
        return period;
    }

    public static int CheckNumberOfBytes(int bytes)
    {
        Style.CheckRange("numberOfBytes", bytes, 1, 1024);
        return bytes;
    }

    /// <summary>A data key's length: NumberOfBytes or KeySpec (AES_256, AES_128), exactly one of them.</summary>
    public static int DataKeyLength(int? numberOfBytes, string? keySpec)
    {
        if ((numberOfBytes is null) == (keySpec is null)) throw KmsErrors.Validation("Please specify either number of bytes or key spec.");
        return keySpec switch
        {
            null => CheckNumberOfBytes(numberOfBytes!.Value),
            "AES_256" => 32,
            "AES_128" => 16,
            _ => throw Style.Rejected("keySpec", keySpec, "Member must satisfy enum value set: [AES_256, AES_128]"),
        };
    }

    public static byte[] CheckPlaintext(byte[] plaintext)
    {
        if (plaintext.Length is 0 or > MaxPlaintext)
            throw Style.Rejected("plaintext", $"Member must have length {(plaintext.Length == 0 ? "greater than or equal to 1" : $"less than or equal to {MaxPlaintext}")}");
        return plaintext;
    }

    public static byte[] CheckMessage(byte[] message)
    {
        if (message.Length is 0 or > MaxPlaintext)
            throw Style.Rejected("message", $"Member must have length {(message.Length == 0 ? "greater than or equal to 1" : $"less than or equal to {MaxPlaintext}")}");
        return message;
    }

    public static byte[] CheckCiphertext(byte[] ciphertext)
    {
        if (ciphertext.Length is 0 or > MaxCiphertext)
            throw Style.Rejected("ciphertextBlob", $"Member must have length {(ciphertext.Length == 0 ? "greater than or equal to 1" : $"less than or equal to {MaxCiphertext}")}");
        return ciphertext;
    }

    /// <summary>Only the SYMMETRIC_DEFAULT algorithm serves a SYMMETRIC_DEFAULT key.</summary>
    public static void CheckEncryptionAlgorithm(string? algorithm)
    {
        if (algorithm is null or "SYMMETRIC_DEFAULT") return;
        if (algorithm is "RSAES_OAEP_SHA_1" or "RSAES_OAEP_SHA_256" or "SM2PKE")
            throw KmsErrors.AlgorithmNotForSymmetricKey(algorithm);
        throw Style.Rejected("encryptionAlgorithm", algorithm, "Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]");
    }

    public static int CheckLimit(int? limit)
    {
        if (limit is null) return DefaultListLimit;
        Style.CheckRange("limit", limit.Value, 1, MaxListLimit);
        return limit.Value;
    }

    public static (IReadOnlyList<T> Page, string? Next) Page<T>(IReadOnlyList<T> items, string? marker, int? limit) =>
        OffsetPaging.Page(items, marker, CheckLimit(limit), KmsErrors.InvalidMarker);
}
