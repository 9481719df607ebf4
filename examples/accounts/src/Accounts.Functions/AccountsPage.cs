using System.Globalization;
using System.Net;
using System.Text;

namespace Accounts.Functions;

/// <summary>The accounts page: a complete, styled HTML document in which every value from the database is escaped.</summary>
public static class AccountsPage
{
    private static readonly CultureInfo Money = CultureInfo.InvariantCulture;

    public static string Render(IReadOnlyList<Account> accounts, DateTimeOffset generatedAt)
    {
        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Accounts</title>
            <style>
            body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: #f4f6fa; color: #1c2430; }
            header { background: #232f3e; color: #fff; padding: 1.25rem 2rem; }
            header h1 { margin: 0; font-size: 1.5rem; }
            header p { margin: .25rem 0 0; color: #c9d1dc; font-size: .9rem; }
            main { padding: 1.5rem 2rem; }
            table { border-collapse: collapse; width: 100%; background: #fff; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
            th, td { text-align: left; padding: .6rem .9rem; border-bottom: 1px solid #e3e7ee; }
            th { background: #eef1f6; font-weight: 600; }
            td.number { text-align: right; font-variant-numeric: tabular-nums; }
            tr:hover td { background: #f8fafc; }
            .empty { background: #fff; padding: 2rem; text-align: center; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
            footer { padding: 0 2rem 1.5rem; color: #5b6675; font-size: .8rem; }
            </style>
            </head>
            <body>
            <header><h1>Accounts</h1>
            """);
        html.Append("<p>").Append(accounts.Count).Append(accounts.Count == 1 ? " account" : " accounts");
        if (accounts.Count > 0) html.Append(", total balance ").Append(accounts.Sum(a => a.Balance).ToString("N2", Money));
        html.Append("</p></header>\n<main>\n");

        if (accounts.Count == 0)
        {
            html.Append("""<div class="empty"><h2>No accounts yet</h2><p>Run the seeding function to add the sample accounts.</p></div>""").Append('\n');
        }
        else
        {
            html.Append("<table>\n<thead><tr><th>Name</th><th>Username</th><th>Email</th><th>Country</th><th>Balance</th><th>Customer since</th></tr></thead>\n<tbody>\n");
            foreach (var account in accounts)
            {
                html.Append("<tr><td>").Append(Escape(account.FullName))
                    .Append("</td><td>").Append(Escape(account.Username))
                    .Append("</td><td>").Append(Escape(account.Email))
                    .Append("</td><td>").Append(Escape(account.Country))
                    .Append("</td><td class=\"number\">").Append(account.Balance.ToString("N2", Money))
                    .Append("</td><td>").Append(account.OpenedOn.ToString("yyyy-MM-dd", Money))
                    .Append("</td></tr>\n");
            }
            html.Append("</tbody>\n</table>\n");
        }

        html.Append("</main>\n<footer>Generated ").Append(generatedAt.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", Money))
            .Append("</footer>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static string Escape(string value) => WebUtility.HtmlEncode(value);
}
