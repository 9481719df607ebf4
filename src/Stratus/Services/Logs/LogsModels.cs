using Stratus.Protocols;
using Stratus.Services.Logs.Engine;

namespace Stratus.Services.Logs;

/// <summary>
/// A log group. <see cref="LogGroupClass"/> is recorded and reported (STANDARD, INFREQUENT_ACCESS or DELIVERY); Stratus
/// serves every class alike. While <see cref="DeletionProtectionEnabled"/> is on, DeleteLogGroup is refused, as on AWS.
/// </summary>
/// <param name="KmsKeyId">The KMS key ARN new events are encrypted under (AssociateKmsKey, CreateLogGroup's kmsKeyId); null: none.</param>
/// <param name="DataKeys">
/// Every data key the group's events were ever sealed under, each encrypted under its KMS key: events stay sealed under the key
/// they were written with after a disassociation, and reading them needs that key, as AWS documents.
/// </param>
public sealed record LogGroup(string AccountId, string Region, string Name, long CreationTime, int? RetentionInDays, Dictionary<string, string> Tags,
    bool DeletionProtectionEnabled = false, string LogGroupClass = LogGroupClasses.Standard, string? KmsKeyId = null, IReadOnlyList<GroupDataKey>? DataKeys = null)
{
    public string Arn => $"arn:aws:logs:{Region}:{AccountId}:log-group:{Name}";
}

/// <summary>A data key of a log group, as KMS encrypted it (base64) under <see cref="KmsKeyArn"/> with the group's ARN as encryption context.</summary>
public sealed record GroupDataKey(string KmsKeyArn, string Blob);

/// <summary>The KMS key an account's Insights query results are encrypted under (AssociateKmsKey with the query-result resource).</summary>
public sealed record QueryResultKey(string AccountId, string Region, string KmsKeyArn);

public static class LogGroupClasses
{
    public const string Standard = "STANDARD";
}

/// <summary>CreateLogGroup's members, or an AWS::Logs::LogGroup's, beyond the name and tags.</summary>
public sealed record LogGroupSettings(bool DeletionProtectionEnabled = false, string? LogGroupClass = null, string? KmsKeyId = null);

public sealed record LogStream(string AccountId, string Region, string GroupName, string Name, long CreationTime)
{
    public string Arn => $"arn:aws:logs:{Region}:{AccountId}:log-group:{GroupName}:log-stream:{Name}";
}

public sealed record PutLogEventsOutcome(int? TooNewStartIndex, int? TooOldEndIndex, int? ExpiredEndIndex);

public sealed record GetLogEventsPage(IReadOnlyList<LogEvent> Events, string ForwardToken, string BackwardToken);

public sealed record FilteredEvent(string LogStreamName, LogEvent Event);

public sealed record FilterLogEventsPage(IReadOnlyList<FilteredEvent> Events, IReadOnlyList<string> SearchedStreams, string? NextToken);

/// <summary>A saved Logs Insights query (PutQueryDefinition).</summary>
public sealed record QueryDefinition(string AccountId, string Region, string Id, string Name, string QueryString, List<string> LogGroupNames, long LastModified);

/// <summary>What StartQuery asks: the groups (names or ARNs), the time range in epoch seconds (both ends included), the query and its row limit.</summary>
public sealed record StartQueryInput(IReadOnlyList<string> LogGroups, long StartTime, long EndTime, string QueryString, int? Limit, string? QueryLanguage);

public static class QueryStatus
{
    public const string Scheduled = "Scheduled";
    public const string Running = "Running";
    public const string Complete = "Complete";
    public const string Failed = "Failed";
    public const string Cancelled = "Cancelled";
}

/// <summary>A query's state as GetQueryResults and DescribeQueries report it.</summary>
/// <param name="ScannedGroupArns">The groups the query read, once it is running: those named less those whose field indexes say no event can match its filterIndex.</param>
public sealed record QueryInfo(string AccountId, string Region, string Id, string QueryString, string LogGroupName, long CreateTime, string Status,
    Engine.Insights.InsightsResult? Result, long? DurationMs, IReadOnlyList<string>? ScannedGroupArns = null);

/// <summary>
/// A subscription filter: the group's events its pattern matches go to its destination (a Lambda function) as AWS
/// sends them. <see cref="InvokePrincipal"/> is the service principal the function's policy allowed when the filter was
/// put (logs.amazonaws.com or the regional logs.REGION.amazonaws.com), which deliveries then invoke as.
/// </summary>
public sealed record SubscriptionFilter(string AccountId, string Region, string GroupName, string FilterName, string FilterPattern,
    string DestinationArn, string? RoleArn, string Distribution, long CreationTime, string InvokePrincipal)
{
    /// <summary>
    /// PutSubscriptionFilter's members, or an AWS::Logs::SubscriptionFilter's (the template capitalises the same names).
    /// A template may leave the name to CloudFormation, so the caller supplies it.
    /// </summary>
    public static SubscriptionFilter Read(IInputReader input, Scope scope, string filterName) => new(
        scope.AccountId, scope.Region, input.Required("logGroupName"), filterName,
        input.String("filterPattern") ?? throw input.Missing("filterPattern"),
        input.Required("destinationArn"), input.String("roleArn"), input.String("distribution") ?? "ByLogStream", 0, "");
}

public static class ExportTaskStatus
{
    public const string Pending = "PENDING";
    public const string Running = "RUNNING";
    public const string Completed = "COMPLETED";
    public const string Failed = "FAILED";
    public const string Cancelled = "CANCELLED";
}

/// <summary>An export of a group's events in [From, To) (epoch ms) to an S3 bucket, as DescribeExportTasks reports it.</summary>
public sealed record ExportTask(string AccountId, string Region, string TaskId, string? TaskName, string LogGroupName, string? LogStreamNamePrefix,
    long From, long To, string Destination, string DestinationPrefix, string Status, string? StatusMessage, long CreationTime, long? CompletionTime);

/// <summary>A resource policy: account-wide by name, or attached to one log group (policyScope RESOURCE).</summary>
public sealed record LogsResourcePolicy(string AccountId, string Region, string PolicyName, string PolicyDocument, long LastUpdatedTime,
    string PolicyScope, string? ResourceArn, string RevisionId);

/// <summary>A log group's transformer: its configuration as the wire gave it (a JSON list of Processor structures).</summary>
public sealed record StoredTransformer(string AccountId, string Region, string GroupName, string Config, long CreationTime, long LastModifiedTime)
{
    public string GroupArn => $"arn:aws:logs:{Region}:{AccountId}:log-group:{GroupName}";
}

/// <summary>A span of time a data protection policy was in force on a group: events ingested in [From, Until) are masked by it.</summary>
public sealed record PolicyPeriod(string Document, long From, long? Until);

/// <summary>A log group's data protection policy (the document in force when Active) and the spans of time its policies were in force.</summary>
public sealed record StoredDataProtection(string AccountId, string Region, string GroupName, string Document, long LastUpdatedTime, List<PolicyPeriod> Periods, bool Active);

/// <summary>PutAccountPolicy's policy types, as the model lists them.</summary>
public static class AccountPolicyTypes
{
    public const string DataProtection = "DATA_PROTECTION_POLICY";
    public const string SubscriptionFilter = "SUBSCRIPTION_FILTER_POLICY";
    public const string FieldIndex = "FIELD_INDEX_POLICY";
    public const string Transformer = "TRANSFORMER_POLICY";
    public const string MetricExtraction = "METRIC_EXTRACTION_POLICY";
}

/// <summary>
/// An account-level policy (PutAccountPolicy), applying to every log group of the account and Region its selection criteria
/// select. <see cref="InvokePrincipal"/> is, for a subscription filter policy, the principal its function allowed (as
/// <see cref="SubscriptionFilter.InvokePrincipal"/>); <see cref="FieldsSince"/>, for a field index policy, when each field began to be indexed.
/// </summary>
public sealed record AccountPolicy(string AccountId, string Region, string PolicyName, string PolicyType, string PolicyDocument, string? SelectionCriteria,
    long LastUpdatedTime, string? InvokePrincipal = null, Dictionary<string, long>? FieldsSince = null);

/// <summary>A log group's field index policy (PutIndexPolicy) and when each of its fields began to be indexed.</summary>
public sealed record StoredIndexPolicy(string AccountId, string Region, string GroupName, string Document, long LastUpdateTime, Dictionary<string, long> FieldsSince)
{
    public string GroupArn => $"arn:aws:logs:{Region}:{AccountId}:log-group:{GroupName}";
}

/// <summary>
/// A scheduled query (CreateScheduledQuery): a Logs Insights query run on its schedule over the window before each run, its
/// results written to S3. <see cref="LastScheduledTime"/> is the due time of its latest run, the scheduler's place in the
/// schedule, kept in the record so a restart neither repeats nor loses a run.
/// </summary>
public sealed record ScheduledQuery(string AccountId, string Region, string Id, string Name, ScheduledQuerySettings Settings, Dictionary<string, string>? Tags,
    long CreationTime, long LastUpdatedTime, long? LastTriggeredTime = null, string? LastExecutionStatus = null, long? LastScheduledTime = null)
{
    public string Arn => $"arn:aws:logs:{Region}:{AccountId}:scheduled-query:{Id}";
}

/// <summary>What CreateScheduledQuery and UpdateScheduledQuery set (Update states the whole query again, as the model requires).</summary>
/// <param name="StartTimeOffset">Seconds before each run the query's window starts; null: the window starts at the previous run.</param>
/// <param name="ScheduleStartTime">Epoch milliseconds before which the query does not run, as every CloudWatch Logs timestamp.</param>
public sealed record ScheduledQuerySettings(string? Description, string QueryLanguage, string QueryString, List<string>? LogGroupIdentifiers,
    string ScheduleExpression, string? Timezone, long? StartTimeOffset, ScheduledQueryS3Destination? Destination, long? ScheduleStartTime,
    long? ScheduleEndTime, string ExecutionRoleArn, string State)
{
    public static ScheduledQuerySettings Read(IInputReader input, string? defaultState) => new(
        input.String("description"),
        input.Required("queryLanguage"),
        input.Required("queryString"),
        input.Has("logGroupIdentifiers") ? [.. input.Strings("logGroupIdentifiers")] : null,
        input.Required("scheduleExpression"),
        input.String("timezone"),
        Whole(input, "startTimeOffset"),
        input.Object("destinationConfiguration")?.Object("s3Configuration") is { } s3
            ? new ScheduledQueryS3Destination(s3.Required("destinationIdentifier"), s3.Required("roleArn"), s3.String("ownerAccountId"), s3.String("kmsKeyId"))
            : null,
        Whole(input, "scheduleStartTime"),
        Whole(input, "scheduleEndTime"),
        input.Required("executionRoleArn"),
        input.String("state") ?? defaultState ?? ScheduledQueryStates.Enabled);

    private static long? Whole(IInputReader input, string name) => input.Double(name) is { } value ? (long)value : null;
}

/// <summary>Where a scheduled query's results go: an S3 URI (s3://bucket/prefix), written as the delivery role.</summary>
public sealed record ScheduledQueryS3Destination(string DestinationIdentifier, string RoleArn, string? OwnerAccountId, string? KmsKeyId);

public static class ScheduledQueryStates
{
    public const string Enabled = "ENABLED";
    public const string Disabled = "DISABLED";
}

/// <summary>A scheduled query's execution statuses, as the model names them.</summary>
public static class ScheduledQueryExecutionStatus
{
    public const string Running = "Running";
    public const string InvalidQuery = "InvalidQuery";
    public const string Complete = "Complete";
    public const string Failed = "Failed";
    public const string Timeout = "Timeout";
    public static readonly string[] All = [Running, InvalidQuery, Complete, Failed, Timeout];
}

/// <summary>One run of a scheduled query (GetScheduledQueryHistory's trigger record), with what became of its results.</summary>
public sealed record ScheduledQueryExecution(string AccountId, string Region, string ScheduledQueryId, string? QueryId, string ExecutionStatus,
    long TriggeredTimestamp, string? ErrorMessage, List<ScheduledQueryDelivery> Destinations);

/// <summary>A run's delivery to its destination: status IN_PROGRESS, CLIENT_ERROR, FAILED or COMPLETE; the object written, once written.</summary>
public sealed record ScheduledQueryDelivery(string DestinationType, string DestinationIdentifier, string Status, string? ProcessedIdentifier, string? ErrorMessage);
