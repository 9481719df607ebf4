using System.Net;
using System.Text.RegularExpressions;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.WebConsole;

/// <summary>
/// The console's stacks (status, resources linked to their sections, outputs, events newest first), APIs (resource
/// trees, routes, integrations, both invoke URL forms) and functions (aliases with weights, layers, URLs), from what
/// real clients created.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed partial class ConsoleStacksAndApisTests
{
    [Fact]
    public async Task Stacks_show_status_resources_linked_to_their_sections_outputs_and_a_newest_first_timeline()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        var account = (string)(await Clients.Boto3Async(server.Url, """
            cfn = client("cloudformation")
            good = {"Resources": {
                        "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/console/param", "Type": "String", "Value": "v"}},
                        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/console/stack"}}},
                    "Outputs": {"Where": {"Value": {"Ref": "Logs"}, "Description": "the <log> group"}}}
            cfn.create_stack(StackName="console-stack", TemplateBody=json.dumps(good))
            cfn.get_waiter("stack_create_complete").wait(StackName="console-stack", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            bad = {"Resources": {"Broken": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/console/broken", "Type": "NotAType", "Value": "v"}}}}
            cfn.create_stack(StackName="console-broken", TemplateBody=json.dumps(bad))
            for _ in range(600):
                if cfn.describe_stacks(StackName="console-broken")["Stacks"][0]["StackStatus"].endswith("_COMPLETE"): break
                time.sleep(0.1)
            out["account"] = client("sts").get_caller_identity()["Account"]
            """))["account"]!;
        using var http = new HttpClient();

        var html = await http.GetStringAsync(server.Url + "/_stratus/");

        var stack = Card(html, "data-stack=\"console-stack\"");
        Assert.Contains("<span class=\"status-complete\">CREATE_COMPLETE</span>", stack);
        foreach (var (kind, name) in new[] { ("parameter", "/console/param"), ("log-group", "/console/stack") })
        {
            var id = $"{kind}:{account}:us-east-1:{name}";
            Assert.Contains($"<a href=\"{WebUtility.HtmlEncode("#" + Uri.EscapeDataString(id))}\">{name}</a>", stack);
            Assert.Contains($"id=\"{id}\"", html);
        }
        Assert.Contains("<td><code>/console/stack</code></td><td>the &lt;log&gt; group</td>", stack);
        var events = EventPattern().Matches(stack).Select(m => (Logical: m.Groups[2].Value, Status: m.Groups[3].Value)).ToList();
        Assert.Equal(("console-stack", "CREATE_COMPLETE"), events[0]);
        Assert.Equal(("console-stack", "CREATE_IN_PROGRESS"), events[^1]);

        var broken = Card(html, "data-stack=\"console-broken\"");
        Assert.Contains("<span class=\"status-rollback\">ROLLBACK_COMPLETE</span>", broken);
        Assert.Matches("<li class=\"status-failed\" data-event=\"Broken\">.*CREATE_FAILED</b> · .+</li>", broken);
    }

    [Fact]
    public async Task Apis_show_their_trees_routes_integrations_and_both_invoke_urls_and_functions_their_aliases_layers_and_url()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        var ids = await Clients.Boto3Async(server.Url, LambdaScripts.Prelude + """
            ag = client("apigateway")
            rest = ag.create_rest_api(name="shop")["id"]
            root = ag.get_resources(restApiId=rest)["items"][0]["id"]
            orders = ag.create_resource(restApiId=rest, parentId=root, pathPart="orders")["id"]
            ag.put_method(restApiId=rest, resourceId=orders, httpMethod="GET", authorizationType="NONE")
            ag.put_integration(restApiId=rest, resourceId=orders, httpMethod="GET", type="HTTP", integrationHttpMethod="GET", uri="http://127.0.0.1:9/orders")
            ag.create_deployment(restApiId=rest, stageName="prod")
            v2 = client("apigatewayv2")
            web = v2.create_api(Name="web", ProtocolType="HTTP")["ApiId"]
            integration = v2.create_integration(ApiId=web, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY", IntegrationUri="http://127.0.0.1:9/items", PayloadFormatVersion="1.0")["IntegrationId"]
            v2.create_route(ApiId=web, RouteKey="GET /items", Target="integrations/" + integration)
            v2.create_stage(ApiId=web, StageName="$default", AutoDeploy=True)
            closed = v2.create_api(Name="closed", ProtocolType="HTTP", DisableExecuteApiEndpoint=True)["ApiId"]
            v2.create_stage(ApiId=closed, StageName="$default")
            layer = lam.publish_layer_version(LayerName="libs", Content={"ZipFile": zip_of({"python/libs.py": "X = 1\n"})})["LayerVersionArn"]
            create("console-fn", {"app.py": "def handler(event, context):\n    return 1\n"}, Layers=[layer], Description="one")
            lam.publish_version(FunctionName="console-fn")
            lam.update_function_configuration(FunctionName="console-fn", Description="two")
            lam.get_waiter("function_updated_v2").wait(FunctionName="console-fn")
            lam.publish_version(FunctionName="console-fn")
            lam.create_alias(FunctionName="console-fn", Name="live", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
            lam.create_function_url_config(FunctionName="console-fn", AuthType="NONE")
            out.update(rest=rest, web=web, closed=closed, layer=layer)
            """);
        string rest = (string)ids["rest"]!, web = (string)ids["web"]!, closed = (string)ids["closed"]!, layer = (string)ids["layer"]!;
        using var http = new HttpClient();

        var html = await http.GetStringAsync(server.Url + "/_stratus/");

        var restCard = Card(html, $"data-rest-api=\"{rest}\"");
        Assert.Contains("<tr data-resource-path=\"/orders\" data-method=\"GET\"><td><code>/orders</code></td><td>GET</td><td>NONE</td><td>HTTP (GET)</td><td><code>http://127.0.0.1:9/orders</code></td></tr>", restCard);
        Assert.Contains($"http://127.0.0.1:{server.Port}/_aws/execute-api/{rest}/prod/", restCard);
        Assert.Contains($"http://{rest}.execute-api.localhost:{server.Port}/prod/", restCard);

        var webCard = Card(html, $"data-http-api=\"{web}\"");
        Assert.Contains("<tr data-route=\"GET /items\"><td><code>GET /items</code></td><td>NONE</td><td>HTTP_PROXY (ANY)</td><td><code>http://127.0.0.1:9/items</code></td><td>1.0</td></tr>", webCard);
        // The $default stage is served at the API's root in both forms.
        var pathForm = $"http://127.0.0.1:{server.Port}/_aws/execute-api/{web}/";
        Assert.Contains($"<a href=\"{pathForm}\">{pathForm}</a>", webCard);
        Assert.Contains($"http://{web}.execute-api.localhost:{server.Port}/</a>", webCard);

        var closedCard = Card(html, $"data-http-api=\"{closed}\"");
        Assert.Contains("The default endpoint is disabled", closedCard);
        Assert.DoesNotContain("/_aws/execute-api/", closedCard);

        var function = html[html.IndexOf("data-function-config=\"console-fn\"", StringComparison.Ordinal)..];
        function = function[..function.IndexOf("</tr>", StringComparison.Ordinal)];
        Assert.Contains("live → 1 (90%), 2 (10%)", function);
        Assert.Contains($"<code>{layer}</code>", function);
        Assert.Matches($"<a href=\"http://127.0.0.1:{server.Port}/_aws/lambda-url/[a-z0-9]+/\">", function);
        Assert.Contains("auth NONE", function);
    }

    [Fact]
    public async Task In_verify_mode_the_insights_box_needs_the_console_token()
    {
        await using var server = await StratusProcess.StartEphemeralAsync("--auth", "verify");
        using var anonymous = new HttpClient();
        using var page = await anonymous.GetAsync(server.Url + "/_stratus/insights?account=000000000000&region=us-east-1&logGroup=g&query=fields%20@message&minutes=5");
        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
    }

    /// <summary>The card that starts with the marker, up to the next card at the same level (cards hold no nested cards).</summary>
    private static string Card(string html, string marker)
    {
        var start = html.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {marker} on the page");
        var end = html.IndexOf("<div class=\"card\"", start, StringComparison.Ordinal);
        return end < 0 ? html[start..] : html[start..end];
    }

    [GeneratedRegex("<li class=\"(status-[a-z]+)\" data-event=\"([^\"]+)\">.*?<b>([A-Z_]+)</b>")]
    private static partial Regex EventPattern();
}
