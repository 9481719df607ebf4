using System.Text;
using System.Text.Json.Nodes;
using Stratus.Services.ApiGateway.Vtl;

namespace Stratus.Tests.Services.ApiGateway.Vtl;

/// <summary>No template or JSONPath can take Stratus down: each limit refuses with a VtlException (a 500 at run time, a 400 at put time).</summary>
public sealed class VtlLimitTests
{
    // A generous time limit, so that on a loaded machine each test meets the limit it is about, not the clock.
    private static readonly TimeSpan Unhurried = TimeSpan.FromMinutes(2);

    private static string Render(string template, string body = "{}", TimeSpan? timeLimit = null) =>
        VtlTemplate.Parse(template).Render(new Dictionary<string, object?>
        {
            ["input"] = new InputVariable(body, new Dictionary<string, string>(), new Dictionary<string, string>(), new Dictionary<string, string>()),
            ["util"] = UtilVariable.Instance,
        }, timeLimit ?? Unhurried);

    private static string Repeat(string text, int times) => new StringBuilder(text.Length * times).Insert(0, text, times).ToString();

    [Fact]
    public void If_nested_twenty_thousand_deep_is_refused_not_a_stack_overflow()
    {
        var template = Repeat("#if(true)", 20_000) + "x" + Repeat("#end", 20_000);

        var error = Assert.Throws<VtlException>(() => VtlTemplate.Parse(template));

        Assert.Contains($"nests deeper than {VtlParser.MaxNestingDepth} levels", error.Message);
    }

    [Theory]
    [InlineData("(", ")")]
    [InlineData("[", "]")]
    [InlineData("!", "")]
    [InlineData("$a.b(", ")")]
    public void Expressions_nested_fifty_thousand_deep_are_refused(string open, string close)
    {
        var template = "#set($x = " + Repeat(open, 50_000) + "1" + Repeat(close, 50_000) + ")";

        Assert.Contains("nests deeper", Assert.Throws<VtlException>(() => VtlTemplate.Parse(template)).Message);
    }

    [Fact]
    public void Nesting_within_the_limit_still_renders()
    {
        const int depth = 40;
        var template = Repeat("#if(true)", depth) + "#set($x = " + Repeat("(", depth) + "1 + 1" + Repeat(")", depth) + ")$x" + Repeat("#end", depth);

        Assert.Equal("2", Render(template));
    }

    [Fact]
    public void Template_over_api_gateways_300_KB_quota_is_refused()
    {
        Assert.Contains("300 KB", Assert.Throws<VtlException>(() => VtlTemplate.Parse(new string('x', VtlTemplate.MaxTemplateBytes + 1))).Message);
        Assert.Equal(VtlTemplate.MaxTemplateBytes, Render(new string('x', VtlTemplate.MaxTemplateBytes)).Length);
    }

    [Fact]
    public void Foreach_stops_after_a_thousand_iterations_as_api_gateway_does()
    {
        Assert.Equal(1000, Render("#foreach($i in [1..5000])x#end").Length);
    }

    [Fact]
    public void A_string_doubled_until_it_would_take_gigabytes_is_refused_at_the_payload_limit()
    {
        var error = Assert.Throws<VtlException>(() => Render("""#set($s = "0123456789")#foreach($i in [1..40])#set($s = "$s$s")#end$s.length()"""));

        Assert.Contains("longer than", error.Message);
    }

    [Theory]
    [InlineData("""#set($s = "0123456789")#foreach($i in [1..40])#set($s = $s + $s)#end""")]
    [InlineData("""#set($s = "0123456789")#foreach($i in [1..40])#set($s = $s.concat($s))#end""")]
    [InlineData("""#set($s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")#foreach($i in [1..10])#set($s = $s.replace("a", $s))#end""")]
    [InlineData("""#set($s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")#foreach($i in [1..10])#set($s = $s.replaceAll("a", $s))#end""")]
    public void Every_way_of_growing_a_string_stops_at_the_payload_limit(string template)
    {
        Assert.Contains("longer than", Assert.Throws<VtlException>(() => Render(template)).Message);
    }

    [Fact]
    public void Output_past_the_payload_limit_is_refused()
    {
        var error = Assert.Throws<VtlException>(() => Render("""#set($s = "0123456789abcdefghij")#foreach($i in [1..1000])#foreach($j in [1..1000])$s#end#end"""));

        Assert.Contains("longer than", error.Message);
    }

    [Fact]
    public void New_text_piling_up_in_a_list_is_bounded_in_all()
    {
        const string template = """
            #set($s = "0123456789")#foreach($i in [1..19])#set($s = "$s$s")#end
            #set($kept = [])#foreach($i in [1..1000])#set($ignored = $kept.add("$s$i"))#end
            """;

        Assert.Contains("in all", Assert.Throws<VtlException>(() => Render(template)).Message);
    }

    [Fact]
    public void Nested_loops_that_would_run_a_billion_times_stop_at_the_time_limit()
    {
        var error = Assert.Throws<VtlException>(() =>
            Render("#foreach($a in [1..1000])#foreach($b in [1..1000])#foreach($c in [1..1000])#end#end#end", timeLimit: TimeSpan.FromMilliseconds(200)));

        Assert.Contains("too long", error.Message);
    }

    [Fact]
    public void A_list_holding_itself_cannot_be_printed_but_does_not_crash()
    {
        Assert.Contains("holding itself", Assert.Throws<VtlException>(() => Render("#set($a = [])#set($ignored = $a.add($a))$a")).Message);
    }

    [Fact]
    public void Lists_and_maps_cannot_grow_past_their_bound()
    {
        const string list = "#set($a = [])#foreach($i in [1..1000])#foreach($j in [1..1000])#set($ignored = $a.add($j))#end#end";
        const string map = "#set($m = {})#foreach($i in [1..1000])#foreach($j in [1..1000])#set($m[\"$i-$j\"] = $j)#end#end";

        Assert.Contains("grew past", Assert.Throws<VtlException>(() => Render(list)).Message);
        Assert.Contains("grew past", Assert.Throws<VtlException>(() => Render(map)).Message);
        Assert.Equal("100", Render("#set($a = [])#foreach($i in [1..100])#set($ignored = $a.add($i))#end$a.size()"));
    }

    [Theory]
    [InlineData("""$input.body.replaceAll("(", "x")""")]
    [InlineData("""$input.body.matches("[")""")]
    [InlineData("""#set($n = -9223372036854775808 / -1)$n""")]
    public void Java_method_failures_are_template_errors_not_crashes(string template)
    {
        Assert.StartsWith("the template failed", Assert.Throws<VtlException>(() => Render(template)).Message);
    }

    [Fact]
    public void JsonPath_descent_that_multiplies_without_end_is_bounded()
    {
        var rows = string.Join(',', Enumerable.Range(0, 300).Select(_ => "[" + string.Join(',', Enumerable.Range(0, 300)) + "]"));
        var body = "{\"a\":{\"b\":{\"c\":[" + rows + "]}}}";

        var error = Assert.Throws<VtlException>(() => Render("$input.json('$..*..*..*')", body));

        Assert.Contains("visits more than", error.Message);
    }

    [Fact]
    public void JsonPath_does_not_descend_past_its_depth_limit()
    {
        JsonNode deep = new JsonObject { ["x"] = 1 };
        for (var i = 0; i < JsonPath.MaxDepth + 10; i++) deep = new JsonObject { ["x"] = deep };

        Assert.Contains("deeper than", Assert.Throws<VtlException>(() => JsonPath.Select(deep, "$..x")).Message);
        Assert.NotNull(JsonPath.Select(deep, "$.x.x.x"));
    }
}
