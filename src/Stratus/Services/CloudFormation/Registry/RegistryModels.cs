namespace Stratus.Services.CloudFormation.Registry;

/// <summary>A private resource type registered in one account and Region, with its versions (never removed: deregistered ones are DEPRECATED, as on AWS).</summary>
public sealed record RegisteredType
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string TypeName { get; init; }
    /// <summary>The default version's id; null once every version is deregistered (the type is then DEPRECATED).</summary>
    public string? DefaultVersionId { get; init; }
    /// <summary>The number the next version takes (AWS numbers them 00000001, 00000002, ...).</summary>
    public int NextVersion { get; init; } = 1;
    public required DateTimeOffset TimeCreated { get; init; }
    public required DateTimeOffset LastUpdated { get; init; }
    public List<TypeVersion> Versions { get; init; } = [];
    /// <summary>The type's configurations by alias (SetTypeConfiguration; "default" unless an alias is given).</summary>
    public Dictionary<string, TypeConfiguration> Configurations { get; init; } = new(StringComparer.Ordinal);

    public bool IsDeprecated => DefaultVersionId is null;

    public IEnumerable<TypeVersion> LiveVersions => Versions.Where(v => !v.Deprecated);

    public TypeVersion? Version(string versionId) => Versions.FirstOrDefault(v => v.VersionId == versionId);

    public TypeVersion? Default => DefaultVersionId is { } id ? Version(id) : null;
}

/// <summary>One registered version: the schema and the handler package's runtime, entrypoint and stored code.</summary>
/// <param name="Runtime">From .rpdk-config; null when the schema declares no handlers.</param>
/// <param name="CodeId">The handler code stored by Lambda's code store; null without handlers.</param>
public sealed record TypeVersion(string VersionId, string Schema, string? Description, string ProvisioningType, string? Runtime, string? Entrypoint,
    string? CodeId, string? ExecutionRoleArn, string? LogGroupName, string? LogRoleArn, DateTimeOffset TimeCreated, bool Deprecated = false);

/// <summary>A configuration set by SetTypeConfiguration: the JSON its schema's typeConfiguration validated.</summary>
public sealed record TypeConfiguration(string Alias, string Configuration, DateTimeOffset LastUpdated);

/// <summary>One RegisterType call, followed by DescribeTypeRegistration and ListTypeRegistrations.</summary>
public sealed record TypeRegistration
{
    public required string Token { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string TypeName { get; init; }
    public required string Status { get; init; }
    public required string Description { get; init; }
    public string? VersionId { get; init; }
    public required DateTimeOffset Started { get; init; }
    public string? ClientRequestToken { get; init; }
}

/// <summary>The registry's statuses and names, as CloudFormation's model spells them.</summary>
public static class RegistryStatus
{
    public const string InProgress = "IN_PROGRESS";
    public const string Complete = "COMPLETE";
    public const string Failed = "FAILED";
    public const string Live = "LIVE";
    public const string Deprecated = "DEPRECATED";
    public const string DefaultAlias = "default";
}
