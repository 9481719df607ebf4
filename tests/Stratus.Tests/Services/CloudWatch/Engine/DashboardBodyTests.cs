using System.Text.Json.Nodes;
using Stratus.Services.CloudWatch.Engine;

namespace Stratus.Tests.Services.CloudWatch.Engine;

public sealed class DashboardBodyTests
{
    private static IReadOnlyList<DashboardValidationMessage> Check(string body) => DashboardBody.Validate(JsonNode.Parse(body), DateTimeOffset.UtcNow);

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

    [Theory]
    [InlineData("{\"widgets\":[],\"start\":\"last week\"}", "/start", "Should be an ISO 8601 time, or a duration before now such as -PT3H")]
    [InlineData("{\"widgets\":[],\"start\":3}", "/start", "Should be string")]
    [InlineData("{\"widgets\":[],\"end\":\"2026-01-01T00:00:00Z\"}", "", "Should have property start when property end is present")]
    [InlineData("{\"widgets\":[],\"start\":\"2026-01-02T00:00:00Z\",\"end\":\"2026-01-01T00:00:00Z\"}", "/start", "Should be before end")]
    [InlineData("{\"widgets\":[{\"type\":\"metric\",\"properties\":{\"metrics\":[],\"start\":\"-PTXH\"}}]}", "/widgets/0/properties/start", "Should be an ISO 8601 time, or a duration before now such as -PT3H")]
    public void A_time_range_is_checked_on_the_body_and_on_each_metric_widget(string body, string path, string message) =>
        Assert.Equal([new DashboardValidationMessage(path, message)], Check(body));

    [Fact]
    public void A_time_range_is_relative_to_now_or_absolute_and_a_widget_has_its_own()
    {
        var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal((now.AddHours(-3), now), DashboardBody.TimeRange(JsonNode.Parse("""{"start":"-PT3H"}""")!.AsObject(), now));
        Assert.Equal((now.AddDays(-14), now), DashboardBody.TimeRange(JsonNode.Parse("""{"start":"-P2W"}""")!.AsObject(), now));
        Assert.Equal((new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 1, 6, 0, 0, TimeSpan.Zero)),
            DashboardBody.TimeRange(JsonNode.Parse("""{"start":"2026-01-01T00:00:00Z","end":"2026-01-01T06:00:00.000Z"}""")!.AsObject(), now));
        Assert.Null(DashboardBody.TimeRange(JsonNode.Parse("""{"widgets":[]}""")!.AsObject(), now));
    }

    [Theory]
    [InlineData(300, 3, true, 300)]
    [InlineData(60, 24, true, 60)]
    [InlineData(60, 48, true, 300)]
    [InlineData(60, 24 * 14, true, 900)]
    [InlineData(300, 24 * 90, true, 21_600)]
    [InlineData(60, 24 * 14, false, 60)]
    [InlineData(7200, 24 * 14, true, 7200)]
    public void Auto_period_lengthens_a_line_period_to_suit_a_long_range_and_inherit_keeps_it(int period, int hours, bool auto, int expected)
    {
        var end = DateTimeOffset.UnixEpoch.AddYears(56);
        Assert.Equal(expected, DashboardBody.ChartPeriod(period, end.AddHours(-hours), end, auto));
    }

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
