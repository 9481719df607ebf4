using System.Globalization;
using System.Text;
using Stratus.Services.Lambda;
using static Stratus.WebConsole.ConsoleHtml;

namespace Stratus.WebConsole;

/// <summary>
/// The console's Lambda functions: each with its runtime, its aliases (the version each points to and the weights of
/// any additional version, as weighted aliases route), its layers and its function URLs in both forms Stratus
/// serves (the path form every client opens, the host form under *.lambda-url.REGION.localhost). Read from LambdaService.
/// </summary>
public sealed class FunctionConsole(LambdaService lambda) : IConsoleSection
{
    public IEnumerable<(string AccountId, string Region)> Scopes() => lambda.AllFunctions().Select(f => (f.AccountId, f.Region));

    public void Render(StringBuilder html, string account, string region)
    {
        var functions = lambda.AllFunctions().Where(f => f.AccountId == account && f.Region == region).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        if (functions.Count == 0) return;
        TableHead(html, "Lambda function configuration", "function", "runtime", "versions", "aliases", "layers", "function URL");
        foreach (var function in functions)
        {
            var latest = function.Latest;
            var runtime = latest.PackageType == "Image" ? "image" : latest.Runtime ?? "";
            var versions = function.Versions.Count == 0 ? "$LATEST" : "$LATEST, " + string.Join(", ", function.Versions.Select(v => v.Version));
            html.Append(CultureInfo.InvariantCulture,
                $"""<tr data-function-config="{E(function.Name)}"{ConsoleAnchor.Attribute(ConsoleAnchor.Function, account, region, function.Name)}><td>{E(function.Name)}</td><td>{E(runtime)}</td><td>{E(versions)}</td><td>{Aliases(function)}</td><td>{Layers(latest)}</td><td>{Urls(function)}</td></tr>""");
        }
        html.Append("</table>");
    }

    private static string Aliases(LambdaFunction function) =>
        function.Aliases.Count == 0 ? "<span class=\"muted\">none</span>"
        : string.Join("<br>", function.Aliases.OrderBy(a => a.Name, StringComparer.Ordinal).Select(alias =>
        {
            var weights = alias.AdditionalVersionWeights;
            // The alias's own version takes what the additional versions leave.
            var text = weights.Count == 0
                ? $"{alias.Name} → {alias.FunctionVersion}"
                : $"{alias.Name} → {alias.FunctionVersion} ({Percent(1 - weights.Values.Sum())})"
                  + string.Concat(weights.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => $", {w.Key} ({Percent(w.Value)})"));
            return $"<span data-alias=\"{E(alias.Name)}\">{E(text)}</span>";
        }));

    private static string Layers(FunctionConfig config) =>
        config.Layers.Count == 0 ? "<span class=\"muted\">none</span>" : string.Join("<br>", config.Layers.Select(l => $"<code>{E(l.Arn)}</code>"));

    private string Urls(LambdaFunction function) =>
        function.UrlConfigs.Count == 0 ? "<span class=\"muted\">none</span>"
        : string.Join("<br>", function.UrlConfigs.Select(config =>
        {
            var pathForm = lambda.FunctionUrlPathForm(config);
            var hostForm = lambda.FunctionUrl(function, config);
            var qualifier = config.Qualifier is null ? "" : $"{E(config.Qualifier)}: ";
            return $"""{qualifier}<a href="{E(pathForm)}">{E(pathForm)}</a> · <a href="{E(hostForm)}">{E(hostForm)}</a> <span class="muted">auth {E(config.AuthType)}</span>""";
        }));

    private static string Percent(double share) => (share * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";
}
