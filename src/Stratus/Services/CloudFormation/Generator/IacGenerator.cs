using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Protocols.Json;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Services.CloudFormation.Generator;

/// <summary>
/// CloudFormation's IaC generator over Stratus's own resources. A resource scan lists, through each importable type's provider, the
/// resources in the account and Region (marking those a stack manages); a generated template describes chosen resources with the
/// live properties their providers read back (the read drift detection uses), with the DeletionPolicy and UpdateReplacePolicy
/// CloudFormation writes (Retain by default), ready for an IMPORT change set.
/// </summary>
public sealed class IacGenerator
{
    /// <summary>AWS keeps a scan's results for 30 days; after that it shows EXPIRED.</summary>
    private static readonly TimeSpan ScanLifetime = TimeSpan.FromDays(30);
    /// <summary>AWS's quota of resources in one generated template.</summary>
    public const int MaxTemplateResources = 500;

    private readonly ResourceTable<ResourceScanRecord> _scans;
    private readonly ResourceTable<GeneratedTemplateRecord> _templates;
    private readonly ResourceProviders _providers;
    private readonly StackStore _stacks;
    private readonly ILogger _logger;
    private readonly Lock _starting = new();

    public IacGenerator(StateStore store, ResourceProviders providers, StackStore stacks, ILogger logger)
    {
        _scans = new ResourceTable<ResourceScanRecord>(store, "cloudformation.resource-scans");
        _templates = new ResourceTable<GeneratedTemplateRecord>(store, "cloudformation.generated-templates");
        _providers = providers;
        _stacks = stacks;
        _logger = logger;
        // A scan a stop cut short has no results to show: it failed, as AWS reports a scan that did not finish.
        foreach (var scan in _scans.Values.Where(s => s.Status == "IN_PROGRESS").ToList())
            _scans.Put(scan.ResourceScanId, scan with { Status = "FAILED", StatusReason = "Stratus stopped while the scan was in progress.", EndTime = _stacks.Now });
    }

    // ---- resource scans ----

    /// <summary>
    /// Starts a scan (all importable types, or those ScanFilters names, exactly or by a trailing * wildcard) that runs in the background.
    /// One scan at a time per account and Region, as on AWS; a retry with the same ClientRequestToken answers the scan it started.
    /// </summary>
    public ResourceScanRecord StartScan(Scope scope, string? token, IReadOnlyList<string> typeFilters)
    {
        ResourceScanRecord scan;
        lock (_starting)
        {
            var inScope = InScope(_scans.Values, scope).ToList();
            if (token is not null && inScope.FirstOrDefault(s => s.ClientRequestToken == token) is { } retried) return retried;
            if (inScope.Any(s => s.Status == "IN_PROGRESS")) throw CloudFormationErrors.ResourceScanInProgress();
            scan = new ResourceScanRecord
            {
                ResourceScanId = $"arn:aws:cloudformation:{scope.Region}:{scope.AccountId}:resourceScan/{Guid.NewGuid()}",
                AccountId = scope.AccountId,
                Region = scope.Region,
                Status = "IN_PROGRESS",
                StartTime = _stacks.Now,
                TypeFilters = typeFilters,
                ClientRequestToken = token,
            };
            _scans.Put(scan.ResourceScanId, scan);
        }
        _ = Task.Run(() => RunScan(scope, scan));
        return scan;
    }

    private void RunScan(Scope scope, ResourceScanRecord scan)
    {
        try
        {
            var types = Importers().Where(p => Matches(scan.TypeFilters, p.Type)).OrderBy(p => p.Type, StringComparer.Ordinal).ToList();
            var found = types.SelectMany(p => ((IResourceImporter)p).ListExisting(scope).Select(r => Scanned(scope, p, r))).ToList();
            _scans.Put(scan.ResourceScanId, scan with
            {
                Status = "COMPLETE",
                EndTime = _stacks.Now,
                ResourceTypes = types.Select(p => p.Type).ToList(),
                Resources = found,
            });
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Resource scan {ScanId} failed", scan.ResourceScanId);
            _scans.Put(scan.ResourceScanId, scan with { Status = "FAILED", StatusReason = "Internal failure: " + e.Message, EndTime = _stacks.Now });
        }
    }

    private ScannedResource Scanned(Scope scope, IResourceProvider provider, ExistingResource existing) => new(
        provider.Type,
        new Dictionary<string, string> { [((IResourceImporter)provider).ImportIdentifier] = existing.Identifier },
        _stacks.Owns(scope.AccountId, scope.Region, provider.Type, existing.Resource.PhysicalId),
        existing.Tags,
        // Every value that names the resource (identifier, physical id, ARN ...): what another resource's properties refer to it by.
        [existing.Identifier, existing.Resource.PhysicalId, .. existing.Resource.Attributes.Values.Where(v => v.Length > 0)]);

    /// <summary>A scan's types: exact names, or a service's types by a trailing wildcard (AWS::Lambda::*); none for all.</summary>
    private static bool Matches(IReadOnlyList<string> filters, string type) =>
        filters.Count == 0 || filters.Any(f => f.EndsWith('*') ? type.StartsWith(f[..^1], StringComparison.Ordinal) : f == type);

    public ResourceScanRecord Scan(Scope scope, string scanId) =>
        _scans.Get(scanId) is { } scan && scan.AccountId == scope.AccountId && scan.Region == scope.Region
            ? Aged(scan)
            : throw CloudFormationErrors.ResourceScanNotFound(scanId);

    /// <summary>The account's scans in the Region, newest first.</summary>
    public IReadOnlyList<ResourceScanRecord> Scans(Scope scope, string? scanType) =>
        InScope(_scans.Values, scope).Select(Aged).Where(s => scanType is null || s.ScanType == scanType).OrderByDescending(s => s.StartTime).ToList();

    /// <summary>A completed scan's resources, filtered as ListResourceScanResources filters them (every filter given must match).</summary>
    public IReadOnlyList<ScannedResource> ScanResources(Scope scope, string scanId, string? identifier, string? typePrefix, string? tagKey, string? tagValue) =>
        Completed(scope, scanId).Resources.Where(r =>
            (identifier is null || r.ResourceIdentifier.Values.Contains(identifier))
            && (typePrefix is null || r.ResourceType.StartsWith(typePrefix, StringComparison.Ordinal))
            && (tagKey is null || r.Tags.ContainsKey(tagKey))
            && (tagValue is null || r.Tags.Any(t => t.Value == tagValue && (tagKey is null || t.Key == tagKey)))).ToList();

    /// <summary>
    /// The scanned resources the given ones refer to in their live properties (a function's role, a parameter naming a bucket): each
    /// given resource is read through its provider, and a scanned resource is related when a property's value is one of its names.
    /// </summary>
    public IReadOnlyList<ScannedResource> RelatedResources(Scope scope, string scanId, IReadOnlyList<TemplateResourceRequest> resources)
    {
        var scan = Completed(scope, scanId);
        var given = resources.Select(r => scan.Resources.FirstOrDefault(s => s.ResourceType == r.ResourceType && SameIdentifier(s.ResourceIdentifier, r.ResourceIdentifier))
            ?? throw CloudFormationErrors.NotInScan(r.ResourceType, Printed(r.ResourceIdentifier))).ToList();
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in given)
            if (Read(scope, resource.ResourceType, resource.ResourceIdentifier, "Related", describing: false) is { Properties: { } properties })
                Strings(properties, referenced);
        return scan.Resources.Where(s => !given.Contains(s) && s.Names.Any(referenced.Contains)).ToList();
    }

    private ResourceScanRecord Completed(Scope scope, string scanId)
    {
        var scan = Scan(scope, scanId);
        return scan.Status == "IN_PROGRESS" ? throw CloudFormationErrors.ResourceScanInProgress() : scan;
    }

    private ResourceScanRecord Aged(ResourceScanRecord scan) =>
        scan.Status == "COMPLETE" && scan.StartTime + ScanLifetime < _stacks.Now ? scan with { Status = "EXPIRED" } : scan;

    // ---- generated templates ----

    public GeneratedTemplateRecord CreateTemplate(Scope scope, string name, IReadOnlyList<TemplateResourceRequest> resources, string? stackName,
        TemplateConfiguration configuration)
    {
        if (stackName is not null) throw CloudFormationErrors.GeneratedTemplateFromStack();
        lock (_starting)
        {
            if (FindTemplate(scope, name) is not null) throw CloudFormationErrors.GeneratedTemplateExists(name);
            var now = _stacks.Now;
            var template = Generate(scope, new GeneratedTemplateRecord
            {
                GeneratedTemplateId = $"arn:aws:cloudformation:{scope.Region}:{scope.AccountId}:generatedtemplate/{Guid.NewGuid()}",
                GeneratedTemplateName = name,
                AccountId = scope.AccountId,
                Region = scope.Region,
                Status = "CREATE_IN_PROGRESS",
                CreationTime = now,
                LastUpdatedTime = now,
                DeletionPolicy = configuration.DeletionPolicy ?? "RETAIN",
                UpdateReplacePolicy = configuration.UpdateReplacePolicy ?? "RETAIN",
                TemplateBody = "{}",
            }, resources);
            _templates.Put(template.GeneratedTemplateId, template);
            return template;
        }
    }

    /// <summary>UpdateGeneratedTemplate: renamed, resources added and removed (by logical id), policies changed; every resource is read again.</summary>
    public GeneratedTemplateRecord UpdateTemplate(Scope scope, string nameOrId, string? newName, IReadOnlyList<TemplateResourceRequest> add,
        IReadOnlyList<string> remove, TemplateConfiguration configuration)
    {
        lock (_starting)
        {
            var current = Template(scope, nameOrId);
            if (newName is not null && newName != current.GeneratedTemplateName && FindTemplate(scope, newName) is not null)
                throw CloudFormationErrors.GeneratedTemplateExists(newName);
            foreach (var logicalId in remove.Where(id => current.Resources.All(r => r.LogicalResourceId != id)))
                throw TemplateError.Validation($"Resource {logicalId} is not in generated template {current.GeneratedTemplateName}");
            var kept = current.Resources.Where(r => !remove.Contains(r.LogicalResourceId))
                .Select(r => new TemplateResourceRequest(r.ResourceType, r.LogicalResourceId, r.ResourceIdentifier));
            var template = Generate(scope, current with
            {
                GeneratedTemplateName = newName ?? current.GeneratedTemplateName,
                Status = "UPDATE_IN_PROGRESS",
                LastUpdatedTime = _stacks.Now,
                DeletionPolicy = configuration.DeletionPolicy ?? current.DeletionPolicy,
                UpdateReplacePolicy = configuration.UpdateReplacePolicy ?? current.UpdateReplacePolicy,
            }, [.. kept, .. add]);
            _templates.Put(template.GeneratedTemplateId, template);
            return template;
        }
    }

    public void DeleteTemplate(Scope scope, string nameOrId) => _templates.Remove(Template(scope, nameOrId).GeneratedTemplateId);

    public GeneratedTemplateRecord Template(Scope scope, string nameOrId) =>
        FindTemplate(scope, nameOrId) ?? throw CloudFormationErrors.GeneratedTemplateNotFound(nameOrId);

    public IReadOnlyList<GeneratedTemplateRecord> Templates(Scope scope) =>
        InScope(_templates.Values, scope).OrderByDescending(t => t.CreationTime).ToList();

    /// <summary>The template's body in JSON (as generated) or YAML.</summary>
    public static string Body(GeneratedTemplateRecord template, string format) =>
        format == "YAML" ? Encoding.UTF8.GetString(JsonAsYaml.Write(JsonNode.Parse(template.TemplateBody)!)) : template.TemplateBody;

    private GeneratedTemplateRecord? FindTemplate(Scope scope, string nameOrId) =>
        InScope(_templates.Values, scope).FirstOrDefault(t => t.GeneratedTemplateName == nameOrId || t.GeneratedTemplateId == nameOrId);

    /// <summary>
    /// Reads each resource through its provider and writes the template: every resource read becomes COMPLETE with its live properties,
    /// one that cannot be read (unknown, missing, managed by a stack, a type whose live state Stratus does not read) FAILED with why.
    /// </summary>
    private GeneratedTemplateRecord Generate(Scope scope, GeneratedTemplateRecord template, IReadOnlyList<TemplateResourceRequest> requested)
    {
        if (requested.Count > MaxTemplateResources) throw CloudFormationErrors.TooManyTemplateResources(MaxTemplateResources);
        var usedIds = new HashSet<string>(requested.Where(r => r.LogicalResourceId is not null).Select(r => r.LogicalResourceId!), StringComparer.Ordinal);
        var duplicate = requested.Where(r => r.LogicalResourceId is not null).GroupBy(r => r.LogicalResourceId).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw TemplateError.Validation($"Logical resource id {duplicate.Key} is used more than once");
        var resources = new JsonObject();
        var records = new List<GeneratedResourceRecord>();
        foreach (var request in requested)
        {
            var logicalId = request.LogicalResourceId ?? NewLogicalId(request, usedIds);
            var read = Read(scope, request.ResourceType, request.ResourceIdentifier, logicalId, describing: true);
            if (read.Failure is not null || read.Properties is null)
            {
                records.Add(new GeneratedResourceRecord(request.ResourceType, logicalId, request.ResourceIdentifier, "FAILED", read.Failure));
                continue;
            }
            resources[logicalId] = new JsonObject
            {
                ["Type"] = request.ResourceType,
                ["DeletionPolicy"] = Policy(template.DeletionPolicy),
                ["UpdateReplacePolicy"] = Policy(template.UpdateReplacePolicy),
                ["Properties"] = read.Properties,
            };
            records.Add(new GeneratedResourceRecord(request.ResourceType, logicalId, request.ResourceIdentifier, "COMPLETE", null));
        }
        var body = new JsonObject
        {
            ["Metadata"] = new JsonObject { ["AWSToolsMetrics"] = new JsonObject { ["IaC_Generator"] = template.GeneratedTemplateId } },
            ["Resources"] = resources,
        };
        var failed = records.Count > 0 && records.All(r => r.Status == "FAILED");
        return template with
        {
            Status = failed ? "FAILED" : "COMPLETE",
            StatusReason = failed ? "None of the template's resources could be read" : null,
            Resources = records,
            TemplateBody = body.ToJsonString(new JsonSerializerOptions { WriteIndented = true }),
        };
    }

    private static string Policy(string configured) => configured == "DELETE" ? "Delete" : "Retain";

    private sealed record ReadResult(JsonObject? Properties, string? Failure);

    /// <summary>
    /// A resource's live properties in the template's shape (unset ones left out), or why it cannot be read; when
    /// <paramref name="describing"/> it for a generated template, one a stack manages is refused, as AWS generates templates
    /// only from unmanaged resources.
    /// </summary>
    private ReadResult Read(Scope scope, string type, IReadOnlyDictionary<string, string> identifier, string logicalId, bool describing)
    {
        if (_providers.Find(type) is not IResourceImporter importer) return new(null, $"Stratus does not scan or read resources of type {type}");
        if (identifier.Count != 1 || !identifier.TryGetValue(importer.ImportIdentifier, out var value))
            return new(null, $"The ResourceIdentifier of a {type} is its {importer.ImportIdentifier}");
        if (importer.FindExisting(scope, value) is not { } found) return new(null, $"Resource {Printed(identifier)} of type {type} does not exist");
        if (describing && _stacks.Owns(scope.AccountId, scope.Region, type, found.PhysicalId))
            return new(null, $"Resource {Printed(identifier)} of type {type} is already managed by a stack");
        if (importer is not ILiveStateReader reader) return new(null, $"Stratus does not read the live properties of {type} resources");
        var live = reader.ReadLive(new ResourceRequest(scope.AccountId, scope.Region, "", logicalId, []) { Type = type }, found);
        return live is null ? new(null, $"Resource {Printed(identifier)} of type {type} does not exist") : new(Pruned(live), null);
    }

    /// <summary>The properties without the ones the live resource leaves unset (null, or an empty list or map): a template states what is set.</summary>
    private static JsonObject Pruned(JsonObject live)
    {
        var result = new JsonObject();
        foreach (var (key, value) in live)
            if (PrunedNode(value) is { } kept) result[key] = kept;
        return result;
    }

    private static JsonNode? PrunedNode(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => Pruned(obj) is { Count: > 0 } kept ? kept : null,
        JsonArray list => list.Count > 0 ? list.DeepClone() : null,
        _ => node.DeepClone(),
    };

    /// <summary>A logical id from the type and identifier (LambdaFunction + name, letters and digits only), unique in the template.</summary>
    private static string NewLogicalId(TemplateResourceRequest request, HashSet<string> used)
    {
        var typeName = string.Concat(request.ResourceType.Split("::").Skip(1));
        var name = new string(request.ResourceIdentifier.Values.FirstOrDefault()?.Where(char.IsAsciiLetterOrDigit).ToArray() ?? []);
        var stem = (typeName + name)[..Math.Min(typeName.Length + name.Length, 240)];
        var id = stem;
        for (var n = 2; !used.Add(id); n++) id = stem + n;
        return id;
    }

    private static void Strings(JsonNode? node, HashSet<string> into)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, value) in obj) Strings(value, into);
                break;
            case JsonArray list:
                foreach (var item in list) Strings(item, into);
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                into.Add(value.GetValue<string>());
                break;
        }
    }

    private static bool SameIdentifier(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);

    private static string Printed(IReadOnlyDictionary<string, string> identifier) => ResourceToImport.PrintedIdentifier(identifier);

    private IEnumerable<IResourceProvider> Importers() => _providers.All.Where(p => p is IResourceImporter);

    private static IEnumerable<ResourceScanRecord> InScope(IEnumerable<ResourceScanRecord> scans, Scope scope) =>
        scans.Where(s => s.AccountId == scope.AccountId && s.Region == scope.Region);

    private static IEnumerable<GeneratedTemplateRecord> InScope(IEnumerable<GeneratedTemplateRecord> templates, Scope scope) =>
        templates.Where(t => t.AccountId == scope.AccountId && t.Region == scope.Region);
}
