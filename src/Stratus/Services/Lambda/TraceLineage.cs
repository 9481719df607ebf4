using System.Security.Cryptography;
using System.Text;

namespace Stratus.Services.Lambda;

/// <summary>
/// Recursive loop detection as Lambda does it: the X-Ray trace header an invocation carries (X-Amzn-Trace-Id on the
/// request; the function sees it as _X_AMZN_TRACE_ID, and the AWS SDKs inside it send it on every call they make)
/// holds a Lineage field, one <c>1:HASH:COUNT</c> entry per function the request chain has run, entries joined by
/// <c>|</c>. Each invocation of a function counts one more in its entry; a chain that has run a function about 16
/// times is a loop, and a function whose RecursiveLoop is Terminate is not run again in it.
/// </summary>
public static class TraceLineage
{
    /// <summary>AWS stops the invocation after about 16 in one chain.</summary>
    public const int MaxInvocationsInChain = 16;
    /// <summary>A header is at most this long and holds at most this many lineage entries; beyond, the rest is dropped.</summary>
    private const int MaxHeaderChars = 4096;
    private const int MaxEntries = 32;

    /// <summary>
    /// The trace header the invocation of <paramref name="functionArn"/> runs under: the caller's Root, Parent and
    /// Sampled kept (a fresh Root when there is none), and the function's lineage count raised by one.
    /// </summary>
    public static (string Header, int Count) Next(string? incoming, string functionArn, string requestId, DateTimeOffset now)
    {
        var fields = Parse(incoming);
        var hash = Hash(functionArn);
        var entries = new List<(string Hash, int Count)>();
        if (fields.TryGetValue("Lineage", out var lineage))
            foreach (var entry in lineage.Split('|').Take(MaxEntries))
                if (ParseEntry(entry) is { } parsed && entries.All(e => e.Hash != parsed.Hash)) entries.Add(parsed);
        var index = entries.FindIndex(e => e.Hash == hash);
        var count = (index >= 0 ? entries[index].Count : 0) + 1;
        if (index >= 0) entries[index] = (hash, count);
        else if (entries.Count < MaxEntries) entries.Add((hash, count));

        var root = fields.TryGetValue("Root", out var r) ? r : $"1-{now.ToUnixTimeSeconds():x8}-{requestId.Replace("-", "", StringComparison.Ordinal)[..24]}";
        var header = new StringBuilder("Root=").Append(root);
        if (fields.TryGetValue("Parent", out var parent)) header.Append(";Parent=").Append(parent);
        header.Append(";Sampled=").Append(fields.TryGetValue("Sampled", out var sampled) ? sampled : "0");
        header.Append(";Lineage=").AppendJoin('|', entries.Select(e => $"1:{e.Hash}:{e.Count}"));
        return (header.ToString(), count);
    }

    private static Dictionary<string, string> Parse(string? header)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(header) || header.Length > MaxHeaderChars) return fields;
        // botocore percent-encodes the header it copies from _X_AMZN_TRACE_ID, '|' included.
        foreach (var part in Uri.UnescapeDataString(header).Split(';'))
        {
            var pair = part.Split('=', 2);
            var value = pair.Length == 2 ? pair[1].Trim() : "";
            // Only what an X-Ray header holds: no separators or spaces a value could smuggle into the runtime's header.
            if (pair.Length == 2 && value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or ':' or '|'))
                fields.TryAdd(pair[0].Trim(), value);
        }
        return fields;
    }

    /// <summary>An entry as AWS writes it, <c>1:HASH:COUNT</c>, or in its older form <c>HASH:COUNT</c>.</summary>
    private static (string Hash, int Count)? ParseEntry(string entry)
    {
        var parts = entry.Split(':');
        if (parts.Length is < 2 or > 3) return null;
        var hash = parts[^2];
        if (hash.Length != 8 || !hash.All(char.IsAsciiHexDigitLower)) return null;
        return int.TryParse(parts[^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) && count < 1_000_000
            ? (hash, count)
            : null;
    }

    /// <summary>Eight hex digits naming the function (unqualified: all its versions are one function in a loop).</summary>
    private static string Hash(string functionArn) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(functionArn)))[..8];
}
