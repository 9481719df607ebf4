using System.Globalization;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>
/// An HTTP API's CORS configuration applied as AWS applies it: preflight OPTIONS requests (with Origin and
/// Access-Control-Request-Method) are answered by API Gateway itself with 204, whatever the routes; other
/// requests from an allowed origin get the allow-origin, credentials and expose headers, replacing any the
/// integration sent.
/// </summary>
public static class CorsPolicy
{
    public static bool IsPreflight(HttpApiRequest request) =>
        request.Method == "OPTIONS" && request.Header("Origin") is not null && request.Header("Access-Control-Request-Method") is not null;

    public static HttpApiResponse Preflight(CorsSettings cors, HttpApiRequest request)
    {
        var response = new HttpApiResponse(204, [], []);
        if (AllowedOrigin(cors, request.Header("Origin")!) is not { } origin) return response;
        response.Headers.Add(new("Access-Control-Allow-Origin", origin));
        if (cors.AllowMethods is { Count: > 0 } methods) response.Headers.Add(new("Access-Control-Allow-Methods", string.Join(',', methods)));
        if (cors.AllowHeaders is { Count: > 0 } headers) response.Headers.Add(new("Access-Control-Allow-Headers", string.Join(',', headers)));
        if (cors.MaxAge is { } age) response.Headers.Add(new("Access-Control-Max-Age", age.ToString(CultureInfo.InvariantCulture)));
        if (cors.AllowCredentials == true) response.Headers.Add(new("Access-Control-Allow-Credentials", "true"));
        return response;
    }

    public static void Apply(CorsSettings cors, HttpApiRequest request, HttpApiResponse response)
    {
        if (request.Header("Origin") is not { } requestOrigin || AllowedOrigin(cors, requestOrigin) is not { } origin) return;
        response.Headers.RemoveAll(h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
        response.Headers.Add(new("Access-Control-Allow-Origin", origin));
        if (cors.AllowCredentials == true) response.Headers.Add(new("Access-Control-Allow-Credentials", "true"));
        if (cors.ExposeHeaders is { Count: > 0 } expose) response.Headers.Add(new("Access-Control-Expose-Headers", string.Join(',', expose)));
    }

    /// <summary>"*" when every origin is allowed (AWS answers the wildcard), the origin itself when listed, else null.</summary>
    private static string? AllowedOrigin(CorsSettings cors, string origin)
    {
        if (cors.AllowOrigins is not { Count: > 0 } origins) return null;
        if (origins.Contains("*")) return "*";
        return origins.Any(o => string.Equals(o, origin, StringComparison.OrdinalIgnoreCase)) ? origin : null;
    }
}
