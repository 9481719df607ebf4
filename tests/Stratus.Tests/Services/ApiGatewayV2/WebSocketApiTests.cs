using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.ApiGatewayV2;

/// <summary>
/// WebSocket APIs end to end: built with boto3's apigatewayv2 client, connected to with .NET's ClientWebSocket on the path form,
/// with Python functions behind $connect, $disconnect, $default and a custom route that answers through PostToConnection.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class WebSocketApiTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>
    /// $connect records its event in SSM and refuses ?deny=1 with 403; $disconnect records its own; "echo" answers through
    /// PostToConnection with boto3 inside the function (at the stage's connection URL, or at AWS_ENDPOINT_URL alone); $default echoes
    /// its body back as a two-way route.
    /// </summary>
    private const string Functions = LambdaScripts.Prelude + """
        CONNECT = '''
        import boto3, json
        def handler(event, context):
            if (event.get("queryStringParameters") or {}).get("deny") == "1":
                return {"statusCode": 403}
            boto3.client("ssm").put_parameter(Name="/ws/connect", Type="String", Overwrite=True, Value=json.dumps(event))
            return {"statusCode": 200}
        '''
        DISCONNECT = '''
        import boto3, json
        def handler(event, context):
            # A connection id is base64 and may hold '+', which a parameter name may not: the name carries it in hex.
            boto3.client("ssm").put_parameter(Name="/ws/disconnect/" + event["requestContext"]["connectionId"].encode().hex(),
                                              Type="String", Overwrite=True, Value=json.dumps(event["requestContext"]))
            return {"statusCode": 200}
        '''
        ECHO = '''
        import boto3, json, os
        def handler(event, context):
            ctx = event["requestContext"]
            message = json.loads(event["body"])
            if message.get("via") == "root":
                management = boto3.client("apigatewaymanagementapi")
            else:
                management = boto3.client("apigatewaymanagementapi",
                    endpoint_url=os.environ["AWS_ENDPOINT_URL"] + "/_aws/execute-api/" + ctx["apiId"] + "/" + ctx["stage"])
            connection = management.get_connection(ConnectionId=ctx["connectionId"])
            reply = {"echo": message["data"], "route": ctx["routeKey"], "eventType": ctx["eventType"], "sourceIp": connection["Identity"]["SourceIp"]}
            management.post_to_connection(ConnectionId=ctx["connectionId"], Data=json.dumps(reply).encode())
            return {"statusCode": 200, "body": "not sent: echo is one-way"}
        '''
        DEFAULT = '''
        def handler(event, context):
            if event["body"] == "fail":
                raise Exception("asked to fail")
            if event["body"] == "whoami":
                return {"statusCode": 200, "body": event["requestContext"]["connectionId"]}
            return {"statusCode": 200, "body": "default:" + event["body"]}
        '''
        v2 = client("apigatewayv2")
        ssm = client("ssm")
        def function(name, code):
            # Room for a cold start that imports boto3 on a loaded machine: AWS's default of 3 s is not.
            arn = create(name, {"app.py": code}, Timeout=30)["FunctionArn"]
            lam.add_permission(FunctionName=name, StatementId="apigateway", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
            return arn
        def route(api, key, fn):
            integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn)
            return v2.create_route(ApiId=api, RouteKey=key, Target="integrations/" + integration["IntegrationId"])
        def error_of(call):
            try:
                call()
                return None
            except Exception as e:
                return {"code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"], "message": e.response["Error"].get("Message")}

        """;

    private Task<JsonObject> Boto3Async(string script) => Clients.Boto3Async(stratus.Url, Functions + script);

    private Uri SocketUri(string apiId, string query = "") =>
        new($"ws://127.0.0.1:{stratus.Server.Port}/_aws/execute-api/{apiId}/prod{query}");

    private static async Task<string> ReceiveTextAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[256 * 1024];
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

    [Fact]
    public async Task Connect_route_messages_post_to_connection_and_disconnect_with_real_clients()
    {
        var built = await Boto3Async("""
            api = v2.create_api(Name="chat", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")
            out["api"] = api_id = api["ApiId"]
            out["selection"] = api["RouteSelectionExpression"]
            out["protocol"] = api["ProtocolType"]
            route(api_id, "$connect", function("ws-connect", CONNECT))
            route(api_id, "$disconnect", function("ws-disconnect", DISCONNECT))
            route(api_id, "echo", function("ws-echo", ECHO))
            default = route(api_id, "$default", function("ws-default", DEFAULT))
            v2.update_route(ApiId=api_id, RouteId=default["RouteId"], RouteResponseSelectionExpression="$default")
            response = v2.create_route_response(ApiId=api_id, RouteId=default["RouteId"], RouteResponseKey="$default")
            out["route_responses"] = [r["RouteResponseKey"] for r in v2.get_route_responses(ApiId=api_id, RouteId=default["RouteId"])["Items"]]
            out["route_response"] = v2.get_route_response(ApiId=api_id, RouteId=default["RouteId"], RouteResponseId=response["RouteResponseId"])["RouteResponseKey"]
            out["stage"] = v2.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)["StageName"]
            out["no_selection"] = error_of(lambda: v2.create_api(Name="x", ProtocolType="WEBSOCKET"))
            out["bad_key"] = error_of(lambda: v2.create_route(ApiId=api_id, RouteKey="$other"))
            out["integration_response"] = error_of(lambda: v2.create_integration_response(ApiId=api_id, IntegrationId="abc", IntegrationResponseKey="$default"))
            out["http_route_response"] = error_of(lambda: v2.create_route_response(ApiId=v2.create_api(Name="h", ProtocolType="HTTP")["ApiId"],
                RouteId="abc", RouteResponseKey="$default"))
            """);
        var apiId = built["api"]!.GetValue<string>();
        Assert.Equal("$request.body.action", built["selection"]!.GetValue<string>());
        Assert.Equal("WEBSOCKET", built["protocol"]!.GetValue<string>());
        Assert.Equal("""["$default"]""", built["route_responses"]!.ToJsonString());
        Assert.Equal("$default", built["route_response"]!.GetValue<string>());
        Assert.Equal("BadRequestException", built["no_selection"]!["code"]!.GetValue<string>());
        Assert.Equal("BadRequestException", built["bad_key"]!["code"]!.GetValue<string>());
        Assert.Equal("NotFoundException", built["integration_response"]!["code"]!.GetValue<string>());
        Assert.Equal("BadRequestException", built["http_route_response"]!["code"]!.GetValue<string>());

        // $connect answering 403 refuses the upgrade with that status.
        using (var refused = new ClientWebSocket())
        {
            refused.Options.CollectHttpResponseDetails = true;
            await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(SocketUri(apiId, "?deny=1"), CancellationToken.None));
            Assert.Equal(HttpStatusCode.Forbidden, refused.HttpStatusCode);
        }

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-Client", "t1");
        await socket.ConnectAsync(SocketUri(apiId, "?name=alice"), CancellationToken.None);

        var connected = await Boto3Async("""
            out["event"] = json.loads(ssm.get_parameter(Name="/ws/connect")["Parameter"]["Value"])
            """);
        var connectEvent = connected["event"]!;
        var context = connectEvent["requestContext"]!;
        var connectionId = context["connectionId"]!.GetValue<string>();
        Assert.Equal("$connect", context["routeKey"]!.GetValue<string>());
        Assert.Equal("CONNECT", context["eventType"]!.GetValue<string>());
        Assert.Equal("prod", context["stage"]!.GetValue<string>());
        Assert.Equal(apiId, context["apiId"]!.GetValue<string>());
        Assert.Equal($"{apiId}.execute-api.localhost", context["domainName"]!.GetValue<string>());
        Assert.True(context["connectedAt"]!.GetValue<long>() > 0);
        Assert.Equal("t1", connectEvent["headers"]!["X-Client"]!.GetValue<string>());
        Assert.Equal("alice", connectEvent["queryStringParameters"]!["name"]!.GetValue<string>());

        // The custom route answers through PostToConnection, at the stage's connection URL and at AWS_ENDPOINT_URL alone.
        await SendTextAsync(socket, """{"action":"echo","data":"hi"}""");
        var echoed = JsonNode.Parse(await ReceiveTextAsync(socket))!;
        Assert.Equal("hi", echoed["echo"]!.GetValue<string>());
        Assert.Equal("echo", echoed["route"]!.GetValue<string>());
        Assert.Equal("MESSAGE", echoed["eventType"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", echoed["sourceIp"]!.GetValue<string>());
        await SendTextAsync(socket, """{"action":"echo","data":"again","via":"root"}""");
        Assert.Equal("again", JsonNode.Parse(await ReceiveTextAsync(socket))!["echo"]!.GetValue<string>());

        // No route by that action, or no JSON at all: $default, a two-way route, answers on the socket; a failing function is AWS's error message.
        await SendTextAsync(socket, "plain text");
        Assert.Equal("default:plain text", await ReceiveTextAsync(socket));
        await SendTextAsync(socket, """{"action":"nosuch"}""");
        Assert.Equal("""default:{"action":"nosuch"}""", await ReceiveTextAsync(socket));
        await SendTextAsync(socket, "fail");
        var failure = JsonNode.Parse(await ReceiveTextAsync(socket))!;
        Assert.Equal("Internal server error", failure["message"]!.GetValue<string>());
        Assert.Equal(connectionId, failure["connectionId"]!.GetValue<string>());

        // The management API from outside: GetConnection, PostToConnection, and the 128 KB bound.
        var managed = await Boto3Async($$"""
            management = boto3.client("apigatewaymanagementapi", endpoint_url=URL + "/_aws/execute-api/{{apiId}}/prod", region_name="us-east-1")
            connection = management.get_connection(ConnectionId="{{connectionId}}")
            out["identity"] = connection["Identity"]
            out["connected_at"] = connection["ConnectedAt"].isoformat()
            management.post_to_connection(ConnectionId="{{connectionId}}", Data=b"from outside")
            out["too_large"] = error_of(lambda: management.post_to_connection(ConnectionId="{{connectionId}}", Data=b"x" * (128 * 1024 + 1)))
            out["unknown"] = error_of(lambda: management.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x"))
            """);
        Assert.Equal("127.0.0.1", managed["identity"]!["SourceIp"]!.GetValue<string>());
        Assert.Equal("from outside", await ReceiveTextAsync(socket));
        Assert.Equal("PayloadTooLargeException", managed["too_large"]!["code"]!.GetValue<string>());
        Assert.Equal(413, managed["too_large"]!["status"]!.GetValue<int>());
        Assert.Equal("GoneException", managed["unknown"]!["code"]!.GetValue<string>());

        // Closing runs $disconnect with the client's close status; the connection is then gone for the management API.
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        var gone = await Boto3Async($$"""
            import time
            name = "/ws/disconnect/" + "{{connectionId}}".encode().hex()
            deadline = time.time() + 60
            while True:
                try:
                    out["disconnect"] = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
                    break
                except ssm.exceptions.ParameterNotFound:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.2)
            management = boto3.client("apigatewaymanagementapi", endpoint_url=URL + "/_aws/execute-api/{{apiId}}/prod", region_name="us-east-1")
            out["post"] = error_of(lambda: management.post_to_connection(ConnectionId="{{connectionId}}", Data=b"late"))
            out["get"] = error_of(lambda: management.get_connection(ConnectionId="{{connectionId}}"))
            """);
        Assert.Equal("DISCONNECT", gone["disconnect"]!["eventType"]!.GetValue<string>());
        Assert.Equal("$disconnect", gone["disconnect"]!["routeKey"]!.GetValue<string>());
        Assert.Equal(1000, gone["disconnect"]!["disconnectStatusCode"]!.GetValue<int>());
        Assert.Equal("GoneException", gone["post"]!["code"]!.GetValue<string>());
        Assert.Equal(410, gone["post"]!["status"]!.GetValue<int>());
        Assert.Equal("GoneException", gone["get"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task DeleteConnection_closes_the_socket_from_the_server_and_an_oversized_message_closes_with_1009()
    {
        var built = await Boto3Async("""
            api = v2.create_api(Name="plain", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")
            out["api"] = api["ApiId"]
            route(api["ApiId"], "$default", function("ws-default2", DEFAULT))
            v2.create_stage(ApiId=api["ApiId"], StageName="prod", AutoDeploy=True)
            """);
        var apiId = built["api"]!.GetValue<string>();

        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(SocketUri(apiId), CancellationToken.None);
        // $default without a route response is one-way: this message gets no answer.
        await SendTextAsync(socket, "one-way");
        await Boto3Async($$"""
            api_id = "{{apiId}}"
            default = [r for r in v2.get_routes(ApiId=api_id)["Items"] if r["RouteKey"] == "$default"][0]
            v2.create_route_response(ApiId=api_id, RouteId=default["RouteId"], RouteResponseKey="$default")
            """);
        // The new deployment applies to the open connection: $default is now two-way, and the first answer read is this one's.
        await SendTextAsync(socket, "whoami");
        var connectionId = await ReceiveTextAsync(socket);
        Assert.Matches("^[A-Za-z0-9+/]{15}=$", connectionId);
        var deletion = await Boto3Async($$"""
            management = boto3.client("apigatewaymanagementapi", endpoint_url=URL, region_name="us-east-1")
            management.delete_connection(ConnectionId="{{connectionId}}")
            out["deleted"] = True
            """);
        Assert.True(deletion["deleted"]!.GetValue<bool>());
        using (var timeout = new CancellationTokenSource(Patience))
        {
            var close = await socket.ReceiveAsync(new byte[1024], timeout.Token);
            Assert.Equal(WebSocketMessageType.Close, close.MessageType);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        }

        using var oversized = new ClientWebSocket();
        await oversized.ConnectAsync(SocketUri(apiId), CancellationToken.None);
        await oversized.SendAsync(new byte[128 * 1024 + 1], WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        using var patience = new CancellationTokenSource(Patience);
        var closed = await oversized.ReceiveAsync(new byte[1024], patience.Token);
        Assert.Equal(WebSocketMessageType.Close, closed.MessageType);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, oversized.CloseStatus);
    }

    [Fact]
    public async Task A_CloudFormation_stack_makes_a_two_way_WebSocket_API()
    {
        var stack = await Boto3Async("""
            fn = function("ws-default-cfn", DEFAULT)
            template = {"Resources": {
                "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": "cfn-ws", "ProtocolType": "WEBSOCKET",
                                                                           "RouteSelectionExpression": "$request.body.action"}},
                "Integration": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {"ApiId": {"Ref": "Api"}, "IntegrationType": "AWS_PROXY",
                                                                                       "IntegrationUri": fn}},
                "Route": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {"ApiId": {"Ref": "Api"}, "RouteKey": "$default",
                          "RouteResponseSelectionExpression": "$default", "Target": {"Fn::Join": ["/", ["integrations", {"Ref": "Integration"}]]}}},
                "RouteResponse": {"Type": "AWS::ApiGatewayV2::RouteResponse", "Properties": {"ApiId": {"Ref": "Api"}, "RouteId": {"Ref": "Route"},
                                                                                            "RouteResponseKey": "$default"}},
                "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "DependsOn": "RouteResponse",
                          "Properties": {"ApiId": {"Ref": "Api"}, "StageName": "prod", "AutoDeploy": True}}},
                "Outputs": {"ApiId": {"Value": {"Ref": "Api"}}, "RouteResponseId": {"Value": {"Fn::GetAtt": ["RouteResponse", "RouteResponseId"]}}}}
            cf = client("cloudformation")
            cf.create_stack(StackName="ws-stack", TemplateBody=json.dumps(template))
            cf.get_waiter("stack_create_complete").wait(StackName="ws-stack", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            outputs = {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName="ws-stack")["Stacks"][0]["Outputs"]}
            out["api"] = outputs["ApiId"]
            out["route_response"] = outputs["RouteResponseId"]
            """);
        Assert.False(string.IsNullOrEmpty(stack["route_response"]!.GetValue<string>()));
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(SocketUri(stack["api"]!.GetValue<string>()), CancellationToken.None);
        await SendTextAsync(socket, "from a stack");
        Assert.Equal("default:from a stack", await ReceiveTextAsync(socket));
    }
}
