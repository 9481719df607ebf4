namespace Stratus.Services.Rds.Engine;

/// <summary>
/// Which instance holds which bind address, machine-wide: each claim is also an exclusive lock on a
/// file in the temp dir, so another Stratus on this machine does not take an address while its owner
/// is restarting. The operating system drops the locks of a process that stops or dies, so a claim's file
/// keeps the time it was last held (stamped when claimed and when released, and when its Stratus stops):
/// new instances take the addresses unused the longest. So a client still holding a deleted instance's
/// address does not reach the next instance's database, and the addresses of a Stratus being restarted
/// are the last another Stratus takes (they were the first, with their old claim times, and a restarted
/// cluster's endpoint then moved to another address while its clients still dialled the old one).
/// </summary>
public sealed class AddressClaims : IDisposable
{
    private static readonly string ClaimDir = Path.Combine(Path.GetTempPath(), "stratus-address-claims");

    private readonly Dictionary<string, (string Owner, FileStream Lock)> _claims = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Claims the address for the owner; false when another instance here or another Stratus holds it.</summary>
    public bool TryClaim(string owner, string address)
    {
        lock (_gate)
        {
            if (_claims.TryGetValue(address, out var claim)) return claim.Owner == owner;
            Directory.CreateDirectory(ClaimDir);
            try
            {
                var claimed = new FileStream(Path.Combine(ClaimDir, address + ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                Stamp(claimed);
                _claims[address] = (owner, claimed);
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        }
    }

    public void Release(string owner, string address)
    {
        lock (_gate)
            if (_claims.TryGetValue(address, out var claim) && claim.Owner == owner)
            {
                Stamp(claim.Lock);
                claim.Lock.Dispose();
                _claims.Remove(address);
            }
    }

    /// <summary>The addresses, never-claimed ones first, then those held longest ago.</summary>
    public static IEnumerable<string> FreeLongestFirst(IEnumerable<string> addresses) =>
        addresses.OrderBy(address => File.GetLastWriteTimeUtc(Path.Combine(ClaimDir, address + ".lock")));

    /// <summary>Releases every address the owner holds except <paramref name="keep"/>.</summary>
    public void ReleaseAll(string owner, string? keep = null)
    {
        lock (_gate)
            foreach (var address in _claims.Where(c => c.Value.Owner == owner && c.Key != keep).Select(c => c.Key).ToList())
                Release(owner, address);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var claim in _claims.Values)
            {
                Stamp(claim.Lock);
                claim.Lock.Dispose();
            }
            _claims.Clear();
        }
    }

    /// <summary>Records now as the time the address was last held.</summary>
    private static void Stamp(FileStream claim) => File.SetLastWriteTimeUtc(claim.SafeFileHandle, DateTime.UtcNow);
}
