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
            case "caching/ttlinseconds": setting.CacheTtlInSeconds = (int)Number(operation, value); break;
            case "caching/dataencrypted": setting.CacheDataEncrypted = Flag(operation, value); break;
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
