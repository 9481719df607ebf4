using System.Security.Cryptography;
using Stratus.Host;
using Stratus.Protocols.Json;

namespace Stratus.Services.Kms;

/// <summary>
/// KMS's wire operations (AWS JSON 1.1, TrentService; signing name kms): request members in, domain call, response
/// shape out. Blobs travel base64, as the JSON protocols carry them.
/// </summary>
public sealed class KmsApi : IStratusService
{
    private const string Algorithm = "SYMMETRIC_DEFAULT";
    private readonly KmsService _kms;

    public KmsApi(KmsService kms, ILogger logger)
    {
        _kms = kms;
        Endpoint = new ServiceEndpoint("kms", Operations(), new AwsJsonProtocol("TrentService", "1.1"))
        {
            Logger = logger,
            Rules = KmsRules.Members,
        };
    }

    public string Name => "kms";
    public ServiceEndpoint Endpoint { get; }

    private OperationTable Operations() => new()
    {
        { "CreateKey", i => new JsonObject { ["KeyMetadata"] = Metadata(_kms.CreateKey(i.Scope, CreateKeyRequest.Read(i))) } },
        { "DescribeKey", i => new JsonObject { ["KeyMetadata"] = Metadata(_kms.Describe(i.Scope, i.Required("KeyId"))) } },
        { "ListKeys", i =>
            {
                var (page, next) = KmsRules.Page(_kms.ListKeys(i.Scope), i.String("Marker"), i.Int("Limit"));
                return Listing("Keys", page.Select(k => new JsonObject { ["KeyId"] = k.KeyId, ["KeyArn"] = k.Arn }), next);
            } },
        { "UpdateKeyDescription", i => Empty(_kms.UpdateDescription(i.Scope, i.Required("KeyId"), i.Required("Description"))) },
        { "EnableKey", i => Empty(_kms.Enable(i.Scope, i.Required("KeyId"))) },
        { "DisableKey", i => Empty(_kms.Disable(i.Scope, i.Required("KeyId"))) },
        { "ScheduleKeyDeletion", i =>
            {
                var key = _kms.ScheduleDeletion(i.Scope, i.Required("KeyId"), i.Int("PendingWindowInDays"));
                return new JsonObject
                {
                    ["KeyId"] = key.Arn, ["DeletionDate"] = Seconds(key.DeletionDate!.Value), ["KeyState"] = key.KeyState,
                    ["PendingWindowInDays"] = key.PendingDeletionWindowInDays,
                };
            } },
        { "CancelKeyDeletion", i => new JsonObject { ["KeyId"] = _kms.CancelDeletion(i.Scope, i.Required("KeyId")).Arn } },

        { "EnableKeyRotation", i => Empty(_kms.EnableRotation(i.Scope, i.Required("KeyId"), i.Int("RotationPeriodInDays"))) },
        { "DisableKeyRotation", i => Empty(_kms.DisableRotation(i.Scope, i.Required("KeyId"))) },
        { "RotateKeyOnDemand", i => new JsonObject { ["KeyId"] = _kms.RotateOnDemand(i.Scope, i.Required("KeyId")).KeyId } },
        { "GetKeyRotationStatus", i =>
            {
                var key = _kms.RotationStatus(i.Scope, i.Required("KeyId"));
                var status = new JsonObject { ["KeyRotationEnabled"] = key.RotationEnabled, ["KeyId"] = key.Arn };
                if (key.RotationPeriodInDays is { } period) status["RotationPeriodInDays"] = period;
                if (key.NextRotationDate is { } next) status["NextRotationDate"] = Seconds(next);
                if (key.OnDemandRotationStartDate is { } onDemand) status["OnDemandRotationStartDate"] = Seconds(onDemand);
                return status;
            } },

        { "GetKeyPolicy", i =>
            {
                var name = i.String("PolicyName") ?? KmsService.DefaultPolicyName;
                return new JsonObject { ["Policy"] = _kms.GetPolicy(i.Scope, i.Required("KeyId"), name), ["PolicyName"] = name };
            } },
        { "PutKeyPolicy", i =>
            {
                _kms.PutPolicy(i.Scope, i.Required("KeyId"), i.String("PolicyName"), i.Required("Policy"));
                return new JsonObject();
            } },
        { "ListKeyPolicies", i =>
            {
                _kms.GetPolicy(i.Scope, i.Required("KeyId"), null);
                return Listing("PolicyNames", new JsonNode[] { KmsService.DefaultPolicyName }, null);
            } },
        { "TagResource", i =>
            {
                _kms.Tag(i.Scope, i.Required("KeyId"), Tags(i));
                return new JsonObject();
            } },
        { "UntagResource", i =>
            {
                _kms.Untag(i.Scope, i.Required("KeyId"), i.Strings("TagKeys").ToHashSet(StringComparer.Ordinal));
                return new JsonObject();
            } },
        { "ListResourceTags", i =>
            {
                var tags = _kms.Tags(i.Scope, i.Required("KeyId")).OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
                var (page, next) = KmsRules.Page(tags, i.String("Marker"), i.Int("Limit"));
                return Listing("Tags", page.Select(t => new JsonObject { ["TagKey"] = t.Key, ["TagValue"] = t.Value }), next);
            } },

        { "Encrypt", i => DryRunnable(i, () =>
            {
                KmsRules.CheckEncryptionAlgorithm(i.String("EncryptionAlgorithm"));
                var (key, blob) = _kms.EncryptUnder(i.Scope, i.Required("KeyId"), Blob(i, "Plaintext"), i.StringMap("EncryptionContext"));
                return new JsonObject { ["CiphertextBlob"] = Convert.ToBase64String(blob), ["KeyId"] = key.Arn, ["EncryptionAlgorithm"] = Algorithm };
            }) },
        { "Decrypt", i => DryRunnable(i, () =>
            {
                KmsRules.CheckEncryptionAlgorithm(i.String("EncryptionAlgorithm"));
                if (i.Has("Recipient")) throw KmsErrors.NotBuilt("Recipient (Nitro Enclaves attestation)");
                var result = _kms.Decrypt(i.Scope, Blob(i, "CiphertextBlob"), i.StringMap("EncryptionContext"), i.String("KeyId"));
                return new JsonObject
                {
                    ["KeyId"] = result.Key.Arn, ["Plaintext"] = Convert.ToBase64String(result.Plaintext), ["EncryptionAlgorithm"] = Algorithm,
                    ["KeyMaterialId"] = result.MaterialId,
                };
            }) },
        { "GenerateDataKey", i => DryRunnable(i, () => DataKey(i, withPlaintext: true)) },
        { "GenerateDataKeyWithoutPlaintext", i => DryRunnable(i, () => DataKey(i, withPlaintext: false)) },
        { "ReEncrypt", i => DryRunnable(i, () =>
            {
                KmsRules.CheckEncryptionAlgorithm(i.String("SourceEncryptionAlgorithm"));
                KmsRules.CheckEncryptionAlgorithm(i.String("DestinationEncryptionAlgorithm"));
                var (source, destination, blob) = _kms.ReEncrypt(i.Scope, Blob(i, "CiphertextBlob"), i.StringMap("SourceEncryptionContext"),
                    i.String("SourceKeyId"), i.Required("DestinationKeyId"), i.StringMap("DestinationEncryptionContext"));
                return new JsonObject
                {
                    ["CiphertextBlob"] = Convert.ToBase64String(blob), ["SourceKeyId"] = source.Key.Arn, ["KeyId"] = destination.Arn,
                    ["SourceEncryptionAlgorithm"] = Algorithm, ["DestinationEncryptionAlgorithm"] = Algorithm,
                    ["SourceKeyMaterialId"] = source.MaterialId, ["DestinationKeyMaterialId"] = destination.Materials[^1].Id,
                };
            }) },
        { "GenerateMac", i => DryRunnable(i, () =>
            {
                var algorithm = MacAlgorithm(i);
                var (key, mac) = _kms.GenerateMac(i.Scope, i.Required("KeyId"), algorithm, Blob(i, "Message"));
                return new JsonObject { ["Mac"] = Convert.ToBase64String(mac), ["MacAlgorithm"] = algorithm, ["KeyId"] = key.Arn };
            }) },
        { "VerifyMac", i => DryRunnable(i, () =>
            {
                var algorithm = MacAlgorithm(i);
                var key = _kms.VerifyMac(i.Scope, i.Required("KeyId"), algorithm, Blob(i, "Message"), Blob(i, "Mac"));
                return new JsonObject { ["KeyId"] = key.Arn, ["MacValid"] = true, ["MacAlgorithm"] = algorithm };
            }) },
        { "GenerateRandom", i =>
            {
                if (i.Has("CustomKeyStoreId")) throw KmsErrors.NotBuilt("custom key stores");
                if (i.Has("Recipient")) throw KmsErrors.NotBuilt("Recipient (Nitro Enclaves attestation)");
                var length = KmsRules.CheckNumberOfBytes(i.Int("NumberOfBytes") ?? throw i.Style.Missing("NumberOfBytes"));
                return new JsonObject { ["Plaintext"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(length)) };
            } },

        { "CreateAlias", i =>
            {
                _kms.CreateAlias(i.Scope, i.Required("AliasName"), i.Required("TargetKeyId"));
                return new JsonObject();
            } },
        { "UpdateAlias", i =>
            {
                _kms.UpdateAlias(i.Scope, i.Required("AliasName"), i.Required("TargetKeyId"));
                return new JsonObject();
            } },
        { "DeleteAlias", i =>
            {
                _kms.DeleteAlias(i.Scope, i.Required("AliasName"));
                return new JsonObject();
            } },
        { "ListAliases", i =>
            {
                var (page, next) = KmsRules.Page(_kms.ListAliases(i.Scope, i.String("KeyId")), i.String("Marker"), i.Int("Limit"));
                return Listing("Aliases", page.Select(Alias), next);
            } },
    };

    private JsonObject DataKey(OperationInput i, bool withPlaintext)
    {
        if (i.Has("Recipient")) throw KmsErrors.NotBuilt("Recipient (Nitro Enclaves attestation)");
        var length = KmsRules.DataKeyLength(i.Int("NumberOfBytes"), i.String("KeySpec"));
        var (key, plaintext, blob) = _kms.GenerateDataKey(i.Scope, i.Required("KeyId"), length, i.StringMap("EncryptionContext"));
        var result = new JsonObject { ["CiphertextBlob"] = Convert.ToBase64String(blob) };
        if (withPlaintext) result["Plaintext"] = Convert.ToBase64String(plaintext);
        result["KeyId"] = key.Arn;
        result["KeyMaterialId"] = key.Materials[^1].Id;
        return result;
    }

    private static readonly string[] MacAlgorithms = ["HMAC_SHA_224", "HMAC_SHA_256", "HMAC_SHA_384", "HMAC_SHA_512"];

    private static string MacAlgorithm(OperationInput i)
    {
        var algorithm = i.Required("MacAlgorithm");
        return MacAlgorithms.Contains(algorithm) ? algorithm
            : throw i.Style.Rejected("macAlgorithm", algorithm, $"Member must satisfy enum value set: [{string.Join(", ", MacAlgorithms)}]");
    }

    /// <summary>
    /// DryRun: the call is checked in full and its answer dropped; cryptographic operations change nothing, so running
    /// them is the check. AWS answers DryRunOperationException for a call that would have succeeded.
    /// </summary>
    private static JsonObject DryRunnable(OperationInput i, Func<JsonObject> operation)
    {
        var result = operation();
        return i.Bool("DryRun") == true
            ? throw KmsErrors.DryRun()
            : result;
    }

    public static JsonObject Metadata(KmsKey key)
    {
        var json = new JsonObject
        {
            ["AWSAccountId"] = key.AccountId,
            ["KeyId"] = key.KeyId,
            ["Arn"] = key.Arn,
            ["CreationDate"] = Seconds(key.CreationDate),
            ["Enabled"] = key.KeyState == "Enabled",
            ["Description"] = key.Description,
            ["KeyUsage"] = key.KeyUsage,
            ["KeyState"] = key.KeyState,
            ["Origin"] = "AWS_KMS",
            ["KeyManager"] = key.KeyManager,
            ["CustomerMasterKeySpec"] = key.KeySpec,
            ["KeySpec"] = key.KeySpec,
            ["MultiRegion"] = false,
            ["CurrentKeyMaterialId"] = key.Materials[^1].Id,
        };
        if (KmsRules.MacAlgorithm(key.KeySpec) is { } mac) json["MacAlgorithms"] = new JsonArray(mac);
        else json["EncryptionAlgorithms"] = new JsonArray(Algorithm);
        if (key.DeletionDate is { } deletion) json["DeletionDate"] = Seconds(deletion);
        if (key.PendingDeletionWindowInDays is { } window) json["PendingDeletionWindowInDays"] = window;
        return json;
    }

    private static JsonObject Alias(KmsAlias alias)
    {
        var json = new JsonObject { ["AliasName"] = alias.AliasName, ["AliasArn"] = alias.AliasArn };
        // A predefined AWS alias whose managed key is not made yet has no target and no dates.
        if (alias.TargetKeyId.Length == 0) return json;
        json["TargetKeyId"] = alias.TargetKeyId;
        json["CreationDate"] = Seconds(alias.CreationDate);
        json["LastUpdatedDate"] = Seconds(alias.LastUpdatedDate);
        return json;
    }

    private static JsonObject Listing(string member, IEnumerable<JsonNode> items, string? next)
    {
        var json = new JsonObject { [member] = new JsonArray([.. items]), ["Truncated"] = next is not null };
        if (next is not null) json["NextMarker"] = next;
        return json;
    }

    private static JsonObject Empty(KmsKey _) => new();

    private static byte[] Blob(OperationInput i, string name)
    {
        try { return Convert.FromBase64String(i.Required(name)); }
        catch (FormatException) { throw i.Style.Invalid(name, "must be base64-encoded binary data"); }
    }

    private static Dictionary<string, string> Tags(OperationInput i)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in i.List("Tags").Select(node => i.Nested(node as JsonObject ?? throw i.Style.Invalid("Tags", "must be a list of structures"))))
            tags[tag.Required("TagKey")] = tag.Required("TagValue");
        return tags;
    }

    private static double Seconds(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / 1000.0;
}
