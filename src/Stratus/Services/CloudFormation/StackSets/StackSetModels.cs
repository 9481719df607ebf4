using Stratus.Protocols;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Services.CloudFormation.StackSets;

/// <summary>
/// A stack set as CloudFormation keeps it (SELF_MANAGED): a template, parameters and acknowledgements that its
/// stack instances (one stack per account and Region) are deployed from. Stack sets are regional: they live in
/// the Region they were created in (their administrator Region), as on AWS.
/// </summary>
public sealed record StackSetRecord
{
    public required string StackSetId { get; init; }
    public required string StackSetName { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string Arn { get; init; }
    public required string Status { get; init; }
    public string? Description { get; init; }
    public required string TemplateBody { get; init; }
    /// <summary>The parameter values the stack set was given (those left out take the template's defaults in each stack).</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> Capabilities { get; init; } = [];
    public IReadOnlyList<StackTag> Tags { get; init; } = [];
    public required string AdministrationRoleArn { get; init; }
    public required string ExecutionRoleName { get; init; }
    public string? ClientRequestToken { get; init; }
    public required DateTimeOffset CreationTime { get; init; }
    /// <summary>The last DetectStackSetDrift's outcome, as DescribeStackSet's StackSetDriftDetectionDetails reports it; null until one ran.</summary>
    public StackSetDriftDetails? Drift { get; init; }
}

/// <summary>A drift detection's counts over a stack set's instances (StackSetDriftDetectionDetails).</summary>
public sealed record StackSetDriftDetails(string DriftStatus, string DetectionStatus, DateTimeOffset? CheckedAt,
    int Total, int Drifted, int InSync, int InProgress, int Failed);

/// <summary>One stack instance: the stack set's stack in one account and Region, and how its last operation went.</summary>
public sealed record StackInstanceRecord
{
    public required string StackSetId { get; init; }
    public required string Account { get; init; }
    public required string Region { get; init; }
    public string? StackId { get; init; }
    public IReadOnlyDictionary<string, string> ParameterOverrides { get; init; } = new Dictionary<string, string>();
    /// <summary>CURRENT, OUTDATED or INOPERABLE.</summary>
    public required string Status { get; init; }
    /// <summary>StackInstanceStatus.DetailedStatus: PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED or INOPERABLE.</summary>
    public required string DetailedStatus { get; init; }
    public string? StatusReason { get; init; }
    public string DriftStatus { get; init; } = StackDrift.NotChecked;
    public DateTimeOffset? DriftCheckedAt { get; init; }
    public string? LastOperationId { get; init; }
}

/// <summary>One operation on a stack set (create, update or delete of instances, or drift detection) and its per-instance results.</summary>
public sealed record StackSetOperationRecord
{
    public required string OperationId { get; init; }
    public required string StackSetId { get; init; }
    public required string Action { get; init; }
    public required string Status { get; init; }
    public string? StatusReason { get; init; }
    public required OperationPreferences Preferences { get; init; }
    public bool? RetainStacks { get; init; }
    public required string AdministrationRoleArn { get; init; }
    public required string ExecutionRoleName { get; init; }
    public required DateTimeOffset CreationTimestamp { get; init; }
    public DateTimeOffset? EndTimestamp { get; init; }
    public IReadOnlyList<string> Accounts { get; init; } = [];
    /// <summary>The instances' results in the order the operation takes them (RegionOrder first).</summary>
    public IReadOnlyList<OperationResultRecord> Results { get; init; } = [];
    public StackSetDriftDetails? Drift { get; init; }
}

/// <summary>An operation's result in one account and Region: PENDING, RUNNING, SUCCEEDED, FAILED or CANCELLED.</summary>
public sealed record OperationResultRecord(string Account, string Region, string Status, string? StatusReason);

/// <summary>StackSetOperationPreferences: how an operation runs across Regions and how many failures it tolerates.</summary>
public sealed record OperationPreferences
{
    public string? RegionConcurrencyType { get; init; }
    public IReadOnlyList<string> RegionOrder { get; init; } = [];
    public int? FailureToleranceCount { get; init; }
    public int? FailureTolerancePercentage { get; init; }
    public int? MaxConcurrentCount { get; init; }
    public int? MaxConcurrentPercentage { get; init; }
    public string? ConcurrencyMode { get; init; }

    public bool Parallel => RegionConcurrencyType == "PARALLEL";

    /// <summary>
    /// How many of a Region's accounts may fail before the operation stops there (and, SEQUENTIAL, in the Regions after it):
    /// the count, or the percentage of the Region's accounts rounded down, as AWS computes it; none by default.
    /// </summary>
    public int FailureTolerance(int accountsInRegion) =>
        FailureToleranceCount ?? (FailureTolerancePercentage is { } percent ? accountsInRegion * percent / 100 : 0);

    /// <summary>
    /// How many of a Region's accounts are worked on at once: the count, or the percentage rounded down but at least one,
    /// and under STRICT_FAILURE_TOLERANCE (the default) at most one more than the failure tolerance, as AWS documents.
    /// </summary>
    public int MaxConcurrent(int accountsInRegion)
    {
        var wanted = MaxConcurrentCount ?? (MaxConcurrentPercentage is { } percent ? Math.Max(1, accountsInRegion * percent / 100) : 1);
        return ConcurrencyMode == "SOFT_FAILURE_TOLERANCE" ? wanted : Math.Min(wanted, FailureTolerance(accountsInRegion) + 1);
    }
}

/// <summary>What CreateStackSet and UpdateStackSet ask for (null members of an update keep the stack set's own).</summary>
public sealed record StackSetRequest(
    string StackSetName,
    string? Description,
    string? TemplateBody,
    IReadOnlyList<SuppliedParameter>? Parameters,
    IReadOnlyList<string>? Capabilities,
    IReadOnlyList<StackTag>? Tags,
    string? AdministrationRoleArn,
    string? ExecutionRoleName,
    string? ClientRequestToken = null);

/// <summary>Which instances an operation covers: accounts (only the caller's own is served) and Regions, with preferences.</summary>
public sealed record InstanceTargets(IReadOnlyList<string> Accounts, IReadOnlyList<string> Regions, OperationPreferences Preferences, string? OperationId);

public static class StackSetStatus
{
    public const string Active = "ACTIVE";
    public const string Deleted = "DELETED";
}

public static class StackSetOperationStatus
{
    public const string Running = "RUNNING";
    public const string Succeeded = "SUCCEEDED";
    public const string Failed = "FAILED";
    public const string Stopping = "STOPPING";
    public const string Stopped = "STOPPED";

    public static bool IsActive(string status) => status is Running or Stopping;
}

/// <summary>Stack instances' statuses (Status) and detailed statuses (StackInstanceStatus.DetailedStatus), and operation results' statuses.</summary>
public static class InstanceStatus
{
    public const string Current = "CURRENT";
    public const string Outdated = "OUTDATED";
    public const string Inoperable = "INOPERABLE";
    public const string Pending = "PENDING";
    public const string Running = "RUNNING";
    public const string Succeeded = "SUCCEEDED";
    public const string Failed = "FAILED";
    public const string Cancelled = "CANCELLED";
}

/// <summary>The members a stack set's inputs share between the wire and AWS::CloudFormation::StackSet, read once for both.</summary>
public static class StackSetInputs
{
    /// <summary>StackSetOperationPreferences (absent: AWS's defaults, one Region at a time and no failure tolerated).</summary>
    public static OperationPreferences Preferences(IInputReader? reader) => reader is null
        ? new OperationPreferences()
        : new OperationPreferences
        {
            RegionConcurrencyType = reader.String("RegionConcurrencyType"),
            RegionOrder = reader.Strings("RegionOrder"),
            FailureToleranceCount = reader.Int("FailureToleranceCount"),
            FailureTolerancePercentage = reader.Int("FailureTolerancePercentage"),
            MaxConcurrentCount = reader.Int("MaxConcurrentCount"),
            MaxConcurrentPercentage = reader.Int("MaxConcurrentPercentage"),
            ConcurrencyMode = reader.String("ConcurrencyMode"),
        };

    /// <summary>A Parameters or ParameterOverrides list: [{ParameterKey, ParameterValue, UsePreviousValue}].</summary>
    public static List<SuppliedParameter> Parameters(IReadOnlyList<IInputReader> items) =>
        items.Select(p => new SuppliedParameter(p.Required("ParameterKey"), p.String("ParameterValue"), p.Bool("UsePreviousValue") ?? false)).ToList();

    /// <summary>
    /// The accounts an instance operation names, from Accounts or DeploymentTargets.Accounts; organizational units
    /// and account lists in S3 (AccountsUrl) belong to AWS Organizations' deployments and are refused naming it.
    /// </summary>
    public static IReadOnlyList<string> Accounts(IInputReader reader)
    {
        var accounts = reader.Strings("Accounts").ToList();
        if (reader.Object("DeploymentTargets") is { } targets)
        {
            if (targets.Strings("OrganizationalUnitIds").Count > 0) throw CloudFormationErrors.NeedsOrganizations("DeploymentTargets.OrganizationalUnitIds");
            if (targets.String("AccountsUrl") is not null) throw CloudFormationErrors.NeedsOrganizations("DeploymentTargets.AccountsUrl");
            if (targets.String("AccountFilterType") is not (null or "NONE")) throw CloudFormationErrors.NeedsOrganizations("DeploymentTargets.AccountFilterType");
            accounts.AddRange(targets.Strings("Accounts"));
        }
        return accounts.Distinct(StringComparer.Ordinal).ToList();
    }
}
