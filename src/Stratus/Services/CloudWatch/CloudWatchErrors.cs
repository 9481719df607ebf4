using Stratus.Protocols;

namespace Stratus.Services.CloudWatch;

/// <summary>CloudWatch's errors, worded as AWS words them (its Query-era codes: InvalidParameterValue, MissingParameter...).</summary>
public static class CloudWatchErrors
{
    /// <summary>How CloudWatch words a malformed member on every protocol it speaks.</summary>
    public static readonly ValidationStyle Validation = new("InvalidParameterValue");

    /// <summary>How CloudWatch answers a member breaking the published model's constraints (<see cref="CloudWatchRules"/>).</summary>
    public static readonly ValidationStyle MemberValidation = new("ValidationError");

    public static AwsException InvalidValue(string message) => new("InvalidParameterValue", message);

    /// <summary>CloudWatch's code for queries and expressions it cannot run.</summary>
    public static AwsException ValidationError(string message) => new("ValidationError", message);

    public static AwsException MissingParameter(string name) => new("MissingParameter", $"The parameter {name} is required.");

    public static AwsException InvalidCombination(string message) => new("InvalidParameterCombination", message);

    public static AwsException InvalidFormat(string message) => new("InvalidFormat", message);

    public static AwsException NotStructures(string name) => InvalidValue($"The members of {name} must be structures.");

    public static AwsException InvalidNextToken(string errorCode) => new(errorCode, "The service returned an invalid NextToken.");

    public static AwsException TooManyMetrics(int max) => new("LimitExceeded", $"Stratus keeps at most {max} metrics.");

    public static AwsException AlarmsNotFound(IReadOnlyCollection<string> names) =>
        new("ResourceNotFound", $"{names.Count} alarm(s) not found: {string.Join(", ", names)}", 404);

    public static AwsException AlarmNotFound(string name) => new("ResourceNotFound", $"Alarm {name} not found", 404);

    public static AwsException ResourceNotFound(string arn) => new("ResourceNotFoundException", $"The resource {arn} does not exist.", 404);
}
