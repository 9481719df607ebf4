using System.Globalization;
using static Stratus.Services.ApiGateway.ApiGatewayErrors;

namespace Stratus.Services.ApiGateway;

/// <summary>
/// A stage's per-method settings, patched as <c>/{resourcePath}/{httpMethod}/{section}/{setting}</c>
/// (e.g. <c>/*/*/logging/loglevel</c>, <c>/~1accounts/GET/metrics/enabled</c>).
/// </summary>
public static class MethodSettingPatch
{
    public static bool TryApply(Dictionary<string, MethodSetting> settings, PatchOperation operation)
    {
        var raw = operation.Path.TrimStart('/').Split('/');
        if (raw.Length != 4) return false;
        var key = raw[0] + "/" + raw[1];
        var setting = settings.GetValueOrDefault(key) ?? new MethodSetting();
        if (operation.Op == "remove")
        {
            settings.Remove(key);
            return true;
        }
        var value = operation.Value ?? "";
        switch ((raw[2] + "/" + raw[3]).ToLowerInvariant())
        {
            case "metrics/enabled": setting.MetricsEnabled = Flag(operation, value); break;
            case "logging/loglevel":
                setting.LoggingLevel = value.ToUpperInvariant() is "OFF" or "ERROR" or "INFO" ? value.ToUpperInvariant()
                    : throw BadRequest("Invalid logging level specified. Valid options are OFF,ERROR,INFO");
                break;
            case "logging/datatrace": setting.DataTraceEnabled = Flag(operation, value); break;
            case "throttling/burstlimit": setting.ThrottlingBurstLimit = (int)Number(operation, value); break;
            case "throttling/ratelimit": setting.ThrottlingRateLimit = Number(operation, value); break;
            case "caching/enabled": setting.CachingEnabled = Flag(operation, value); break;
            case "caching/ttlinseconds":
                // AWS: "The maximum TTL value is 3600 seconds. TTL=0 means caching is disabled."
                var ttl = Number(operation, value);
                setting.CacheTtlInSeconds = ttl is >= 0 and <= 3600 && ttl == Math.Floor(ttl) ? (int)ttl
                    : throw BadRequest("Cache time to live must be an integer between 0 and 3600 seconds");
                break;
            case "caching/dataencrypted": setting.CacheDataEncrypted = Flag(operation, value); break;
            case "caching/requireauthorizationforcachecontrol": setting.RequireAuthorizationForCacheControl = Flag(operation, value); break;
            case "caching/unauthorizedcachecontrolheaderstrategy":
                setting.UnauthorizedCacheControlHeaderStrategy = value is "FAIL_WITH_403" or "SUCCEED_WITH_RESPONSE_HEADER" or "SUCCEED_WITHOUT_RESPONSE_HEADER" ? value
                    : throw BadRequest("Invalid unauthorized cache control header strategy specified. Valid options are FAIL_WITH_403,SUCCEED_WITH_RESPONSE_HEADER,SUCCEED_WITHOUT_RESPONSE_HEADER");
                break;
            default: throw PatchDocument.InvalidPath(operation);
        }
        settings[key] = setting;
        return true;
    }

    private static bool Flag(PatchOperation operation, string value) =>
        bool.TryParse(value, out var b) ? b : throw BadRequest($"Invalid value '{value}' for patch path '{operation.Path}'");

    private static double Number(PatchOperation operation, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : throw BadRequest($"Invalid value '{value}' for patch path '{operation.Path}'");
}
