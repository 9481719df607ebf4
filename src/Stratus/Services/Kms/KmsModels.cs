using System.Text.Json.Serialization;
using Stratus.Protocols;

namespace Stratus.Services.Kms;

/// <summary>One generation of a key's material: 32 random bytes, stored sealed under Stratus's key (base64), never in plain text.</summary>
public sealed record KmsKeyMaterial(string Id, string Sealed, DateTimeOffset CreatedAt);

/// <summary>
/// A KMS key. Materials are its generations, oldest first: rotation adds one and encrypts with the newest, while
/// ciphertext made under an older generation still decrypts, as on AWS.
/// </summary>
public sealed record KmsKey(
    string KeyId,
    string Arn,
    string AccountId,
    string Description,
    string KeySpec,
    string KeyUsage,
    string KeyState,
    string KeyManager,
    DateTimeOffset CreationDate,
    string Policy,
    IReadOnlyList<KmsKeyMaterial> Materials,
    IReadOnlyDictionary<string, string> Tags,
    DateTimeOffset? DeletionDate = null,
    int? PendingDeletionWindowInDays = null,
    int? RotationPeriodInDays = null,
    DateTimeOffset? NextRotationDate = null,
    DateTimeOffset? OnDemandRotationStartDate = null)
{
    [JsonIgnore] public bool RotationEnabled => RotationPeriodInDays is not null;
    [JsonIgnore] public bool IsAwsManaged => KeyManager == "AWS";
    [JsonIgnore] public string Region => Arn.Split(':')[3];
}

/// <summary>An alias: a name (alias/...) for one key of the same account and region.</summary>
public sealed record KmsAlias(string AliasName, string AliasArn, string TargetKeyId, DateTimeOffset CreationDate, DateTimeOffset LastUpdatedDate);

/// <summary>What CreateKey asks for, read once for the wire and for AWS::KMS::Key.</summary>
public sealed record CreateKeyRequest(string? Description, string KeySpec, string KeyUsage, string? Policy, IReadOnlyDictionary<string, string> Tags)
{
    public static CreateKeyRequest Read(IInputReader input)
    {
        // CustomerMasterKeySpec is KeySpec's deprecated name; AWS::KMS::Key says KeySpec only. Tags are a list
        // of TagKey/TagValue on the wire and Key/Value in a template.
        var keySpec = input.String("KeySpec") ?? (input.FromTemplate ? null : input.String("CustomerMasterKeySpec"));
        var (tagKey, tagValue) = input.FromTemplate ? ("Key", "Value") : ("TagKey", "TagValue");
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in input.Objects("Tags")) tags[tag.Required(tagKey)] = tag.String(tagValue) ?? "";
        KmsRules.CheckTags(tags);
        if (input.String("Origin") is { } origin && origin != "AWS_KMS") throw KmsErrors.NotBuilt($"Origin {origin} (imported, CloudHSM or external key store key material)");
        if (input.Bool("MultiRegion") == true) throw KmsErrors.NotBuilt("multi-Region keys");
        if (input.Has("CustomKeyStoreId")) throw KmsErrors.NotBuilt("custom key stores");
        var spec = KmsRules.CheckKeySpec(keySpec ?? "SYMMETRIC_DEFAULT");
        return new CreateKeyRequest(
            input.String("Description"),
            spec,
            KmsRules.CheckKeyUsage(spec, input.String("KeyUsage")),
            input.Has(input.FromTemplate ? "KeyPolicy" : "Policy") ? input.RequiredDocument(input.FromTemplate ? "KeyPolicy" : "Policy") : null,
            tags);
    }
}

/// <summary>What Decrypt and ReEncrypt learn from a ciphertext blob, and the plain text it held.</summary>
public sealed record KmsDecrypted(KmsKey Key, byte[] Plaintext, string MaterialId);
