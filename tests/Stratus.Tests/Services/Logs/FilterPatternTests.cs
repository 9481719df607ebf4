using Stratus.Services.Logs;
using Stratus.Services.Logs.Engine;

namespace Stratus.Tests.Services.Logs;

public sealed class FilterPatternTests
{
    [Theory]
    [InlineData("", "anything", true)]
    [InlineData("\"\"", "anything", true)]
    [InlineData("ERROR", "2024 ERROR disk full", true)]
    [InlineData("ERROR", "2024 error disk full", false)]
    [InlineData("ERROR disk", "ERROR: the disk is full", true)]
    [InlineData("ERROR disk", "ERROR: memory", false)]
    [InlineData("\"disk full\"", "ERROR disk full", true)]
    [InlineData("\"disk full\"", "ERROR full disk", false)]
    [InlineData("?ERROR ?WARN", "WARN low memory", true)]
    [InlineData("?ERROR ?WARN", "INFO fine", false)]
    [InlineData("ERROR -timeout", "ERROR disk full", true)]
    [InlineData("ERROR -timeout", "ERROR timeout after 3s", false)]
    [InlineData("-DEBUG", "INFO started", true)]
    [InlineData("REPORT \"Init Duration\"", "REPORT RequestId: 1 Duration: 3 ms Init Duration: 120 ms", true)]
    public void Term_patterns(string pattern, string message, bool matches) =>
        Assert.Equal(matches, FilterPattern.Parse(pattern).Matches(message));

    [Theory]
    [InlineData("{ $.level = \"ERROR\" }", "{\"level\":\"ERROR\"}", true)]
    [InlineData("{ $.level = \"ERROR\" }", "{\"level\":\"INFO\"}", false)]
    [InlineData("{ $.level = \"ERROR\" }", "ERROR not json", false)]
    [InlineData("{ $.level = ERR* }", "{\"level\":\"ERROR\"}", true)]
    [InlineData("{ $.level != \"INFO\" }", "{\"level\":\"WARN\"}", true)]
    [InlineData("{ $.latency > 100 }", "{\"latency\":150}", true)]
    [InlineData("{ $.latency > 100 }", "{\"latency\":50}", false)]
    [InlineData("{ $.latency <= 50 }", "{\"latency\":50}", true)]
    [InlineData("{ $.http.status = 500 }", "{\"http\":{\"status\":500}}", true)]
    [InlineData("{ $.items[1] = \"b\" }", "{\"items\":[\"a\",\"b\"]}", true)]
    [InlineData("{ ($.level = \"ERROR\") && ($.latency > 100) }", "{\"level\":\"ERROR\",\"latency\":101}", true)]
    [InlineData("{ ($.level = \"ERROR\") && ($.latency > 100) }", "{\"level\":\"ERROR\",\"latency\":99}", false)]
    [InlineData("{ $.level = \"ERROR\" || $.latency > 100 }", "{\"level\":\"INFO\",\"latency\":101}", true)]
    [InlineData("{ $.ok IS TRUE }", "{\"ok\":true}", true)]
    [InlineData("{ $.ok IS FALSE }", "{\"ok\":true}", false)]
    [InlineData("{ $.user IS NULL }", "{\"user\":null}", true)]
    [InlineData("{ $.user NOT EXISTS }", "{\"other\":1}", true)]
    [InlineData("{ $.user NOT EXISTS }", "{\"user\":1}", false)]
    public void Json_patterns(string pattern, string message, bool matches) =>
        Assert.Equal(matches, FilterPattern.Parse(pattern).Matches(message));

    private const string AccessLog = "127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] \"GET /apache_pb.gif HTTP/1.0\" 404 2326";

    [Theory]
    [InlineData("[ip, identity, user, timestamp, request, status, bytes]", true)]
    [InlineData("[ip, identity, user, timestamp, request, status = 404, bytes]", true)]
    [InlineData("[ip, identity, user, timestamp, request, status = 4*, bytes > 1000]", true)]
    [InlineData("[ip, identity, user, timestamp, request, status = 5*, bytes]", false)]
    [InlineData("[ip, identity, user, timestamp, request, status = 200 || status = 404, bytes]", true)]
    [InlineData("[ip, identity, user = \"frank\", ...]", true)]
    [InlineData("[..., status != 404, bytes]", false)]
    [InlineData("[ip = 127.0.0.*, ...]", true)]
    [InlineData("[..., bytes < 100]", false)]
    [InlineData("[ip, user]", false)]
    public void Space_delimited_patterns(string pattern, bool matches) =>
        Assert.Equal(matches, FilterPattern.Parse(pattern).Matches(AccessLog));

    [Theory]
    [InlineData("\"unterminated")]
    [InlineData("[ip, , user]")]
    [InlineData("[ip = ]")]
    [InlineData("[ip, user")]
    [InlineData("{ $.level = \"ERROR\" ")]
    [InlineData("{ level = \"ERROR\" }")]
    [InlineData("{ $.level > \"ERROR\" }")]
    [InlineData("{ $.level = }")]
    [InlineData("{ ($.a = 1 }")]
    [InlineData("{ $.a IS MAYBE }")]
    [InlineData("?")]
    public void Malformed_patterns_are_refused(string pattern) =>
        Assert.Throws<FilterPatternException>(() => FilterPattern.Parse(pattern));

    [Fact]
    public void Patterns_past_aws_length_limit_and_deep_parentheses_are_refused()
    {
        Assert.Contains("1024", Assert.Throws<FilterPatternException>(() => FilterPattern.Parse("{ " + new string('(', 12_000) + "$.a = 1" + new string(')', 12_000) + " }")).Message);
        var deep = "{ " + new string('(', FilterPattern.MaxNesting + 1) + "$.a = 1" + new string(')', FilterPattern.MaxNesting + 1) + " }";
        Assert.Contains("nest", Assert.Throws<FilterPatternException>(() => FilterPattern.Parse(deep)).Message);
    }

    [Fact]
    public async Task Many_ellipses_against_many_fields_do_not_backtrack_exponentially()
    {
        // Exponential backtracking would never finish here; a minute only guards against a hang.
        var pattern = FilterPattern.Parse("[" + string.Join(", ", Enumerable.Repeat("...", 40)) + ", last=nope]");
        var message = string.Join(' ', Enumerable.Range(0, 400));
        Assert.False(await Task.Run(() => pattern.Matches(message)).WaitAsync(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void Json_events_with_repeated_members_simply_do_not_match() =>
        Assert.False(FilterPattern.Parse("{ $.a = 1 }").Matches("{\"a\":1,\"a\":1}"));
}
