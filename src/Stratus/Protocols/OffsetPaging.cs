using System.Globalization;
using System.Text;

namespace Stratus.Protocols;

/// <summary>Pages of an ordered list whose token is the next offset, base64 so clients treat it as opaque (SSM's NextToken, KMS's Marker).</summary>
public static class OffsetPaging
{
    public static (IReadOnlyList<T> Page, string? Next) Page<T>(IReadOnlyList<T> items, string? token, int size, Func<Exception> invalidToken)
    {
        var start = 0;
        if (token is not null)
        {
            try { start = int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token)), CultureInfo.InvariantCulture); }
            catch (FormatException) { throw invalidToken(); }
            catch (OverflowException) { throw invalidToken(); }
            if (start < 0 || start > items.Count) throw invalidToken();
        }
        var page = items.Skip(start).Take(size).ToList();
        var end = start + page.Count;
        return (page, end < items.Count ? Convert.ToBase64String(Encoding.UTF8.GetBytes(end.ToString(CultureInfo.InvariantCulture))) : null);
    }
}
