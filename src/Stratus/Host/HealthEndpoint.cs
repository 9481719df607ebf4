using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Stratus.Protocols.Json;

namespace Stratus.Host;

/// <summary>
/// <c>GET /_stratus/health</c>: what is running, for `stratus status` and for people. Callers without the console's
/// token in verify mode (<see cref="ConsoleAccess"/>) see only that Stratus runs, its version and auth mode: not the
/// data dir's path nor the services' states (which name paths and what is or is not isolated) nor the invoke URLs
/// (which name accounts, APIs and functions).
/// </summary>
public sealed class HealthEndpoint(ServiceRegistry registry, StratusOptions options, TimeProvider clock, InvokeUrls invokeUrls)
{
    public const string Path = "/_stratus/health";
    private readonly DateTimeOffset _started = clock.GetUtcNow();

    public static string Version { get; } =
        typeof(HealthEndpoint).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public async Task WriteAsync(HttpContext http, bool detailed)
    {
        var body = new JsonObject
        {
            ["status"] = "running",
            ["version"] = Version,
            ["auth"] = options.Auth.ToString().ToLowerInvariant(),
        };
        if (detailed)
        {
            var services = new JsonObject();
            foreach (var service in registry.Services) services[service.Name] = new JsonObject { ["state"] = service.State };
            body["uptimeSeconds"] = Math.Round((clock.GetUtcNow() - _started).TotalSeconds, 1);
            body["persistence"] = options.DataDir is null ? "ephemeral" : options.DataDir;
            body["services"] = services;
            var (urls, notListed) = invokeUrls.Listing();
            body["invokeUrls"] = new JsonArray(urls.Select(u => (JsonNode)u.ToJson()).ToArray());
            if (notListed > 0) body["invokeUrlsNotListed"] = notListed;
        }
        else
        {
            body["details"] = $"Send the console token (Authorization: Bearer TOKEN, or log in at {ConsoleAccess.LoginPath}) for uptime, persistence, services and invoke URLs.";
        }
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(JsonBody.Write(body));
    }
}
