using System.Globalization;
using System.Text;
using Stratus.Host;
using Stratus.Protocols;
using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGatewayV2;
using static Stratus.WebConsole.ConsoleHtml;

namespace Stratus.WebConsole;

/// <summary>
/// The console's API Gateway section: each REST API's resource tree with its methods and their integrations, each
/// HTTP API's routes with theirs, and every stage's invoke URLs in both forms Stratus serves: the path form on
/// Stratus's own address (no DNS, so every client opens it) and the host form under *.execute-api.localhost
/// (browsers and curl). Read from ApiGatewayService and ApiGatewayV2Service.
/// </summary>
public sealed class ApiConsole(ApiGatewayService restApis, ApiGatewayV2Service httpApis) : IConsoleSection
{
    public IEnumerable<(string AccountId, string Region)> Scopes() =>
        restApis.AllRestApis().Select(a => (a.AccountId, a.Region)).Concat(httpApis.All.Select(a => (a.AccountId, a.Region)));

    public void Render(StringBuilder html, string account, string region)
    {
        RenderRestApis(html, account, region, restApis.AllRestApis().Where(a => a.AccountId == account && a.Region == region)
            .OrderBy(a => a.Api.Name, StringComparer.Ordinal).ThenBy(a => a.Api.Id, StringComparer.Ordinal).ToList());
        RenderHttpApis(html, account, region, httpApis.All.Where(a => a.AccountId == account && a.Region == region)
            .OrderBy(a => a.Api.Name, StringComparer.Ordinal).ThenBy(a => a.Api.ApiId, StringComparer.Ordinal).ToList());
    }

    private void RenderRestApis(StringBuilder html, string account, string region, List<RestApiDocument> apis)
    {
        if (apis.Count == 0) return;
        html.Append("<h3>API Gateway REST APIs</h3>");
        foreach (var api in apis)
        {
            var id = api.Api.Id;
            CardHead(html, ConsoleAnchor.RestApi, id, account, region, id, $"""{E(api.Api.Name)} <span class="muted">{E(id)}</span>""");
            html.Append("<table><tr><th>resource</th><th>method</th><th>authorization</th><th>integration</th><th>integration URI</th></tr>");
            foreach (var resource in api.Resources.Values.OrderBy(r => r.Path, StringComparer.Ordinal))
            {
                var methods = (resource.ResourceMethods ?? []).Values.OrderBy(m => m.HttpMethod, StringComparer.Ordinal).ToList();
                if (methods.Count == 0)
                    html.Append(CultureInfo.InvariantCulture, $"""<tr data-resource-path="{E(resource.Path)}"><td><code>{E(resource.Path)}</code></td><td colspan="4" class="muted">no methods</td></tr>""");
                foreach (var method in methods)
                {
                    var integration = method.MethodIntegration;
                    var type = integration is null ? "<span class=\"muted\">none</span>"
                        : E(integration.Type) + (integration.HttpMethod is { } verb && integration.Type != "MOCK" ? $" ({E(verb)})" : "");
                    html.Append(CultureInfo.InvariantCulture,
                        $"""<tr data-resource-path="{E(resource.Path)}" data-method="{E(method.HttpMethod)}"><td><code>{E(resource.Path)}</code></td><td>{E(method.HttpMethod)}</td><td>{E(method.AuthorizationType)}</td><td>{type}</td><td><code>{E(integration?.Uri ?? "")}</code></td></tr>""");
                }
            }
            html.Append("</table>");
            // REST APIs have no $default stage: the first path segment always names the stage.
            RenderStages(html, restApis.GetStages(Scope.Of(account, region), id, null).Select(s => s.StageName), id, defaultStageAtRoot: false,
                api.Api.DisableExecuteApiEndpoint);
            html.Append("</div>");
        }
    }

    private void RenderHttpApis(StringBuilder html, string account, string region, List<HttpApiDocument> apis)
    {
        if (apis.Count == 0) return;
        html.Append("<h3>API Gateway HTTP APIs</h3>");
        foreach (var api in apis)
        {
            var id = api.Api.ApiId;
            CardHead(html, ConsoleAnchor.HttpApi, id, account, region, id, $"""{E(api.Api.Name)} <span class="muted">{E(id)} · {E(api.Api.ProtocolType)}</span>""");
            html.Append("<table><tr><th>route</th><th>authorization</th><th>integration</th><th>integration URI</th><th>payload format</th></tr>");
            if (api.Routes.Count == 0) html.Append("<tr><td colspan=\"5\" class=\"muted\">no routes</td></tr>");
            foreach (var route in api.Routes.Values.OrderBy(r => r.RouteKey, StringComparer.Ordinal))
            {
                // A route's target is "integrations/{id}", as AWS stores it.
                var integration = route.Target is { } target && target.StartsWith("integrations/", StringComparison.Ordinal)
                    ? api.Integrations.GetValueOrDefault(target["integrations/".Length..]) : null;
                var type = integration is null ? "<span class=\"muted\">none</span>"
                    : E(integration.IntegrationType) + (integration.IntegrationMethod is { } verb ? $" ({E(verb)})" : "");
                html.Append(CultureInfo.InvariantCulture,
                    $"""<tr data-route="{E(route.RouteKey)}"><td><code>{E(route.RouteKey)}</code></td><td>{E(route.AuthorizationType)}</td><td>{type}</td><td><code>{E(integration?.IntegrationUri ?? "")}</code></td><td>{E(integration?.PayloadFormatVersion ?? "")}</td></tr>""");
            }
            html.Append("</table>");
            RenderStages(html, api.Stages.Keys.Order(StringComparer.Ordinal), id, defaultStageAtRoot: true, api.Api.DisableExecuteApiEndpoint);
            html.Append("</div>");
        }
    }

    /// <summary>
    /// Each stage's two invoke URLs; an HTTP API's $default stage is served at the API's root. An API whose default endpoint
    /// is disabled answers neither form (403 for REST APIs, 404 for HTTP APIs, as on AWS): only its custom domain names reach it.
    /// </summary>
    private void RenderStages(StringBuilder html, IEnumerable<string> stages, string apiId, bool defaultStageAtRoot, bool defaultEndpointDisabled)
    {
        if (defaultEndpointDisabled)
        {
            html.Append("<p class=\"muted\">The default endpoint is disabled (DisableExecuteApiEndpoint): no invoke URL answers.</p>");
            return;
        }
        var names = stages.ToList();
        if (names.Count == 0)
        {
            html.Append("<p class=\"muted\">No stages: deploy the API to a stage to invoke it.</p>");
            return;
        }
        html.Append("<table><tr><th>stage</th><th>invoke URL (every client)</th><th>invoke URL (browsers, curl)</th></tr>");
        foreach (var stage in names)
        {
            var (pathForm, hostForm) = InvokeUrls.Stage(httpApis, apiId, stage, defaultStageAtRoot);
            html.Append(CultureInfo.InvariantCulture,
                $"""<tr data-api-stage="{E(apiId)}/{E(stage)}"><td>{E(stage)}</td><td><a href="{E(pathForm)}">{E(pathForm)}</a></td><td><a href="{E(hostForm)}">{E(hostForm)}</a></td></tr>""");
        }
        html.Append("</table>");
    }
}
