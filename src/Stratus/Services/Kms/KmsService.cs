using System.Security.Cryptography;
using System.Text;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Iam.Engine;
using Stratus.Services.Kms.Engine;

namespace Stratus.Services.Kms;

/// <summary>What other services encrypt with through KMS (SSM's SecureString), reached through the domain, never over HTTP.</summary>
public interface IKmsEncryption
{
    /// <summary>A ciphertext blob under the key a key id, key ARN, alias name or alias ARN names, bound to the encryption context.</summary>
    byte[] Encrypt(Scope scope, string keyId, byte[] plaintext, IReadOnlyDictionary<string, string> context);

    /// <summary>The plain text of a blob Encrypt made with the same encryption context.</summary>
    KmsDecrypted Decrypt(Scope scope, byte[] ciphertext, IReadOnlyDictionary<string, string> context, string? keyId);

    /// <summary>
    /// The plain text of a blob a service keeps at rest with its data, opened when the service loads that data at start,
    /// whatever the key's state: a disabled key's data stays on the disk and readable again once it is enabled, and the
    /// service refuses reads while the key cannot decrypt (<see cref="IKmsKeyUse.CheckDecryptable"/>). A deleted key's blobs never open.
    /// </summary>
    KmsDecrypted OpenAtRest(Scope scope, byte[] ciphertext, IReadOnlyDictionary<string, string> context);
}

/// <summary>
/// What a service that keeps data under a customer's key asks KMS about that key, as AWS's services ask it: whether
/// the key takes a grant (Lambda's CreateGrant when a function is given a key) and whether it decrypts now. Each
/// throws KMS's own error, which the asking service carries inside its own, as AWS's services do.
/// </summary>
public interface IKmsKeyUse
{
    /// <summary>The key ARN or id names a symmetric encryption key of the caller that is not pending deletion (disabled keys take grants).</summary>
    void CheckGrantable(Scope scope, string keyId);

    /// <summary>The key ARN or id names a symmetric encryption key that decrypts now: enabled, not pending deletion, not deleted.</summary>
    void CheckDecryptable(Scope scope, string keyId);

    /// <summary>
    /// Whether the key policy of the key (a key ARN or id, as services that keep data under a key take it) allows a service
    /// principal (logs.REGION.amazonaws.com) each of the actions with this encryption context, as KMS decides a service's
    /// call on the caller's behalf; KMS's own error when the key does not encrypt now (not found, disabled, pending deletion, not for encryption).
    /// </summary>
    bool AllowsService(Scope scope, string keyId, string servicePrincipal, IReadOnlyList<string> actions, IReadOnlyDictionary<string, string> context);
}

/// <summary>
/// KMS: symmetric encryption keys with their aliases, states, rotation, policies and tags, written through to the
/// store. Key material is kept sealed under Stratus's key file (kms-keys.key); time-driven changes (scheduled
/// rotation, the end of a deletion window) are applied when the key is next looked at, at the time AWS would have.
/// </summary>
public sealed class KmsService : IKmsEncryption, IKmsKeyUse
{
    public const string DefaultPolicyName = "default";

    /// <summary>
    /// AWS's predefined aliases for AWS managed keys: listed before their key exists, and the key made the first
    /// time one is used (DescribeKey, Encrypt, GenerateDataKey), as AWS does.
    /// </summary>
    public static readonly string[] AwsManagedAliases =
        [.. new[] { "acm", "backup", "codecommit", "dynamodb", "ebs", "ecr", "elasticfilesystem", "es", "glue", "kinesis", "kinesisvideo",
                    "lambda", "lightsail", "rds", "redshift", "s3", "secretsmanager", "sns", "sqs", "ssm", "xray" }.Select(s => "alias/aws/" + s)];

    private readonly ResourceTable<KmsKey> _keys;
    private readonly ResourceTable<KmsAlias> _aliases;
    private readonly TimeProvider _clock;
    private readonly SealingKey _sealingKey;

    /// <param name="keyFile">Stratus's key for key material at rest; null (ephemeral) keeps it in memory only.</param>
    public KmsService(StateStore store, TimeProvider clock, string? keyFile)
    {
        _clock = clock;
        _keys = new ResourceTable<KmsKey>(store, "kms.keys");
        _aliases = new ResourceTable<KmsAlias>(store, "kms.aliases");
        _sealingKey = SealingKey.FromFile(keyFile);
    }

    public static string KeyArn(Scope scope, string keyId) => $"arn:aws:kms:{scope.Region}:{scope.AccountId}:key/{keyId}";
    public static string AliasArn(Scope scope, string aliasName) => $"arn:aws:kms:{scope.Region}:{scope.AccountId}:{aliasName}";

    private static string KeyKey(Scope scope, string keyId) => ResourceTable<KmsKey>.Key(scope.AccountId, scope.Region, keyId);
    private static string AliasKey(Scope scope, string aliasName) => ResourceTable<KmsAlias>.Key(scope.AccountId, scope.Region, aliasName);
    private static string ScopePrefix(Scope scope) => ResourceTable<KmsKey>.Key(scope.AccountId, scope.Region, "");

    // ---- keys ----

    public KmsKey CreateKey(Scope scope, CreateKeyRequest request)
    {
        KmsRules.CheckDescription(request.Description);
        var policy = KmsRules.CheckPolicy(request.Policy ?? DefaultPolicy(scope));
        return AddKey(scope, request.KeySpec, request.KeyUsage, request.Description ?? "", "CUSTOMER", policy, request.Tags, rotationPeriod: null);
    }

    private KmsKey AddKey(Scope scope, string keySpec, string keyUsage, string description, string keyManager, string policy,
        IReadOnlyDictionary<string, string> tags, int? rotationPeriod)
    {
        var keyId = Guid.NewGuid().ToString("D");
        var arn = KeyArn(scope, keyId);
        var now = _clock.GetUtcNow();
        var key = new KmsKey(keyId, arn, scope.AccountId, description, keySpec, keyUsage, "Enabled", keyManager, now, policy,
            [NewMaterial(arn, keySpec, now)], tags, RotationPeriodInDays: rotationPeriod, NextRotationDate: rotationPeriod is { } days ? now.AddDays(days) : null);
        _keys.Put(KeyKey(scope, keyId), key);
        return key;
    }

    /// <summary>The key an identifier names: key id, key ARN, alias name or alias ARN (aliases only where AWS takes them).</summary>
    public KmsKey Describe(Scope scope, string keyId) => Resolve(scope, keyId, aliases: true);

    public IReadOnlyList<KmsKey> ListKeys(Scope scope) =>
        [.. _keys.Entries.Where(e => e.Key.StartsWith(ScopePrefix(scope), StringComparison.Ordinal)).Select(e => Settle(scope, e.Value))
            .OfType<KmsKey>().OrderBy(k => k.CreationDate).ThenBy(k => k.KeyId, StringComparer.Ordinal)];

    /// <summary>Every key of every account and region (the console's view), as stored: time-driven changes wait for the next use.</summary>
    public IEnumerable<KmsKey> AllKeys() => _keys.Values;

    public KmsKey UpdateDescription(Scope scope, string keyId, string description)
    {
        KmsRules.CheckDescription(description);
        return Change(scope, keyId, key => NotPendingDeletion(key) with { Description = description });
    }

    public KmsKey Enable(Scope scope, string keyId) =>
        Change(scope, keyId, key => NotPendingDeletion(CustomerManaged(key)) with { KeyState = "Enabled" });

    public KmsKey Disable(Scope scope, string keyId) =>
        Change(scope, keyId, key => NotPendingDeletion(CustomerManaged(key)) with { KeyState = "Disabled" });

    /// <summary>Starts the waiting period (7 to 30 days); at its end the key and its aliases are gone, as on AWS.</summary>
    public KmsKey ScheduleDeletion(Scope scope, string keyId, int? pendingWindowInDays)
    {
        var window = KmsRules.CheckPendingWindow(pendingWindowInDays);
        return Change(scope, keyId, key => NotPendingDeletion(CustomerManaged(key)) with
        {
            KeyState = "PendingDeletion",
            DeletionDate = _clock.GetUtcNow().AddDays(window),
            PendingDeletionWindowInDays = window,
        });
    }

    /// <summary>Ends the waiting period; the key is left Disabled, as AWS leaves it.</summary>
    public KmsKey CancelDeletion(Scope scope, string keyId) =>
        Change(scope, keyId, key => key.KeyState == "PendingDeletion"
            ? key with { KeyState = "Disabled", DeletionDate = null, PendingDeletionWindowInDays = null }
            : throw KmsErrors.NotPendingDeletion(key.Arn));

    // ---- rotation ----

    public KmsKey EnableRotation(Scope scope, string keyId, int? rotationPeriodInDays)
    {
        var period = KmsRules.CheckRotationPeriod(rotationPeriodInDays);
        return Change(scope, keyId, key => Enabled(Rotatable(CustomerManaged(key))) with
        {
            RotationPeriodInDays = period,
            // AWS rotates a period after rotation is turned on (or its period changed).
            NextRotationDate = _clock.GetUtcNow().AddDays(period),
        });
    }

    public KmsKey DisableRotation(Scope scope, string keyId) =>
        Change(scope, keyId, key => Enabled(CustomerManaged(key)) with { RotationPeriodInDays = null, NextRotationDate = null });

    public KmsKey RotationStatus(Scope scope, string keyId) => NotPendingDeletion(Resolve(scope, keyId, aliases: false));

    /// <summary>A new generation of material now; ciphertext under earlier ones still decrypts.</summary>
    public KmsKey RotateOnDemand(Scope scope, string keyId) =>
        Change(scope, keyId, key =>
        {
            var now = _clock.GetUtcNow();
            return Enabled(Rotatable(CustomerManaged(key))) with { Materials = [.. key.Materials, NewMaterial(key.Arn, key.KeySpec, now)], OnDemandRotationStartDate = now };
        });

    // ---- policies and tags ----

    public string GetPolicy(Scope scope, string keyId, string? policyName)
    {
        var key = NotPendingDeletion(Resolve(scope, keyId, aliases: false));
        return (policyName ?? DefaultPolicyName) == DefaultPolicyName ? key.Policy : throw KmsErrors.PolicyNotFound();
    }

    public void PutPolicy(Scope scope, string keyId, string? policyName, string policy)
    {
        KmsRules.CheckPolicy(policy);
        if ((policyName ?? DefaultPolicyName) != DefaultPolicyName) throw KmsErrors.PolicyNotFound();
        Change(scope, keyId, key => NotPendingDeletion(CustomerManaged(key)) with { Policy = policy });
    }

    public void Tag(Scope scope, string keyId, IReadOnlyDictionary<string, string> tags) =>
        Change(scope, keyId, key =>
        {
            var merged = new Dictionary<string, string>(key.Tags, StringComparer.Ordinal);
            foreach (var (k, v) in tags) merged[k] = v;
            KmsRules.CheckTags(merged);
            return NotPendingDeletion(CustomerManaged(key)) with { Tags = merged };
        });

    public void Untag(Scope scope, string keyId, IReadOnlyCollection<string> tagKeys) =>
        Change(scope, keyId, key => NotPendingDeletion(CustomerManaged(key)) with { Tags = key.Tags.Where(t => !tagKeys.Contains(t.Key)).ToDictionary(StringComparer.Ordinal) });

    public IReadOnlyDictionary<string, string> Tags(Scope scope, string keyId) => Resolve(scope, keyId, aliases: false).Tags;

    // ---- cryptography ----

    public byte[] Encrypt(Scope scope, string keyId, byte[] plaintext, IReadOnlyDictionary<string, string> context) =>
        EncryptUnder(scope, keyId, plaintext, context).Blob;

    /// <summary>Encrypt's blob and the key that made it (the caller may have named it by alias).</summary>
    public (KmsKey Key, byte[] Blob) EncryptUnder(Scope scope, string keyId, byte[] plaintext, IReadOnlyDictionary<string, string> context)
    {
        var key = ForEncryption(Usable(Resolve(scope, keyId, aliases: true)), "Encrypt");
        return (key, Seal(key, KmsRules.CheckPlaintext(plaintext), context));
    }

    /// <summary>A fresh data key of the length asked for, and the same bytes encrypted under the key.</summary>
    public (KmsKey Key, byte[] Plaintext, byte[] Blob) GenerateDataKey(Scope scope, string keyId, int length, IReadOnlyDictionary<string, string> context)
    {
        var key = ForEncryption(Usable(Resolve(scope, keyId, aliases: true)), "GenerateDataKey");
        var dataKey = RandomNumberGenerator.GetBytes(length);
        return (key, dataKey, Seal(key, dataKey, context));
    }

    public KmsDecrypted Decrypt(Scope scope, byte[] ciphertext, IReadOnlyDictionary<string, string> context, string? keyId)
    {
        KmsRules.CheckCiphertext(ciphertext);
        var (key, generation) = BlobKey(scope, ciphertext);
        // A KeyId given must name the key the blob was made with.
        if (keyId is not null && Resolve(scope, keyId, aliases: true).KeyId != key.KeyId) throw KmsErrors.IncorrectKey();
        ForEncryption(Usable(key), "Decrypt");
        return Open(key, generation, ciphertext, context);
    }

    public KmsDecrypted OpenAtRest(Scope scope, byte[] ciphertext, IReadOnlyDictionary<string, string> context)
    {
        var (key, generation) = BlobKey(scope, ciphertext);
        return Open(ForEncryption(key, "Decrypt"), generation, ciphertext, context);
    }

    /// <summary>The key a blob names (settled: a key past its deletion date is gone) and the generation of its material.</summary>
    private (KmsKey Key, int Generation) BlobKey(Scope scope, byte[] ciphertext)
    {
        var (blobKeyId, generation) = KmsCiphertext.Read(ciphertext) ?? throw KmsErrors.InvalidCiphertext();
        return (Settle(scope, _keys.Get(KeyKey(scope, blobKeyId))) ?? throw KmsErrors.KeyNotFound(KeyArn(scope, blobKeyId)), generation);
    }

    private KmsDecrypted Open(KmsKey key, int generation, byte[] ciphertext, IReadOnlyDictionary<string, string> context)
    {
        if (generation < 0 || generation >= key.Materials.Count) throw KmsErrors.InvalidCiphertext();
        var material = key.Materials[generation];
        var plaintext = KmsCiphertext.Open(ciphertext, Material(key, material), context) ?? throw KmsErrors.InvalidCiphertext();
        return new KmsDecrypted(key, plaintext, material.Id);
    }

    /// <summary>Decrypts under the blob's key and context, and encrypts the plain text under the destination key and context.</summary>
    public (KmsDecrypted Source, KmsKey Destination, byte[] Blob) ReEncrypt(Scope scope, byte[] ciphertext, IReadOnlyDictionary<string, string> sourceContext,
        string? sourceKeyId, string destinationKeyId, IReadOnlyDictionary<string, string> destinationContext)
    {
        var source = Decrypt(scope, ciphertext, sourceContext, sourceKeyId);
        var destination = ForEncryption(Usable(Resolve(scope, destinationKeyId, aliases: true)), "ReEncrypt");
        return (source, destination, Seal(destination, source.Plaintext, destinationContext));
    }

    /// <summary>The MAC of a message under an HMAC key, with the algorithm its key spec fixes.</summary>
    public (KmsKey Key, byte[] Mac) GenerateMac(Scope scope, string keyId, string algorithm, byte[] message)
    {
        var key = ForMac(Usable(Resolve(scope, keyId, aliases: true)), algorithm);
        return (key, Mac(key, algorithm, KmsRules.CheckMessage(message)));
    }

    /// <summary>Checks a MAC in constant time; one that does not match is KMSInvalidMacException, as AWS answers.</summary>
    public KmsKey VerifyMac(Scope scope, string keyId, string algorithm, byte[] message, byte[] mac)
    {
        var key = ForMac(Usable(Resolve(scope, keyId, aliases: true)), algorithm);
        return CryptographicOperations.FixedTimeEquals(Mac(key, algorithm, KmsRules.CheckMessage(message)), mac) ? key : throw KmsErrors.InvalidMac();
    }

    private byte[] Mac(KmsKey key, string algorithm, byte[] message)
    {
        var material = Material(key, key.Materials[^1]);
        return algorithm switch
        {
            "HMAC_SHA_256" => HMACSHA256.HashData(material, message),
            "HMAC_SHA_384" => HMACSHA384.HashData(material, message),
            _ => HMACSHA512.HashData(material, message),
        };
    }

    /// <summary>Encrypts under the key's newest generation of material.</summary>
    private byte[] Seal(KmsKey key, byte[] plaintext, IReadOnlyDictionary<string, string> context)
    {
        var generation = key.Materials.Count - 1;
        return KmsCiphertext.Seal(key.KeyId, generation, Material(key, key.Materials[generation]), plaintext, context);
    }

    // ---- aliases ----

    public KmsAlias CreateAlias(Scope scope, string aliasName, string targetKeyId)
    {
        KmsRules.CheckAliasName(aliasName);
        var key = NotPendingDeletion(CustomerManaged(Resolve(scope, targetKeyId, aliases: false)));
        var now = _clock.GetUtcNow();
        var alias = new KmsAlias(aliasName, AliasArn(scope, aliasName), key.KeyId, now, now);
        return _aliases.TryAdd(AliasKey(scope, aliasName), alias) ? alias : throw KmsErrors.AliasExists(alias.AliasArn);
    }

    public KmsAlias UpdateAlias(Scope scope, string aliasName, string targetKeyId)
    {
        KmsRules.CheckAliasName(aliasName);
        var key = NotPendingDeletion(CustomerManaged(Resolve(scope, targetKeyId, aliases: false)));
        return _aliases.Update(AliasKey(scope, aliasName), a => a with { TargetKeyId = key.KeyId, LastUpdatedDate = _clock.GetUtcNow() })
            ?? throw KmsErrors.AliasNotFound(AliasArn(scope, aliasName));
    }

    public void DeleteAlias(Scope scope, string aliasName)
    {
        KmsRules.CheckAliasName(aliasName);
        if (_aliases.Remove(AliasKey(scope, aliasName)) is null) throw KmsErrors.AliasNotFound(AliasArn(scope, aliasName));
    }

    /// <summary>
    /// The account's aliases in the Region; without a key, also AWS's predefined aliases whose managed key is not made
    /// yet, without a TargetKeyId, as AWS lists them.
    /// </summary>
    public IReadOnlyList<KmsAlias> ListAliases(Scope scope, string? keyId)
    {
        var prefix = ScopePrefix(scope);
        var aliases = _aliases.Entries.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(e => e.Value)
            .Where(a => Settle(scope, _keys.Get(KeyKey(scope, a.TargetKeyId))) is not null).ToList();
        if (keyId is not null)
        {
            var key = Resolve(scope, keyId, aliases: false);
            return [.. aliases.Where(a => a.TargetKeyId == key.KeyId).OrderBy(a => a.AliasName, StringComparer.Ordinal)];
        }
        var unmade = AwsManagedAliases.Where(name => aliases.All(a => a.AliasName != name))
            .Select(name => new KmsAlias(name, AliasArn(scope, name), "", default, default));
        return [.. aliases.Concat(unmade).OrderBy(a => a.AliasName, StringComparer.Ordinal)];
    }

    // CreateGrant takes a key id or key ARN, never an alias, and refuses a key pending deletion, as AWS's key state table says.
    public void CheckGrantable(Scope scope, string keyId) => ForEncryption(NotPendingDeletion(Resolve(scope, keyId, aliases: false)), "CreateGrant");

    public void CheckDecryptable(Scope scope, string keyId) => ForEncryption(Usable(Resolve(scope, keyId, aliases: false)), "Decrypt");

    // The key policy alone decides a service principal's use (it has no identity policies), with the encryption context
    // as the kms:EncryptionContext:KEY condition keys, as KMS evaluates a service's call.
    public bool AllowsService(Scope scope, string keyId, string servicePrincipal, IReadOnlyList<string> actions, IReadOnlyDictionary<string, string> context)
    {
        var key = ForEncryption(Usable(Resolve(scope, keyId, aliases: false)), "Encrypt");
        var policies = new PolicySet { Resource = new SourcedPolicy(key.Arn, PolicySourceKind.Resource, Policy.Parse(key.Policy)) };
        return actions.All(action =>
        {
            var request = new RequestContext { Action = action, Resource = key.Arn, PrincipalArn = servicePrincipal, ResourcePolicyRequired = true }
                .With("kms:EncryptionContextKeys", [.. context.Keys]);
            foreach (var (name, value) in context) request.With("kms:EncryptionContext:" + name, value);
            return PolicyEvaluator.Evaluate(policies, request).Decision == Decision.Allowed;
        });
    }

    // ---- resolution and state ----

    private KmsKey Resolve(Scope scope, string keyId, bool aliases)
    {
        KmsRules.CheckKeyId(keyId);
        var reference = keyId;
        if (keyId.StartsWith("arn:", StringComparison.Ordinal))
        {
            var parts = keyId.Split(':', 6);
            if (parts.Length != 6 || parts[2] != "kms") throw KmsErrors.InvalidArn(keyId);
            if (parts[3] != scope.Region || parts[4] != scope.AccountId)
                throw parts[5].StartsWith("alias/", StringComparison.Ordinal) ? KmsErrors.AliasNotFound(keyId) : KmsErrors.KeyNotFound(keyId);
            reference = parts[5].StartsWith("key/", StringComparison.Ordinal) ? parts[5]["key/".Length..]
                : parts[5].StartsWith("alias/", StringComparison.Ordinal) ? parts[5] : throw KmsErrors.InvalidArn(keyId);
        }
        if (reference.StartsWith("alias/", StringComparison.Ordinal))
        {
            if (!aliases) throw KmsErrors.AliasNotAccepted(keyId);
            var alias = _aliases.Get(AliasKey(scope, reference));
            if (alias is null && AwsManagedAliases.Contains(reference)) return AwsManagedKey(scope, reference);
            return (alias is null ? null : Settle(scope, _keys.Get(KeyKey(scope, alias.TargetKeyId)))) ?? throw KmsErrors.AliasNotFound(AliasArn(scope, reference));
        }
        if (!Guid.TryParseExact(reference, "D", out _)) throw KmsErrors.InvalidKeyId(keyId);
        return Settle(scope, _keys.Get(KeyKey(scope, reference.ToLowerInvariant()))) ?? throw KmsErrors.KeyNotFound(KeyArn(scope, reference));
    }

    /// <summary>The AWS managed key for a predefined alias, made on first use with AWS's yearly rotation, as AWS does.</summary>
    private KmsKey AwsManagedKey(Scope scope, string aliasName)
    {
        lock (_aliases)
        {
            if (_aliases.Get(AliasKey(scope, aliasName)) is { } made && Settle(scope, _keys.Get(KeyKey(scope, made.TargetKeyId))) is { } existing) return existing;
            var service = aliasName["alias/aws/".Length..];
            var key = AddKey(scope, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", $"Default key that protects my {service} data when no other key is defined", "AWS",
                AwsManagedPolicy(scope, service), new Dictionary<string, string>(), KmsRules.DefaultRotationPeriod);
            var now = _clock.GetUtcNow();
            _aliases.Put(AliasKey(scope, aliasName), new KmsAlias(aliasName, AliasArn(scope, aliasName), key.KeyId, now, now));
            return key;
        }
    }

    /// <summary>
    /// Applies what time has done to a key since it was last looked at: past its deletion date it is deleted with its
    /// aliases (null); past its rotation date it has a new generation of material.
    /// </summary>
    private KmsKey? Settle(Scope scope, KmsKey? key)
    {
        if (key is null) return null;
        var now = _clock.GetUtcNow();
        if (key.KeyState == "PendingDeletion" && key.DeletionDate <= now)
        {
            _keys.Remove(KeyKey(scope, key.KeyId));
            foreach (var alias in _aliases.Entries.Where(e => e.Key.StartsWith(ScopePrefix(scope), StringComparison.Ordinal) && e.Value.TargetKeyId == key.KeyId).ToList())
                _aliases.Remove(alias.Key);
            return null;
        }
        if (key.KeyState == "Enabled" && key.NextRotationDate <= now)
        {
            return _keys.Update(KeyKey(scope, key.KeyId), current =>
            {
                if (current.NextRotationDate is not { } due || due > now || current.RotationPeriodInDays is not { } period) return current;
                return current with { Materials = [.. current.Materials, NewMaterial(current.Arn, current.KeySpec, due)], NextRotationDate = due.AddDays(period) };
            }) ?? key;
        }
        return key;
    }

    private KmsKey Change(Scope scope, string keyId, Func<KmsKey, KmsKey> change)
    {
        var key = Resolve(scope, keyId, aliases: false);
        return _keys.Update(KeyKey(scope, key.KeyId), change) ?? throw KmsErrors.KeyNotFound(key.Arn);
    }

    private static KmsKey Usable(KmsKey key) => key.KeyState switch
    {
        "Enabled" => key,
        "Disabled" => throw KmsErrors.Disabled(key.Arn),
        _ => throw KmsErrors.PendingDeletion(key.Arn),
    };

    private static KmsKey ForEncryption(KmsKey key, string operation) =>
        key.KeyUsage == "ENCRYPT_DECRYPT" ? key : throw KmsErrors.InvalidKeyUsage(key.Arn, key.KeyUsage, operation);

    private static KmsKey ForMac(KmsKey key, string algorithm)
    {
        if (key.KeyUsage != "GENERATE_VERIFY_MAC") throw KmsErrors.InvalidKeyUsage(key.Arn, key.KeyUsage, "GenerateMac");
        return KmsRules.MacAlgorithm(key.KeySpec) == algorithm ? key : throw KmsErrors.InvalidMacAlgorithm(key.Arn, algorithm);
    }

    // AWS rotates symmetric encryption keys only.
    private static KmsKey Rotatable(KmsKey key) => key.KeySpec == "SYMMETRIC_DEFAULT" ? key : throw KmsErrors.RotationUnsupported(key.Arn);

    private static KmsKey Enabled(KmsKey key) => NotPendingDeletion(key).KeyState == "Disabled" ? throw KmsErrors.Disabled(key.Arn) : key;

    private static KmsKey NotPendingDeletion(KmsKey key) => key.KeyState == "PendingDeletion" ? throw KmsErrors.PendingDeletion(key.Arn) : key;

    private static KmsKey CustomerManaged(KmsKey key) => key.IsAwsManaged ? throw KmsErrors.AwsManaged(key.Arn) : key;

    private KmsKeyMaterial NewMaterial(string keyArn, string keySpec, DateTimeOffset at)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var material = RandomNumberGenerator.GetBytes(KmsRules.MaterialLength(keySpec));
        return new KmsKeyMaterial(id, Convert.ToBase64String(_sealingKey.Seal(material, MaterialBinding(keyArn, id))), at);
    }

    private byte[] Material(KmsKey key, KmsKeyMaterial material) =>
        _sealingKey.TryOpen(Convert.FromBase64String(material.Sealed), MaterialBinding(key.Arn, material.Id)) ?? throw KmsErrors.MaterialUnavailable(key.Arn);

    private static byte[] MaterialBinding(string keyArn, string materialId) => Encoding.UTF8.GetBytes(keyArn + "/" + materialId);

    /// <summary>The key policy AWS gives a key made without one: the account's IAM policies decide.</summary>
    public static string DefaultPolicy(Scope scope) => $$"""
        {
          "Version" : "2012-10-17",
          "Id" : "key-default-1",
          "Statement" : [ {
            "Sid" : "Enable IAM User Permissions",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "arn:aws:iam::{{scope.AccountId}}:root"
            },
            "Action" : "kms:*",
            "Resource" : "*"
          } ]
        }
        """;

    /// <summary>An AWS managed key's policy as AWS writes it: use through the service by the account's principals, metadata to the account.</summary>
    private static string AwsManagedPolicy(Scope scope, string service) => $$"""
        {
          "Version" : "2012-10-17",
          "Id" : "auto-{{service}}-1",
          "Statement" : [ {
            "Sid" : "Allow access through {{service}} for all principals in the account that are authorized to use {{service}}",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "*"
            },
            "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey" ],
            "Resource" : "*",
            "Condition" : {
              "StringEquals" : {
                "kms:CallerAccount" : "{{scope.AccountId}}",
                "kms:ViaService" : "{{service}}.{{scope.Region}}.amazonaws.com"
              }
            }
          }, {
            "Sid" : "Allow direct access to key metadata to the account",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "arn:aws:iam::{{scope.AccountId}}:root"
            },
            "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant" ],
            "Resource" : "*"
          } ]
        }
        """;
}
