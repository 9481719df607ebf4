namespace Stratus.Services.Rds.Engine;

/// <summary>Loopback addresses for listeners that are not database servers: an Aurora cluster's writer and reader endpoints.</summary>
public sealed partial class DbFleet
{
    /// <summary>
    /// Claims a loopback address on which the port is free for the owner, <paramref name="preferred"/> first (the address
    /// it had before a restart), from the same 127.0.0.N range and claims as instances, so neither takes the other's.
    /// </summary>
    public string ClaimListenAddress(string owner, string? preferred, int port)
    {
        foreach (var address in Candidates(preferred, publiclyAccessible: false))
        {
            if (!_addresses.TryClaim(owner, address)) continue;
            if (IsFree(address, port)) return address;
            _addresses.Release(owner, address);
        }
        throw new DbStartException($"Port {port} is taken on every loopback address 127.0.0.2-127.0.0.254.", addressInUse: true);
    }

    /// <summary>Releases every address the owner holds.</summary>
    public void ReleaseAddresses(string owner) => _addresses.ReleaseAll(owner);
}
