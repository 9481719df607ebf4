using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.ApiGatewayV2;

/// <summary>
/// WebSocket APIs' non-proxy integrations end to end, built with boto3 and driven with .NET's ClientWebSocket: MOCK, AWS (a Python
/// function behind request and response templates), HTTP and HTTP_PROXY (a loopback backend), integration responses selected by
/// key, request templates selected by a body value, one-way routes, parameter mapping, execution logs, and a CloudFormation stack.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class WebSocketIntegrationTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private const string Prelude = LambdaScripts.Prelude + """
        v2 = client("apigatewayv2")
        def two_way(api, key, integration_id):
            route = v2.create_route(ApiId=api, RouteKey=key, Target="integrations/" + integration_id, RouteResponseSelectionExpression="$default")
            v2.create_route_response(ApiId=api, RouteId=route["RouteId"], RouteResponseKey="$default")
            return route
        def error_of(call):
            try:
                call()
                return None
            except Exception as e:
                return {"code": e.response["Error"]["Code"], "message": e.response["Error"].get("Message")}

        """;

    private Task<JsonObject> Boto3Async(string script) => Clients.Boto3Async(stratus.Url, Prelude + script);

    private Uri SocketUri(string apiId) => new($"ws://127.0.0.1:{stratus.Server.Port}/_aws/execute-api/{apiId}/prod");

    private static async Task<string> ReceiveTextAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[64 * 1024];
        var length = 0;
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
            Assert.NotEqual(WebSocketMessageType.Close, received.MessageType);
            length += received.Count;
            if (received.EndOfMessage) return Encoding.UTF8.GetString(buffer, 0, length);
        }
    }

    private static Task SendTextAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    private async Task<ClientWebSocket> ConnectAsync(string apiId)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(SocketUri(apiId), CancellationToken.None);
        return socket;
    }

    [Fact]
    public async Task Mock_routes_answer_through_integration_responses_selected_by_key_and_template()
    {
        var built = await Boto3Async("""
            api = out["api"] = v2.create_api(Name="mock-ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
            # The request template picks the status by the message's "kind"; integration responses are chosen by that status.
            mock = v2.create_integration(ApiId=api, IntegrationType="MOCK", TemplateSelectionExpression="${request.body.kind}",
                RequestTemplates={"missing": '{"statusCode": 404}', "$default": '{"statusCode": 200}'})
            out["mock"] = {k: mock.get(k) for k in ["IntegrationType", "PassthroughBehavior", "IntegrationResponseSelectionExpression", "TemplateSelectionExpression"]}
            ok = v2.create_integration_response(ApiId=api, IntegrationId=mock["IntegrationId"], IntegrationResponseKey="/2\\d\\d/",
                TemplateSelectionExpression="\\$default",
                ResponseTemplates={"$default": '{"ok": true, "body": "$input.body", "route": "$context.routeKey", "connection": "$context.connectionId"}'})
            v2.create_integration_response(ApiId=api, IntegrationId=mock["IntegrationId"], IntegrationResponseKey="$default",
                TemplateSelectionExpression="${integration.response.statuscode}", ResponseTemplates={"404": '{"ok": false, "status": 404}'})
            out["responses"] = sorted(r["IntegrationResponseKey"] for r in v2.get_integration_responses(ApiId=api, IntegrationId=mock["IntegrationId"])["Items"])
            out["updated"] = v2.update_integration_response(ApiId=api, IntegrationId=mock["IntegrationId"], IntegrationResponseId=ok["IntegrationResponseId"],
                ContentHandlingStrategy="CONVERT_TO_TEXT")["ContentHandlingStrategy"]
            out["got"] = v2.get_integration_response(ApiId=api, IntegrationId=mock["IntegrationId"], IntegrationResponseId=ok["IntegrationResponseId"])["IntegrationResponseKey"]
            two_way(api, "hello", mock["IntegrationId"])
            # A one-way route: the same integration, no route response, so nothing goes back.
            v2.create_route(ApiId=api, RouteKey="quiet", Target="integrations/" + mock["IntegrationId"])
            out["bad_key"] = error_of(lambda: v2.create_integration_response(ApiId=api, IntegrationId=mock["IntegrationId"], IntegrationResponseKey="2xx"))
            out["duplicate"] = error_of(lambda: v2.create_integration_response(ApiId=api, IntegrationId=mock["IntegrationId"], IntegrationResponseKey="$default"))
            out["bad_template"] = error_of(lambda: v2.create_integration(ApiId=api, IntegrationType="MOCK", RequestTemplates={"$default": "#if("}))
            proxy = v2.create_integration(ApiId=api, IntegrationType="HTTP_PROXY", IntegrationUri="http://127.0.0.1:9/", IntegrationMethod="POST")
            out["proxy_response"] = error_of(lambda: v2.create_integration_response(ApiId=api, IntegrationId=proxy["IntegrationId"], IntegrationResponseKey="$default"))
            http_api = v2.create_api(Name="h", ProtocolType="HTTP")["ApiId"]
            out["http_mock"] = error_of(lambda: v2.create_integration(ApiId=http_api, IntegrationType="MOCK"))
            v2.create_stage(ApiId=api, StageName="prod", AutoDeploy=True, DefaultRouteSettings={"LoggingLevel": "INFO"})
            """);
        var apiId = built["api"]!.GetValue<string>();
        Assert.Equal("""{"IntegrationType":"MOCK","PassthroughBehavior":"WHEN_NO_MATCH","IntegrationResponseSelectionExpression":"${integration.response.statuscode}","TemplateSelectionExpression":"${request.body.kind}"}""",
            built["mock"]!.ToJsonString());
        Assert.Equal("""["$default","/2\\d\\d/"]""", built["responses"]!.ToJsonString());
        Assert.Equal("CONVERT_TO_TEXT", built["updated"]!.GetValue<string>());
        Assert.Equal("/2\\d\\d/", built["got"]!.GetValue<string>());
        Assert.Equal("BadRequestException", built["bad_key"]!["code"]!.GetValue<string>());
        Assert.Equal("ConflictException", built["duplicate"]!["code"]!.GetValue<string>());
        Assert.Equal("BadRequestException", built["bad_template"]!["code"]!.GetValue<string>());
        Assert.Equal("BadRequestException", built["proxy_response"]!["code"]!.GetValue<string>());
        Assert.Equal("BadRequestException", built["http_mock"]!["code"]!.GetValue<string>());

        using var socket = await ConnectAsync(apiId);
        // The one-way route answers nothing: the next message's answer is the first thing the client receives (messages run in order).
        await SendTextAsync(socket, """{"action": "quiet", "name": "unheard"}""");
        await SendTextAsync(socket, """{"action": "hello", "name": "ada"}""");
        var hello = JsonNode.Parse(await ReceiveTextAsync(socket))!;
        Assert.True(hello["ok"]!.GetValue<bool>());
        // A mock answers no body, so the response template's $input is empty; $context is the message's.
        Assert.Equal("", hello["body"]!.GetValue<string>());
        Assert.Equal("hello", hello["route"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(hello["connection"]!.GetValue<string>()));
        // Template selection by a body value: kind "missing" makes the mock answer 404, which /2\d\d/ does not take, so $default does.
        await SendTextAsync(socket, """{"action": "hello", "kind": "missing"}""");
        Assert.Equal("""{"ok": false, "status": 404}""", await ReceiveTextAsync(socket));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);

        var logged = await Boto3Async($$"""
            import time
            logs = client("logs")
            lines = []
            for _ in range(60):
                lines = [e["message"] for e in logs.filter_log_events(logGroupName="API-Gateway-Execution-Logs_{{apiId}}/prod")["events"]]
                if any("by '404'" in l for l in lines):
                    break
                time.sleep(1)
            out["lines"] = lines
            """);
        var lines = logged["lines"]!.AsArray().Select(l => l!.GetValue<string>()).ToList();
        Assert.Contains(lines, l => l.Contains("Integration ") && l.Contains(": MOCK"));
        Assert.Contains(lines, l => l.Contains("Request template missing selected by 'missing'"));
        Assert.Contains(lines, l => l.Contains("Selected integration response $default by '404'"));
        Assert.Contains(lines, l => l.Contains("Selected integration response /2\\d\\d/ by '200'"));
    }

    [Fact]
    public async Task An_AWS_lambda_integration_gets_the_templated_event_and_its_answer_and_errors_are_mapped()
    {
        var built = await Boto3Async("""
            code = '''
            def handler(event, context):
                if event.get("fail"):
                    raise ValueError("bad input: " + event["fail"])
                return {"greeting": "hello " + event["who"], "route": event["route"], "keys": sorted(event.keys())}
            '''
            fn = create("ws-aws-greeter", {"app.py": code}, Timeout=30)["FunctionArn"]
            lam.add_permission(FunctionName="ws-aws-greeter", StatementId="apigateway", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
            api = out["api"] = v2.create_api(Name="aws-ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
            integration = v2.create_integration(ApiId=api, IntegrationType="AWS", IntegrationUri=fn, TemplateSelectionExpression="\\$default",
                RequestTemplates={"$default": '{"who": "$input.path(\'$.name\')", "route": "$context.routeKey", "fail": $input.json(\'$.fail\')}'})
            out["selection"] = integration["IntegrationResponseSelectionExpression"]
            out["method"] = integration["IntegrationMethod"]
            v2.create_integration_response(ApiId=api, IntegrationId=integration["IntegrationId"], IntegrationResponseKey="$default",
                ResponseTemplates={"$default": '$input.path(\'$.greeting\') via $input.path(\'$.route\') #foreach($k in $input.path(\'$.keys\'))[$k]#end'})
            v2.create_integration_response(ApiId=api, IntegrationId=integration["IntegrationId"], IntegrationResponseKey="/bad input: .*/",
                ResponseTemplates={"$default": '{"refused": "$util.escapeJavaScript($input.path(\'$.errorMessage\'))"}'})
            two_way(api, "greet", integration["IntegrationId"])
            v2.create_stage(ApiId=api, StageName="prod", AutoDeploy=True)
            """);
        Assert.Equal("${integration.response.body.errorMessage}", built["selection"]!.GetValue<string>());
        Assert.Equal("POST", built["method"]!.GetValue<string>());

        using var socket = await ConnectAsync(built["api"]!.GetValue<string>());
        await SendTextAsync(socket, """{"action": "greet", "name": "grace"}""");
        Assert.Equal("hello grace via greet [fail][route][who]", await ReceiveTextAsync(socket));
        await SendTextAsync(socket, """{"action": "greet", "name": "x", "fail": "no name"}""");
        Assert.Equal("""{"refused": "bad input: no name"}""", await ReceiveTextAsync(socket));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
    }

    [Fact]
    public async Task HTTP_integrations_call_the_backend_with_mapped_parameters_and_HTTP_PROXY_hands_its_body_back()
    {
        using var backend = new RecordingBackend();
        var built = await Boto3Async($$"""
            api = out["api"] = v2.create_api(Name="http-ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
            http = v2.create_integration(ApiId=api, IntegrationType="HTTP", IntegrationUri="{{backend.BaseUrl}}/orders", IntegrationMethod="PUT",
                RequestParameters={"integration.request.header.x-connection": "context.connectionId", "integration.request.header.x-static": "'fixed'",
                                   "integration.request.querystring.item": "route.request.body.item"},
                RequestTemplates={"$default": '{"item": "$input.path(\'$.item\')", "stage": "$context.stage"}'})
            out["http"] = {k: http.get(k) for k in ["IntegrationMethod", "IntegrationResponseSelectionExpression", "RequestParameters"]}
            v2.create_integration_response(ApiId=api, IntegrationId=http["IntegrationId"], IntegrationResponseKey="/2\\d\\d/",
                ResponseTemplates={"$default": 'stored $input.path(\'$.stored\') ($input.path(\'$.method\'))'})
            v2.create_integration_response(ApiId=api, IntegrationId=http["IntegrationId"], IntegrationResponseKey="/4\\d\\d/",
                ResponseTemplates={"$default": 'rejected'})
            two_way(api, "order", http["IntegrationId"])
            proxy = v2.create_integration(ApiId=api, IntegrationType="HTTP_PROXY", IntegrationUri="{{backend.BaseUrl}}/echo", IntegrationMethod="POST")
            two_way(api, "$default", proxy["IntegrationId"])
            out["bad_mapping"] = error_of(lambda: v2.create_integration(ApiId=api, IntegrationType="HTTP", IntegrationUri="{{backend.BaseUrl}}/",
                IntegrationMethod="POST", RequestParameters={"integration.request.header.x": "request.header.y"}))
            v2.create_stage(ApiId=api, StageName="prod", AutoDeploy=True)
            """);
        Assert.Equal("PUT", built["http"]!["IntegrationMethod"]!.GetValue<string>());
        Assert.Equal("${integration.response.statuscode}", built["http"]!["IntegrationResponseSelectionExpression"]!.GetValue<string>());
        Assert.Equal("BadRequestException", built["bad_mapping"]!["code"]!.GetValue<string>());

        using var socket = await ConnectAsync(built["api"]!.GetValue<string>());
        await SendTextAsync(socket, """{"action": "order", "item": "book"}""");
        Assert.Equal("stored book (PUT)", await ReceiveTextAsync(socket));
        var call = backend.Requests.Single(r => r.Path == "/orders");
        Assert.Equal("book", call.Query);
        Assert.Equal("fixed", call.Static);
        Assert.False(string.IsNullOrEmpty(call.Connection));
        Assert.Equal("""{"item": "book", "stage": "prod"}""", call.Body);

        await SendTextAsync(socket, """{"action": "order", "item": "reject"}""");
        Assert.Equal("rejected", await ReceiveTextAsync(socket));

        // HTTP_PROXY: the message goes to the backend as it is, and the backend's body comes back on the two-way route.
        await SendTextAsync(socket, "plain text, no action");
        Assert.Equal("echo:plain text, no action", await ReceiveTextAsync(socket));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
    }

    [Fact]
    public async Task A_CloudFormation_stack_makes_a_mock_route_with_an_integration_response()
    {
        var stack = await Boto3Async("""
            cf = client("cloudformation")
            template = {"Resources": {
                "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": "cfn-mock-ws", "ProtocolType": "WEBSOCKET",
                        "RouteSelectionExpression": "$request.body.action"}},
                "Integration": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {"ApiId": {"Ref": "Api"}, "IntegrationType": "MOCK",
                                "TemplateSelectionExpression": "\\$default", "RequestTemplates": {"$default": "{\"statusCode\": 200}"}}},
                "IntegrationResponse": {"Type": "AWS::ApiGatewayV2::IntegrationResponse", "Properties": {"ApiId": {"Ref": "Api"},
                        "IntegrationId": {"Ref": "Integration"}, "IntegrationResponseKey": "$default",
                        "ResponseTemplates": {"$default": "{\"from\": \"stack\", \"route\": \"$context.routeKey\"}"}}},
                "Route": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {"ApiId": {"Ref": "Api"}, "RouteKey": "$default",
                          "RouteResponseSelectionExpression": "$default", "Target": {"Fn::Join": ["/", ["integrations", {"Ref": "Integration"}]]}}},
                "RouteResponse": {"Type": "AWS::ApiGatewayV2::RouteResponse", "Properties": {"ApiId": {"Ref": "Api"}, "RouteId": {"Ref": "Route"},
                                  "RouteResponseKey": "$default"}},
                "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "DependsOn": ["RouteResponse", "IntegrationResponse"],
                          "Properties": {"ApiId": {"Ref": "Api"}, "StageName": "prod", "AutoDeploy": True}}},
                "Outputs": {"Api": {"Value": {"Ref": "Api"}}, "IntegrationResponse": {"Value": {"Ref": "IntegrationResponse"}},
                            "Integration": {"Value": {"Ref": "Integration"}}}}
            cf.create_stack(StackName="ws-mock-stack", TemplateBody=json.dumps(template))
            cf.get_waiter("stack_create_complete").wait(StackName="ws-mock-stack", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            outputs = {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName="ws-mock-stack")["Stacks"][0]["Outputs"]}
            out["api"] = outputs["Api"]
            out["key"] = v2.get_integration_response(ApiId=outputs["Api"], IntegrationId=outputs["Integration"],
                IntegrationResponseId=outputs["IntegrationResponse"])["IntegrationResponseKey"]
            """);
        Assert.Equal("$default", stack["key"]!.GetValue<string>());
        using var socket = await ConnectAsync(stack["api"]!.GetValue<string>());
        await SendTextAsync(socket, """{"n": 1}""");
        // A mock's answer has no body: the response template makes the whole message, here from $context.
        Assert.Equal("""{"from": "stack", "route": "$default"}""", await ReceiveTextAsync(socket));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);

        var deleted = await Boto3Async("""
            cf = client("cloudformation")
            cf.delete_stack(StackName="ws-mock-stack")
            cf.get_waiter("stack_delete_complete").wait(StackName="ws-mock-stack", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["apis"] = [a["Name"] for a in v2.get_apis()["Items"]]
            """);
        Assert.DoesNotContain("cfn-mock-ws", deleted["apis"]!.AsArray().Select(a => a!.GetValue<string>()));
    }

    /// <summary>A loopback backend: /orders answers 200 with what it stored (400 for item "reject"), /echo answers the body it got.</summary>
    private sealed class RecordingBackend : LoopbackHttpServer
    {
        public sealed record Call(string Path, string? Query, string? Static, string? Connection, string Body);

        private readonly ConcurrentQueue<Call> _requests = new();

        public IReadOnlyList<Call> Requests => [.. _requests];

        protected override async Task<byte[]> AnswerAsync(HttpListenerContext context)
        {
            var request = context.Request;
            var body = await BodyAsync(request);
            _requests.Enqueue(new Call(request.Url!.AbsolutePath, request.QueryString["item"], request.Headers["x-static"], request.Headers["x-connection"], body));
            if (request.Url.AbsolutePath == "/echo") return Encoding.UTF8.GetBytes("echo:" + body);
            var item = request.QueryString["item"];
            context.Response.StatusCode = item == "reject" ? 400 : 200;
            context.Response.ContentType = "application/json";
            return Encoding.UTF8.GetBytes(new JsonObject { ["stored"] = item, ["method"] = request.HttpMethod }.ToJsonString());
        }
    }
}
