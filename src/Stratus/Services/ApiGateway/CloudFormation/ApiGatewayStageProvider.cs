using System.Globalization;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.ApiGateway.CloudFormation;

/// <summary>
/// AWS::ApiGateway::Stage through ApiGatewayService: a named stage pointing at a deployment. Ref is the stage name. Only RestApiId
/// and StageName replace it; every other change (deployment, variables, MethodSettings, AccessLogSetting, CanarySetting, tags) is
/// made in place through UpdateStage, as AWS marks those properties "No interruption".
/// </summary>
public sealed class ApiGatewayStageProvider(ApiGatewayService gateway) : IResourceProvider
{
    public string Type => "AWS::ApiGateway::Stage";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "RestApiId", "StageName" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var name = p.String("StageName") ?? request.GeneratedName(128);
        var stage = gateway.CreateStage(request.Scope, p.Required("RestApiId"), name, StageSettings.Read(p));
        if (MethodSettings(request.LogicalId, p, []) is { Count: > 0 } settings) gateway.UpdateStage(request.Scope, p.Required("RestApiId"), stage.StageName, settings);
        return Task.FromResult(new ProvisionedResource(stage.StageName, new Dictionary<string, string>()));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var scope = request.Scope;
        var api = p.Required("RestApiId");
        var settings = StageSettings.Read(p);
        var previous = StageSettings.Read(new ResourceProperties(request.LogicalId, previousProperties));
        var variables = settings.Variables ?? [];
        var previousVariables = previous.Variables ?? [];
        var patch = new List<PatchOperation>
        {
            new("replace", "/deploymentId", settings.DeploymentId, null),
            settings.Description is null ? new("remove", "/description", null, null) : new("replace", "/description", settings.Description, null),
            new("replace", "/tracingEnabled", settings.TracingEnabled ? "true" : "false", null),
        };
        if (settings.ClientCertificateId != previous.ClientCertificateId)
            patch.Add(settings.ClientCertificateId is null ? new("remove", "/clientCertificateId", null, null) : new("replace", "/clientCertificateId", settings.ClientCertificateId, null));
        patch.AddRange(previousVariables.Keys.Except(variables.Keys).Select(k => new PatchOperation("remove", "/variables/" + k, null, null)));
        patch.AddRange(variables.Select(v => new PatchOperation("replace", "/variables/" + v.Key, v.Value, null)));
        patch.AddRange(MethodSettings(request.LogicalId, p, new ResourceProperties(request.LogicalId, previousProperties).Objects("MethodSettings")));
        patch.AddRange(AccessLogPatch(settings.AccessLog, previous.AccessLog));
        patch.AddRange(CanaryPatch(settings, previous.Canary, gateway.GetStage(scope, api, current.PhysicalId).CanarySettings));
        gateway.UpdateStage(scope, api, current.PhysicalId, patch);

        var arn = $"arn:aws:apigateway:{request.Region}::/restapis/{api}/stages/{current.PhysicalId}";
        var tags = settings.Tags ?? [];
        var removed = (previous.Tags ?? []).Keys.Except(tags.Keys).ToList();
        if (removed.Count > 0) gateway.UntagResource(scope, arn, removed);
        if (tags.Count > 0) gateway.TagResource(scope, arn, tags);
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => gateway.DeleteStage(request.Scope, request.Properties.Required("RestApiId"), current.PhysicalId),
            "NotFoundException");
        return Task.CompletedTask;
    }

    /// <summary>
    /// AccessLogSetting as UpdateStage's patch: the setting is dropped and written again from the template, so a field the template
    /// no longer gives is gone; a template that never gave one leaves the stage's alone (one set by UpdateStage outside the stack).
    /// </summary>
    private static List<PatchOperation> AccessLogPatch(AccessLogSettings? log, AccessLogSettings? previous)
    {
        if (log is null && previous is null) return [];
        var patch = new List<PatchOperation> { new("remove", "/accessLogSettings", null, null) };
        if (log?.DestinationArn is { } destination) patch.Add(new("replace", "/accessLogSettings/destinationArn", destination, null));
        if (log?.Format is { } format) patch.Add(new("replace", "/accessLogSettings/format", format, null));
        return patch;
    }

    /// <summary>
    /// CanarySetting as UpdateStage's patch, written again from the template like AccessLogSetting. A canary without a DeploymentId
    /// keeps the deployment it runs (a canary created with the stage starts on the stage's), as CloudFormation leaves it.
    /// </summary>
    private static List<PatchOperation> CanaryPatch(StageSettings settings, CanarySettings? previous, CanarySettings? running)
    {
        if (settings.Canary is not { } canary) return previous is null ? [] : [new("remove", "/canarySettings", null, null)];
        var patch = new List<PatchOperation>
        {
            new("remove", "/canarySettings", null, null),
            new("replace", "/canarySettings/deploymentId", canary.DeploymentId ?? running?.DeploymentId ?? settings.DeploymentId, null),
            new("replace", "/canarySettings/percentTraffic", canary.PercentTraffic.ToString(CultureInfo.InvariantCulture), null),
            new("replace", "/canarySettings/useStageCache", canary.UseStageCache ? "true" : "false", null),
        };
        patch.AddRange((canary.StageVariableOverrides ?? []).Select(o =>
            new PatchOperation("replace", "/canarySettings/stageVariableOverrides/" + o.Key.Replace("~", "~0").Replace("/", "~1"), o.Value, null)));
        return patch;
    }

    /// <summary>CloudFormation's names for a method setting's fields, with the patch path API Gateway files each under.</summary>
    internal static readonly (string Property, string Path)[] MethodSettingFields =
    [
        ("LoggingLevel", "logging/loglevel"), ("MetricsEnabled", "metrics/enabled"), ("DataTraceEnabled", "logging/dataTrace"),
        ("ThrottlingBurstLimit", "throttling/burstLimit"), ("ThrottlingRateLimit", "throttling/rateLimit"),
        ("CachingEnabled", "caching/enabled"), ("CacheTtlInSeconds", "caching/ttlInSeconds"), ("CacheDataEncrypted", "caching/dataEncrypted"),
    ];

    /// <summary>
    /// MethodSettings as the UpdateStage patch API Gateway applies: each entry's fields under
    /// /{ResourcePath}/{HttpMethod}/..., ResourcePath already ~1-encoded as the template gives it ("/*" for
    /// every resource). Each entry the previous template listed is removed first and the template's entries written again, so an
    /// entry or a field the template no longer gives goes back to the stage's default.
    /// </summary>
    internal static List<PatchOperation> MethodSettings(string logicalId, ResourceProperties p, IReadOnlyList<JsonObject> previous)
    {
        static string Key(ResourceProperties setting) => $"{setting.Required("ResourcePath").TrimEnd('/')}/{setting.Required("HttpMethod")}";
        var entries = p.Objects("MethodSettings").Select(s => new ResourceProperties(logicalId, s)).ToList();
        var patch = previous.Select(s => Key(new ResourceProperties(logicalId, s))).Distinct(StringComparer.Ordinal)
            .Select(k => new PatchOperation("remove", k + "/metrics/enabled", null, null)).ToList();
        foreach (var entry in entries)
            foreach (var (property, path) in MethodSettingFields)
                if (entry.String(property) is { } value) patch.Add(new PatchOperation("replace", $"{Key(entry)}/{path}", value, null));
        return patch;
    }

}
