using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Stratus.Protocols.Json;

namespace Stratus.Host;

/// <summary><c>GET /_stratus/health</c>: what is running, for `stratus status` and for people.</summary>
public sealed class HealthEndpoint(ServiceRegistry registry, StratusOptions options, TimeProvider clock)
{
    public const string Path = "/_stratus/health";
    private readonly DateTimeOffset _started = clock.GetUtcNow();

    public static string Version { get; } =
        typeof(HealthEndpoint).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public async Task WriteAsync(HttpContext http)
    {
        var services = new JsonObject();
        foreach (var service in registry.Services) services[service.Name] = new JsonObject { ["state"] = service.State };
        var body = new JsonObject
        {
            ["status"] = "running",
            ["version"] = Version,
            ["uptimeSeconds"] = Math.Round((clock.GetUtcNow() - _started).TotalSeconds, 1),
            ["persistence"] = options.DataDir is null ? "ephemeral" : options.DataDir,
            ["auth"] = options.Auth.ToString().ToLowerInvariant(),
            ["services"] = services,
        };
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(JsonBody.Write(body));
    }
}
