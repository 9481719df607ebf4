using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Kms;
using Stratus.Services.Logs.Engine;

namespace Stratus.Services.Logs;

/// <summary>
/// Log groups encrypted under a KMS key, as AWS's "Encrypt log data in CloudWatch Logs using AWS KMS" describes: the key must
/// be a symmetric key that is enabled and whose key policy lets logs.REGION.amazonaws.com use it with the group's ARN as the
/// encryption context (aws:logs:arn); events ingested while a key is associated are kept under it, and reading them needs
/// the key to decrypt. Envelope encryption: each association makes a data key, encrypted by KMS under the key and kept in
/// the group's record, and the event store seals what it writes of the group's streams (journal records, chunks) with
/// AES-GCM under it. While no group has had a key, a write costs the store one flag check.
/// </summary>
public sealed partial class LogsService : IEventSealer
{
    private const string EncryptionContextKey = "aws:logs:arn";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    /// <summary>What CloudWatch Logs asks KMS to do with a group's key, each of which the key policy must allow the service principal.</summary>
    private static readonly string[] KeyActions = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"];

    private readonly IKmsKeyUse? _kmsKeys;
    private readonly IKmsEncryption? _kmsEncryption;
    private readonly ResourceTable<QueryResultKey> _queryResultKeys;
    /// <summary>The sealer of each group with a key associated now, by group key; empty when no group has one (the common case).</summary>
    private readonly ConcurrentDictionary<string, Func<byte[], byte[]>> _sealers = new(StringComparer.Ordinal);
    /// <summary>
    /// Set once a group has had a key: until then a write looks no further (ConcurrentDictionary's IsEmpty takes every lock
    /// when the dictionary is empty, which PutLogEvents' concurrent writers would contend on).
    /// </summary>
    private volatile bool _anySealed;
    /// <summary>
    /// The sealer of each data key, by group key and the key's index: one delegate per data key, so the event store tells
    /// events sealed alike (which it may merge into one chunk) by the sealer's identity.
    /// </summary>
    private readonly ConcurrentDictionary<(string Group, int Index), Func<byte[], byte[]>> _dataKeySealers = new();
    /// <summary>Data keys in plain text, by their encrypted blob: decrypted by KMS once, as AWS's services cache data keys.</summary>
    private readonly ConcurrentDictionary<string, byte[]> _dataKeys = new(StringComparer.Ordinal);

    private static Dictionary<string, string> EncryptionContext(string groupArn) => new(StringComparer.Ordinal) { [EncryptionContextKey] = groupArn };

    private static string ServicePrincipal(string region) => $"logs.{region}.amazonaws.com";

    /// <summary>
    /// AssociateKmsKey: a log group (by name, or by ARN as resourceIdentifier) has its new events encrypted under the key; the
    /// account's query-result resource (arn:aws:logs:REGION:ACCOUNT:query-result:*) has its query results kept under it.
    /// </summary>
    public void AssociateKmsKey(Scope scope, string? groupName, string? resourceIdentifier, string kmsKeyId)
    {
        var target = KeyTarget(scope, groupName, resourceIdentifier);
        if (target is null)
        {
            CheckKey(scope, kmsKeyId, QueryResultArn(scope));
            _queryResultKeys.Put(QueryResultKeyKey(scope), new QueryResultKey(scope.AccountId, scope.Region, kmsKeyId));
            return;
        }
        var dataKey = NewDataKey(scope, kmsKeyId, target.Arn);
        lock (_createGate)
        {
            var updated = _groups.Update(GroupKey(target.AccountId, target.Region, target.Name),
                g => g with { KmsKeyId = kmsKeyId, DataKeys = [.. g.DataKeys ?? [], dataKey] }) ?? throw LogsErrors.LogGroupNotFound();
            StartSealing(updated);
        }
    }

    /// <summary>DisassociateKmsKey: new events are kept without the key; those written under it stay under it (AWS: reading them still needs it).</summary>
    public void DisassociateKmsKey(Scope scope, string? groupName, string? resourceIdentifier)
    {
        var target = KeyTarget(scope, groupName, resourceIdentifier);
        if (target is null)
        {
            _queryResultKeys.Remove(QueryResultKeyKey(scope));
            return;
        }
        var key = GroupKey(target.AccountId, target.Region, target.Name);
        lock (_createGate)
        {
            _groups.Update(key, g => g with { KmsKeyId = null });
            _sealers.TryRemove(key, out _);
        }
    }

    /// <summary>The group the call names, or null for the account's query-result resource; exactly one of the two members, as the model says.</summary>
    private LogGroup? KeyTarget(Scope scope, string? groupName, string? resourceIdentifier)
    {
        if ((groupName is null) == (resourceIdentifier is null))
            throw LogsErrors.InvalidParameter("Exactly one of logGroupName or resourceIdentifier must be specified.");
        if (groupName is not null) return Group(scope, groupName);
        if (resourceIdentifier == QueryResultArn(scope)) return null;
        if (!resourceIdentifier!.StartsWith($"arn:aws:logs:{scope.Region}:{scope.AccountId}:log-group:", StringComparison.Ordinal))
            throw LogsErrors.InvalidParameter($"The resourceIdentifier must be a log group ARN or {QueryResultArn(scope)}: {resourceIdentifier}");
        return Group(scope, resourceIdentifier);
    }

    private static string QueryResultArn(Scope scope) => $"arn:aws:logs:{scope.Region}:{scope.AccountId}:query-result:*";

    private static string QueryResultKeyKey(Scope scope) => ResourceTable<QueryResultKey>.Key(scope.AccountId, scope.Region);

    /// <summary>
    /// The key is one CloudWatch Logs may use for the resource: named by its ARN (the model's kmsKeyId), encrypting now, its
    /// policy allowing the service principal with the resource's ARN as encryption context; otherwise AWS's AccessDeniedException.
    /// </summary>
    private void CheckKey(Scope scope, string kmsKeyId, string resourceArn)
    {
        if (_kmsKeys is null) throw LogsErrors.KmsNotAvailable();
        if (!kmsKeyId.StartsWith("arn:", StringComparison.Ordinal)) throw LogsErrors.KmsKeyNotAllowed(resourceArn);
        try
        {
            if (!_kmsKeys.AllowsService(scope, kmsKeyId, ServicePrincipal(scope.Region), KeyActions, EncryptionContext(resourceArn)))
                throw LogsErrors.KmsKeyNotAllowed(resourceArn);
        }
        catch (AwsException kms) when (kms.Code != "AccessDeniedException")
        {
            throw LogsErrors.KmsKeyNotAllowed(resourceArn);
        }
    }

    /// <summary>A fresh data key for the group, encrypted by KMS under the key (checked first); its plain text cached.</summary>
    private GroupDataKey NewDataKey(Scope scope, string kmsKeyId, string groupArn)
    {
        CheckKey(scope, kmsKeyId, groupArn);
        var plain = RandomNumberGenerator.GetBytes(32);
        var blob = Convert.ToBase64String(_kmsEncryption!.Encrypt(scope, kmsKeyId, plain, EncryptionContext(groupArn)));
        _dataKeys[blob] = plain;
        return new GroupDataKey(kmsKeyId, blob);
    }

    /// <summary>Seals the group's new events under its newest data key from now on.</summary>
    private void StartSealing(LogGroup group)
    {
        if (group.KmsKeyId is null || group.DataKeys is not { Count: > 0 } keys) return;
        _anySealed = true;
        _sealers[GroupKey(group.AccountId, group.Region, group.Name)] = DataKeySealer(group, keys.Count - 1);
    }

    private Func<byte[], byte[]> DataKeySealer(LogGroup group, int index)
    {
        var aad = Encoding.UTF8.GetBytes(group.Arn);
        return _dataKeySealers.GetOrAdd((GroupKey(group.AccountId, group.Region, group.Name), index),
            _ => plain => Seal(DataKey(group, group.DataKeys![index]), (byte)index, aad, plain));
    }

    /// <summary>A deleted group's sealers go with it: a group made again under its name has data keys of its own.</summary>
    private void ForgetSealers(LogGroup group)
    {
        var groupKey = GroupKey(group.AccountId, group.Region, group.Name);
        _sealers.TryRemove(groupKey, out _);
        foreach (var key in _dataKeySealers.Keys.Where(k => k.Group == groupKey)) _dataKeySealers.TryRemove(key, out _);
    }

    public Func<byte[], byte[]>? ResealerOf(string streamKey, byte[] sealedBytes) =>
        sealedBytes.Length > 0 && _groups.Get(streamKey[..streamKey.LastIndexOf('\u001f')]) is { DataKeys: { } keys } group && sealedBytes[0] < keys.Count
            ? DataKeySealer(group, sealedBytes[0])
            : null;

    public Func<byte[], byte[]>? SealerOf(string streamKey)
    {
        if (!_anySealed) return null;
        return _sealers.TryGetValue(streamKey[..streamKey.LastIndexOf('\u001f')], out var sealer) ? sealer : null;
    }

    public byte[]? Open(string streamKey, byte[] sealedBytes)
    {
        if (sealedBytes.Length < 1 + NonceBytes + TagBytes) return null;
        if (_groups.Get(streamKey[..streamKey.LastIndexOf('\u001f')]) is not { DataKeys: { } keys } group || sealedBytes[0] >= keys.Count) return null;
        try
        {
            var data = sealedBytes.AsSpan(1);
            var plain = new byte[data.Length - NonceBytes - TagBytes];
            using var aes = new AesGcm(DataKey(group, keys[sealedBytes[0]]), TagBytes);
            aes.Decrypt(data[..NonceBytes], data[(NonceBytes + TagBytes)..], data.Slice(NonceBytes, TagBytes), plain, Encoding.UTF8.GetBytes(group.Arn));
            return plain;
        }
        catch (Exception e) when (e is AwsException or CryptographicException)
        {
            _logger.LogWarning("Events of {Group} sealed under a KMS key that cannot open them any more are not loaded: {Reason}", group.Arn, e.Message);
            return null;
        }
    }

    /// <summary>[data key index][nonce][tag][ciphertext], the group's ARN as associated data.</summary>
    private static byte[] Seal(byte[] dataKey, byte index, byte[] aad, byte[] plain)
    {
        var sealedBytes = new byte[1 + NonceBytes + TagBytes + plain.Length];
        sealedBytes[0] = index;
        var span = sealedBytes.AsSpan(1);
        RandomNumberGenerator.Fill(span[..NonceBytes]);
        using var aes = new AesGcm(dataKey, TagBytes);
        aes.Encrypt(span[..NonceBytes], plain, span[(NonceBytes + TagBytes)..], span.Slice(NonceBytes, TagBytes), aad);
        return sealedBytes;
    }

    /// <summary>A data key in plain text, opened by KMS the first time (at start, whatever the key's state: reads are gated by <see cref="CheckReadable"/>).</summary>
    private byte[] DataKey(LogGroup group, GroupDataKey key) => _dataKeys.GetOrAdd(key.Blob, blob =>
        (_kmsEncryption ?? throw LogsErrors.KmsNotAvailable())
            .OpenAtRest(Scope.Of(group.AccountId, group.Region), Convert.FromBase64String(blob), EncryptionContext(group.Arn)).Plaintext);

    /// <summary>
    /// Refuses reading a group whose events are kept under a key that does not decrypt now (disabled, pending deletion,
    /// deleted): every key the group's events were written under must, as AWS needs each to decrypt them.
    /// </summary>
    private void CheckReadable(LogGroup group)
    {
        if (group.DataKeys is not { Count: > 0 } keys) return;
        foreach (var arn in keys.Select(k => k.KmsKeyArn).Distinct(StringComparer.Ordinal))
            CheckKeyDecrypts(Scope.Of(group.AccountId, group.Region), arn, group.Arn);
    }

    /// <summary>Whether the group's events can be read now; subscription filters deliver nothing while they cannot (logged, as a delivery failure).</summary>
    private bool Decrypts(LogGroup group)
    {
        if (group.DataKeys is null) return true;
        try
        {
            CheckReadable(group);
            return true;
        }
        catch (AwsException e)
        {
            _logger.LogWarning("Subscription deliveries of {Group} are skipped: {Reason}", group.Arn, e.Message);
            return false;
        }
    }

    /// <summary>PutLogEvents into a group whose key does not encrypt now is refused, as AWS cannot encrypt the events.</summary>
    private void CheckWritable(LogGroup group)
    {
        if (group.KmsKeyId is { } arn) CheckKeyDecrypts(Scope.Of(group.AccountId, group.Region), arn, group.Arn);
    }

    /// <summary>The account's query-result key, when one is associated, must decrypt for GetQueryResults to answer.</summary>
    private void CheckQueryResultsReadable(Scope scope)
    {
        if (_queryResultKeys.Get(QueryResultKeyKey(scope)) is { } key) CheckKeyDecrypts(scope, key.KmsKeyArn, QueryResultArn(scope));
    }

    private void CheckKeyDecrypts(Scope scope, string keyArn, string resourceArn)
    {
        try
        {
            (_kmsKeys ?? throw LogsErrors.KmsNotAvailable()).CheckDecryptable(scope, keyArn);
        }
        catch (AwsException kms) when (kms.Code != "InvalidOperationException")
        {
            throw LogsErrors.KmsKeyNotAllowed(resourceArn);
        }
    }
}
