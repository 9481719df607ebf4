using System.Text;
using Microsoft.Extensions.Time.Testing;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Kms;
using Stratus.Services.Kms.Engine;

namespace Stratus.Tests.Services.Kms;

/// <summary>KMS's domain: encryption bound to its key and context, rotation, key states and the deletion window, aliases.</summary>
public sealed class KmsServiceTests : IDisposable
{
    private static readonly Dictionary<string, string> NoContext = [];
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly Scope _scope = Scope.Of("111122223333", "eu-west-1");
    private readonly DirectoryInfo _dataDir = Directory.CreateTempSubdirectory("stratus-kms-test-");
    private readonly StateStore _store;
    private readonly string _keyFile;
    private readonly KmsService _kms;

    public KmsServiceTests()
    {
        _store = StateStore.Open(_dataDir.FullName);
        _keyFile = Path.Combine(_dataDir.FullName, "kms-keys.key");
        _kms = new KmsService(_store, _clock, _keyFile);
    }

    public void Dispose()
    {
        _store.Dispose();
        _dataDir.Delete(recursive: true);
    }

    private KmsKey NewKey() => _kms.CreateKey(_scope, new CreateKeyRequest("test", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", null, new Dictionary<string, string>()));

    private static string Code(Action action) => Assert.Throws<AwsException>(action).Code;

    [Fact]
    public void Ciphertext_names_its_key_and_decrypts_only_with_the_same_encryption_context()
    {
        var key = NewKey();
        var context = new Dictionary<string, string> { ["tenant"] = "a", ["purpose"] = "test" };
        var blob = _kms.Encrypt(_scope, key.KeyId, "attack at dawn"u8.ToArray(), context);

        Assert.Equal(key.KeyId, KmsCiphertext.Read(blob)?.KeyId);
        Assert.DoesNotContain("attack", Encoding.Latin1.GetString(blob));
        // The context's order does not matter; its content does.
        var reordered = new Dictionary<string, string> { ["purpose"] = "test", ["tenant"] = "a" };
        Assert.Equal("attack at dawn", Encoding.UTF8.GetString(_kms.Decrypt(_scope, blob, reordered, null).Plaintext));
        Assert.Equal("InvalidCiphertextException", Code(() => _kms.Decrypt(_scope, blob, NoContext, null)));
        Assert.Equal("InvalidCiphertextException", Code(() => _kms.Decrypt(_scope, blob, new Dictionary<string, string> { ["tenant"] = "b", ["purpose"] = "test" }, null)));
        var tampered = blob.ToArray();
        tampered[^1] ^= 1;
        Assert.Equal("InvalidCiphertextException", Code(() => _kms.Decrypt(_scope, tampered, context, null)));
        Assert.Equal("InvalidCiphertextException", Code(() => _kms.Decrypt(_scope, "not a blob"u8.ToArray(), NoContext, null)));
        // A KeyId given to Decrypt must be the blob's key.
        Assert.Equal("IncorrectKeyException", Code(() => _kms.Decrypt(_scope, blob, context, NewKey().KeyId)));
        // Another account does not find the key.
        Assert.Equal("NotFoundException", Code(() => _kms.Decrypt(Scope.Of("444455556666", "eu-west-1"), blob, context, null)));
    }

    [Fact]
    public void Rotation_adds_material_on_schedule_and_on_demand_and_old_ciphertext_still_decrypts()
    {
        var key = NewKey();
        var before = _kms.Encrypt(_scope, key.KeyId, "v1"u8.ToArray(), NoContext);
        _kms.EnableRotation(_scope, key.KeyId, 90);
        Assert.Equal(_clock.GetUtcNow().AddDays(90), _kms.RotationStatus(_scope, key.KeyId).NextRotationDate);

        _clock.Advance(TimeSpan.FromDays(91));
        var rotated = _kms.Describe(_scope, key.KeyId);
        Assert.Equal(2, rotated.Materials.Count);
        Assert.NotEqual(key.Materials[0].Id, rotated.Materials[^1].Id);
        var after = _kms.Encrypt(_scope, key.KeyId, "v2"u8.ToArray(), NoContext);
        Assert.Equal(1, KmsCiphertext.Read(after)?.Generation);

        _kms.RotateOnDemand(_scope, key.KeyId);
        Assert.Equal(3, _kms.Describe(_scope, key.KeyId).Materials.Count);
        Assert.Equal("v1", Encoding.UTF8.GetString(_kms.Decrypt(_scope, before, NoContext, null).Plaintext));
        Assert.Equal("v2", Encoding.UTF8.GetString(_kms.Decrypt(_scope, after, NoContext, null).Plaintext));
        Assert.Equal(key.Materials[0].Id, _kms.Decrypt(_scope, before, NoContext, null).MaterialId);

        _kms.DisableRotation(_scope, key.KeyId);
        Assert.False(_kms.RotationStatus(_scope, key.KeyId).RotationEnabled);
        Assert.Equal("ValidationException", Code(() => _kms.EnableRotation(_scope, key.KeyId, 30)));
    }

    [Fact]
    public void A_disabled_key_refuses_cryptography_and_a_key_is_gone_once_its_deletion_window_ends()
    {
        var key = NewKey();
        _kms.CreateAlias(_scope, "alias/doomed", key.KeyId);
        var blob = _kms.Encrypt(_scope, "alias/doomed", "x"u8.ToArray(), NoContext);

        _kms.Disable(_scope, key.KeyId);
        Assert.Equal("DisabledException", Code(() => _kms.Encrypt(_scope, key.KeyId, "x"u8.ToArray(), NoContext)));
        Assert.Equal("DisabledException", Code(() => _kms.Decrypt(_scope, blob, NoContext, null)));
        _kms.Enable(_scope, key.KeyId);

        Assert.Equal("ValidationException", Code(() => _kms.ScheduleDeletion(_scope, key.KeyId, 6)));
        Assert.Equal("ValidationException", Code(() => _kms.ScheduleDeletion(_scope, key.KeyId, 31)));
        var pending = _kms.ScheduleDeletion(_scope, key.KeyId, 7);
        Assert.Equal("PendingDeletion", pending.KeyState);
        Assert.Equal(_clock.GetUtcNow().AddDays(7), pending.DeletionDate);
        Assert.Equal("KMSInvalidStateException", Code(() => _kms.Decrypt(_scope, blob, NoContext, null)));
        Assert.Equal("KMSInvalidStateException", Code(() => _kms.Enable(_scope, key.KeyId)));
        Assert.Equal("Disabled", _kms.CancelDeletion(_scope, key.KeyId).KeyState);
        Assert.Equal("KMSInvalidStateException", Code(() => _kms.CancelDeletion(_scope, key.KeyId)));

        _kms.ScheduleDeletion(_scope, key.KeyId, 7);
        _clock.Advance(TimeSpan.FromDays(7));
        Assert.Equal("NotFoundException", Code(() => _kms.Describe(_scope, key.KeyId)));
        Assert.Equal("NotFoundException", Code(() => _kms.Describe(_scope, "alias/doomed")));
        Assert.DoesNotContain(_kms.ListKeys(_scope), k => k.KeyId == key.KeyId);
    }

    [Fact]
    public void Keys_resolve_by_id_arn_alias_and_alias_arn_and_aws_managed_keys_are_made_on_first_use()
    {
        var key = NewKey();
        _kms.CreateAlias(_scope, "alias/app", key.KeyId);
        foreach (var id in new[] { key.KeyId, key.Arn, "alias/app", "arn:aws:kms:eu-west-1:111122223333:alias/app" })
            Assert.Equal(key.KeyId, _kms.Describe(_scope, id).KeyId);
        Assert.Equal("NotFoundException", Code(() => _kms.Describe(_scope, "arn:aws:kms:us-east-1:111122223333:key/" + key.KeyId)));
        Assert.Equal("NotFoundException", Code(() => _kms.Disable(_scope, "alias/app")));
        Assert.Equal("AlreadyExistsException", Code(() => _kms.CreateAlias(_scope, "alias/app", key.KeyId)));
        Assert.Equal("NotAuthorizedException", Code(() => _kms.CreateAlias(_scope, "alias/aws/mine", key.KeyId)));
        Assert.Equal("ValidationException", Code(() => _kms.CreateAlias(_scope, "app", key.KeyId)));

        var listedBefore = _kms.ListAliases(_scope, null).Single(a => a.AliasName == "alias/aws/s3");
        Assert.Equal("", listedBefore.TargetKeyId);
        var managed = _kms.Describe(_scope, "alias/aws/s3");
        Assert.True(managed.IsAwsManaged);
        Assert.True(managed.RotationEnabled);
        Assert.Equal(managed.KeyId, _kms.Describe(_scope, "alias/aws/s3").KeyId);
        Assert.Equal(managed.KeyId, _kms.ListAliases(_scope, null).Single(a => a.AliasName == "alias/aws/s3").TargetKeyId);
        Assert.Equal("UnsupportedOperationException", Code(() => _kms.Disable(_scope, managed.KeyId)));

        var other = NewKey();
        _kms.UpdateAlias(_scope, "alias/app", other.KeyId);
        Assert.Equal(other.KeyId, _kms.Describe(_scope, "alias/app").KeyId);
        _kms.DeleteAlias(_scope, "alias/app");
        Assert.Equal("NotFoundException", Code(() => _kms.DeleteAlias(_scope, "alias/app")));
    }

    [Fact]
    public void Key_material_is_stored_sealed_and_a_replaced_key_file_is_a_clear_error_not_a_crash()
    {
        var key = NewKey();
        var blob = _kms.Encrypt(_scope, key.KeyId, "kept"u8.ToArray(), NoContext);
        // A second service over the same store reads the keys as a restarted Stratus does.
        var reopened = new KmsService(_store, _clock, _keyFile);
        Assert.Equal("kept", Encoding.UTF8.GetString(reopened.Decrypt(_scope, blob, NoContext, null).Plaintext));

        File.Delete(_keyFile);
        var withNewKeyFile = new KmsService(_store, _clock, _keyFile);
        var refused = Assert.Throws<AwsException>(() => withNewKeyFile.Decrypt(_scope, blob, NoContext, null));
        Assert.Equal("KMSInvalidStateException", refused.Code);
        Assert.Contains("kms-keys.key", refused.Message);
        Assert.True(refused.IsSenderFault);
    }

    [Fact]
    public void Unbuilt_key_types_are_refused_by_name()
    {
        var refused = Assert.Throws<AwsException>(() => KmsRules.CheckKeySpec("RSA_2048"));
        Assert.Equal("UnsupportedOperationException", refused.Code);
        Assert.Contains("RSA_2048", refused.Message);
        Assert.Equal("ValidationException", Code(() => KmsRules.CheckKeySpec("AES_999")));
        Assert.Equal("UnsupportedOperationException", Code(() => KmsRules.CheckKeySpec("HMAC_224")));
        Assert.Equal("ValidationException", Code(() => KmsRules.CheckKeyUsage("SYMMETRIC_DEFAULT", "SIGN_VERIFY")));
        Assert.Equal("ValidationException", Code(() => KmsRules.CheckKeyUsage("HMAC_256", null)));
        Assert.Equal("GENERATE_VERIFY_MAC", KmsRules.CheckKeyUsage("HMAC_256", "GENERATE_VERIFY_MAC"));
    }

    [Fact]
    public void Hmac_keys_make_and_verify_macs_with_their_one_algorithm_and_do_not_encrypt()
    {
        var key = _kms.CreateKey(_scope, new CreateKeyRequest(null, "HMAC_384", "GENERATE_VERIFY_MAC", null, new Dictionary<string, string>()));
        var (_, mac) = _kms.GenerateMac(_scope, key.KeyId, "HMAC_SHA_384", "message"u8.ToArray());
        Assert.Equal(48, mac.Length);
        Assert.Equal(key.KeyId, _kms.VerifyMac(_scope, key.KeyId, "HMAC_SHA_384", "message"u8.ToArray(), mac).KeyId);
        Assert.Equal("KMSInvalidMacException", Code(() => _kms.VerifyMac(_scope, key.KeyId, "HMAC_SHA_384", "other"u8.ToArray(), mac)));
        Assert.Equal("InvalidKeyUsageException", Code(() => _kms.GenerateMac(_scope, key.KeyId, "HMAC_SHA_256", "message"u8.ToArray())));
        Assert.Equal("InvalidKeyUsageException", Code(() => _kms.Encrypt(_scope, key.KeyId, "x"u8.ToArray(), NoContext)));
        Assert.Equal("InvalidKeyUsageException", Code(() => _kms.GenerateMac(_scope, NewKey().KeyId, "HMAC_SHA_256", "message"u8.ToArray())));
        Assert.Equal("UnsupportedOperationException", Code(() => _kms.EnableRotation(_scope, key.KeyId, null)));
    }
}
