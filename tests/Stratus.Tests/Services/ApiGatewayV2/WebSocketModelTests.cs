using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.ApiGatewayV2;

/// <summary>
/// WebSocket APIs' models end to end: CreateModel and its siblings through boto3, GetModelTemplate, a route whose RequestModels reject a
/// message that breaks the schema with AWS's "Invalid request body" (the function never sees it), and AWS::ApiGatewayV2::Model and a
/// WebSocket AWS::ApiGatewayV2::Authorizer made by a stack.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class WebSocketModelTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Functions = LambdaScripts.Prelude + """
        ECHO = '''
        def handler(event, context):
            return {"statusCode": 200, "body": "accepted:" + event["body"]}
        '''
        v2 = client("apigatewayv2")
        def error_of(call):
            try:
                call()
                return None
            except Exception as e:
                return {"code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
        SCHEMA = json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["action", "text"],
                             "properties": {"action": {"type": "string"}, "text": {"type": "string", "maxLength": 10}}})

        """;

    [Fact]
    public async Task Request_models_reject_messages_that_break_their_schema()
    {
        var built = await Clients.Boto3Async(stratus.Url, Functions + """
            fn = create("ws-model-echo", {"app.py": ECHO}, Timeout=30)["FunctionArn"]
            lam.add_permission(FunctionName="ws-model-echo", StatementId="apigateway", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
            out["api"] = api = v2.create_api(Name="modelled", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
            model = v2.create_model(ApiId=api, Name="Chat", ContentType="application/json", Schema=SCHEMA)
            out["model"] = v2.get_model(ApiId=api, ModelId=model["ModelId"])
            out["models"] = [m["Name"] for m in v2.get_models(ApiId=api)["Items"]]
            out["updated"] = v2.update_model(ApiId=api, ModelId=model["ModelId"], Description="a chat message")["Description"]
            out["template"] = v2.get_model_template(ApiId=api, ModelId=model["ModelId"])["Value"]
            out["duplicate"] = error_of(lambda: v2.create_model(ApiId=api, Name="Chat", Schema=SCHEMA))
            out["not_json"] = error_of(lambda: v2.create_model(ApiId=api, Name="Broken", Schema="not json"))
            out["http"] = error_of(lambda: v2.create_model(ApiId=v2.create_api(Name="h", ProtocolType="HTTP")["ApiId"], Name="M", Schema=SCHEMA))
            integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn)["IntegrationId"]
            out["unknown_model"] = error_of(lambda: v2.create_route(ApiId=api, RouteKey="other", RequestModels={"$default": "Nosuch"},
                Target="integrations/" + integration))
            route = v2.create_route(ApiId=api, RouteKey="send", RequestModels={"$default": "Chat"}, Target="integrations/" + integration,
                RouteResponseSelectionExpression="$default")
            out["route_models"] = route["RequestModels"]
            v2.create_route_response(ApiId=api, RouteId=route["RouteId"], RouteResponseKey="$default", ResponseModels={"$default": "Chat"})
            out["in_use"] = error_of(lambda: v2.delete_model(ApiId=api, ModelId=model["ModelId"]))
            v2.create_stage(ApiId=api, StageName="prod", AutoDeploy=True)
            """);
        var apiId = built["api"]!.GetValue<string>();
        Assert.Equal("Chat", built["model"]!["Name"]!.GetValue<string>());
        Assert.Contains("maxLength", built["model"]!["Schema"]!.GetValue<string>());
        Assert.Equal("""["Chat"]""", built["models"]!.ToJsonString());
        Assert.Equal("a chat message", built["updated"]!.GetValue<string>());
        Assert.Contains("$inputRoot", built["template"]!.GetValue<string>());
        Assert.Equal("ConflictException", built["duplicate"]!["code"]!.GetValue<string>());
        Assert.Equal(400, built["not_json"]!["status"]!.GetValue<int>());
        Assert.Equal(400, built["http"]!["status"]!.GetValue<int>());
        Assert.Equal(400, built["unknown_model"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"$default":"Chat"}""", built["route_models"]!.ToJsonString());
        Assert.Equal("ConflictException", built["in_use"]!["code"]!.GetValue<string>());

        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{stratus.Server.Port}/_aws/execute-api/{apiId}/prod"), CancellationToken.None);
        Assert.Equal("""accepted:{"action":"send","text":"hi"}""", await AskAsync(socket, """{"action":"send","text":"hi"}"""));
        foreach (var broken in new[] { """{"action":"send","text":"far too long for it"}""", """{"action":"send"}""" })
        {
            var refused = JsonNode.Parse(await AskAsync(socket, broken))!;
            Assert.Equal("Invalid request body", refused["message"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(refused["connectionId"]!.GetValue<string>()));
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
    }

    [Fact]
    public async Task A_stack_makes_websocket_models_and_authorizers()
    {
        var made = await Clients.Boto3Async(stratus.Url, Functions + """
            template = {"Resources": {
                "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": "stacked", "ProtocolType": "WEBSOCKET",
                        "RouteSelectionExpression": "$request.body.action", "ApiKeySelectionExpression": "$context.authorizer.usageIdentifierKey"}},
                "Model": {"Type": "AWS::ApiGatewayV2::Model", "Properties": {"ApiId": {"Ref": "Api"}, "Name": "Chat", "Schema": json.loads(SCHEMA)}},
                "Authorizer": {"Type": "AWS::ApiGatewayV2::Authorizer", "Properties": {"ApiId": {"Ref": "Api"}, "Name": "tokens", "AuthorizerType": "REQUEST",
                               "AuthorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:auth/invocations",
                               "IdentitySource": ["route.request.querystring.token"]}},
                "Connect": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {"ApiId": {"Ref": "Api"}, "RouteKey": "$connect",
                            "AuthorizationType": "CUSTOM", "AuthorizerId": {"Ref": "Authorizer"}}}},
                "Outputs": {"ApiId": {"Value": {"Ref": "Api"}}, "ModelId": {"Value": {"Ref": "Model"}}, "AuthorizerId": {"Value": {"Ref": "Authorizer"}}}}
            cf = client("cloudformation")
            cf.create_stack(StackName="ws-models", TemplateBody=json.dumps(template))
            cf.get_waiter("stack_create_complete").wait(StackName="ws-models", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            outputs = {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName="ws-models")["Stacks"][0]["Outputs"]}
            api = outputs["ApiId"]
            out["selection"] = v2.get_api(ApiId=api)["ApiKeySelectionExpression"]
            out["model"] = v2.get_model(ApiId=api, ModelId=outputs["ModelId"])["Name"]
            out["authorizer"] = v2.get_authorizer(ApiId=api, AuthorizerId=outputs["AuthorizerId"])["IdentitySource"]
            out["route"] = [r["AuthorizationType"] for r in v2.get_routes(ApiId=api)["Items"]]
            """);
        Assert.Equal("$context.authorizer.usageIdentifierKey", made["selection"]!.GetValue<string>());
        Assert.Equal("Chat", made["model"]!.GetValue<string>());
        Assert.Equal("""["route.request.querystring.token"]""", made["authorizer"]!.ToJsonString());
        Assert.Equal("""["CUSTOM"]""", made["route"]!.ToJsonString());
    }

    private static async Task<string> AskAsync(ClientWebSocket socket, string text)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var buffer = new byte[16 * 1024];
        var length = 0;
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
            Assert.NotEqual(WebSocketMessageType.Close, received.MessageType);
            length += received.Count;
            if (received.EndOfMessage) return Encoding.UTF8.GetString(buffer, 0, length);
        }
    }
}
