using System.Globalization;
using static Stratus.Services.ApiGateway.ApiGatewayErrors;

namespace Stratus.Services.ApiGateway;

/// <summary>
/// UpdateStage's nested settings: <c>/accessLogSettings/{destinationArn|format}</c> and <c>/canarySettings/{percentTraffic|deploymentId|useStageCache}</c>,
/// <c>/canarySettings/stageVariableOverrides/{name}</c>; <c>remove</c> of <c>/accessLogSettings</c> or <c>/canarySettings</c> drops the whole setting.
/// </summary>
public static class StageSettingPatch
{
    public static bool TryApply(Stage stage, PatchOperation operation)
    {
        var parts = operation.Path.TrimStart('/').Split('/', 3);
        var remove = operation.Op == "remove";
        switch (parts)
        {
            case ["accessLogSettings"] when remove: stage.AccessLogSettings = null; return true;
            case ["canarySettings"] when remove: stage.CanarySettings = null; return true;
            case ["accessLogSettings", var member]:
                var log = stage.AccessLogSettings ?? new AccessLogSettings();
                switch (member)
                {
                    case "destinationArn": log.DestinationArn = remove ? null : operation.Value; break;
                    case "format": log.Format = remove ? null : operation.Value; break;
                    default: throw PatchDocument.InvalidPath(operation);
                }
                stage.AccessLogSettings = log.DestinationArn is null && log.Format is null ? null : log;
                return true;
            case ["canarySettings", var member, ..]:
                var canary = stage.CanarySettings ?? new CanarySettings();
                switch (member)
                {
                    case "percentTraffic" when parts.Length == 2:
                        canary.PercentTraffic = remove ? 0 : double.TryParse(operation.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var percent)
                            ? percent : throw BadRequest($"Invalid value '{operation.Value}' for patch path '{operation.Path}'");
                        break;
                    case "deploymentId" when parts.Length == 2: canary.DeploymentId = remove ? null : operation.Value; break;
                    case "useStageCache" when parts.Length == 2:
                        canary.UseStageCache = !remove && (bool.TryParse(operation.Value, out var flag) ? flag
                            : throw BadRequest($"Invalid value '{operation.Value}' for patch path '{operation.Path}'"));
                        break;
                    case "stageVariableOverrides" when parts.Length == 3:
                        var name = parts[2].Replace("~1", "/").Replace("~0", "~");
                        var overrides = canary.StageVariableOverrides ?? [];
                        if (remove) overrides.Remove(name);
                        else overrides[name] = operation.Value ?? "";
                        canary.StageVariableOverrides = overrides.Count > 0 ? overrides : null;
                        break;
                    default: throw PatchDocument.InvalidPath(operation);
                }
                stage.CanarySettings = canary;
                return true;
            default:
                return false;
        }
    }
}
