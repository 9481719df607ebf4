using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// REST APIs' Lambda authorizers, stage settings and exports end to end through boto3, with real Python functions: a TOKEN
/// authorizer allows, denies, answers Unauthorized and is invoked once for two calls within its TTL; a REQUEST authorizer
/// needs all its identity sources; method throttling answers 429; access log lines land in Logs; a canary takes its share;
/// an export imports back into a working API.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ApiGatewayAuthorizerTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Prelude = LambdaScripts.Prelude + """
        import urllib.request, urllib.error
        AUTHORIZER = '''
        import uuid
        def handler(event, context):
            headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
            token = event.get("authorizationToken") or headers.get("x-token", "")
            if token == "bad":
                raise Exception("Unauthorized")
            if token == "broken":
                return {"principalId": "nobody"}
            effect = "Allow" if token.startswith("allow") else "Deny"
            api_wide = event["methodArn"].split("/")[0] + "/*"
            return {"principalId": "user-" + token,
                    "policyDocument": {"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": api_wide}]},
                    "context": {"stamp": uuid.uuid4().hex, "count": 3, "admin": True, "type": event["type"]}}
        '''
        ECHO = '''
        import json
        def handler(event, context):
            return {"statusCode": 200, "body": json.dumps({"authorizer": event["requestContext"].get("authorizer"), "path": event["path"]})}
        '''
        apigw = client("apigateway")
        def function(name, code):
            arn = create(name, {"app.py": code})["FunctionArn"]
            lam.add_permission(FunctionName=name, StatementId="apigateway", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
            return arn
        def uri(fn):
            return "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + fn + "/invocations"
        def call(url, headers=None):
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as answer:
                    return {"status": answer.status, "body": answer.read().decode()}
            except urllib.error.HTTPError as refused:
                return {"status": refused.code, "body": refused.read().decode(), "type": refused.headers.get("x-amzn-ErrorType")}
        def mock_api(name, body):
            api = apigw.create_rest_api(name=name)
            api_id, root = api["id"], api["rootResourceId"]
            apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
            apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
            apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200", selectionPattern="",
                responseTemplates={"application/json": body})
            return api_id, root

        """;

    private Task<JsonObject> Boto3Async(string script) => Clients.Boto3Async(stratus.Url, Prelude + script);

    /// <summary>The authorized API: ANY /{proxy+} to the echo function behind a TOKEN authorizer, and GET /ctx, a MOCK method mapping $context.authorizer.</summary>
    private const string AuthorizedApi = """
        auth_fn = function("rest-authorizer-" + SUFFIX, AUTHORIZER)
        echo_fn = function("rest-echo-" + SUFFIX, ECHO)
        api = apigw.create_rest_api(name="authorized-" + SUFFIX)
        api_id, root = api["id"], api["rootResourceId"]
        token = apigw.create_authorizer(restApiId=api_id, name="token", type="TOKEN", authorizerUri=uri(auth_fn),
            identitySource="method.request.header.Authorization", identityValidationExpression="[a-z0-9]+")
        proxy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")
        apigw.put_method(restApiId=api_id, resourceId=proxy["id"], httpMethod="ANY", authorizationType="CUSTOM", authorizerId=token["id"])
        apigw.put_integration(restApiId=api_id, resourceId=proxy["id"], httpMethod="ANY", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri(echo_fn))
        ctx = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="ctx")
        apigw.put_method(restApiId=api_id, resourceId=ctx["id"], httpMethod="GET", authorizationType="CUSTOM", authorizerId=token["id"])
        apigw.put_method_response(restApiId=api_id, resourceId=ctx["id"], httpMethod="GET", statusCode="200")
        apigw.put_integration(restApiId=api_id, resourceId=ctx["id"], httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
        apigw.put_integration_response(restApiId=api_id, resourceId=ctx["id"], httpMethod="GET", statusCode="200", selectionPattern="",
            responseTemplates={"application/json": '{"principal": "$context.authorizer.principalId", "admin": "$context.authorizer.admin"}'})
        apigw.create_deployment(restApiId=api_id, stageName="prod")
        base = f"{URL}/_aws/execute-api/{api_id}/prod"

        """;

    [Fact]
    public async Task Token_authorizer_allows_denies_refuses_and_reuses_its_cached_answer_within_the_ttl()
    {
        var r = await Boto3Async("SUFFIX = 'token'\n" + AuthorizedApi + """
            out["authorizer"] = apigw.get_authorizer(restApiId=api_id, authorizerId=token["id"])
            out["listed"] = [a["name"] for a in apigw.get_authorizers(restApiId=api_id)["items"]]
            out["missing"] = call(base + "/pets")
            out["not_matching_expression"] = call(base + "/pets", {"Authorization": "NOPE!"})
            out["unauthorized"] = call(base + "/pets", {"Authorization": "bad"})
            out["denied"] = call(base + "/pets", {"Authorization": "deny1"})
            out["broken"] = call(base + "/pets", {"Authorization": "broken"})
            out["first"] = call(base + "/pets/1", {"Authorization": "allow1"})
            out["second"] = call(base + "/owners", {"Authorization": "allow1"})
            out["other"] = call(base + "/pets/1", {"Authorization": "allow2"})
            out["mapped"] = call(base + "/ctx", {"Authorization": "allow1"})
            out["test_invoke"] = apigw.test_invoke_authorizer(restApiId=api_id, authorizerId=token["id"], headers={"Authorization": "allow9"})
            out["test_invoke_bad"] = apigw.test_invoke_authorizer(restApiId=api_id, authorizerId=token["id"], headers={"Authorization": "bad"})["clientStatus"]
            try:
                apigw.create_authorizer(restApiId=api_id, name="pool", type="COGNITO_USER_POOLS", providerARNs=["arn:aws:cognito-idp:us-east-1:000000000000:userpool/x"])
            except apigw.exceptions.BadRequestException as e:
                out["cognito"] = str(e)
            try:
                apigw.delete_authorizer(restApiId=api_id, authorizerId=token["id"])
            except apigw.exceptions.ConflictException as e:
                out["in_use"] = str(e)
            out["updated"] = apigw.update_authorizer(restApiId=api_id, authorizerId=token["id"],
                patchOperations=[{"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": "0"}])["authorizerResultTtlInSeconds"]
            """);

        Assert.Equal("TOKEN", r["authorizer"]!["type"]!.GetValue<string>());
        Assert.Equal(300, r["authorizer"]!["authorizerResultTtlInSeconds"]!.GetValue<int>());
        Assert.Equal(["token"], r["listed"]!.AsArray().Select(n => n!.GetValue<string>()));
        foreach (var unauthorized in new[] { "missing", "not_matching_expression", "unauthorized" })
        {
            Assert.Equal(401, r[unauthorized]!["status"]!.GetValue<int>());
            Assert.Equal("""{"message":"Unauthorized"}""", r[unauthorized]!["body"]!.GetValue<string>());
        }
        Assert.Equal(403, r["denied"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"Message":"User is not authorized to access this resource with an explicit deny"}""", r["denied"]!["body"]!.GetValue<string>());
        Assert.Equal("AccessDeniedException", r["denied"]!["type"]!.GetValue<string>());
        Assert.Equal(500, r["broken"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"message":null}""", r["broken"]!["body"]!.GetValue<string>());
        Assert.Equal("AuthorizerConfigurationException", r["broken"]!["type"]!.GetValue<string>());

        JsonNode Authorizer(string name)
        {
            Assert.Equal(200, r[name]!["status"]!.GetValue<int>());
            return JsonNode.Parse(r[name]!["body"]!.GetValue<string>())!["authorizer"]!;
        }
        var first = Authorizer("first");
        Assert.Equal("user-allow1", first["principalId"]!.GetValue<string>());
        Assert.Equal("3", first["count"]!.GetValue<string>());
        Assert.Equal("true", first["admin"]!.GetValue<string>());
        Assert.Equal("TOKEN", first["type"]!.GetValue<string>());
        // The stamp is new on each invocation: the same one on another path within the TTL means the authorizer ran once.
        Assert.Equal(first["stamp"]!.GetValue<string>(), Authorizer("second")["stamp"]!.GetValue<string>());
        Assert.NotEqual(first["stamp"]!.GetValue<string>(), Authorizer("other")["stamp"]!.GetValue<string>());
        Assert.Equal("""{"principal": "user-allow1", "admin": "true"}""", r["mapped"]!["body"]!.GetValue<string>());

        Assert.Equal(200, r["test_invoke"]!["clientStatus"]!.GetValue<int>());
        Assert.Equal("user-allow9", r["test_invoke"]!["principalId"]!.GetValue<string>());
        Assert.Contains("execute-api:Invoke", r["test_invoke"]!["policy"]!.GetValue<string>());
        Assert.Equal(401, r["test_invoke_bad"]!.GetValue<int>());
        Assert.Contains("COGNITO_USER_POOLS", r["cognito"]!.GetValue<string>());
        Assert.Contains("is referenced in method", r["in_use"]!.GetValue<string>());
        Assert.Equal(0, r["updated"]!.GetValue<int>());
    }

    [Fact]
    public async Task Request_authorizer_needs_every_identity_source_and_gets_the_request()
    {
        var r = await Boto3Async("""
            auth_fn = function("rest-request-authorizer", AUTHORIZER)
            echo_fn = function("rest-request-echo", ECHO)
            api = apigw.create_rest_api(name="request-authorized")
            api_id, root = api["id"], api["rootResourceId"]
            authorizer = apigw.create_authorizer(restApiId=api_id, name="request", type="REQUEST", authorizerUri=uri(auth_fn),
                identitySource="method.request.header.X-Token, method.request.querystring.tenant", authorizerResultTtlInSeconds=0)
            apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="CUSTOM", authorizerId=authorizer["id"])
            apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri(echo_fn))
            apigw.create_deployment(restApiId=api_id, stageName="prod")
            base = f"{URL}/_aws/execute-api/{api_id}/prod/"
            out["no_query"] = call(base, {"X-Token": "allow1"})
            out["denied"] = call(base + "?tenant=acme", {"X-Token": "deny"})
            out["allowed"] = call(base + "?tenant=acme", {"X-Token": "allow1"})
            out["again"] = call(base + "?tenant=acme", {"X-Token": "allow1"})
            """);
        Assert.Equal(401, r["no_query"]!["status"]!.GetValue<int>());
        Assert.Equal(403, r["denied"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"Message":"User is not authorized to access this resource with an explicit deny"}""", r["denied"]!["body"]!.GetValue<string>());
        var allowed = JsonNode.Parse(r["allowed"]!["body"]!.GetValue<string>())!["authorizer"]!;
        Assert.Equal("REQUEST", allowed["type"]!.GetValue<string>());
        Assert.Equal("user-allow1", allowed["principalId"]!.GetValue<string>());
        // A TTL of 0 caches nothing: the authorizer runs on each request.
        var again = JsonNode.Parse(r["again"]!["body"]!.GetValue<string>())!["authorizer"]!;
        Assert.NotEqual(allowed["stamp"]!.GetValue<string>(), again["stamp"]!.GetValue<string>());
    }

    [Fact]
    public async Task Authorizer_policy_conditions_on_the_source_address_are_evaluated()
    {
        var r = await Boto3Async("""
            CONDITIONAL = '''
            def handler(event, context):
                ranges = {"ten": "10.0.0.0/8", "loop": "127.0.0.0/8"}
                return {"principalId": "caller",
                        "policyDocument": {"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow",
                            "Resource": event["methodArn"], "Condition": {"IpAddress": {"aws:SourceIp": ranges[event["authorizationToken"]]}}}]}}
            '''
            auth_fn = function("rest-conditional-authorizer", CONDITIONAL)
            api = apigw.create_rest_api(name="conditional")
            api_id, root = api["id"], api["rootResourceId"]
            authorizer = apigw.create_authorizer(restApiId=api_id, name="conditional", type="TOKEN", authorizerUri=uri(auth_fn),
                identitySource="method.request.header.Authorization")
            apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="CUSTOM", authorizerId=authorizer["id"])
            apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
            apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200", selectionPattern="",
                responseTemplates={"application/json": '{"ok": true}'})
            apigw.create_deployment(restApiId=api_id, stageName="prod")
            base = f"{URL}/_aws/execute-api/{api_id}/prod/"
            out["ten"] = call(base, {"Authorization": "ten"})
            out["loop"] = call(base, {"Authorization": "loop"})
            out["ten_cached"] = call(base, {"Authorization": "ten"})["status"]
            """);
        Assert.Equal(403, r["ten"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"Message":"User is not authorized to access this resource"}""", r["ten"]!["body"]!.GetValue<string>());
        Assert.Equal(200, r["loop"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"ok": true}""", r["loop"]!["body"]!.GetValue<string>());
        Assert.Equal(403, r["ten_cached"]!.GetValue<int>());
    }

    [Fact]
    public async Task Method_throttling_answers_429_and_access_log_lines_land_in_the_log_group()
    {
        var r = await Boto3Async("""
            import time
            logs = client("logs")
            account = client("sts").get_caller_identity()["Account"]
            logs.create_log_group(logGroupName="rest-access-logs")
            api_id, root = mock_api("throttled-logged", '{"ok": true}')
            apigw.create_deployment(restApiId=api_id, stageName="prod")
            fmt = '{"requestId":"$context.requestId","status":"$context.status","method":"$context.httpMethod","resourcePath":"$context.resourcePath","error":"$context.error.responseType"}'
            stage = apigw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
                {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"},
                {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0.001"},
                {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": f"arn:aws:logs:us-east-1:{account}:log-group:rest-access-logs"},
                {"op": "replace", "path": "/accessLogSettings/format", "value": fmt}])
            out["settings"] = stage["accessLogSettings"]
            base = f"{URL}/_aws/execute-api/{api_id}/prod/"
            out["calls"] = [call(base) for _ in range(3)]
            lines = []
            deadline = time.time() + 60
            while time.time() < deadline and len(lines) < 3:
                lines = [e["message"] for e in logs.filter_log_events(logGroupName="rest-access-logs")["events"]]
                time.sleep(0.2)
            out["lines"] = lines
            try:
                apigw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
                    {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": "arn:aws:s3:::bucket"}])
            except apigw.exceptions.BadRequestException as e:
                out["bad_destination"] = str(e)
            """);
        Assert.Equal("rest-access-logs", r["settings"]!["destinationArn"]!.GetValue<string>().Split(':')[^1]);
        var calls = r["calls"]!.AsArray();
        Assert.Equal([200, 200, 429], calls.Select(c => c!["status"]!.GetValue<int>()));
        Assert.Equal("""{"message":"Too Many Requests"}""", calls[2]!["body"]!.GetValue<string>());
        var lines = r["lines"]!.AsArray().Select(l => JsonNode.Parse(l!.GetValue<string>())!).ToList();
        Assert.Equal(["200", "200", "429"], lines.Select(l => l["status"]!.GetValue<string>()));
        Assert.All(lines, l => Assert.Equal(("GET", "/"), (l["method"]!.GetValue<string>(), l["resourcePath"]!.GetValue<string>())));
        Assert.Equal(["-", "-", "THROTTLED"], lines.Select(l => l["error"]!.GetValue<string>()));
        Assert.Equal(3, lines.Select(l => l["requestId"]!.GetValue<string>()).Distinct().Count());
        Assert.Contains("log group", r["bad_destination"]!.GetValue<string>());
    }

    [Fact]
    public async Task Canary_takes_the_share_of_traffic_its_settings_give_it()
    {
        var r = await Boto3Async("""
            api_id, root = mock_api("canaried", '{"version": "stable"}')
            apigw.create_deployment(restApiId=api_id, stageName="prod")
            apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200", selectionPattern="",
                responseTemplates={"application/json": '{"version": "$stageVariables.flavour"}'})
            canary = apigw.create_deployment(restApiId=api_id, stageName="prod", canarySettings={"percentTraffic": 100.0, "stageVariableOverrides": {"flavour": "canary"}})
            stage = apigw.get_stage(restApiId=api_id, stageName="prod")
            out["canary_settings"] = stage["canarySettings"]
            out["stage_deployment_kept"] = stage["deploymentId"] != canary["id"]
            base = f"{URL}/_aws/execute-api/{api_id}/prod/"
            out["all_canary"] = {call(base)["body"] for _ in range(5)}
            apigw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[{"op": "replace", "path": "/canarySettings/percentTraffic", "value": "0"}])
            out["none_canary"] = {call(base)["body"] for _ in range(5)}
            out["all_canary"], out["none_canary"] = sorted(out["all_canary"]), sorted(out["none_canary"])
            out["canary_id"] = canary["id"]
            """);
        Assert.Equal(r["canary_id"]!.GetValue<string>(), r["canary_settings"]!["deploymentId"]!.GetValue<string>());
        Assert.Equal(100.0, r["canary_settings"]!["percentTraffic"]!.GetValue<double>());
        Assert.True(r["stage_deployment_kept"]!.GetValue<bool>());
        Assert.Equal(["""{"version": "canary"}"""], r["all_canary"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["""{"version": "stable"}"""], r["none_canary"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task Export_as_yaml_and_json_imports_back_into_an_api_whose_authorizer_works()
    {
        var r = await Boto3Async("SUFFIX = 'export'\n" + AuthorizedApi + """
            import json
            yaml_export = apigw.get_export(restApiId=api_id, stageName="prod", exportType="oas30", parameters={"extensions": "apigateway"}, accepts="application/yaml")
            out["yaml_type"] = yaml_export["contentType"]
            yaml_body = yaml_export["body"].read()
            out["yaml_start"] = yaml_body.decode().splitlines()[0]
            swagger = json.loads(apigw.get_export(restApiId=api_id, stageName="prod", exportType="swagger", parameters={"extensions": "integrations,authorizers"})["body"].read())
            out["swagger"] = {"version": swagger["swagger"], "basePath": swagger["basePath"], "paths": sorted(swagger["paths"]),
                              "scheme": swagger["securityDefinitions"]["token"]["x-amazon-apigateway-authorizer"]}
            plain = json.loads(apigw.get_export(restApiId=api_id, stageName="prod", exportType="oas30")["body"].read())
            out["plain_has_integration"] = "x-amazon-apigateway-integration" in json.dumps(plain)

            imported = apigw.import_rest_api(body=yaml_body)
            new_id = imported["id"]
            methods = {}
            for resource in apigw.get_resources(restApiId=new_id, embed=["methods"])["items"]:
                for verb, method in resource.get("resourceMethods", {}).items():
                    methods[resource["path"] + " " + verb] = {"auth": method["authorizationType"], "integration": method.get("methodIntegration", {}).get("type")}
            out["methods"] = methods
            out["imported_authorizers"] = [(a["name"], a["type"], a["identitySource"]) for a in apigw.get_authorizers(restApiId=new_id)["items"]]
            apigw.create_deployment(restApiId=new_id, stageName="prod")
            out["imported_denied"] = call(f"{URL}/_aws/execute-api/{new_id}/prod/pets", {"Authorization": "deny1"})["status"]
            out["imported_allowed"] = call(f"{URL}/_aws/execute-api/{new_id}/prod/pets", {"Authorization": "allow1"})["status"]
            """);
        Assert.Equal("application/yaml", r["yaml_type"]!.GetValue<string>());
        Assert.Equal("openapi: 3.0.1", r["yaml_start"]!.GetValue<string>());
        Assert.Equal("2.0", r["swagger"]!["version"]!.GetValue<string>());
        Assert.Equal("/prod", r["swagger"]!["basePath"]!.GetValue<string>());
        Assert.Equal(["/ctx", "/{proxy+}"], r["swagger"]!["paths"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("token", r["swagger"]!["scheme"]!["type"]!.GetValue<string>());
        Assert.Equal("[a-z0-9]+", r["swagger"]!["scheme"]!["identityValidationExpression"]!.GetValue<string>());
        Assert.False(r["plain_has_integration"]!.GetValue<bool>());
        var methods = r["methods"]!.AsObject();
        Assert.Equal(["/ctx GET", "/{proxy+} ANY"], methods.Select(m => m.Key).Order(StringComparer.Ordinal));
        Assert.Equal(("CUSTOM", "AWS_PROXY"), (methods["/{proxy+} ANY"]!["auth"]!.GetValue<string>(), methods["/{proxy+} ANY"]!["integration"]!.GetValue<string>()));
        Assert.Equal("""[["token","TOKEN","method.request.header.Authorization"]]""", r["imported_authorizers"]!.ToJsonString());
        Assert.Equal(403, r["imported_denied"]!.GetValue<int>());
        Assert.Equal(200, r["imported_allowed"]!.GetValue<int>());
    }

    [Fact]
    public async Task Stack_authorizer_guards_its_method_and_goes_with_the_stack()
    {
        var r = await Boto3Async("""
            import json
            auth_fn = function("rest-stack-authorizer", AUTHORIZER)
            template = {"Resources": {
                "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "stacked-authorizer"}},
                "Guard": {"Type": "AWS::ApiGateway::Authorizer", "Properties": {"RestApiId": {"Ref": "Api"}, "Name": "guard", "Type": "TOKEN",
                    "AuthorizerUri": uri(auth_fn), "IdentitySource": "method.request.header.Authorization", "AuthorizerResultTtlInSeconds": 0}},
                "Method": {"Type": "AWS::ApiGateway::Method", "Properties": {"RestApiId": {"Ref": "Api"},
                    "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "HttpMethod": "GET", "AuthorizationType": "CUSTOM",
                    "AuthorizerId": {"Ref": "Guard"},
                    "Integration": {"Type": "MOCK", "RequestTemplates": {"application/json": "{\"statusCode\": 200}"},
                        "IntegrationResponses": [{"StatusCode": "200"}]},
                    "MethodResponses": [{"StatusCode": "200"}]}},
                "Deployment": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": "Method", "Properties": {"RestApiId": {"Ref": "Api"}, "StageName": "prod"}},
            }, "Outputs": {"Api": {"Value": {"Ref": "Api"}}, "Guard": {"Value": {"Fn::GetAtt": ["Guard", "AuthorizerId"]}}}}
            cfn = client("cloudformation")
            cfn.create_stack(StackName="authorizer", TemplateBody=json.dumps(template))
            cfn.get_waiter("stack_create_complete").wait(StackName="authorizer", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="authorizer")["Stacks"][0]["Outputs"]}
            out["authorizer"] = apigw.get_authorizer(restApiId=outputs["Api"], authorizerId=outputs["Guard"])["name"]
            url = f"{URL}/_aws/execute-api/{outputs['Api']}/prod/"
            out["denied"] = call(url, {"Authorization": "deny1"})["status"]
            out["allowed"] = call(url, {"Authorization": "allow1"})["status"]
            cfn.delete_stack(StackName="authorizer")
            cfn.get_waiter("stack_delete_complete").wait(StackName="authorizer", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            """);
        Assert.Equal("guard", r["authorizer"]!.GetValue<string>());
        Assert.Equal(403, r["denied"]!.GetValue<int>());
        Assert.Equal(200, r["allowed"]!.GetValue<int>());
    }

    [Fact]
    public async Task Stack_update_changes_the_authorizer_and_the_stage_settings_in_place()
    {
        var r = await Boto3Async("""
            import json
            logs = client("logs")
            account = client("sts").get_caller_identity()["Account"]
            logs.create_log_group(logGroupName="stack-stage-access")
            log_arn = f"arn:aws:logs:us-east-1:{account}:log-group:stack-stage-access"
            auth_fn = function("rest-stack-update-authorizer", AUTHORIZER)
            def template(identity, ttl, stage):
                return json.dumps({"Resources": {
                    "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "stack-updated"}},
                    "Guard": {"Type": "AWS::ApiGateway::Authorizer", "Properties": {"RestApiId": {"Ref": "Api"}, "Name": "guard", "Type": "TOKEN",
                        "AuthorizerUri": uri(auth_fn), "IdentitySource": identity, "AuthorizerResultTtlInSeconds": ttl}},
                    "Method": {"Type": "AWS::ApiGateway::Method", "Properties": {"RestApiId": {"Ref": "Api"},
                        "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "HttpMethod": "GET", "AuthorizationType": "CUSTOM",
                        "AuthorizerId": {"Ref": "Guard"},
                        "Integration": {"Type": "MOCK", "RequestTemplates": {"application/json": "{\"statusCode\": 200}"},
                            "IntegrationResponses": [{"StatusCode": "200"}]},
                        "MethodResponses": [{"StatusCode": "200"}]}},
                    "Deployment": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": "Method", "Properties": {"RestApiId": {"Ref": "Api"}}},
                    "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": dict({"RestApiId": {"Ref": "Api"}, "StageName": "prod",
                        "DeploymentId": {"Ref": "Deployment"}}, **stage)},
                }, "Outputs": {"Api": {"Value": {"Ref": "Api"}}, "Guard": {"Value": {"Ref": "Guard"}}}})
            cfn = client("cloudformation")
            def outputs():
                return {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="updated-in-place")["Stacks"][0]["Outputs"]}
            cfn.create_stack(StackName="updated-in-place", TemplateBody=template("method.request.header.Authorization", 0, {
                "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 50, "MetricsEnabled": True}],
                "AccessLogSetting": {"DestinationArn": log_arn, "Format": "$context.requestId"},
                "CanarySetting": {"PercentTraffic": 0}}))
            cfn.get_waiter("stack_create_complete").wait(StackName="updated-in-place", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            before = outputs()
            stage_before = apigw.get_stage(restApiId=before["Api"], stageName="prod")
            cfn.update_stack(StackName="updated-in-place", TemplateBody=template("method.request.header.X-Token", 60, {
                "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingBurstLimit": 7}],
                "AccessLogSetting": {"DestinationArn": log_arn, "Format": "$context.requestId $context.status"},
                "CanarySetting": {"PercentTraffic": 100, "StageVariableOverrides": {"flavour": "canary"}}}))
            cfn.get_waiter("stack_update_complete").wait(StackName="updated-in-place", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            after = outputs()
            out["same_authorizer"] = before["Guard"] == after["Guard"]
            authorizer = apigw.get_authorizer(restApiId=after["Api"], authorizerId=after["Guard"])
            out["authorizer"] = [authorizer["identitySource"], authorizer["authorizerResultTtlInSeconds"]]
            out["authorizers"] = len(apigw.get_authorizers(restApiId=after["Api"])["items"])
            stage = apigw.get_stage(restApiId=after["Api"], stageName="prod")
            out["same_stage"] = stage["createdDate"] == stage_before["createdDate"]
            out["method_settings"] = stage["methodSettings"]["*/*"]
            out["access_log"] = stage["accessLogSettings"]["format"]
            out["canary"] = [stage["canarySettings"]["percentTraffic"], stage["canarySettings"].get("stageVariableOverrides"),
                             stage["canarySettings"]["deploymentId"] == stage_before["canarySettings"]["deploymentId"]]
            out["status"] = cfn.describe_stacks(StackName="updated-in-place")["Stacks"][0]["StackStatus"]
            cfn.delete_stack(StackName="updated-in-place")
            cfn.get_waiter("stack_delete_complete").wait(StackName="updated-in-place", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            """);
        Assert.Equal("UPDATE_COMPLETE", r["status"]!.GetValue<string>());
        Assert.True(r["same_authorizer"]!.GetValue<bool>());
        Assert.Equal("""["method.request.header.X-Token",60]""", r["authorizer"]!.ToJsonString());
        Assert.Equal(1, r["authorizers"]!.GetValue<int>());
        Assert.True(r["same_stage"]!.GetValue<bool>());
        var settings = r["method_settings"]!;
        Assert.Equal(7, settings["throttlingBurstLimit"]!.GetValue<int>());
        Assert.False(settings["metricsEnabled"]!.GetValue<bool>());
        Assert.Equal(10000.0, settings["throttlingRateLimit"]!.GetValue<double>());
        Assert.Equal("$context.requestId $context.status", r["access_log"]!.GetValue<string>());
        Assert.Equal(100.0, r["canary"]![0]!.GetValue<double>());
        Assert.Equal("canary", r["canary"]![1]!["flavour"]!.GetValue<string>());
        Assert.True(r["canary"]![2]!.GetValue<bool>());
    }
}
