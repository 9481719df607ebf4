using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGatewayV2;
using Stratus.Services.Lambda;

namespace Stratus.Host;

/// <summary>
/// One address a client invokes, in both forms Stratus serves it: <paramref name="PathForm"/> on Stratus's own address
/// (no DNS, so Python, Node and anything using glibc open it, as do curl and browsers) and <paramref name="HostForm"/>
/// under *.execute-api.localhost or *.lambda-url.REGION.localhost (curl and browsers resolve *.localhost; glibc, Node
/// and Python do not).
/// </summary>
/// <param name="Kind">"REST API", "HTTP API" or "function URL".</param>
/// <param name="Name">The API's or the function's name.</param>
/// <param name="Target">The API's id and stage (<c>abc123/prod</c>), or the function URL's qualifier (<c>$LATEST</c> when it has none).</param>
public sealed record InvokeUrl(string Kind, string AccountId, string Region, string Name, string Target, string PathForm, string HostForm)
{
    public JsonObject ToJson() => new()
    {
        ["kind"] = Kind, ["accountId"] = AccountId, ["region"] = Region, ["name"] = Name, ["target"] = Target,
        ["url"] = PathForm, ["hostUrl"] = HostForm,
    };

    /// <summary>An entry of the health endpoint's list, read back by `stratus status`; null when it is not one.</summary>
    public static InvokeUrl? FromJson(JsonNode? node) =>
        node is JsonObject o && Text(o, "kind") is { } kind && Text(o, "accountId") is { } account && Text(o, "region") is { } region
        && Text(o, "name") is { } name && Text(o, "target") is { } target && Text(o, "url") is { } url && Text(o, "hostUrl") is { } host
            ? new InvokeUrl(kind, account, region, name, target, url, host)
            : null;

    private static string? Text(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
}

/// <summary>
/// Every invoke URL Stratus serves: each stage of each REST and HTTP API (but those whose default endpoint is disabled,
/// which answer on neither form, as on AWS) and each function URL. The forms come from the services that serve them
/// (<see cref="ApiGatewayV2Service.PathEndpoint"/>, <see cref="LambdaService.FunctionUrlPathForm"/>); this is the one
/// place that puts a stage's path on them, for the console, `stratus status` (through the health endpoint) and the
/// start banner.
/// </summary>
public sealed class InvokeUrls(ApiGatewayService restApis, ApiGatewayV2Service httpApis, LambdaService lambda)
{
    /// <summary>How many the health endpoint and the banner list, so a data dir with thousands of APIs stays a readable answer.</summary>
    public const int Listed = 200;

    /// <summary>
    /// A stage's two URLs. REST APIs have no $default stage: the first path segment always names the stage; an HTTP
    /// API's $default stage is served at the API's root.
    /// </summary>
    public static (string PathForm, string HostForm) Stage(ApiGatewayV2Service httpApis, string apiId, string stage, bool defaultStageAtRoot)
    {
        var path = defaultStageAtRoot && stage == "$default" ? "/" : "/" + Uri.EscapeDataString(stage) + "/";
        return (httpApis.PathEndpoint(apiId) + path, httpApis.Endpoint(apiId) + path);
    }

    /// <summary>All of them, REST APIs, then HTTP APIs, then function URLs, each by account, region and name.</summary>
    public IEnumerable<InvokeUrl> All()
    {
        var ordinal = StringComparer.Ordinal;
        foreach (var api in restApis.AllRestApis().Where(a => !a.Api.DisableExecuteApiEndpoint)
            .OrderBy(a => a.AccountId, ordinal).ThenBy(a => a.Region, ordinal).ThenBy(a => a.Api.Name, ordinal).ThenBy(a => a.Api.Id, ordinal))
            foreach (var stage in restApis.GetStages(Scope.Of(api.AccountId, api.Region), api.Api.Id, null).Select(s => s.StageName).Order(ordinal))
            {
                var (pathForm, hostForm) = Stage(httpApis, api.Api.Id, stage, defaultStageAtRoot: false);
                yield return new InvokeUrl("REST API", api.AccountId, api.Region, api.Api.Name, $"{api.Api.Id}/{stage}", pathForm, hostForm);
            }
        foreach (var api in httpApis.All.Where(a => !a.Api.DisableExecuteApiEndpoint)
            .OrderBy(a => a.AccountId, ordinal).ThenBy(a => a.Region, ordinal).ThenBy(a => a.Api.Name, ordinal).ThenBy(a => a.Api.ApiId, ordinal))
            foreach (var stage in api.Stages.Keys.Order(ordinal))
            {
                var (pathForm, hostForm) = Stage(httpApis, api.Api.ApiId, stage, defaultStageAtRoot: true);
                yield return new InvokeUrl("HTTP API", api.AccountId, api.Region, api.Api.Name, $"{api.Api.ApiId}/{stage}", pathForm, hostForm);
            }
        foreach (var function in lambda.AllFunctions().OrderBy(f => f.AccountId, ordinal).ThenBy(f => f.Region, ordinal).ThenBy(f => f.Name, ordinal))
            foreach (var config in function.UrlConfigs.OrderBy(c => c.Qualifier ?? "", ordinal))
                yield return new InvokeUrl("function URL", function.AccountId, function.Region, function.Name, config.Qualifier ?? "$LATEST",
                    lambda.FunctionUrlPathForm(config), lambda.FunctionUrl(function, config));
    }

    /// <summary>
    /// The lines `stratus start` and `stratus status` print: a heading saying which form which client opens, then each URL's
    /// two forms under its name, and how many more there are beyond <see cref="Listed"/>.
    /// </summary>
    public static IEnumerable<string> Describe(IReadOnlyList<InvokeUrl> urls, int notListed)
    {
        if (urls.Count == 0)
        {
            yield return "Invoke URLs: none yet. Each REST API stage, HTTP API stage and function URL is listed here and in the console, " +
                "in the /_aws/... form every client opens and the *.localhost form browsers and curl open.";
            yield break;
        }
        yield return "Invoke URLs (the first form opens from every client: Python, Node, curl, browsers; the *.localhost form from browsers and curl):";
        foreach (var url in urls)
        {
            yield return $"  {url.Kind} {url.Name} ({url.Target}, {url.AccountId} {url.Region})";
            yield return $"    {url.PathForm}";
            yield return $"    {url.HostForm}";
        }
        if (notListed > 0) yield return $"  ... and {notListed} more (the console lists them all).";
    }

    /// <summary>The first <see cref="Listed"/> and how many are left out.</summary>
    public (IReadOnlyList<InvokeUrl> Urls, int NotListed) Listing()
    {
        var all = All().ToList();
        return (all.Take(Listed).ToList(), Math.Max(0, all.Count - Listed));
    }
}
