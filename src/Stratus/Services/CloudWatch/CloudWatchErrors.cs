using Stratus.Protocols;
using Stratus.Services.CloudWatch.Engine;

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

    public static AwsException MissingParameter(string name) => MissingParameters([name]);

    /// <summary>CloudWatch names every missing parameter of a request, one sentence a line: "The parameter Namespace is required.\nThe parameter Statistics is required."</summary>
    public static AwsException MissingParameters(IEnumerable<string> names) =>
        new("MissingParameter", string.Join("\n", names.Select(name => $"The parameter {name} is required.")));

    /// <summary>
    /// CloudWatch's answer to members breaking the published model (<see cref="CloudWatchRules"/>): required parameters of the
    /// request missing come first, as MissingParameter naming each by its Query name, as AWS's servers answer them; anything
    /// else (and a missing member inside a list's structures, which no AWS answer shows worded otherwise) as ValidationError
    /// in the "N validation errors detected" wording.
    /// </summary>
    public static AwsException MemberViolations(string operation, IReadOnlyList<MemberViolation> violations)
    {
        var missing = violations.Where(v => v.Kind == ViolatedConstraint.Required && v.Path == v.Rule.Path).Select(v => v.Rule.Member).ToList();
        return missing.Count > 0 ? MissingParameters(missing) : MemberValidation.Violations([.. violations.Select(v => v.Smithy)]);
    }

    public static AwsException InvalidCombination(string message) => new("InvalidParameterCombination", message);

    public static AwsException InvalidFormat(string message) => new("InvalidFormat", message);

    public static AwsException NotStructures(string name) => InvalidValue($"The members of {name} must be structures.");

    public static AwsException InvalidNextToken(string errorCode) => new(errorCode, "The service returned an invalid NextToken.");

    public static AwsException TooManyMetrics(int max) => new("LimitExceeded", $"Stratus keeps at most {max} metrics.");

    public static AwsException AlarmsNotFound(IReadOnlyCollection<string> names) =>
        new("ResourceNotFound", $"{names.Count} alarm(s) not found: {string.Join(", ", names)}", 404);

    public static AwsException AlarmNotFound(string name) => new("ResourceNotFound", $"Alarm {name} not found", 404);

    public static AwsException ResourceNotFound(string arn) => new("ResourceNotFoundException", $"The resource {arn} does not exist.", 404);

    /// <summary>Metric and composite alarms share one namespace of names (and ARNs); Stratus refuses to shadow one type with the other.</summary>
    public static AwsException NameTakenByOtherType(string name, string existingType) =>
        InvalidValue($"The alarm name {name} is already used by a {(existingType == "CompositeAlarm" ? "composite" : "metric")} alarm.");

    public static AwsException InvalidAlarmRule(string problem) => ValidationError($"Error in AlarmRule: {problem}.");

    public static AwsException AlarmRuleChildrenMissing(IEnumerable<string> names) =>
        ValidationError($"Could not save the composite alarm as alarms [{string.Join(", ", names)}] in the alarm rule do not exist");

    public static AwsException AlarmRuleCycle(string name) =>
        ValidationError($"Could not save the composite alarm {name}: its AlarmRule would make a cycle of composite alarms.");

    /// <summary>PutDashboard's refusal: code InvalidParameterInput, the findings in the message as AWS lists them.</summary>
    public static AwsException DashboardInvalid(string message) => new("InvalidParameterInput", message);

    /// <summary>GetMetricWidgetImage's refusal of a MetricWidget, worded as PutDashboard words a body's findings.</summary>
    public static AwsException MetricWidgetInvalid(IReadOnlyList<DashboardValidationMessage> found) =>
        new("InvalidParameterInput", DashboardBody.ErrorMessage(found, "The metric widget"));

    public static AwsException DashboardNotFound(string name) => new("ResourceNotFound", $"Dashboard {name} does not exist", 404);

    public static AwsException DashboardsNotFound(IEnumerable<string> names) =>
        new("ResourceNotFound", $"The specified dashboard does not exist. [{string.Join(", ", names)}]", 404);

    public static AwsException AnomalyDetectorNotFound() =>
        new("ResourceNotFoundException", "The anomaly detection model does not exist.", 404);

    public static AwsException InsightRuleNotFound(string name) => new("ResourceNotFoundException", $"The rule {name} does not exist.", 404);

    public static AwsException TooManyInsightRules(int max) =>
        new("LimitExceededException", $"The account already has {max} Contributor Insights rules in this Region, the most it may have.");

    /// <summary>
    /// PutManagedInsightRules' refusal: managed rules come from templates other AWS services publish for their own resources,
    /// and Stratus's services publish none, so no template name is valid here.
    /// </summary>
    public static AwsException ManagedRuleTemplatesUnavailable(IEnumerable<string> templateNames) =>
        InvalidValue($"Stratus has no managed Contributor Insights rule templates, so it cannot create the managed rules [{string.Join(", ", templateNames)}]; create the rules with PutInsightRule.");

    /// <summary>An operation of botocore's model Stratus does not serve, with the reason README gives.</summary>
    /// <summary>A mute rule that does not exist (Stratus's wording: AWS publishes none).</summary>
    public static AwsException MuteRuleNotFound(string name) => new("ResourceNotFoundException", $"The alarm mute rule {name} does not exist.", 404);

    /// <summary>A mute rule's targets must be existing alarms, as the model documents (Stratus's wording).</summary>
    public static AwsException MuteTargetsNotFound(IEnumerable<string> names) =>
        InvalidValue($"Could not save the alarm mute rule as alarms [{string.Join(", ", names)}] do not exist.");

    public static AwsException TooManyMuteRules(int max) => new("LimitExceeded", $"An account can have at most {max} alarm mute rules per Region.");

    public static AwsException NotServed(string operation, string reason) =>
        new("InvalidAction", $"Stratus does not serve the CloudWatch operation {operation}: {reason}");
}
