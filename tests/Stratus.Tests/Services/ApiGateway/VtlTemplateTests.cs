using System.Text.Json.Nodes;
using Stratus.Services.ApiGateway.Vtl;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>Mapping templates from AWS's API Gateway documentation, rendered by our Velocity interpreter.</summary>
public sealed class VtlTemplateTests
{
    private static string Render(string template, string body = "", Dictionary<string, string>? path = null,
        Dictionary<string, string>? query = null, Dictionary<string, string>? headers = null,
        Dictionary<string, object?>? context = null, Dictionary<string, object?>? stageVariables = null) =>
        VtlTemplate.Parse(template).Render(new Dictionary<string, object?>
        {
            ["input"] = new InputVariable(body, path ?? [], query ?? [], headers ?? []),
            ["util"] = UtilVariable.Instance,
            ["context"] = context ?? new Dictionary<string, object?>(),
            ["stageVariables"] = stageVariables ?? new Dictionary<string, object?>(),
        });

    private const string PhotosBody = """
        {"photos":{"page":1,"pages":"1234","perpage":100,"total":"123398",
          "photo":[{"id":"12345678901","owner":"23456789@A12","title":"Example","ispublic":true,"isfriend":false},
                   {"id":"23456789012","owner":"34567890@B23","title":"Example2","ispublic":true,"isfriend":false}]}}
        """;

    [Fact]
    public void Photos_example_with_foreach_and_hasNext_renders_valid_json()
    {
        const string template = """
            #set($inputRoot = $input.path('$'))
            {
              "photos": {
                "page": $inputRoot.photos.page,
                "pages": "$inputRoot.photos.pages",
                "perpage": $inputRoot.photos.perpage,
                "total": "$inputRoot.photos.total",
                "photo": [
            #foreach($elem in $inputRoot.photos.photo)
                  {
                    "id": "$elem.id",
                    "owner": "$elem.owner",
                    "title": "$elem.title",
                    "ispublic": $elem.ispublic,
                    "isfriend": $elem.isfriend
                  }#if($foreach.hasNext),#end
            #end
                ]
              }
            }
            """;

        var output = JsonNode.Parse(Render(template, PhotosBody))!;

        Assert.Equal(1, output["photos"]!["page"]!.GetValue<int>());
        Assert.Equal("1234", output["photos"]!["pages"]!.GetValue<string>());
        var photos = output["photos"]!["photo"]!.AsArray();
        Assert.Equal(2, photos.Count);
        Assert.Equal("34567890@B23", photos[1]!["owner"]!.GetValue<string>());
        Assert.True(photos[0]!["ispublic"]!.GetValue<bool>());
    }

    [Fact]
    public void Directive_lines_leave_no_blank_lines_behind()
    {
        const string template = "#set($a = 1)\n  #if($a == 1)\nyes\n  #end\ndone";
        Assert.Equal("yes\ndone", Render(template));
    }

    [Fact]
    public void Input_json_and_path_select_with_jsonpath()
    {
        const string body = """{"name":"Ann","address":{"city":"Oslo"},"tags":["a","b","c"],"store":{"book":[{"author":"X","price":8.95},{"author":"Y","price":12}]}}""";

        Assert.Equal("Ann", Render("$input.path('$.name')", body));
        Assert.Equal("""{"city":"Oslo"}""", Render("$input.json('$.address')", body));
        Assert.Equal("\"Oslo\"", Render("$input.json('$.address.city')", body));
        Assert.Equal("c", Render("$input.path('$.tags[-1]')", body));
        Assert.Equal("""["X","Y"]""", Render("$input.json('$.store.book[*].author')", body));
        Assert.Equal("""["X","Y"]""", Render("$input.json('$..author')", body));
        Assert.Equal("3", Render("$input.path('$.tags').size()", body));
        Assert.Equal("Oslo", Render("$input.path('$')['address']['city']", body));
    }

    [Fact]
    public void Params_example_lists_path_querystring_and_header_parameters()
    {
        const string template = """
            #set($allParams = $input.params())
            {
            "params" : {
            #foreach($type in $allParams.keySet())
                #set($params = $allParams.get($type))
            "$type" : {
                #foreach($paramName in $params.keySet())
                "$paramName" : "$util.escapeJavaScript($params.get($paramName))"
                    #if($foreach.hasNext),#end
                #end
            }
                #if($foreach.hasNext),#end
            #end
            }
            }
            """;

        var output = JsonNode.Parse(Render(template, "", path: new() { ["id"] = "42" }, query: new() { ["q"] = "say \"hi\"" },
            headers: new() { ["X-Trace"] = "t1" }))!["params"]!;

        Assert.Equal("42", output["path"]!["id"]!.GetValue<string>());
        Assert.Equal("say \"hi\"", output["querystring"]!["q"]!.GetValue<string>());
        Assert.Equal("t1", output["header"]!["X-Trace"]!.GetValue<string>());
        Assert.Equal("42", Render("$input.params('id')", path: new() { ["id"] = "42" }));
        Assert.Equal("t1", Render("$input.params('x-trace')", headers: new() { ["X-Trace"] = "t1" }));
        Assert.Equal("", Render("$input.params('missing')"));
    }

    [Fact]
    public void ParseJson_example_reads_an_error_message_that_is_itself_json()
    {
        const string body = """{"errorMessage":"{\"key1\":\"var1\",\"key2\":{\"arr\":[1,2,3]}}"}""";
        const string template = """
            #set ($errorMessageObj = $util.parseJson($input.path('$.errorMessage')))
            {
               "errorMessageObjKey2ArrVal" : $errorMessageObj.key2.arr[0]
            }
            """;

        Assert.Equal(1, JsonNode.Parse(Render(template, body))!["errorMessageObjKey2ArrVal"]!.GetValue<int>());
    }

    [Fact]
    public void Util_functions_escape_encode_and_decode_as_the_jvm_does()
    {
        Assert.Equal("He said \\\"hi\\\" \\/ it\\'s\\n", Render("$util.escapeJavaScript($input.path('$.s'))", """{"s":"He said \"hi\" / it's\n"}"""));
        Assert.Equal("a+b%26c%3Dd%2F%C3%A9", Render("$util.urlEncode('a b&c=d/é')"));
        Assert.Equal("a b&c", Render("$util.urlDecode('a+b%26c')"));
        Assert.Equal("aGVsbG8=", Render("$util.base64Encode('hello')"));
        Assert.Equal("hello", Render("$util.base64Decode('aGVsbG8=')"));
    }

    [Fact]
    public void Conditionals_and_context_and_stage_variables()
    {
        const string template = """
            #set($n = $input.path('$.n'))
            #if($n > 10)big#elseif($n > 5)medium#else small#end $context.requestId $stageVariables.env $context.identity.sourceIp
            """;
        var context = new Dictionary<string, object?>
        {
            ["requestId"] = "r-1",
            ["identity"] = new Dictionary<string, object?> { ["sourceIp"] = "127.0.0.1" },
        };
        var stageVariables = new Dictionary<string, object?> { ["env"] = "prod" };

        Assert.Equal("big r-1 prod 127.0.0.1", Render(template, """{"n":11}""", context: context, stageVariables: stageVariables).Trim());
        Assert.Equal("medium r-1 prod 127.0.0.1", Render(template, """{"n":6}""", context: context, stageVariables: stageVariables).Trim());
        Assert.Equal("small r-1 prod 127.0.0.1", Render(template, """{"n":1}""", context: context, stageVariables: stageVariables).Trim());
    }

    [Fact]
    public void Velocity_expressions_strings_lists_maps_and_ranges()
    {
        Assert.Equal("3", Render("#set($x = 1 + 2)$x"));
        Assert.Equal("hello world", Render("#set($w = 'world')#set($s = \"hello $w\")$s"));
        Assert.Equal("1,2,3", Render("#foreach($i in [1..3])$i#if($foreach.hasNext),#end#end"));
        Assert.Equal("b", Render("#set($m = {'a': 'b'})$m.a"));
        Assert.Equal("true", Render("#if($missing)false#elseif(!$missing && 'a' == 'a')true#end"));
        Assert.Equal("$missing", Render("$missing"));
        Assert.Equal("", Render("$!missing"));
        Assert.Equal("ABC", Render("#set($s = 'abc')$s.toUpperCase()"));
        Assert.Equal("x-y", Render("#set($s = 'x.y')$s.replace('.', '-')"));
        Assert.Equal("2", Render("#set($l = [])#set($ignored = $l.add('a'))#set($ignored = $l.add('b'))$l.size()"));
        Assert.Equal("one", Render("## a comment\n#* block\ncomment *#one"));
        Assert.Equal("12", Render("#foreach($i in [1..5])#if($i == 3)#break#end$i#end"));
    }

    [Fact]
    public void Malformed_templates_are_rejected_when_parsed()
    {
        Assert.Throws<VtlException>(() => VtlTemplate.Parse("#if($a)no end"));
        Assert.Throws<VtlException>(() => VtlTemplate.Parse("#end"));
        Assert.Throws<VtlException>(() => VtlTemplate.Parse("#set($a = )"));
        Assert.Throws<VtlException>(() => VtlTemplate.Parse("#foreach($a [1])#end"));
    }
}
