namespace Stratus.Services.Rds.Engine;

/// <summary>
/// Which instance holds which bind address, machine-wide: each claim is also an exclusive lock on a
/// file in the temp dir, so another Stratus on this machine does not take an address while its owner
/// is stopped or restarting. The operating system drops the locks of a process that dies. A released
/// claim's file keeps the time of its release, so new instances take the addresses free the longest:
/// a client still holding a deleted instance's address does not reach the next instance's database.
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
                _claims[address] = (owner, new FileStream(Path.Combine(ClaimDir, address + ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
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
                File.SetLastWriteTimeUtc(claim.Lock.SafeFileHandle, DateTime.UtcNow);
                claim.Lock.Dispose();
                _claims.Remove(address);
            }
    }

    /// <summary>The addresses, never-claimed ones first, then those released longest ago.</summary>
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
            foreach (var claim in _claims.Values) claim.Lock.Dispose();
            _claims.Clear();
        }
    }
}
