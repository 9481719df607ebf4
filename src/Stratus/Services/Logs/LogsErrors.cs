using Stratus.Protocols;

namespace Stratus.Services.Logs;

/// <summary>CloudWatch Logs' errors, worded as AWS words them.</summary>
public static class LogsErrors
{
    /// <summary>Smithy's "1 validation error detected" wording under Logs' InvalidParameterException.</summary>
    public static readonly ValidationStyle Validation = new("InvalidParameterException");

    /// <summary>A parameter AWS refuses with a sentence of its own (mutually exclusive members, limits of a batch).</summary>
    public static AwsException InvalidParameter(string message) => new("InvalidParameterException", message);

    public static AwsException InvalidNextToken() => InvalidParameter("The specified nextToken is invalid.");

    public static AwsException LogGroupExists() => new("ResourceAlreadyExistsException", "The specified log group already exists");

    public static AwsException LogStreamExists() => new("ResourceAlreadyExistsException", "The specified log stream already exists");

    public static AwsException LogGroupNotFound() => new("ResourceNotFoundException", "The specified log group does not exist.");

    /// <summary>DeleteLogGroup on a protected group: a ValidationException in the words AWS's guide "Protecting log groups from deletion" gives.</summary>
    public static AwsException DeletionProtected() =>
        new("ValidationException", "Cannot delete log group with deletion protection enabled. Disable deletion protection first.");

    public static AwsException LogStreamNotFound() => new("ResourceNotFoundException", "The specified log stream does not exist.");

    public static AwsException MetricFilterNotFound() => new("ResourceNotFoundException", "The specified metric filter does not exist.");

    public static AwsException TooManyMetricFilters(int max) => new("LimitExceededException", $"A log group can have at most {max} metric filters.");

    /// <summary>A query that does not compile; the message says what and where, as AWS's compile errors do.</summary>
    public static AwsException MalformedQuery(string message) => new("MalformedQueryException", message);

    /// <summary>GetLogRecord's pointer is not one an Insights result gave (AWS publishes no wording; this one is Stratus's).</summary>
    public static AwsException InvalidLogRecordPointer() => InvalidParameter("The specified log record pointer is invalid.");

    /// <summary>GetLogRecord's event is gone or not the caller's (AWS publishes no wording; this one is Stratus's).</summary>
    public static AwsException LogRecordNotFound() => new("ResourceNotFoundException", "The specified log record does not exist.");

    /// <summary>Get/DeleteTransformer on a group without one (AWS publishes no wording; this one is Stratus's).</summary>
    public static AwsException TransformerNotFound() => new("ResourceNotFoundException", "The specified log group has no transformer.");

    /// <summary>Delete on a group without a policy in force (Stratus's wording: AWS publishes none).</summary>
    public static AwsException DataProtectionPolicyNotFound() => new("ResourceNotFoundException", "The specified log group has no data protection policy.");

    public static AwsException QueryNotFound(string id) => new("ResourceNotFoundException", $"Query does not exist: {id}");

    public static AwsException QueryDefinitionNotFound() => new("ResourceNotFoundException", "The specified query definition does not exist.");

    public static AwsException TooManyConcurrentQueries(int max) => new("LimitExceededException", $"Account maximum query concurrency limit of [{max}] reached.");

    public static AwsException TooManyQueryDefinitions(int max) => new("LimitExceededException", $"An account can have at most {max} query definitions.");

    /// <summary>AWS's answer when a per-group or per-account count (subscription filters, running exports, resource policies) is reached.</summary>
    public static AwsException ResourceLimitExceeded() => new("LimitExceededException", "Resource limit exceeded.");

    public static AwsException SubscriptionFilterNotFound() => new("ResourceNotFoundException", "The specified subscription filter does not exist.");

    /// <summary>The function is missing or its policy does not let CloudWatch Logs invoke it, worded as AWS words it.</summary>
    public static AwsException CannotInvokeFunction() =>
        InvalidParameter("Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute your function.");

    public static AwsException DestinationNotServed(string arn) =>
        InvalidParameter($"Stratus delivers subscription filters to Lambda functions only; Kinesis Data Streams, Firehose and CloudWatch Logs destinations are not served: {arn}");

    public static AwsException ExportTaskNotFound() => new("ResourceNotFoundException", "The specified export task does not exist.");

    public static AwsException ExportTaskFinished() => new("InvalidOperationException", "The specified export task has already finished");

    /// <summary>A resource or account policy that is not there, worded as AWS words it for resource policies.</summary>
    public static AwsException PolicyNotFound(string name) => new("ResourceNotFoundException", $"Policy with name [{name}] does not exist");

    /// <summary>An account policy over its type's count (one unscoped, or up to 20 scoped ones); Stratus's wording.</summary>
    public static AwsException TooManyAccountPolicies(string type, string rule) =>
        new("LimitExceededException", $"An account can have {rule} {type} account policies.");

    /// <summary>A policy type the model lists whose behaviour Stratus does not build, refused by name rather than stored and ignored.</summary>
    public static AwsException AccountPolicyTypeNotServed(string type) =>
        InvalidParameter($"Stratus does not serve {type} account policies: extracting metrics from embedded metric format logs is not built.");

    public static AwsException IndexPolicyNotFound() => new("ResourceNotFoundException", "The specified log group has no field index policy.");

    public static AwsException RevisionConflict() =>
        new("OperationAbortedException", "The expected revision id does not match the policy's current revision id.");

    /// <summary>A KMS key CloudWatch Logs may not use for the resource (missing, not an ARN, not encrypting now, its policy not allowing
    /// logs.REGION.amazonaws.com), worded as AWS words it; Stratus also answers it for reads of a group whose key no longer decrypts.</summary>
    public static AwsException KmsKeyNotAllowed(string resourceArn) =>
        new("AccessDeniedException", $"The specified KMS key does not exist or is not allowed to be used with Arn '{resourceArn}'");

    /// <summary>A LogsService built without KMS (unit tests): nothing can be kept under a key.</summary>
    public static AwsException KmsNotAvailable() => new("InvalidOperationException", "This Stratus has no KMS service for CloudWatch Logs to encrypt with.");

    public static AwsException LookupTableExists(string name) => new("ResourceAlreadyExistsException", $"Lookup table {name} already exists.");

    public static AwsException LookupTableNotFound() => new("ResourceNotFoundException", "The specified lookup table does not exist.");

    /// <summary>A table body AWS would refuse (no header, rows of other widths, over 10 MB); the sentences are Stratus's.</summary>
    public static AwsException InvalidLookupTable(string problem) => InvalidParameter($"Invalid lookup table body: {problem}");

    public static AwsException LookupTableKeyNotServed() =>
        InvalidParameter("Stratus does not encrypt lookup tables under KMS keys: leave kmsKeyId out (the table is kept in Stratus's state file).");

    /// <summary>A scheduled query's own checks, under the ValidationException its operations' model names (the sentences are Stratus's).</summary>
    public static AwsException ScheduledQueryInvalid(string message) => new("ValidationException", message);

    public static AwsException ScheduledQueryNotFound(string identifier) =>
        new("ResourceNotFoundException", $"The specified scheduled query does not exist: {identifier}");

    public static AwsException ScheduledQueryExists(string name) => new("ConflictException", $"A scheduled query named {name} already exists.");

    public static AwsException TooManyScheduledQueries(int max) =>
        new("ServiceQuotaExceededException", $"An account can have at most {max} scheduled queries in a Region.");

    /// <summary>SQL and PPL are in the model; Stratus runs only the Logs Insights query language, so it refuses them by name.</summary>
    public static AwsException QueryLanguageNotServed(string language) =>
        ScheduledQueryInvalid($"Stratus has no {language} query engine: scheduled queries run CWLI (the Logs Insights query language) only.");

    /// <summary>A role the scheduled query names that IAM does not have (Stratus's wording; AWS publishes none).</summary>
    public static AwsException RoleNotFound(string member, string roleArn) =>
        ScheduledQueryInvalid($"The role {roleArn} given as {member} does not exist.");

    /// <summary>StartLiveTail past AWS's quota of concurrent sessions (Stratus's wording: AWS publishes none).</summary>
    public static AwsException TooManyLiveTailSessions(int max) =>
        new("LimitExceededException", $"The account has reached its limit of {max} concurrent Live Tail sessions.");

    /// <summary>What a Live Tail session's stream ends with after three hours (Stratus's wording: AWS publishes none).</summary>
    public static AwsException LiveTailTimedOut() => new("SessionTimeoutException", "The Live Tail session timed out after three hours.");

    /// <summary>What a Live Tail session's stream ends with when Stratus fails to go on with it (Stratus's wording: AWS publishes none).</summary>
    public static AwsException LiveTailFailed() => new("SessionStreamingException", "The Live Tail session ended on an internal error.", 500);

    /// <summary>An operation of botocore's logs model Stratus does not serve, with the reason README gives.</summary>
    public static AwsException NotServed(string operation, string reason) =>
        new("InvalidOperationException", $"Stratus does not serve the CloudWatch Logs operation {operation}: {reason}");
}
