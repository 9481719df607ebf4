using System.Globalization;
using System.Net;
using System.Text;

namespace Stratus.WebConsole;

/// <summary>The HTML every console section writes alike: escaping, a section's table head, a resource's card head.</summary>
public static class ConsoleHtml
{
    public static string E(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A section that is one table: its heading and the table's header row, left open for the rows.</summary>
    public static void TableHead(StringBuilder html, string heading, params string[] columns)
    {
        html.Append(CultureInfo.InvariantCulture, $"<h3>{E(heading)}</h3><table><tr>");
        foreach (var column in columns) html.Append(CultureInfo.InvariantCulture, $"<th>{E(column)}</th>");
        html.Append("</tr>");
    }

    /// <summary>
    /// Opens one resource's card: <c>data-{kind}</c> carries <paramref name="dataValue"/> (what pages and tests find the card
    /// by), the id its <see cref="ConsoleAnchor"/> of <paramref name="anchorName"/>, and <paramref name="headingHtml"/> (HTML,
    /// escaped by the caller) its heading. The caller closes the div.
    /// </summary>
    public static void CardHead(StringBuilder html, string kind, string dataValue, string account, string region, string anchorName, string headingHtml) =>
        html.Append(CultureInfo.InvariantCulture,
            $"""<div class="card" data-{kind}="{E(dataValue)}"{ConsoleAnchor.Attribute(kind, account, region, anchorName)}><h3>{headingHtml}</h3>""");
}
