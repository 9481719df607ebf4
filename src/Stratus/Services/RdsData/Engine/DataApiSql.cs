using System.Text;

namespace Stratus.Services.RdsData.Engine;

/// <summary>
/// The Data API's named parameters (`:name`) in the driver's form (`@name`, which MySqlConnector and Npgsql both bind). Quoted
/// strings, quoted identifiers, comments, PostgreSQL's dollar-quoted strings and `::` casts are passed over, and only the names the
/// call supplies are rewritten, so a colon that is not a parameter stays as written.
/// </summary>
public static class DataApiSql
{
    /// <param name="mySql">MySQL's lexis: # comments and backslash escapes in strings (PostgreSQL has neither: # is an operator there).</param>
    public static string BindNamedParameters(string sql, IReadOnlySet<string> names, bool mySql)
    {
        if (names.Count == 0) return sql;
        var result = new StringBuilder(sql.Length + 8);
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            var skipped = c switch
            {
                '\'' or '"' or '`' => QuotedEnd(sql, i, c, mySql),
                '-' when At(sql, i + 1, '-') => LineEnd(sql, i),
                '#' when mySql => LineEnd(sql, i),
                '/' when At(sql, i + 1, '*') => BlockCommentEnd(sql, i),
                '$' when !mySql => DollarQuoteEnd(sql, i),
                _ => -1,
            };
            if (skipped > i)
            {
                result.Append(sql, i, skipped - i);
                i = skipped;
                continue;
            }
            if (c == ':' && At(sql, i + 1, ':'))
            {
                result.Append("::");
                i += 2;
                continue;
            }
            if (c == ':' && i + 1 < sql.Length && IsNameStart(sql[i + 1]))
            {
                var end = i + 1;
                while (end < sql.Length && IsNamePart(sql[end])) end++;
                var name = sql[(i + 1)..end];
                result.Append(names.Contains(name) ? '@' : ':').Append(name);
                i = end;
                continue;
            }
            result.Append(c);
            i++;
        }
        return result.ToString();
    }

    private static bool At(string sql, int index, char c) => index < sql.Length && sql[index] == c;

    private static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsNamePart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    /// <summary>The end of a quoted string or identifier: a doubled quote continues it, and a backslash escapes in MySQL's strings.</summary>
    private static int QuotedEnd(string sql, int start, char quote, bool mySql)
    {
        var i = start + 1;
        while (i < sql.Length)
        {
            if (mySql && sql[i] == '\\' && quote is '\'' or '"') { i += 2; continue; }
            if (sql[i] == quote)
            {
                if (At(sql, i + 1, quote)) { i += 2; continue; }
                return i + 1;
            }
            i++;
        }
        return sql.Length;
    }

    private static int LineEnd(string sql, int start)
    {
        var end = sql.IndexOf('\n', start);
        return end < 0 ? sql.Length : end + 1;
    }

    private static int BlockCommentEnd(string sql, int start)
    {
        var end = sql.IndexOf("*/", start + 2, StringComparison.Ordinal);
        return end < 0 ? sql.Length : end + 2;
    }

    /// <summary>PostgreSQL's $tag$ ... $tag$ strings (function bodies); a lone $ is not one.</summary>
    private static int DollarQuoteEnd(string sql, int start)
    {
        var tagEnd = start + 1;
        while (tagEnd < sql.Length && IsNamePart(sql[tagEnd])) tagEnd++;
        if (tagEnd >= sql.Length || sql[tagEnd] != '$' || (tagEnd > start + 1 && char.IsAsciiDigit(sql[start + 1]))) return -1;
        var tag = sql[start..(tagEnd + 1)];
        var close = sql.IndexOf(tag, tagEnd + 1, StringComparison.Ordinal);
        return close < 0 ? sql.Length : close + tag.Length;
    }
}
