namespace Stratus.Services.CloudFormation.Generator;

/// <summary>One resource a scan found: its type, its primary identifier (one property), the values that name it, whether a stack manages it, its tags.</summary>
public sealed record ScannedResource(
    string ResourceType,
    IReadOnlyDictionary<string, string> ResourceIdentifier,
    bool ManagedByStack,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<string> Names);

/// <summary>A resource scan (StartResourceScan) as DescribeResourceScan and ListResourceScans show it, with what it found.</summary>
public sealed record ResourceScanRecord
{
    public required string ResourceScanId { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string Status { get; init; }
    public string? StatusReason { get; init; }
    public required DateTimeOffset StartTime { get; init; }
    public DateTimeOffset? EndTime { get; init; }
    /// <summary>The types the scan was limited to (ScanFilters), exact or with a trailing * wildcard; empty for a full scan.</summary>
    public IReadOnlyList<string> TypeFilters { get; init; } = [];
    public string? ClientRequestToken { get; init; }
    /// <summary>The types the scan read (each type whose provider lists its resources, within the filters).</summary>
    public IReadOnlyList<string> ResourceTypes { get; init; } = [];
    public IReadOnlyList<ScannedResource> Resources { get; init; } = [];

    public string ScanType => TypeFilters.Count > 0 ? "PARTIAL" : "FULL";
}

/// <summary>One resource of a generated template: where it comes from, its logical id, and how reading it went.</summary>
public sealed record GeneratedResourceRecord(string ResourceType, string LogicalResourceId, IReadOnlyDictionary<string, string> ResourceIdentifier,
    string Status, string? StatusReason);

/// <summary>A generated template (CreateGeneratedTemplate): its resources, their policies, and the template built from their live properties.</summary>
public sealed record GeneratedTemplateRecord
{
    public required string GeneratedTemplateId { get; init; }
    public required string GeneratedTemplateName { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string Status { get; init; }
    public string? StatusReason { get; init; }
    public required DateTimeOffset CreationTime { get; init; }
    public required DateTimeOffset LastUpdatedTime { get; init; }
    public required string DeletionPolicy { get; init; }
    public required string UpdateReplacePolicy { get; init; }
    public IReadOnlyList<GeneratedResourceRecord> Resources { get; init; } = [];
    /// <summary>The template as JSON; GetGeneratedTemplate answers it in YAML on request.</summary>
    public required string TemplateBody { get; init; }
}

/// <summary>A resource asked for in CreateGeneratedTemplate or UpdateGeneratedTemplate's AddResources.</summary>
public sealed record TemplateResourceRequest(string ResourceType, string? LogicalResourceId, IReadOnlyDictionary<string, string> ResourceIdentifier);

/// <summary>CreateGeneratedTemplate's TemplateConfiguration, or UpdateGeneratedTemplate's changes to it (null keeps the current value).</summary>
public sealed record TemplateConfiguration(string? DeletionPolicy, string? UpdateReplacePolicy);
