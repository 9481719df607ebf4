using System.Text.RegularExpressions;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Lambda.Engine;

namespace Stratus.Services.Lambda;

/// <summary>Layers: published versions of a zip, their permissions, and the layers a function mounts at /opt.</summary>
public sealed partial class LambdaService
{
    /// <summary>AWS's limit on the layers one function uses.</summary>
    public const int MaxFunctionLayers = 5;

    public (LambdaLayer Layer, LayerVersion Version) PublishLayerVersion(Scope scope, string layerName, LayerSettings settings, byte[] zip)
    {
        var (accountId, region, name) = ParseLayerName(scope, layerName);
        LambdaRules.CheckCreate("Description", settings.Description);
        foreach (var runtime in settings.CompatibleRuntimes.Where(r => !RuntimeCatalog.IsKnown(r)))
            throw LambdaErrors.UnknownRuntime(runtime, RuntimeCatalog.Known);
        var stored = _code.Save(zip, "PublishLayerVersion");
        var unzipped = _code.UnzippedSize(stored.Id);
        var key = ResourceTable<LambdaLayer>.Key(accountId, region, name);
        _layers.TryAdd(key, new LambdaLayer { AccountId = accountId, Region = region, Name = name });
        LayerVersion? published = null;
        var layer = _layers.Update(key, l =>
        {
            published = new LayerVersion
            {
                Version = l.NextVersion,
                Description = settings.Description ?? "",
                CreatedDate = Now,
                CompatibleRuntimes = settings.CompatibleRuntimes,
                CompatibleArchitectures = settings.CompatibleArchitectures,
                LicenseInfo = settings.LicenseInfo,
                CodeId = stored.Id,
                CodeSha256 = stored.Sha256,
                CodeSize = stored.Size,
                UnzippedSize = unzipped,
            };
            return l with { NextVersion = l.NextVersion + 1, Versions = [.. l.Versions, published] };
        })!;
        return (layer, published!);
    }

    public (LambdaLayer Layer, LayerVersion Version) GetLayerVersion(Scope scope, string layerName, long version)
    {
        var (accountId, region, name) = ParseLayerName(scope, layerName);
        return FindLayerVersion(accountId, region, name, version) ?? throw LambdaErrors.ResourceNotFound();
    }

    public (LambdaLayer Layer, LayerVersion Version) GetLayerVersionByArn(string arn)
    {
        var (accountId, region, name, version) = ParseLayerVersionArn(arn) ?? throw LambdaErrors.Validation.Rejected("arn", arn,
            "Member must satisfy regular expression pattern: arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+");
        return FindLayerVersion(accountId, region, name, version) ?? throw LambdaErrors.ResourceNotFound();
    }

    /// <summary>The account's layers with their newest version that matches the filters; layers with none are left out, as AWS does.</summary>
    public IReadOnlyList<(LambdaLayer Layer, LayerVersion Latest)> ListLayers(Scope scope, string? runtime, string? architecture) =>
        _layers.Values.Where(l => l.AccountId == scope.AccountId && l.Region == scope.Region)
            .Select(l => (Layer: l, Latest: l.Versions.LastOrDefault(v => Matches(v, runtime, architecture))))
            .Where(x => x.Latest is not null)
            .OrderBy(x => x.Layer.Name, StringComparer.Ordinal)
            .Select(x => (x.Layer, x.Latest!)).ToList();

    /// <summary>A layer's versions matching the filters, newest first as AWS lists them; none for a layer that does not exist.</summary>
    public (string LayerArn, IReadOnlyList<LayerVersion> Versions) ListLayerVersions(Scope scope, string layerName, string? runtime, string? architecture)
    {
        var (accountId, region, name) = ParseLayerName(scope, layerName);
        var layer = _layers.Get(ResourceTable<LambdaLayer>.Key(accountId, region, name));
        return (LambdaArns.Layer(accountId, region, name),
            layer?.Versions.Where(v => Matches(v, runtime, architecture)).OrderByDescending(v => v.Version).ToList() ?? []);
    }

    /// <summary>Deleting a version that does not exist succeeds, as on AWS; functions that use it keep their copy.</summary>
    public void DeleteLayerVersion(Scope scope, string layerName, long version)
    {
        var (accountId, region, name) = ParseLayerName(scope, layerName);
        _layers.Update(ResourceTable<LambdaLayer>.Key(accountId, region, name), l => l with { Versions = l.Versions.Where(v => v.Version != version).ToList() });
    }

    public (PolicyStatement Statement, string RevisionId) AddLayerVersionPermission(Scope scope, string layerName, long version, string sid,
        string action, string principal, string? organizationId, string? revisionId)
    {
        if (organizationId is not null && principal != "*")
            throw LambdaErrors.OrganizationNeedsAnyPrincipal();
        PolicyStatement? added = null;
        var updated = ChangeLayerVersion(scope, layerName, version, (layer, v) =>
        {
            CheckRevision(v.PolicyRevisionId, revisionId);
            if (v.Policy.Any(s => s.Sid == sid)) throw LambdaErrors.StatementExists(sid);
            added = new PolicyStatement
            {
                Sid = sid,
                Action = action,
                Principal = principal,
                Resource = $"{layer.Arn}:{v.Version}",
                PrincipalOrgId = organizationId,
            };
            return v with { Policy = [.. v.Policy, added], PolicyRevisionId = Guid.NewGuid().ToString() };
        });
        return (added!, updated.PolicyRevisionId);
    }

    public void RemoveLayerVersionPermission(Scope scope, string layerName, long version, string sid, string? revisionId) =>
        ChangeLayerVersion(scope, layerName, version, (_, v) =>
        {
            CheckRevision(v.PolicyRevisionId, revisionId);
            if (v.Policy.All(s => s.Sid != sid)) throw LambdaErrors.StatementNotFound(sid);
            return v with { Policy = v.Policy.Where(s => s.Sid != sid).ToList(), PolicyRevisionId = Guid.NewGuid().ToString() };
        });

    public (string Policy, string RevisionId) GetLayerVersionPolicy(Scope scope, string layerName, long version)
    {
        var (_, layerVersion) = GetLayerVersion(scope, layerName, version);
        if (layerVersion.Policy.Count == 0) throw LambdaErrors.ResourceNotFound();
        return (LambdaPolicy.Document(layerVersion.Policy), layerVersion.PolicyRevisionId);
    }

    /// <summary>
    /// The layers a function's Layers list names, checked as AWS checks them at create and update: at most five, each
    /// version existing and usable by the account (its own, or shared by the layer's policy), one version per layer,
    /// none for image functions. A layer with an extensions/ folder is refused: Stratus does not run extensions.
    /// </summary>
    private List<FunctionLayer> ResolveLayers(Scope scope, IReadOnlyList<string> arns, string packageType)
    {
        if (arns.Count > 0 && packageType == "Image") throw LambdaErrors.LayersNotForImages();
        if (arns.Count > MaxFunctionLayers) throw LambdaErrors.TooManyLayers(MaxFunctionLayers);
        var layers = new List<FunctionLayer>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var arn in arns)
        {
            var parsed = ParseLayerVersionArn(arn);
            if (parsed is not { } p || p.Region != scope.Region) throw LambdaErrors.LayerVersionNotFound(arn);
            if (FindLayerVersion(p.AccountId, p.Region, p.Name, p.Version)?.Version is not { } version
                || (p.AccountId != scope.AccountId && !version.Policy.Any(s => s.Principal == "*" || s.Principal == scope.AccountId || s.Principal == $"arn:aws:iam::{scope.AccountId}:root")))
                throw LambdaErrors.LayerVersionNotFound(arn);
            var layerArn = LambdaArns.Layer(p.AccountId, p.Region, p.Name);
            if (seen.TryGetValue(layerArn, out var other)) throw LambdaErrors.SameLayerTwice(other, arn);
            seen[layerArn] = arn;
            if (Directory.Exists(Path.Combine(_code.DirectoryOf(version.CodeId), "extensions"))) throw LambdaErrors.ExtensionsNotBuilt(arn);
            layers.Add(new FunctionLayer(arn, version.CodeSize, version.CodeId, version.UnzippedSize));
        }
        return layers;
    }

    /// <summary>AWS's limit of 250 MB unzipped for a function's package and its layers together.</summary>
    private void CheckUnzippedTotal(FunctionConfig config)
    {
        if (config.PackageType != "Zip" || config.Layers.Count == 0) return;
        var total = _code.UnzippedSize(CodeId(config)) + config.Layers.Sum(l => l.UnzippedSize);
        if (total > CodeStore.MaxUnzippedBytes) throw LambdaErrors.CodeAndLayersTooLarge(CodeStore.MaxUnzippedBytes, total);
    }

    /// <summary>The merged /opt of a configuration's layers, or null without layers.</summary>
    private string? OptDirOf(FunctionConfig config) =>
        config.Layers.Count == 0 ? null : _layerMount.Prepare(config.Layers.Select(l => _code.DirectoryOf(l.CodeId)).ToList());

    private static bool Matches(LayerVersion version, string? runtime, string? architecture) =>
        (runtime is null || version.CompatibleRuntimes.Contains(runtime)) && (architecture is null || version.CompatibleArchitectures.Contains(architecture));

    private (LambdaLayer Layer, LayerVersion Version)? FindLayerVersion(string accountId, string region, string name, long version) =>
        _layers.Get(ResourceTable<LambdaLayer>.Key(accountId, region, name)) is { } layer && layer.Versions.FirstOrDefault(v => v.Version == version) is { } found
            ? (layer, found) : null;

    private LayerVersion ChangeLayerVersion(Scope scope, string layerName, long version, Func<LambdaLayer, LayerVersion, LayerVersion> change)
    {
        var (accountId, region, name) = ParseLayerName(scope, layerName);
        if (FindLayerVersion(accountId, region, name, version) is null || accountId != scope.AccountId) throw LambdaErrors.ResourceNotFound();
        LayerVersion? changed = null;
        _layers.Update(ResourceTable<LambdaLayer>.Key(accountId, region, name), l =>
            l with { Versions = l.Versions.Select(v => v.Version == version ? changed = change(l, v) : v).ToList() });
        return changed ?? throw LambdaErrors.ResourceNotFound();
    }

    /// <summary>A layer named plainly (the caller's account and region) or by its ARN.</summary>
    private static (string AccountId, string Region, string Name) ParseLayerName(Scope scope, string layerName)
    {
        var match = LayerArnPattern().Match(layerName);
        if (match.Success) return (match.Groups["account"].Value, match.Groups["region"].Value, match.Groups["name"].Value);
        if (!LayerPlainNamePattern().IsMatch(layerName))
            throw LambdaErrors.Validation.Rejected("layerName", layerName,
                "Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+");
        return (scope.AccountId, scope.Region, layerName);
    }

    private static (string AccountId, string Region, string Name, long Version)? ParseLayerVersionArn(string arn)
    {
        var match = LayerVersionArnPattern().Match(arn);
        return match.Success && long.TryParse(match.Groups["version"].Value, out var version)
            ? (match.Groups["account"].Value, match.Groups["region"].Value, match.Groups["name"].Value, version)
            : null;
    }

    [GeneratedRegex(@"^arn:[a-zA-Z0-9-]+:lambda:(?<region>[a-zA-Z0-9-]+):(?<account>\d{12}):layer:(?<name>[a-zA-Z0-9-_]+)$")]
    private static partial Regex LayerArnPattern();

    [GeneratedRegex(@"^arn:[a-zA-Z0-9-]+:lambda:(?<region>[a-zA-Z0-9-]+):(?<account>\d{12}):layer:(?<name>[a-zA-Z0-9-_]+):(?<version>[0-9]{1,18})$")]
    private static partial Regex LayerVersionArnPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9-_]{1,140}$")]
    private static partial Regex LayerPlainNamePattern();
}
