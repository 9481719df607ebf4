using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Kms;
using Stratus.Services.Ssm;
using Stratus.Tests.Services.CloudWatch;

namespace Stratus.Tests.Services.Ssm;

/// <summary>Parameter Store's domain without the wire: what concurrent callers see.</summary>
public sealed class SsmServiceTests
{
    [Fact]
    public void Concurrent_overwrites_each_get_a_version_of_their_own()
    {
        using var store = StateStore.Ephemeral();
        var ssm = new SsmService(store, TimeProvider.System, new SlowKms(new KmsService(store, TimeProvider.System, null)));
        var call = TestCalls.Call();
        PutParameterRequest Put(int n, bool overwrite) =>
            new("/app/secret", $"value-{n}", "SecureString", null, null, overwrite, null, null, new Dictionary<string, string>());
        ssm.Put(call, Put(0, overwrite: false));

        // Each overwrite reads the latest version and writes the next, encrypting between the two: overwrites that read
        // outside the table's lock would all read version 1 while the others encrypt, and answer the same number.
        using var start = new Barrier(8);
        var versions = new long[8];
        var writers = Enumerable.Range(0, 8).Select(n => new Thread(() =>
        {
            start.SignalAndWait();
            versions[n] = ssm.Put(call, Put(n + 1, overwrite: true)).Version;
        })).ToList();
        writers.ForEach(w => w.Start());
        writers.ForEach(w => w.Join());

        Assert.Equal(Enumerable.Range(2, 8).Select(v => (long)v), versions.Order());
        Assert.Equal(9L, ssm.Get(call, "/app/secret").Latest.Version);
    }

    /// <summary>KMS taking its time over each encryption, as a remote key service does, so that overlapping calls overlap.</summary>
    private sealed class SlowKms(IKmsEncryption kms) : IKmsEncryption
    {
        public byte[] Encrypt(Scope scope, string keyId, byte[] plaintext, IReadOnlyDictionary<string, string> context)
        {
            Thread.Sleep(20);
            return kms.Encrypt(scope, keyId, plaintext, context);
        }

        public KmsDecrypted Decrypt(Scope scope, byte[] ciphertext, IReadOnlyDictionary<string, string> context, string? keyId) =>
            kms.Decrypt(scope, ciphertext, context, keyId);

        public KmsDecrypted OpenAtRest(Scope scope, byte[] ciphertext, IReadOnlyDictionary<string, string> context) => kms.OpenAtRest(scope, ciphertext, context);
    }
}
