using System.Globalization;
using System.Net;
using System.Text;
using Stratus.Protocols;
using Stratus.Services.Kms;
using Stratus.Services.Ssm;

namespace Stratus.WebConsole;

/// <summary>
/// The console's configuration sections: SSM parameters (name, type, version, last modified; a String's value,
/// never a SecureString's) and KMS keys with their aliases and state. Read from the services' domain objects.
/// </summary>
public sealed class ConfigurationConsole(SsmService ssm, KmsService kms) : IConsoleSection
{
    /// <summary>A String or StringList value is shown up to this many characters.</summary>
    private const int ShownValueLength = 80;

    /// <summary>The accounts and regions that hold a parameter or a key.</summary>
    public IEnumerable<(string AccountId, string Region)> Scopes() =>
        ssm.AllParameters().Select(p => (p.AccountId, p.Region)).Concat(kms.AllKeys().Select(k => (k.AccountId, k.Region)));

    public void Render(StringBuilder html, string account, string region)
    {
        RenderParameters(html, account, region, ssm.AllParameters().Where(p => p.AccountId == account && p.Region == region).Select(p => p.Parameter)
            .OrderBy(p => p.Name, StringComparer.Ordinal).ToList());
        RenderKeys(html, Scope.Of(account, region), kms.AllKeys().Where(k => k.AccountId == account && k.Region == region)
            .OrderBy(k => k.CreationDate).ToList());
    }

    private static void RenderParameters(StringBuilder html, string account, string region, List<SsmParameter> parameters)
    {
        if (parameters.Count == 0) return;
        html.Append("<h3>SSM parameters</h3><table><tr><th>name</th><th>type</th><th>version</th><th>last modified</th><th>value</th></tr>");
        foreach (var parameter in parameters)
        {
            var latest = parameter.Latest;
            var value = latest.Type == "SecureString"
                ? $"<span class=\"muted\">hidden (SecureString, {E(latest.KeyId ?? SsmService.DefaultKeyId)})</span>"
                : $"<code>{E(latest.Value.Length > ShownValueLength ? latest.Value[..ShownValueLength] + "…" : latest.Value)}</code>";
            html.Append(CultureInfo.InvariantCulture,
                $"""<tr data-parameter="{E(parameter.Name)}"{ConsoleAnchor.Attribute(ConsoleAnchor.Parameter, account, region, parameter.Name)}><td>{E(parameter.Name)}</td><td>{E(latest.Type)}</td><td>{latest.Version}</td><td>{latest.LastModified.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC</td><td>{value}</td></tr>""");
        }
        html.Append("</table>");
    }

    private void RenderKeys(StringBuilder html, Scope scope, List<KmsKey> keys)
    {
        if (keys.Count == 0) return;
        var aliases = kms.ListAliases(scope, null).Where(a => a.TargetKeyId.Length > 0).ToLookup(a => a.TargetKeyId);
        html.Append("<h3>KMS keys</h3><table><tr><th>key id</th><th>aliases</th><th>description</th><th>state</th><th>managed by</th><th>rotation</th><th>created</th></tr>");
        foreach (var key in keys)
        {
            var state = key.KeyState == "PendingDeletion" && key.DeletionDate is { } at ? $"PendingDeletion (deleted {at.UtcDateTime:yyyy-MM-dd HH:mm} UTC)" : key.KeyState;
            html.Append(CultureInfo.InvariantCulture,
                $"""<tr data-key="{E(key.KeyId)}"{ConsoleAnchor.Attribute(ConsoleAnchor.Key, key.AccountId, key.Region, key.KeyId)}><td><code>{E(key.KeyId)}</code></td><td>{string.Join(", ", aliases[key.KeyId].Select(a => E(a.AliasName)))}</td><td>{E(key.Description)}</td><td>{E(state)}</td><td>{(key.IsAwsManaged ? "AWS" : "customer")}</td><td>{(key.RotationPeriodInDays is { } days ? $"every {days} days" : "off")}</td><td>{key.CreationDate.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC</td></tr>""");
        }
        html.Append("</table>");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
