using Stratus.Protocols;

namespace Stratus.Services.Events;

/// <summary>EventBridge's errors, worded as EventBridge words them.</summary>
public static class EventsErrors
{
    public static AwsException RuleNotFound(string rule, string bus) =>
        new("ResourceNotFoundException", $"Rule {rule} does not exist on EventBus {bus}.");

    public static AwsException EventBusNotFound(string bus) => new("ResourceNotFoundException", $"Event bus {bus} does not exist.");

    public static AwsException EventBusExists(string bus) => new("ResourceAlreadyExistsException", $"Event bus {bus} already exists.");

    public static AwsException ResourceNotFound(string arn) => new("ResourceNotFoundException", $"Resource {arn} not found.");

    public static AwsException InvalidEventPattern(string reason) =>
        new("InvalidEventPatternException", $"Event pattern is not valid. Reason: {reason}");

    public static AwsException InvalidScheduleExpression() => AwsException.Validation("Parameter ScheduleExpression is not valid.");

    public static AwsException PatternOrSchedule() => AwsException.Validation("Parameter(s) EventPattern or ScheduleExpression must be specified.");

    public static AwsException ScheduleOnlyOnDefaultBus() =>
        AwsException.Validation("ScheduleExpression is supported only on the default event bus.");

    public static AwsException RuleHasTargets() => AwsException.Validation("Rule can't be deleted since it has targets.");

    public static AwsException CannotDeleteDefaultBus() => AwsException.Validation("Cannot delete event bus default.");

    public static AwsException TransformedInputTooLarge(int limit) =>
        AwsException.Validation($"The input InputTransformer made is over {limit} characters, the most a Lambda target takes.");

    public static AwsException BusHasRules(string bus) =>
        AwsException.Validation($"Event bus {bus} still has rules; Stratus deletes a custom bus once its rules are deleted.");

    public static AwsException LimitExceeded() =>
        new("LimitExceededException", "The requested resource exceeds the maximum number allowed.");

    public static AwsException OneInputKind(string targetId) =>
        AwsException.Validation($"Only one of Input, InputPath, or InputTransformer must be provided for target {targetId}.");

    public static AwsException InvalidInput(string targetId) =>
        AwsException.Validation($"Input for target {targetId} is not valid JSON text.");

    public static AwsException InvalidInputPath(string path) =>
        AwsException.Validation($"Parameter InputPath is not valid. Reason: {path} is not a JSONPath Stratus reads (a $-rooted path of .name and [index] steps).");

    public static AwsException TargetNotServed(string targetId, string arn) => AwsException.Validation(
        $"Target {targetId} ({arn}) is not a Lambda function: Stratus's EventBridge delivers only to Lambda function targets.");

    public static AwsException InvalidArn(string arn) => AwsException.Validation($"Provided Arn is not in correct format: {arn}");

    public static AwsException InvalidEvent(string reason) => AwsException.Validation($"Parameter Event is not valid. Reason: {reason}");

    public static AwsException InvalidNextToken() => AwsException.Validation("The nextToken provided is invalid.");
}
