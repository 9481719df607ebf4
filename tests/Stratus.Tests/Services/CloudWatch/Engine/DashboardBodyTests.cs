using System.Text.Json.Nodes;
using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Tests.Services.CloudWatch.Engine;

public sealed class DashboardBodyTests
{
    private static IReadOnlyList<DashboardValidationMessage> Check(string body) => DashboardBody.Validate(JsonNode.Parse(body));

    [Fact]
    public void A_body_with_metric_text_log_and_alarm_widgets_is_valid()
    {
        Assert.Empty(Check("""
            {"start":"-PT6H","periodOverride":"inherit","widgets":[
              {"type":"metric","x":0,"y":0,"width":12,"height":6,"properties":{"metrics":[["AWS/Lambda","Errors","FunctionName","orders",{"stat":"Sum"}],[".","Invocations",".","."]],"region":"us-east-1"}},
              {"type":"text","x":12,"y":0,"width":12,"height":2,"properties":{"markdown":"# Orders"}},
              {"type":"log","properties":{"query":"SOURCE '/aws/lambda/orders' | fields @message"}},
              {"type":"alarm","properties":{"alarms":["arn:aws:cloudwatch:us-east-1:000000000000:alarm:errors"]}}]}
            """));
    }

    [Fact]
    public void Findings_name_their_place_and_problem_in_AWS_words()
    {
        var found = Check("""
            {"widgets":[
              {"type":"metric","width":30,"properties":{"metrics":["AWS/Lambda"]}},
              {"type":"chart","properties":{}},
              {"type":"text","properties":{}},
              {"x":1}]}
            """);
        Assert.Equal(
        [
            new("/widgets/0/width", "Should be <= 24"),
            new("/widgets/0/properties/metrics/0", "Should be array"),
            new("/widgets/0/properties/metrics/0", "Field \"metrics\" has to be an array of array of strings, with an optional metricRenderer object as last element"),
            new("/widgets/1/type", "Should be equal to one of the allowed values"),
            new("/widgets/2/properties", "Should have required property 'markdown'"),
            new("/widgets/3", "Should have required property 'type'"),
        ], found);
    }

    [Theory]
    [InlineData("[]", "", "Should be object")]
    [InlineData("{}", "", "Should have required property 'widgets'")]
    [InlineData("{\"widgets\":{}}", "/widgets", "Should be array")]
    [InlineData("{\"widgets\":[],\"colour\":\"red\"}", "", "Should NOT have additional properties")]
    [InlineData("{\"widgets\":[],\"periodOverride\":\"weekly\"}", "/periodOverride", "Should be equal to one of the allowed values")]
    [InlineData("{\"widgets\":[{\"type\":\"text\",\"x\":-1,\"properties\":{\"markdown\":\"a\"}}]}", "/widgets/0/x", "Should be >= 0")]
    [InlineData("{\"widgets\":[{\"type\":\"text\",\"y\":1.5,\"properties\":{\"markdown\":\"a\"}}]}", "/widgets/0/y", "Should be integer")]
    public void Each_rule_is_checked(string body, string path, string message) =>
        Assert.Contains(new DashboardValidationMessage(path, message), Check(body));

    [Fact]
    public void Widgets_are_bounded_to_AWS_limit()
    {
        var widgets = string.Join(",", Enumerable.Repeat("{\"type\":\"text\",\"properties\":{\"markdown\":\"a\"}}", 501));
        Assert.Equal([new DashboardValidationMessage("/widgets", "Should NOT have more than 500 items")], Check($"{{\"widgets\":[{widgets}]}}"));
    }

    [Fact]
    public void The_error_message_counts_and_lists_the_findings_as_AWS_does()
    {
        var message = DashboardBody.ErrorMessage([new("/widgets/0", "Should have required property 'type'")]);
        Assert.Equal("The dashboard body is invalid, there are 1 validation errors:\n[\n  {\n    \"dataPath\": \"/widgets/0\",\n    \"message\": \"Should have required property 'type'\"\n  }\n]", message);
    }
}
