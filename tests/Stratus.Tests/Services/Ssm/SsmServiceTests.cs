using Stratus.Persistence;
using Stratus.Services.Kms;
using Stratus.Services.Ssm;
using Stratus.Tests.Services.CloudWatch;

namespace Stratus.Tests.Services.Ssm;

/// <summary>Parameter Store's domain without the wire: what concurrent callers see.</summary>
public sealed class SsmServiceTests
{
    [Fact]
    public async Task Concurrent_overwrites_each_get_a_version_of_their_own()
    {
        using var store = StateStore.Ephemeral();
        var ssm = new SsmService(store, TimeProvider.System, new KmsService(store, TimeProvider.System, null));
        var call = TestCalls.Call();
        ssm.Put(call, new PutParameterRequest("/app/counter", "0", "String", null, null, false, null, null, new Dictionary<string, string>()));

        // Each overwrite reads the latest version and writes the next: two that interleaved would answer the same number.
        var versions = await Task.WhenAll(Enumerable.Range(1, 64).Select(n => Task.Run(() =>
            ssm.Put(call, new PutParameterRequest("/app/counter", n.ToString(), null, null, null, true, null, null, new Dictionary<string, string>())).Version)));

        Assert.Equal(Enumerable.Range(2, 64).Select(v => (long)v), versions.Order());
        Assert.Equal(65L, ssm.Get(call, "/app/counter").Latest.Version);
    }
}
