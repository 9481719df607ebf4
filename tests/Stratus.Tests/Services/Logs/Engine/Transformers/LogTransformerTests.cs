using System.Text.Json.Nodes;
using Stratus.Services.Logs.Engine.Transformers;

namespace Stratus.Tests.Services.Logs.Engine.Transformers;

public sealed class LogTransformerTests
{
    private static readonly TransformContext Context = new("123456789012", "us-east-1", "/app", "web-1");

    private static string? Run(string config, string message) => LogTransformer.Parse(JsonNode.Parse(config)!.AsArray()).Apply(message, Context);

    private static string Refused(string config) =>
        Assert.Throws<TransformerConfigException>(() => LogTransformer.Parse(JsonNode.Parse(config)!.AsArray())).Message;

    [Fact]
    public void ParseJson_then_mutators_reshape_the_event()
    {
        var config = """
            [{"parseJSON": {}},
             {"addKeys": {"entries": [{"key": "env", "value": "prod"}, {"key": "level", "value": "ignored"}]}},
             {"renameKeys": {"entries": [{"key": "msg", "renameTo": "message"}]}},
             {"moveKeys": {"entries": [{"source": "user.id", "target": "userId"}]}},
             {"copyValue": {"entries": [{"source": "@logGroupName", "target": "group"}]}},
             {"deleteKeys": {"withKeys": ["user"]}},
             {"upperCaseString": {"withKeys": ["level"]}},
             {"trimString": {"withKeys": ["message"]}},
             {"substituteString": {"entries": [{"source": "message", "from": "\\d+", "to": "N"}]}},
             {"splitString": {"entries": [{"source": "path", "delimiter": "/"}]}},
             {"typeConverter": {"entries": [{"key": "latency", "type": "integer"}]}}]
            """;
        var transformed = Run(config, """{"level": "info", "msg": "  took 250 ms ", "user": {"id": 7}, "path": "a/b", "latency": "250"}""");
        Assert.Equal("""{"level":"INFO","path":["a","b"],"latency":250,"env":"prod","message":"took N ms","userId":7,"group":"/app"}""", transformed);
    }

    [Fact]
    public void Key_value_and_csv_parsers_name_their_fields()
    {
        Assert.Equal("""{"kv":{"p_a":"1","p_b":"x","p_flag":"none"}}""",
            Run("""[{"parseKeyValue": {"destination": "kv", "fieldDelimiter": ";", "keyValueDelimiter": ":", "keyPrefix": "p_", "nonMatchValue": "none"}}]""", "a:1;b:x;flag"));
        Assert.Equal("""{"ip":"10.0.0.1","verb":"GET","column_3":"/a,b"}""",
            Run("""[{"csv": {"columns": ["ip", "verb"]}}]""", "10.0.0.1,GET,\"/a,b\""));
    }

    [Fact]
    public void An_event_the_pipeline_cannot_transform_is_left_as_it_came()
    {
        Assert.Null(Run("""[{"parseJSON": {}}]""", "plain text"));
        Assert.Null(Run("""[{"parseJSON": {}}, {"typeConverter": {"entries": [{"key": "n", "type": "integer"}]}}]""", """{"n": "many"}"""));
    }

    [Fact]
    public void Configurations_outside_the_rules_are_refused()
    {
        Assert.Contains("first processor", Refused("""[{"addKeys": {"entries": [{"key": "a", "value": "b"}]}}]"""));
        Assert.Contains("between 1 and 20", Refused("[]"));
        Assert.Contains("between 1 and 20", Refused("[" + string.Join(",", Enumerable.Repeat("""{"parseJSON": {}}""", 21)) + "]"));
        Assert.Contains("at most 5 parsers", Refused("[" + string.Join(",", Enumerable.Repeat("""{"parseJSON": {}}""", 6)) + "]"));
        Assert.Contains("exactly one processor type", Refused("""[{"parseJSON": {}, "csv": {}}]"""));
        Assert.Contains("grok", Refused("""[{"grok": {"match": "%{WORD:w}"}}]"""));
        Assert.Contains("not valid", Refused("""[{"parseJSON": {}}, {"substituteString": {"entries": [{"source": "a", "from": "(", "to": "b"}]}}]"""));
        // A backreference needs backtracking, which a pattern run on every ingested event may not use.
        Assert.Contains("not valid", Refused("""[{"parseJSON": {}}, {"substituteString": {"entries": [{"source": "a", "from": "(a+)\\1", "to": "b"}]}}]"""));
        Assert.Contains("typeConverter type", Refused("""[{"parseJSON": {}}, {"typeConverter": {"entries": [{"key": "a", "type": "date"}]}}]"""));
    }
}
