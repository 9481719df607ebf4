using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>
/// Renders the markdown of portal pages (AWS takes GitHub-flavoured markdown) to HTML: ATX headings, paragraphs, fenced code blocks,
/// flat bulleted and numbered lists, block quotes, thematic breaks, pipe tables, and inline code, strong, emphasis, links and images.
/// Raw HTML is escaped, never passed through, and links take only http(s), mailto and relative URLs, so a page cannot script the site.
/// Bounded: one pass over the lines, inline nesting at most <see cref="MaxInlineDepth"/> deep, input at most <see cref="MaxInputChars"/>.
/// </summary>
public static partial class MarkdownRenderer
{
    public const int MaxInputChars = 65536;
    private const int MaxInlineDepth = 4;
    /// <summary>How far a code span, link or emphasis looks for its end, so that unclosed openers cost linear time, not quadratic.</summary>
    private const int MaxSpanChars = 1024;

    [GeneratedRegex(@"^(#{1,6})\s+(.*?)\s*#*\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"^\s{0,3}([-*_])(\s*\1){2,}\s*$")]
    private static partial Regex ThematicBreak();

    [GeneratedRegex(@"^\s{0,3}[-*+]\s+(.*)$")]
    private static partial Regex Bullet();

    [GeneratedRegex(@"^\s{0,3}\d{1,9}[.)]\s+(.*)$")]
    private static partial Regex Numbered();

    [GeneratedRegex(@"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")]
    private static partial Regex TableDelimiter();

    public static string ToHtml(string markdown)
    {
        if (markdown.Length > MaxInputChars) markdown = markdown[..MaxInputChars];
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var html = new StringBuilder();
        var paragraph = new List<string>();
        void FlushParagraph()
        {
            if (paragraph.Count == 0) return;
            html.Append("<p>").Append(Inline(string.Join("\n", paragraph), 0)).Append("</p>\n");
            paragraph.Clear();
        }
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                FlushParagraph();
                var language = line.TrimStart()[3..].Trim();
                var code = new StringBuilder();
                for (i++; i < lines.Length && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal); i++) code.Append(lines[i]).Append('\n');
                html.Append("<pre><code");
                if (language.Length > 0) html.Append(" class=\"language-").Append(Escape(language.Split(' ')[0])).Append('"');
                html.Append('>').Append(Escape(code.ToString())).Append("</code></pre>\n");
                continue;
            }
            if (string.IsNullOrWhiteSpace(line))
            {
                FlushParagraph();
                continue;
            }
            if (Heading().Match(line) is { Success: true } heading)
            {
                FlushParagraph();
                var level = heading.Groups[1].Length;
                html.Append("<h").Append(level).Append('>').Append(Inline(heading.Groups[2].Value, 0)).Append("</h").Append(level).Append(">\n");
                continue;
            }
            if (line.Contains('|') && i + 1 < lines.Length && TableDelimiter().IsMatch(lines[i + 1]) && lines[i + 1].Contains('-'))
            {
                FlushParagraph();
                i = Table(lines, i, html);
                continue;
            }
            if (ThematicBreak().IsMatch(line))
            {
                FlushParagraph();
                html.Append("<hr>\n");
                continue;
            }
            if (Bullet().IsMatch(line) || Numbered().IsMatch(line))
            {
                FlushParagraph();
                var ordered = !Bullet().IsMatch(line);
                var item = ordered ? Numbered() : Bullet();
                html.Append(ordered ? "<ol>\n" : "<ul>\n");
                for (; i < lines.Length && item.Match(lines[i]) is { Success: true } m; i++)
                    html.Append("<li>").Append(Inline(m.Groups[1].Value, 0)).Append("</li>\n");
                i--;
                html.Append(ordered ? "</ol>\n" : "</ul>\n");
                continue;
            }
            if (line.TrimStart().StartsWith('>'))
            {
                FlushParagraph();
                var quoted = new List<string>();
                for (; i < lines.Length && lines[i].TrimStart().StartsWith('>'); i++) quoted.Add(lines[i].TrimStart()[1..].TrimStart());
                i--;
                html.Append("<blockquote><p>").Append(Inline(string.Join("\n", quoted), 0)).Append("</p></blockquote>\n");
                continue;
            }
            paragraph.Add(line.Trim());
        }
        FlushParagraph();
        return html.ToString();
    }

    /// <summary>A pipe table from its header row at <paramref name="start"/>; returns the index of its last row.</summary>
    private static int Table(string[] lines, int start, StringBuilder html)
    {
        html.Append("<table>\n<thead><tr>");
        foreach (var cell in Cells(lines[start])) html.Append("<th>").Append(Inline(cell, 0)).Append("</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        var i = start + 2;
        for (; i < lines.Length && !string.IsNullOrWhiteSpace(lines[i]) && lines[i].Contains('|'); i++)
        {
            html.Append("<tr>");
            foreach (var cell in Cells(lines[i])) html.Append("<td>").Append(Inline(cell, 0)).Append("</td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table>\n");
        return i - 1;
    }

    /// <summary>A row's cells: split on unescaped pipes, the outer pipes optional.</summary>
    private static List<string> Cells(string row)
    {
        var trimmed = row.Trim();
        if (trimmed.StartsWith('|')) trimmed = trimmed[1..];
        if (trimmed.EndsWith('|') && !trimmed.EndsWith("\\|", StringComparison.Ordinal)) trimmed = trimmed[..^1];
        var cells = new List<string>();
        var cell = new StringBuilder();
        for (var i = 0; i < trimmed.Length; i++)
        {
            if (trimmed[i] == '\\' && i + 1 < trimmed.Length && trimmed[i + 1] == '|')
            {
                cell.Append('|');
                i++;
            }
            else if (trimmed[i] == '|')
            {
                cells.Add(cell.ToString().Trim());
                cell.Clear();
            }
            else cell.Append(trimmed[i]);
        }
        cells.Add(cell.ToString().Trim());
        return cells;
    }

    /// <summary>Inline markdown: code spans first (their content is literal), then links and images, strong, emphasis; the rest escaped.</summary>
    private static string Inline(string text, int depth)
    {
        if (depth > MaxInlineDepth) return Escape(text);
        var html = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length && (char.IsPunctuation(text[i + 1]) || char.IsSymbol(text[i + 1])))
            {
                html.Append(Escape(text[i + 1].ToString()));
                i += 2;
                continue;
            }
            if (c == '`' && text.IndexOf('`', i + 1, Window(text, i + 1)) is var close and > 0)
            {
                html.Append("<code>").Append(Escape(text[(i + 1)..close])).Append("</code>");
                i = close + 1;
                continue;
            }
            if ((c == '[' || (c == '!' && i + 1 < text.Length && text[i + 1] == '[')) && Link(text, c == '!' ? i + 1 : i) is { } link)
            {
                if (c == '!') html.Append("<img src=\"").Append(Escape(SafeUrl(link.Url))).Append("\" alt=\"").Append(Escape(link.Label)).Append("\">");
                else html.Append("<a href=\"").Append(Escape(SafeUrl(link.Url))).Append("\">").Append(Inline(link.Label, depth + 1)).Append("</a>");
                i = link.End;
                continue;
            }
            if ((c == '*' || c == '_') && Delimited(text, i, new string(c, 2)) is { } strong)
            {
                html.Append("<strong>").Append(Inline(strong.Inner, depth + 1)).Append("</strong>");
                i = strong.End;
                continue;
            }
            if ((c == '*' || c == '_') && Delimited(text, i, c.ToString()) is { } emphasis)
            {
                html.Append("<em>").Append(Inline(emphasis.Inner, depth + 1)).Append("</em>");
                i = emphasis.End;
                continue;
            }
            html.Append(Escape(c.ToString()));
            i++;
        }
        return html.ToString();
    }

    /// <summary><c>[label](url)</c> at <paramref name="open"/>: the label, the URL and the index after the closing parenthesis.</summary>
    private static (string Label, string Url, int End)? Link(string text, int open)
    {
        var closeLabel = text.IndexOf("](", open + 1, Window(text, open + 1), StringComparison.Ordinal);
        if (closeLabel < 0) return null;
        var closeUrl = text.IndexOf(')', closeLabel + 2, Window(text, closeLabel + 2));
        if (closeUrl < 0) return null;
        var url = text[(closeLabel + 2)..closeUrl].Trim();
        return url.Contains(' ') ? null : (text[(open + 1)..closeLabel], url, closeUrl + 1);
    }

    /// <summary>Text between a delimiter at <paramref name="start"/> and its next occurrence, when both hug non-space text.</summary>
    private static (string Inner, int End)? Delimited(string text, int start, string delimiter)
    {
        if (!text.AsSpan(start).StartsWith(delimiter)) return null;
        var innerStart = start + delimiter.Length;
        if (innerStart >= text.Length || char.IsWhiteSpace(text[innerStart])) return null;
        var close = text.IndexOf(delimiter, innerStart, Window(text, innerStart), StringComparison.Ordinal);
        if (close <= innerStart || char.IsWhiteSpace(text[close - 1])) return null;
        return (text[innerStart..close], close + delimiter.Length);
    }

    private static int Window(string text, int from) => Math.Min(MaxSpanChars, text.Length - from);

    /// <summary>http(s), mailto and relative URLs; anything else (javascript:, data:) becomes "#".</summary>
    public static string SafeUrl(string url)
    {
        var colon = url.IndexOf(':');
        if (colon < 0 || (url.IndexOfAny(['/', '?', '#']) is var first and >= 0 && first < colon)) return url;
        var scheme = url[..colon].ToLowerInvariant();
        return scheme is "http" or "https" or "mailto" ? url : "#";
    }

    public static string Escape(string text) => WebUtility.HtmlEncode(text);
}
