using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.ApiGateway;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.ApiGatewayV2;

/// <summary>
/// HTTP APIs end to end: built with boto3's apigatewayv2 client, called over real HTTP on the path form
/// (/_aws/execute-api/...) and the execute-api host form, with Python functions behind them.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class HttpApiTests(StratusFixture stratus) : IClassFixture<StratusFixture>, IDisposable
{
    private readonly HttpClient _http = new();

    public void Dispose() => _http.Dispose();

    /// <summary>Python helpers: an echo function answering the event it got (2.0 structured response), and API Gateway's permission to invoke it.</summary>
    private const string Functions = LambdaScripts.Prelude + """
        ECHO = '''
        import json
        def handler(event, context):
            return {"statusCode": 201, "headers": {"X-Echo": "yes"}, "cookies": ["session=s1; Path=/"], "body": json.dumps(event)}
        '''
        BARE = '''
        def handler(event, context):
            return {"hello": "world", "path": event.get("rawPath") or event.get("path")}
        '''
        V1 = '''
        import json
        def handler(event, context):
            return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(event)}
        '''
        AUTHORIZER = '''
        def handler(event, context):
            token = event["headers"].get("authorization")
            return {"isAuthorized": token == "letmein", "context": {"user": "u1", "source": event["identitySource"][0]}}
        '''
        v2 = client("apigatewayv2")
        def function(name, code):
            arn = create(name, {"app.py": code.replace("\n        ", "\n")})["FunctionArn"]
            lam.add_permission(FunctionName=name, StatementId="apigateway", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
            return arn

        """;

    private async Task<JsonObject> Boto3Async(string script) => await Clients.Boto3Async(stratus.Url, Functions + script);

    private static async Task<JsonObject> JsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    [Fact]
    public async Task Quick_create_serves_payload_2_0_on_the_path_form_to_urllib_and_HttpClient()
    {
        var created = await Boto3Async("""
            import urllib.request
            fn = function("v2-quick", ECHO)
            api = v2.create_api(Name="quick", ProtocolType="HTTP", Target=fn)
            out["api"] = api["ApiId"]
            out["endpoint"] = api["ApiEndpoint"]
            out["routes"] = [r["RouteKey"] for r in v2.get_routes(ApiId=api["ApiId"])["Items"]]
            out["stages"] = [(s["StageName"], s["AutoDeploy"]) for s in v2.get_stages(ApiId=api["ApiId"])["Items"]]
            request = urllib.request.Request(URL + "/_aws/execute-api/" + api["ApiId"] + "/hello/world?a=1&a=2&b=x",
                                             headers={"Cookie": "c1=v1; c2=v2", "X-Custom": "h1"})
            with urllib.request.urlopen(request) as r:
                out["status"] = r.status
                out["set_cookie"] = r.headers.get("Set-Cookie")
                out["echo"] = r.headers.get("X-Echo")
                out["event"] = json.loads(r.read())
            """);
        var apiId = created["api"]!.GetValue<string>();
        Assert.Equal($"http://{apiId}.execute-api.localhost:{stratus.Server.Port}", created["endpoint"]!.GetValue<string>());
        Assert.Equal("""["$default"]""", created["routes"]!.ToJsonString());
        Assert.Equal("""[["$default",true]]""", created["stages"]!.ToJsonString());
        Assert.Equal(201, created["status"]!.GetValue<int>());
        Assert.Equal("session=s1; Path=/", created["set_cookie"]!.GetValue<string>());
        Assert.Equal("yes", created["echo"]!.GetValue<string>());
        var @event = created["event"]!.AsObject();
        Assert.Equal("2.0", @event["version"]!.GetValue<string>());
        Assert.Equal("$default", @event["routeKey"]!.GetValue<string>());
        Assert.Equal("/hello/world", @event["rawPath"]!.GetValue<string>());
        Assert.Equal("a=1&a=2&b=x", @event["rawQueryString"]!.GetValue<string>());
        Assert.Equal("""["c1=v1","c2=v2"]""", @event["cookies"]!.ToJsonString());
        Assert.Equal("1,2", @event["queryStringParameters"]!["a"]!.GetValue<string>());
        Assert.Equal("h1", @event["headers"]!["x-custom"]!.GetValue<string>());
        Assert.Null(@event["headers"]!["cookie"]);
        Assert.False(@event["isBase64Encoded"]!.GetValue<bool>());
        var context = @event["requestContext"]!;
        Assert.Equal("GET", context["http"]!["method"]!.GetValue<string>());
        Assert.Equal("/hello/world", context["http"]!["path"]!.GetValue<string>());
        Assert.Equal("$default", context["stage"]!.GetValue<string>());
        Assert.Equal(apiId, context["apiId"]!.GetValue<string>());

        // The same URL from .NET's HttpClient, with a JSON body and a binary one.
        using var post = await _http.PostAsync($"{stratus.Url}/_aws/execute-api/{apiId}/items", new StringContent("""{"n":1}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        var posted = await JsonAsync(post);
        Assert.Equal("POST", posted["requestContext"]!["http"]!["method"]!.GetValue<string>());
        Assert.Equal("""{"n":1}""", posted["body"]!.GetValue<string>());
        Assert.Equal("", posted["rawQueryString"]!.GetValue<string>());
        Assert.False(posted["isBase64Encoded"]!.GetValue<bool>());
        var binary = new ByteArrayContent([0, 1, 2, 255]);
        binary.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var binaryPost = await _http.PostAsync($"{stratus.Url}/_aws/execute-api/{apiId}/blob", binary);
        var binaryEvent = await JsonAsync(binaryPost);
        Assert.True(binaryEvent["isBase64Encoded"]!.GetValue<bool>());
        Assert.Equal(Convert.ToBase64String([0, 1, 2, 255]), binaryEvent["body"]!.GetValue<string>());

        // The host form reaches the same API.
        using var byHost = new HttpRequestMessage(HttpMethod.Get, $"{stratus.Url}/via-host");
        byHost.Headers.Host = $"{apiId}.execute-api.localhost:{stratus.Server.Port}";
        using var hostResponse = await _http.SendAsync(byHost);
        Assert.Equal("/via-host", (await JsonAsync(hostResponse))["rawPath"]!.GetValue<string>());

        using var unknown = await _http.GetAsync($"{stratus.Url}/_aws/execute-api/{apiId}x/anything");
        Assert.Equal(HttpStatusCode.Forbidden, unknown.StatusCode);
    }

    [Fact]
    public async Task A_function_answering_without_statusCode_is_a_200_json_body()
    {
        var created = await Boto3Async("""
            out["api"] = v2.create_api(Name="bare", ProtocolType="HTTP", Target=function("v2-bare", BARE))["ApiId"]
            """);
        using var response = await _http.GetAsync($"{stratus.Url}/_aws/execute-api/{created["api"]}/p");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("""{"hello": "world", "path": "/p"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Jwt_authorizer_checks_signature_issuer_audience_and_scopes_against_the_issuers_jwks()
    {
        using var issuer = new JwksServer();
        var created = await Boto3Async($$"""
            fn = function("v2-jwt", ECHO)
            api = v2.create_api(Name="jwt", ProtocolType="HTTP")["ApiId"]
            integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn, PayloadFormatVersion="2.0")["IntegrationId"]
            authorizer = v2.create_authorizer(ApiId=api, Name="jwt", AuthorizerType="JWT", IdentitySource=["$request.header.Authorization"],
                JwtConfiguration={"Issuer": "{{issuer.Issuer}}", "Audience": ["stratus-tests"]})["AuthorizerId"]
            v2.create_route(ApiId=api, RouteKey="GET /secure", Target="integrations/" + integration, AuthorizationType="JWT", AuthorizerId=authorizer)
            v2.create_route(ApiId=api, RouteKey="GET /admin", Target="integrations/" + integration, AuthorizationType="JWT", AuthorizerId=authorizer,
                AuthorizationScopes=["admin"])
            v2.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
            out["api"] = api
            out["bad_authorizer"] = error(v2.create_authorizer, ApiId=api, Name="bad", AuthorizerType="JWT", IdentitySource=["$request.header.Authorization"])
            """);
        Assert.Equal(400, created["bad_authorizer"]!["status"]!.GetValue<int>());
        var url = $"{stratus.Url}/_aws/execute-api/{created["api"]}";

        async Task<HttpResponseMessage> GetAsync(string path, string? token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url + path);
            if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return await _http.SendAsync(request);
        }

        using var missing = await GetAsync("/secure", null);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("""{"message":"Unauthorized"}""", await missing.Content.ReadAsStringAsync());

        using var allowed = await GetAsync("/secure", issuer.Token(new JsonObject { ["sub"] = "alice", ["aud"] = "stratus-tests", ["scope"] = "read write" }));
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
        var jwt = (await JsonAsync(allowed))["requestContext"]!["authorizer"]!["jwt"]!;
        Assert.Equal("alice", jwt["claims"]!["sub"]!.GetValue<string>());
        Assert.Equal("""["read","write"]""", jwt["scopes"]!.ToJsonString());

        // AWS answers a token for another audience as an invalid token: 401, saying why in WWW-Authenticate.
        using var wrongAudience = await GetAsync("/secure", issuer.Token(new JsonObject { ["sub"] = "alice", ["aud"] = "someone-else" }));
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAudience.StatusCode);
        Assert.Contains("the token does not have a valid audience", wrongAudience.Headers.WwwAuthenticate.ToString());

        using var otherKey = System.Security.Cryptography.RSA.Create(2048);
        using var forged = await GetAsync("/secure", issuer.Token(new JsonObject { ["aud"] = "stratus-tests" }, otherKey));
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);

        using var expired = await GetAsync("/secure", issuer.Token(new JsonObject { ["aud"] = "stratus-tests", ["exp"] = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds() }));
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);

        // A valid token without the route's scope is forbidden, not unauthorized.
        using var noScope = await GetAsync("/admin", issuer.Token(new JsonObject { ["aud"] = "stratus-tests", ["scope"] = "read" }));
        Assert.Equal(HttpStatusCode.Forbidden, noScope.StatusCode);
        using var admin = await GetAsync("/admin", issuer.Token(new JsonObject { ["aud"] = "stratus-tests", ["scope"] = "admin" }));
        Assert.Equal(HttpStatusCode.Created, admin.StatusCode);
    }

    [Fact]
    public async Task Lambda_request_authorizer_with_simple_responses_allows_denies_and_passes_its_context()
    {
        var created = await Boto3Async("""
            fn = function("v2-authorized", ECHO)
            auth_fn = function("v2-authorizer", AUTHORIZER)
            api = v2.create_api(Name="lambda-auth", ProtocolType="HTTP")["ApiId"]
            integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn, PayloadFormatVersion="2.0")["IntegrationId"]
            authorizer = v2.create_authorizer(ApiId=api, Name="simple", AuthorizerType="REQUEST", IdentitySource=["$request.header.Authorization"],
                AuthorizerUri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + auth_fn + "/invocations",
                AuthorizerPayloadFormatVersion="2.0", EnableSimpleResponses=True, AuthorizerResultTtlInSeconds=0)["AuthorizerId"]
            v2.create_route(ApiId=api, RouteKey="ANY /{proxy+}", Target="integrations/" + integration, AuthorizationType="CUSTOM", AuthorizerId=authorizer)
            v2.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
            out["api"] = api
            """);
        var url = $"{stratus.Url}/_aws/execute-api/{created["api"]}/deep/path";
        async Task<HttpResponseMessage> GetAsync(string? authorization)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            return await _http.SendAsync(request);
        }
        using var missing = await GetAsync(null);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        using var denied = await GetAsync("wrong");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("""{"message":"Forbidden"}""", await denied.Content.ReadAsStringAsync());
        using var allowed = await GetAsync("letmein");
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
        var @event = await JsonAsync(allowed);
        Assert.Equal("deep/path", @event["pathParameters"]!["proxy"]!.GetValue<string>());
        Assert.Equal("u1", @event["requestContext"]!["authorizer"]!["lambda"]!["user"]!.GetValue<string>());
        Assert.Equal("letmein", @event["requestContext"]!["authorizer"]!["lambda"]!["source"]!.GetValue<string>());
    }

    [Fact]
    public async Task Cors_configuration_answers_preflights_and_adds_headers()
    {
        var created = await Boto3Async("""
            api = v2.create_api(Name="cors", ProtocolType="HTTP", Target=function("v2-cors", BARE),
                CorsConfiguration={"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"], "AllowHeaders": ["content-type", "x-token"],
                                   "ExposeHeaders": ["x-trace"], "MaxAge": 600, "AllowCredentials": True})
            out["api"] = api["ApiId"]
            out["cors"] = api["CorsConfiguration"]
            out["wildcard_with_credentials"] = error(v2.create_api, Name="bad", ProtocolType="HTTP",
                CorsConfiguration={"AllowOrigins": ["*"], "AllowCredentials": True})
            """);
        Assert.Equal(600, created["cors"]!["MaxAge"]!.GetValue<int>());
        Assert.Equal(400, created["wildcard_with_credentials"]!["status"]!.GetValue<int>());
        var url = $"{stratus.Url}/_aws/execute-api/{created["api"]}/things";

        using var preflight = new HttpRequestMessage(HttpMethod.Options, url);
        preflight.Headers.Add("Origin", "https://app.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        using var answer = await _http.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal("https://app.example", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("GET,POST", answer.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Equal("content-type,x-token", answer.Headers.GetValues("Access-Control-Allow-Headers").Single());
        Assert.Equal("600", answer.Headers.GetValues("Access-Control-Max-Age").Single());
        Assert.Equal("true", answer.Headers.GetValues("Access-Control-Allow-Credentials").Single());

        using var get = new HttpRequestMessage(HttpMethod.Get, url);
        get.Headers.Add("Origin", "https://app.example");
        using var response = await _http.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("https://app.example", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("x-trace", response.Headers.GetValues("Access-Control-Expose-Headers").Single());

        using var otherOrigin = new HttpRequestMessage(HttpMethod.Get, url);
        otherOrigin.Headers.Add("Origin", "https://evil.example");
        using var refused = await _http.SendAsync(otherOrigin);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Payload_1_0_and_http_proxy_integrations_on_a_named_stage_with_mapping_access_logs_and_metrics()
    {
        using var backend = new EchoHttpServer();
        var created = await Boto3Async($$"""
            logs = client("logs")
            logs.create_log_group(logGroupName="/http-api/access")
            fn = function("v2-format1", V1)
            api = v2.create_api(Name="v1-payload", ProtocolType="HTTP")["ApiId"]
            lambda_integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn, PayloadFormatVersion="1.0")["IntegrationId"]
            http_integration = v2.create_integration(ApiId=api, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                IntegrationUri="{{backend.BaseUrl}}/echo/{proxy}",
                RequestParameters={"overwrite:header.x-mapped": "$context.requestId", "append:querystring.stage": "$context.stage"})["IntegrationId"]
            v2.create_route(ApiId=api, RouteKey="GET /items/{id}", Target="integrations/" + lambda_integration)
            v2.create_route(ApiId=api, RouteKey="ANY /backend/{proxy+}", Target="integrations/" + http_integration)
            v2.create_stage(ApiId=api, StageName="prod", StageVariables={"color": "green"},
                AccessLogSettings={"DestinationArn": "arn:aws:logs:us-east-1:000000000000:log-group:/http-api/access",
                                   "Format": '{"requestId":"$context.requestId","routeKey":"$context.routeKey","status":"$context.status"}'})
            out["undeployed"] = v2.get_stage(ApiId=api, StageName="prod").get("DeploymentId")
            deployment = v2.create_deployment(ApiId=api, StageName="prod")
            out["deployment_status"] = deployment["DeploymentStatus"]
            out["api"] = api
            out["bad_mapping"] = error(v2.create_integration, ApiId=api, IntegrationType="HTTP_PROXY", IntegrationUri="http://127.0.0.1:1/",
                RequestParameters={"rewrite:header.x": "y"})
            """);
        Assert.Null(created["undeployed"]);
        Assert.Equal("DEPLOYED", created["deployment_status"]!.GetValue<string>());
        Assert.Equal(400, created["bad_mapping"]!["status"]!.GetValue<int>());
        var apiId = created["api"]!.GetValue<string>();

        using var item = await _http.GetAsync($"{stratus.Url}/_aws/execute-api/{apiId}/prod/items/7?q=a&q=b");
        Assert.Equal(HttpStatusCode.OK, item.StatusCode);
        var @event = await JsonAsync(item);
        Assert.Equal("1.0", @event["version"]!.GetValue<string>());
        Assert.Equal("/items/{id}", @event["resource"]!.GetValue<string>());
        Assert.Equal("GET", @event["httpMethod"]!.GetValue<string>());
        Assert.Equal("7", @event["pathParameters"]!["id"]!.GetValue<string>());
        Assert.Equal("""["a","b"]""", @event["multiValueQueryStringParameters"]!["q"]!.ToJsonString());
        Assert.Equal("green", @event["stageVariables"]!["color"]!.GetValue<string>());
        Assert.Equal("prod", @event["requestContext"]!["stage"]!.GetValue<string>());

        using var proxied = await _http.PostAsync($"{stratus.Url}/_aws/execute-api/{apiId}/prod/backend/a/b?x=1", new StringContent("payload"));
        Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
        var echo = await JsonAsync(proxied);
        Assert.Equal("/echo/a/b", echo["path"]!.GetValue<string>());
        Assert.Equal("POST", echo["method"]!.GetValue<string>());
        Assert.Equal("payload", echo["body"]!.GetValue<string>());
        Assert.Equal("prod", echo["query"]!["stage"]!.GetValue<string>());
        Assert.Equal(proxied.Headers.GetValues("apigw-requestid").Single(), echo["headers"]!["x-mapped"]!.GetValue<string>());

        using var notFound = await _http.GetAsync($"{stratus.Url}/_aws/execute-api/{apiId}/prod/nothing");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal("""{"message":"Not Found"}""", await notFound.Content.ReadAsStringAsync());

        var observed = await Boto3Async($$"""
            import datetime
            logs = client("logs")
            cw = client("cloudwatch")
            lines, count = [], 0
            for _ in range(40):
                lines = [json.loads(e["message"]) for e in logs.filter_log_events(logGroupName="/http-api/access")["events"]]
                now = datetime.datetime.now(datetime.timezone.utc)
                stats = cw.get_metric_statistics(Namespace="AWS/ApiGateway", MetricName="Count", StartTime=now - datetime.timedelta(minutes=10),
                    EndTime=now + datetime.timedelta(minutes=1), Period=60, Statistics=["Sum"],
                    Dimensions=[{"Name": "ApiId", "Value": "{{apiId}}"}, {"Name": "Stage", "Value": "prod"}])
                count = sum(p["Sum"] for p in stats["Datapoints"])
                if len(lines) >= 3 and count >= 3:
                    break
                time.sleep(0.25)
            out["lines"] = lines
            out["count"] = count
            """);
        var lines = observed["lines"]!.AsArray();
        Assert.Equal(3, lines.Count);
        Assert.Contains(lines, l => l!["routeKey"]!.GetValue<string>() == "GET /items/{id}" && l["status"]!.GetValue<string>() == "200");
        Assert.Contains(lines, l => l!["routeKey"]!.GetValue<string>() == "-" && l["status"]!.GetValue<string>() == "404");
        Assert.Equal(3, observed["count"]!.GetValue<double>());

        // The console lists the stage with its path-form URL.
        var console = await _http.GetStringAsync($"{stratus.Url}/_stratus/");
        Assert.Contains($"/_aws/execute-api/{apiId}/prod/", console);
    }

    [Fact]
    public async Task Rest_apis_answer_on_the_path_form_too()
    {
        var created = await Boto3Async("""
            apigw = client("apigateway")
            api = apigw.create_rest_api(name="rest-on-path-form")
            resource = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="ping")
            apigw.put_method(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", authorizationType="NONE")
            apigw.put_method_response(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", statusCode="200")
            apigw.put_integration(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", type="MOCK",
                requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.put_integration_response(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", statusCode="200",
                responseTemplates={"application/json": '{"pong": "$context.stage"}'})
            apigw.create_deployment(restApiId=api["id"], stageName="live")
            out["api"] = api["id"]
            """);
        using var response = await _http.GetAsync($"{stratus.Url}/_aws/execute-api/{created["api"]}/live/ping");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"pong": "live"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Import_export_round_trip_and_a_websocket_apis_export_refused()
    {
        var result = await Boto3Async("""
            fn = function("v2-import", BARE)
            definition = {
                "openapi": "3.0.1", "info": {"title": "imported", "version": "1.0"},
                "x-amazon-apigateway-cors": {"allowOrigins": ["*"], "allowMethods": ["GET"]},
                "paths": {"/pets/{id}": {"get": {"x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": fn, "payloadFormatVersion": "2.0", "httpMethod": "POST"}}}},
            }
            api = v2.import_api(Body=json.dumps(definition))
            out["name"] = api["Name"]
            out["routes"] = [r["RouteKey"] for r in v2.get_routes(ApiId=api["ApiId"])["Items"]]
            exported = v2.export_api(ApiId=api["ApiId"], Specification="OAS30", OutputType="YAML")["body"].read().decode()
            out["exported_has_route"] = "/pets/{id}:" in exported and "payloadFormatVersion: \"2.0\"" in exported
            v2.delete_route(ApiId=api["ApiId"], RouteId=v2.get_routes(ApiId=api["ApiId"])["Items"][0]["RouteId"])
            v2.reimport_api(ApiId=api["ApiId"], Body=exported)
            out["reimported"] = [r["RouteKey"] for r in v2.get_routes(ApiId=api["ApiId"])["Items"]]
            websocket = v2.create_api(Name="ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
            out["websocket"] = error(v2.export_api, ApiId=websocket, Specification="OAS30", OutputType="JSON")
            out["vpc_links"] = error(v2.get_vpc_links)
            out["missing"] = error(v2.get_api, ApiId="nosuchapi")
            """);
        Assert.Equal("imported", result["name"]!.GetValue<string>());
        Assert.Equal("""["GET /pets/{id}"]""", result["routes"]!.ToJsonString());
        Assert.True(result["exported_has_route"]!.GetValue<bool>());
        Assert.Equal("""["GET /pets/{id}"]""", result["reimported"]!.ToJsonString());
        Assert.Equal("BadRequestException", result["websocket"]!["code"]!.GetValue<string>());
        Assert.Contains("Export is supported only for HTTP APIs", result["websocket"]!["message"]!.GetValue<string>());
        Assert.Contains("GetVpcLinks", result["vpc_links"]!["message"]!.GetValue<string>());
        Assert.Equal("NotFoundException", result["missing"]!["code"]!.GetValue<string>());
    }
    [Fact]
    public async Task A_sam_http_api_template_deploys_and_its_url_output_answers_on_the_path_form()
    {
        var created = await Boto3Async("""
            cfn = client("cloudformation")
            template = {
                "Transform": "AWS::Serverless-2016-10-31",
                "Resources": {
                    "Hello": {"Type": "AWS::Serverless::Function", "Properties": {
                        "Runtime": "python3.12", "Handler": "index.handler",
                        "InlineCode": "import json\ndef handler(event, context):\n    return {'route': event['routeKey'], 'id': event.get('pathParameters', {}).get('id')}\n",
                        "Events": {"Item": {"Type": "HttpApi", "Properties": {"Path": "/items/{id}", "Method": "get"}}}}},
                },
                "Outputs": {
                    "ApiId": {"Value": {"Ref": "ServerlessHttpApi"}},
                    "Endpoint": {"Value": {"Fn::GetAtt": ["ServerlessHttpApi", "ApiEndpoint"]}},
                },
            }
            cfn.create_stack(StackName="sam-http-api", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
            for _ in range(240):
                stack = cfn.describe_stacks(StackName="sam-http-api")["Stacks"][0]
                if not stack["StackStatus"].endswith("IN_PROGRESS"):
                    break
                time.sleep(0.5)
            out["status"] = stack["StackStatus"]
            out["reason"] = [e.get("ResourceStatusReason") for e in cfn.describe_stack_events(StackName="sam-http-api")["StackEvents"] if "FAILED" in e["ResourceStatus"]]
            out["outputs"] = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
            """);
        Assert.True(created["status"]!.GetValue<string>() == "CREATE_COMPLETE", created.ToJsonString());
        var apiId = created["outputs"]!["ApiId"]!.GetValue<string>();
        Assert.Equal($"http://{apiId}.execute-api.localhost:{stratus.Server.Port}", created["outputs"]!["Endpoint"]!.GetValue<string>());

        using var response = await _http.GetAsync($"{stratus.Url}/_aws/execute-api/{apiId}/items/42");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"route": "GET /items/{id}", "id": "42"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ResetAuthorizersCache_drops_a_cached_answer_and_UpdateDeployment_and_DeleteAccessLogSettings_change_what_they_name()
    {
        var r = await Boto3Async("""
            import urllib.request, urllib.error
            def call(url, token):
                try:
                    with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": token})) as answer:
                        return answer.status
                except urllib.error.HTTPError as refused:
                    return refused.code
            fn = function("v2-cache-target", BARE)
            auth_fn = function("v2-cache-authorizer", "import os\ndef handler(event, context):\n    return {'isAuthorized': os.environ.get('MODE') == 'allow'}\n")
            lam.update_function_configuration(FunctionName="v2-cache-authorizer", Environment={"Variables": {"MODE": "allow"}})
            lam.get_waiter("function_updated").wait(FunctionName="v2-cache-authorizer")
            api = v2.create_api(Name="cached-auth", ProtocolType="HTTP", Target=fn, RouteKey="GET /items")["ApiId"]
            authorizer = v2.create_authorizer(ApiId=api, Name="cached", AuthorizerType="REQUEST", IdentitySource=["$request.header.Authorization"],
                AuthorizerUri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + auth_fn + "/invocations",
                AuthorizerPayloadFormatVersion="2.0", EnableSimpleResponses=True, AuthorizerResultTtlInSeconds=300)["AuthorizerId"]
            route = v2.get_routes(ApiId=api)["Items"][0]["RouteId"]
            v2.update_route(ApiId=api, RouteId=route, AuthorizationType="CUSTOM", AuthorizerId=authorizer)
            url = f"{URL}/_aws/execute-api/{api}/items"
            out["allowed"] = call(url, "t1")
            lam.update_function_configuration(FunctionName="v2-cache-authorizer", Environment={"Variables": {"MODE": "deny"}})
            lam.get_waiter("function_updated").wait(FunctionName="v2-cache-authorizer")
            out["cached"] = call(url, "t1")
            out["reset"] = v2.reset_authorizers_cache(ApiId=api, StageName="$default")["ResponseMetadata"]["HTTPStatusCode"]
            out["after_reset"] = call(url, "t1")
            out["reset_missing"] = error(v2.reset_authorizers_cache, ApiId=api, StageName="nope")

            deployment = v2.get_deployments(ApiId=api)["Items"][0]["DeploymentId"]
            out["updated"] = v2.update_deployment(ApiId=api, DeploymentId=deployment, Description="first release")["Description"]
            out["got"] = v2.get_deployment(ApiId=api, DeploymentId=deployment)["Description"]
            out["missing_deployment"] = error(v2.update_deployment, ApiId=api, DeploymentId="nope00", Description="x")
            v2.create_stage(ApiId=api, StageName="logged", AccessLogSettings={
                "DestinationArn": "arn:aws:logs:us-east-1:000000000000:log-group:/http-api/logged", "Format": "$context.requestId"})
            out["had_log"] = "AccessLogSettings" in v2.get_stage(ApiId=api, StageName="logged")
            out["deleted_log"] = v2.delete_access_log_settings(ApiId=api, StageName="logged")["ResponseMetadata"]["HTTPStatusCode"]
            out["has_log"] = "AccessLogSettings" in v2.get_stage(ApiId=api, StageName="logged")
            out["route_settings"] = error(v2.delete_route_settings, ApiId=api, StageName="logged", RouteKey="GET /items")
            """);

        Assert.Equal(200, r["allowed"]!.GetValue<int>());
        // Within the TTL the cached allow stands although the authorizer now denies; after the reset the authorizer is asked again.
        Assert.Equal(200, r["cached"]!.GetValue<int>());
        Assert.Equal(204, r["reset"]!.GetValue<int>());
        Assert.Equal(403, r["after_reset"]!.GetValue<int>());
        Assert.Equal("NotFoundException", r["reset_missing"]!["code"]!.GetValue<string>());
        Assert.Equal("first release", r["updated"]!.GetValue<string>());
        Assert.Equal("first release", r["got"]!.GetValue<string>());
        Assert.Equal("NotFoundException", r["missing_deployment"]!["code"]!.GetValue<string>());
        Assert.True(r["had_log"]!.GetValue<bool>());
        Assert.Equal(204, r["deleted_log"]!.GetValue<int>());
        Assert.False(r["has_log"]!.GetValue<bool>());
        // DeleteRouteSettings is served: a stage that keeps no settings for the route key answers 404 (HttpApiRouteSettingsTests covers the rest).
        Assert.Equal("NotFoundException", r["route_settings"]!["code"]!.GetValue<string>());
    }
}
