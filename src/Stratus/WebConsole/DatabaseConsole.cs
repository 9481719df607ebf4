using System.Globalization;
using System.Text;
using Stratus.Services.Rds;
using static Stratus.WebConsole.ConsoleHtml;

namespace Stratus.WebConsole;

/// <summary>
/// The console's database section: RDS instances with their engine and version, status and endpoint, and the command
/// that connects to each (psql for postgres, mariadb for mysql and mariadb) over TLS verified with the Region's CA bundle
/// (linked above the table, saved as REGION-bundle.pem), ready to copy; it asks for the password.
/// </summary>
public sealed class DatabaseConsole(RdsService rds) : IConsoleSection
{
    /// <summary>The accounts and regions that hold a DB instance.</summary>
    public IEnumerable<(string AccountId, string Region)> Scopes() => rds.AllInstances().Select(i => (i.AccountId, i.Region));

    public void Render(StringBuilder html, string account, string region)
    {
        var instances = rds.AllInstances().Where(i => i.AccountId == account && i.Region == region).OrderBy(i => i.Identifier, StringComparer.Ordinal).ToList();
        if (instances.Count == 0) return;
        var bundle = $"{region}-bundle.pem";
        html.Append(CultureInfo.InvariantCulture,
            $"""<p>The servers serve TLS with certificates of this Region's RDS CAs: save <a download="{E(bundle)}" href="{E($"{RdsTruststore.PathPrefix}/{account}/{region}/{bundle}")}">{E(bundle)}</a> where you run the commands below.</p>""");
        TableHead(html, "RDS DB instances", "instance", "engine", "status", "endpoint", "connect");
        foreach (var instance in instances)
        {
            var endpoint = instance.Address is null ? "" : $"{instance.Address}:{instance.Port}";
            var command = ConnectionCommand(instance);
            html.Append(CultureInfo.InvariantCulture,
                $"""<tr data-db-instance="{E(instance.Identifier)}"{ConsoleAnchor.Attribute(ConsoleAnchor.DbInstance, instance.AccountId, instance.Region, instance.Identifier)}><td>{E(instance.Identifier)}</td><td>{E(instance.Engine)} {E(instance.EngineVersion)}</td><td>{E(instance.Status)}</td><td>{E(endpoint)}</td><td>{(command is null ? "" : $"<code>{E(command)}</code>")}</td></tr>""");
        }
        html.Append("</table>");
    }

    /// <summary>The command-line client's call for the instance's endpoint, master user and database; null before it has an endpoint.</summary>
    public static string? ConnectionCommand(DbInstance instance)
    {
        if (instance.Address is null) return null;
        var bundle = $"{instance.Region}-bundle.pem";
        return RdsRules.IsPostgres(instance.Engine)
            ? $"psql \"host={instance.Address} port={instance.Port} user={instance.MasterUsername} dbname={instance.DbName ?? "postgres"} sslmode=verify-full sslrootcert={bundle}\""
            : $"mariadb -h {instance.Address} -P {instance.Port} -u {instance.MasterUsername} -p --ssl-ca={bundle} --ssl-verify-server-cert{(instance.DbName is null ? "" : " " + instance.DbName)}";
    }
}
