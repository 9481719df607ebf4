using Stratus.Services.Rds.Engine;

namespace Stratus.Tests.Services.Rds;

/// <summary>Machine-wide address claims: exclusive while held, and new instances take the addresses free the longest.</summary>
public sealed class AddressClaimsTests
{
    [Fact]
    public async Task Claims_are_exclusive_across_owners_and_released_addresses_go_to_the_back()
    {
        var tag = Guid.NewGuid().ToString("N");
        string[] addresses = [$"first-{tag}", $"second-{tag}", $"never-{tag}"];
        using var claims = new AddressClaims();
        using var otherStratus = new AddressClaims();
        try
        {
            Assert.True(claims.TryClaim("db-a", addresses[0]));
            Assert.True(claims.TryClaim("db-a", addresses[0]));
            Assert.False(claims.TryClaim("db-b", addresses[0]));
            Assert.False(otherStratus.TryClaim("db-c", addresses[0]));
            Assert.True(claims.TryClaim("db-b", addresses[1]));

            claims.Release("db-a", addresses[0]);
            await Task.Delay(50);
            claims.Release("db-b", addresses[1]);

            Assert.True(otherStratus.TryClaim("db-c", addresses[0]));
            otherStratus.Release("db-c", addresses[0]);
            Assert.Equal([addresses[2], addresses[1], addresses[0]], AddressClaims.FreeLongestFirst(addresses));
        }
        finally
        {
            foreach (var address in addresses) File.Delete(Path.Combine(Path.GetTempPath(), "stratus-address-claims", address + ".lock"));
        }
    }

    [Fact]
    public async Task The_addresses_of_a_stopped_Stratus_are_the_last_another_one_takes()
    {
        // A persistent Stratus being restarted drops its locks; its addresses must not look free the longest, or another
        // Stratus takes them and the restarted one's cluster endpoint moves away from the address its clients dial.
        var tag = Guid.NewGuid().ToString("N");
        string[] addresses = [$"held-{tag}", $"released-{tag}"];
        var stopping = new AddressClaims();
        using var otherStratus = new AddressClaims();
        try
        {
            Assert.True(stopping.TryClaim("cluster-a", addresses[0]));
            await Task.Delay(50);
            Assert.True(otherStratus.TryClaim("db-b", addresses[1]));
            otherStratus.Release("db-b", addresses[1]);
            await Task.Delay(50);
            stopping.Dispose();

            Assert.Equal([addresses[1], addresses[0]], AddressClaims.FreeLongestFirst(addresses));
        }
        finally
        {
            stopping.Dispose();
            foreach (var address in addresses) File.Delete(Path.Combine(Path.GetTempPath(), "stratus-address-claims", address + ".lock"));
        }
    }
}
