using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudWatch;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>CloudWatch's declared member rules: MissingParameter for a missing parameter, ValidationError in the "N validation errors detected" wording for the rest, Query paths included.</summary>
public sealed class CloudWatchMemberRulesTests
{
    private static AwsException Refusal(string operation, JsonObject input) =>
        Assert.Throws<AwsException>(() => CloudWatchRules.Members.Check(operation, input, CloudWatchErrors.Validation));

    [Fact]
    public void An_unknown_operator_and_a_zero_period_are_named_together()
    {
        var error = Refusal("PutMetricAlarm", new JsonObject
        {
            ["AlarmName"] = "orders",
            ["EvaluationPeriods"] = 1,
            ["ComparisonOperator"] = "Sideways",
            ["Period"] = 0,
        });
        Assert.Equal("ValidationError", error.Code);
        Assert.Equal("2 validation errors detected: Value '0' at 'period' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
            "Value 'Sideways' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: " +
            "[GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold, LessThanLowerOrGreaterThanUpperThreshold, " +
            "LessThanLowerThreshold, GreaterThanUpperThreshold]", error.Message);
    }

    [Fact]
    public void Missing_parameters_are_MissingParameter_each_named_on_its_own_line()
    {
        var error = Refusal("GetMetricStatistics", new JsonObject { ["MetricName"] = "Orders", ["Period"] = 0 });
        Assert.Equal("MissingParameter", error.Code);
        Assert.Equal("The parameter Namespace is required.\nThe parameter StartTime is required.\nThe parameter EndTime is required.", error.Message);
    }

    [Fact]
    public void A_datum_without_a_name_is_named_at_its_position_in_the_list()
    {
        var error = Refusal("PutMetricData", new JsonObject
        {
            ["Namespace"] = "Shop",
            ["MetricData"] = new JsonArray(new JsonObject { ["Value"] = 1 }),
        });
        Assert.Equal("1 validation error detected: Value null at 'metricData.1.member.metricName' failed to satisfy constraint: Member must not be null", error.Message);
    }

    [Fact]
    public void Max_records_and_scan_by_are_held_to_the_model()
    {
        Assert.Equal("1 validation error detected: Value '101' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100",
            Refusal("DescribeAlarms", new JsonObject { ["MaxRecords"] = 101 }).Message);
        Assert.Equal("1 validation error detected: Value 'Sideways' at 'scanBy' failed to satisfy constraint: Member must satisfy enum value set: [TimestampDescending, TimestampAscending]",
            Refusal("DescribeAlarmHistory", new JsonObject { ["ScanBy"] = "Sideways" }).Message);
        CloudWatchRules.Members.Check("DescribeAlarms", new JsonObject { ["MaxRecords"] = 100, ["StateValue"] = "ALARM" }, CloudWatchErrors.Validation);
    }
}
