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

    public static AwsException LogStreamNotFound() => new("ResourceNotFoundException", "The specified log stream does not exist.");

    public static AwsException MetricFilterNotFound() => new("ResourceNotFoundException", "The specified metric filter does not exist.");

    public static AwsException TooManyMetricFilters(int max) => new("LimitExceededException", $"A log group can have at most {max} metric filters.");

    /// <summary>A query that does not compile; the message says what and where, as AWS's compile errors do.</summary>
    public static AwsException MalformedQuery(string message) => new("MalformedQueryException", message);

    public static AwsException QueryNotFound(string id) => new("ResourceNotFoundException", $"Query does not exist: {id}");

    public static AwsException QueryDefinitionNotFound() => new("ResourceNotFoundException", "The specified query definition does not exist.");

    public static AwsException TooManyConcurrentQueries(int max) => new("LimitExceededException", $"Account maximum query concurrency limit of [{max}] reached.");

    public static AwsException TooManyQueryDefinitions(int max) => new("LimitExceededException", $"An account can have at most {max} query definitions.");
}
