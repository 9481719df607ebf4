namespace Stratus.Services.S3.Engine;

/// <summary>
/// S3 lists keys in UTF-8 byte order. .NET strings compare by UTF-16 code unit, which differs only where
/// a supplementary character (a surrogate pair) meets a character from U+E000 to U+FFFF; this comparer
/// shifts those ranges so comparing code units gives UTF-8's order.
/// </summary>
public sealed class KeyOrder : IComparer<string>
{
    public static readonly KeyOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        var length = Math.Min(x.Length, y.Length);
        for (var i = 0; i < length; i++)
        {
            if (x[i] == y[i]) continue;
            return Rank(x[i]).CompareTo(Rank(y[i]));
        }
        return x.Length.CompareTo(y.Length);
    }

    private static int Rank(char c) => c switch
    {
        >= '\uD800' and <= '\uDFFF' => c + 0x2000,
        >= '\uE000' => c - 0x800,
        _ => c,
    };
}
