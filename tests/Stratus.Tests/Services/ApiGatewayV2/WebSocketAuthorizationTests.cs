using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.ApiGatewayV2;

/// <summary>
/// WebSocket APIs' authorization at the upgrade, end to end with boto3 and .NET's ClientWebSocket: a Lambda REQUEST authorizer on
/// $connect (401 without the identity source, 403 on its Deny, 500 when it fails, its context in every later route's event, its answer
/// cached by identity), AWS_IAM (an unsigned upgrade is 403, a presigned one connects) and API keys checked against API Gateway's usage
/// plans (403 without a valid key, 429 once the quota is spent).
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class WebSocketAuthorizationTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private const string Functions = LambdaScripts.Prelude + """
        AUTHORIZER = '''
        import boto3, json
        def handler(event, context):
            token = event["headers"].get("Auth")
            ssm = boto3.client("ssm")
            ssm.put_parameter(Name="/wsauth/event", Type="String", Overwrite=True, Value=json.dumps(event))
            name = "/wsauth/calls/" + token
            try:
                calls = int(ssm.get_parameter(Name=name)["Parameter"]["Value"])
            except ssm.exceptions.ParameterNotFound:
                calls = 0
            ssm.put_parameter(Name=name, Type="String", Overwrite=True, Value=str(calls + 1))
            if token == "boom":
                raise Exception("the authorizer failed")
            effect = "Deny" if token == "deny" else "Allow"
            return {"principalId": "p-" + token, "context": {"user": token}, "usageIdentifierKey": (event.get("queryStringParameters") or {}).get("key"),
                    "policyDocument": {"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]}}
        '''
        WHOAMI = '''
        import json
        def handler(event, context):
            ctx = event["requestContext"]
            return {"statusCode": 200, "body": json.dumps({"authorizer": ctx.get("authorizer"), "identity": ctx["identity"]})}
        '''
        OPEN = '''
        def handler(event, context):
            return {"statusCode": 200}
        '''
        v2 = client("apigatewayv2")
        ssm = client("ssm")
        def function(name, code):
            arn = create(name, {"app.py": code}, Timeout=30)["FunctionArn"]
            lam.add_permission(FunctionName=name, StatementId="apigateway", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
            return arn
        def integration(api, fn):
            return v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn)["IntegrationId"]
        def two_way(api, key, fn):
            route = v2.create_route(ApiId=api, RouteKey=key, Target="integrations/" + integration(api, fn), RouteResponseSelectionExpression="$default")
            v2.create_route_response(ApiId=api, RouteId=route["RouteId"], RouteResponseKey="$default")
        def websocket(name, **kw):
            return v2.create_api(Name=name, ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action", **kw)["ApiId"]
        def error_of(call):
            try:
                call()
                return None
            except Exception as e:
                return {"code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"], "message": e.response["Error"].get("Message")}

        """;

    private Task<JsonObject> Boto3Async(string script) => Clients.Boto3Async(stratus.Url, Functions + script);

    private Uri SocketUri(string apiId, string query = "") => new($"ws://127.0.0.1:{stratus.Server.Port}/_aws/execute-api/{apiId}/prod{query}");

    /// <summary>The status an upgrade is refused with.</summary>
    private static async Task<HttpStatusCode> RefusedAsync(Uri uri, params (string Name, string Value)[] headers)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        foreach (var (name, value) in headers) socket.Options.SetRequestHeader(name, value);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));
        return socket.HttpStatusCode;
    }

    private static async Task<ClientWebSocket> ConnectAsync(Uri uri, params (string Name, string Value)[] headers)
    {
        var socket = new ClientWebSocket();
        foreach (var (name, value) in headers) socket.Options.SetRequestHeader(name, value);
        await socket.ConnectAsync(uri, CancellationToken.None);
        return socket;
    }

    /// <summary>Sends a message to the two-way $default route and reads its answer.</summary>
    private static async Task<JsonNode> AskAsync(ClientWebSocket socket, string text)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[64 * 1024];
        var length = 0;
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
            Assert.NotEqual(WebSocketMessageType.Close, received.MessageType);
            length += received.Count;
            if (received.EndOfMessage) return JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, length))!;
        }
    }

    private static Task CloseAsync(ClientWebSocket socket) => socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);

    [Fact]
    public async Task Lambda_request_authorizer_on_connect_refuses_allows_caches_and_passes_its_context_on()
    {
        var built = await Boto3Async("""
            out["api"] = api = websocket("authorized")
            authorizer_fn = function("ws-authorizer", AUTHORIZER)
            uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + authorizer_fn + "/invocations"
            authorizer = v2.create_authorizer(ApiId=api, Name="tokens", AuthorizerType="REQUEST", AuthorizerUri=uri,
                IdentitySource=["route.request.header.Auth"], AuthorizerResultTtlInSeconds=300)
            out["authorizer"] = v2.get_authorizer(ApiId=api, AuthorizerId=authorizer["AuthorizerId"])
            v2.create_route(ApiId=api, RouteKey="$connect", AuthorizationType="CUSTOM", AuthorizerId=authorizer["AuthorizerId"],
                Target="integrations/" + integration(api, function("ws-open", OPEN)))
            two_way(api, "$default", function("ws-whoami", WHOAMI))
            v2.create_stage(ApiId=api, StageName="prod", AutoDeploy=True)
            out["jwt"] = error_of(lambda: v2.create_authorizer(ApiId=api, Name="jwt", AuthorizerType="JWT", IdentitySource=["route.request.header.Auth"],
                JwtConfiguration={"Issuer": "https://issuer.example", "Audience": ["a"]}))
            out["no_uri"] = error_of(lambda: v2.create_authorizer(ApiId=api, Name="x", AuthorizerType="REQUEST", IdentitySource=["route.request.header.Auth"]))
            out["http_syntax"] = error_of(lambda: v2.create_authorizer(ApiId=api, Name="x", AuthorizerType="REQUEST", AuthorizerUri=uri,
                IdentitySource=["$request.header.Auth"]))
            out["payload_format"] = error_of(lambda: v2.create_authorizer(ApiId=api, Name="x", AuthorizerType="REQUEST", AuthorizerUri=uri, IdentitySource=["route.request.header.Auth"],
                AuthorizerPayloadFormatVersion="2.0"))
            out["custom_elsewhere"] = error_of(lambda: v2.create_route(ApiId=api, RouteKey="other", AuthorizationType="CUSTOM",
                AuthorizerId=authorizer["AuthorizerId"]))
            """);
        var apiId = built["api"]!.GetValue<string>();
        Assert.Equal("REQUEST", built["authorizer"]!["AuthorizerType"]!.GetValue<string>());
        Assert.Equal("""["route.request.header.Auth"]""", built["authorizer"]!["IdentitySource"]!.ToJsonString());
        Assert.Equal(300, built["authorizer"]!["AuthorizerResultTtlInSeconds"]!.GetValue<int>());
        foreach (var refused in new[] { "jwt", "no_uri", "http_syntax", "payload_format", "custom_elsewhere" })
            Assert.Equal(400, built[refused]!["status"]!.GetValue<int>());

        // No identity source: 401 without calling the authorizer; its Deny: 403; its failure: 500.
        Assert.Equal(HttpStatusCode.Unauthorized, await RefusedAsync(SocketUri(apiId)));
        Assert.Equal(HttpStatusCode.Forbidden, await RefusedAsync(SocketUri(apiId), ("Auth", "deny")));
        Assert.Equal(HttpStatusCode.InternalServerError, await RefusedAsync(SocketUri(apiId), ("Auth", "boom")));

        // Allowed: the authorizer's context and principalId reach every later route's event as requestContext.authorizer.
        using (var socket = await ConnectAsync(SocketUri(apiId, "?room=1"), ("Auth", "alice")))
        {
            var answer = await AskAsync(socket, "who am I");
            Assert.Equal("alice", answer["authorizer"]!["user"]!.GetValue<string>());
            Assert.Equal("p-alice", answer["authorizer"]!["principalId"]!.GetValue<string>());
            await CloseAsync(socket);
        }
        // A second connection with the same identity is authorized from the cache (AuthorizerResultTtlInSeconds 300).
        using (var again = await ConnectAsync(SocketUri(apiId), ("Auth", "alice")))
        {
            Assert.Equal("alice", (await AskAsync(again, "again"))["authorizer"]!["user"]!.GetValue<string>());
            await CloseAsync(again);
        }

        var recorded = await Boto3Async("""
            out["event"] = json.loads(ssm.get_parameter(Name="/wsauth/event")["Parameter"]["Value"])
            out["alice_calls"] = ssm.get_parameter(Name="/wsauth/calls/alice")["Parameter"]["Value"]
            """);
        var @event = recorded["event"]!;
        Assert.Equal("REQUEST", @event["type"]!.GetValue<string>());
        Assert.Equal($"arn:aws:execute-api:us-east-1:000000000000:{apiId}/prod/$connect", @event["methodArn"]!.GetValue<string>());
        Assert.Equal("alice", @event["headers"]!["Auth"]!.GetValue<string>());
        Assert.Equal("1", @event["queryStringParameters"]!["room"]!.GetValue<string>());
        Assert.Equal("$connect", @event["requestContext"]!["routeKey"]!.GetValue<string>());
        Assert.Equal("CONNECT", @event["requestContext"]!["eventType"]!.GetValue<string>());
        Assert.Equal("1", recorded["alice_calls"]!.GetValue<string>());
    }

    [Fact]
    public async Task Aws_iam_connect_refuses_an_unsigned_upgrade_and_takes_a_presigned_one()
    {
        var built = await Boto3Async("""
            from botocore.auth import SigV4QueryAuth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            out["api"] = api = websocket("iam")
            v2.create_route(ApiId=api, RouteKey="$connect", AuthorizationType="AWS_IAM", Target="integrations/" + integration(api, function("ws-iam-open", OPEN)))
            two_way(api, "$default", function("ws-iam-whoami", WHOAMI))
            v2.create_stage(ApiId=api, StageName="prod", AutoDeploy=True)
            url = URL.rstrip("/") + f"/_aws/execute-api/{api}/prod"
            request = AWSRequest(method="GET", url=url)
            SigV4QueryAuth(Credentials("AKIDWEBSOCKETTEST01", "secret"), "execute-api", "us-east-1", expires=300).add_auth(request)
            out["presigned"] = request.url
            """);
        var apiId = built["api"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Forbidden, await RefusedAsync(SocketUri(apiId)));

        var presigned = new UriBuilder(built["presigned"]!.GetValue<string>()) { Scheme = "ws" }.Uri;
        using var socket = await ConnectAsync(presigned);
        var identity = (await AskAsync(socket, "who am I"))["identity"]!;
        Assert.Equal("AKIDWEBSOCKETTEST01", identity["accessKey"]!.GetValue<string>());
        await CloseAsync(socket);
    }

    [Fact]
    public async Task Api_key_on_connect_is_checked_against_usage_plans_with_their_quota()
    {
        var built = await Boto3Async("""
            apigw = client("apigateway")
            out["api"] = api = websocket("keyed")
            v2.create_route(ApiId=api, RouteKey="$connect", ApiKeyRequired=True, Target="integrations/" + integration(api, function("ws-key-open", OPEN)))
            two_way(api, "$default", function("ws-key-whoami", WHOAMI))
            v2.create_stage(ApiId=api, StageName="prod", AutoDeploy=True)
            key = apigw.create_api_key(name="ws-key", enabled=True)
            out["key"] = key["value"]
            plan = apigw.create_usage_plan(name="ws-plan", apiStages=[{"apiId": api, "stage": "prod"}], quota={"limit": 2, "period": "DAY"})
            apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
            out["plan_key"] = plan["id"]
            out["by_authorizer"] = by_authorizer = websocket("keyed-by-authorizer", ApiKeySelectionExpression="$context.authorizer.usageIdentifierKey")
            authorizer_uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + function("ws-key-authorizer", AUTHORIZER) + "/invocations"
            authorizer = v2.create_authorizer(ApiId=by_authorizer, Name="keys", AuthorizerType="REQUEST", AuthorizerUri=authorizer_uri,
                IdentitySource=["route.request.header.Auth"])
            v2.create_route(ApiId=by_authorizer, RouteKey="$connect", AuthorizationType="CUSTOM", AuthorizerId=authorizer["AuthorizerId"], ApiKeyRequired=True,
                Target="integrations/" + integration(by_authorizer, function("ws-key-open-2", OPEN)))
            two_way(by_authorizer, "$default", function("ws-key-whoami-2", WHOAMI))
            v2.create_stage(ApiId=by_authorizer, StageName="prod", AutoDeploy=True)
            by_authorizer_plan = apigw.create_usage_plan(name="ws-plan-2", apiStages=[{"apiId": by_authorizer, "stage": "prod"}])
            apigw.create_usage_plan_key(usagePlanId=by_authorizer_plan["id"], keyId=key["id"], keyType="API_KEY")
            out["no_stage"] = error_of(lambda: apigw.create_usage_plan(name="bad", apiStages=[{"apiId": api, "stage": "nosuch"}]))
            out["other_route"] = error_of(lambda: v2.create_route(ApiId=api, RouteKey="other", ApiKeyRequired=True))
            out["bad_selection"] = error_of(lambda: websocket("bad", ApiKeySelectionExpression="$request.header.other"))
            """);
        var apiId = built["api"]!.GetValue<string>();
        var key = built["key"]!.GetValue<string>();
        Assert.Equal(400, built["no_stage"]!["status"]!.GetValue<int>());
        Assert.Equal(400, built["other_route"]!["status"]!.GetValue<int>());
        Assert.Equal(400, built["bad_selection"]!["status"]!.GetValue<int>());

        Assert.Equal(HttpStatusCode.Forbidden, await RefusedAsync(SocketUri(apiId)));
        Assert.Equal(HttpStatusCode.Forbidden, await RefusedAsync(SocketUri(apiId), ("x-api-key", "not-a-key")));
        for (var i = 0; i < 2; i++)
        {
            using var socket = await ConnectAsync(SocketUri(apiId), ("x-api-key", key));
            Assert.Equal(key, (await AskAsync(socket, "key?"))["identity"]!["apiKey"]!.GetValue<string>());
            await CloseAsync(socket);
        }
        // The plan's quota (2 a day) is spent: AWS's 429.
        Assert.Equal(HttpStatusCode.TooManyRequests, await RefusedAsync(SocketUri(apiId), ("x-api-key", key)));

        // With $context.authorizer.usageIdentifierKey the key is the one the authorizer's answer names, not a header.
        var byAuthorizer = built["by_authorizer"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Forbidden, await RefusedAsync(SocketUri(byAuthorizer), ("Auth", "bob"), ("x-api-key", key)));
        using var named = await ConnectAsync(SocketUri(byAuthorizer, $"?key={Uri.EscapeDataString(key)}"), ("Auth", "bob"));
        Assert.Equal(key, (await AskAsync(named, "key?"))["identity"]!["apiKey"]!.GetValue<string>());
        await CloseAsync(named);
    }
}
