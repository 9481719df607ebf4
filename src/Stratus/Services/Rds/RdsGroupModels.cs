namespace Stratus.Services.Rds;

/// <summary>A parameter a group sets, and how it was asked to apply ("immediate" or "pending-reboot").</summary>
public sealed record RdsParameterSetting(string Value, string ApplyMethod);

/// <summary>A parameter change as ModifyDBParameterGroup and ResetDBParameterGroup name it.</summary>
public sealed record RdsParameterChange(string Name, string? Value, string? ApplyMethod);

/// <summary>
/// A DB parameter group, or a DB cluster parameter group (<see cref="IsCluster"/>): the parameters it sets. Default
/// groups (default.mysql8.0, ...) are not stored: they set nothing, so the server runs with its defaults.
/// </summary>
public sealed record DbParameterGroup
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    /// <summary>Lower-cased, as RDS stores group names.</summary>
    public required string Name { get; init; }
    public required string Family { get; init; }
    public required string Description { get; init; }
    public bool IsCluster { get; init; }
    public IReadOnlyDictionary<string, RdsParameterSetting> Parameters { get; init; } = new Dictionary<string, RdsParameterSetting>();
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    public bool IsDefault => Name.StartsWith("default.", StringComparison.Ordinal);

    public string Arn => $"arn:aws:rds:{Region}:{AccountId}:{(IsCluster ? "cluster-pg" : "pg")}:{Name}";
}

/// <summary>One row of DescribeDBParameters: the definition, the value in force in the group and where it comes from.</summary>
public sealed record RdsParameterView(RdsParameterDefinition Definition, string? Value, string Source, string ApplyMethod);

/// <summary>An option group: a record of the options asked for (Stratus offers none, see DescribeOptionGroupOptions).</summary>
public sealed record RdsOptionGroup
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string Name { get; init; }
    public required string Description { get; init; }
    public required string EngineName { get; init; }
    public required string MajorEngineVersion { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    public bool IsDefault => Name.StartsWith("default:", StringComparison.Ordinal);

    public string Arn => $"arn:aws:rds:{Region}:{AccountId}:og:{Name}";
}

/// <summary>An event subscription: recorded, as Stratus has no SNS to deliver to.</summary>
public sealed record RdsEventSubscription
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string Name { get; init; }
    public required string SnsTopicArn { get; init; }
    public string? SourceType { get; init; }
    public IReadOnlyList<string> SourceIds { get; init; } = [];
    public IReadOnlyList<string> EventCategories { get; init; } = [];
    public bool Enabled { get; init; } = true;
    public required DateTimeOffset CreationTime { get; init; }
    public IReadOnlyList<RdsTag> Tags { get; init; } = [];

    public string Arn => $"arn:aws:rds:{Region}:{AccountId}:es:{Name}";
}

/// <summary>A log file of an instance's server, under the name RDS gives it.</summary>
public sealed record RdsLogFile(string Name, string Path, long Size, DateTimeOffset LastWritten);

/// <summary>A portion of a log file and where the next one starts.</summary>
public sealed record RdsLogPortion(string Data, string Marker, bool AdditionalDataPending);
