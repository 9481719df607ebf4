using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// A stage's cache end to end through boto3, with a real Python function that answers a fresh id on every invocation: two GETs
/// within the TTL reach it once, a different cache key reaches it again, FlushStageCache empties the cache; Cache-Control:
/// max-age=0 is honoured as requireAuthorizationForCacheControl and unauthorizedCacheControlHeaderStrategy say.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ApiGatewayStageCacheTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Script = LambdaScripts.Prelude + """
        import urllib.request, urllib.error
        FRESH = '''
        import json, uuid
        def handler(event, context):
            return {"statusCode": 200, "body": json.dumps({"invocation": uuid.uuid4().hex, "method": event["httpMethod"]})}
        '''
        apigw = client("apigateway")
        fn = create("cached-fresh", {"app.py": FRESH})["FunctionArn"]
        lam.add_permission(FunctionName="cached-fresh", StatementId="apigateway", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
        uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + fn + "/invocations"
        def call(url, method="GET", headers=None):
            try:
                with urllib.request.urlopen(urllib.request.Request(url, method=method, headers=headers or {})) as answer:
                    return {"status": answer.status, "invocation": json.loads(answer.read())["invocation"], "warning": answer.headers.get("Warning")}
            except urllib.error.HTTPError as refused:
                return {"status": refused.code, "body": refused.read().decode()}
        def error(action):
            try:
                action()
                return None
            except apigw.exceptions.BadRequestException as e:
                return str(e)

        api = apigw.create_rest_api(name="cached")
        api_id, root = api["id"], api["rootResourceId"]
        items = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="items")
        for verb in ("GET", "POST"):
            apigw.put_method(restApiId=api_id, resourceId=items["id"], httpMethod=verb, authorizationType="NONE",
                requestParameters={"method.request.querystring.type": False})
            apigw.put_integration(restApiId=api_id, resourceId=items["id"], httpMethod=verb, type="AWS_PROXY", integrationHttpMethod="POST", uri=uri,
                cacheKeyParameters=["method.request.querystring.type"])
        deployment = apigw.create_deployment(restApiId=api_id)
        created = apigw.create_stage(restApiId=api_id, stageName="prod", deploymentId=deployment["id"], cacheClusterEnabled=True)
        out["created"] = {k: created.get(k) for k in ("cacheClusterEnabled", "cacheClusterSize", "cacheClusterStatus")}
        out["settled"] = apigw.get_stage(restApiId=api_id, stageName="prod")["cacheClusterStatus"]
        apigw.create_deployment(restApiId=api_id, stageName="beta", cacheClusterEnabled=True, cacheClusterSize="1.6")
        beta = apigw.get_stage(restApiId=api_id, stageName="beta")
        out["deployed_stage"] = [beta.get("cacheClusterEnabled"), beta.get("cacheClusterSize")]
        out["bad_ttl"] = error(lambda: apigw.update_stage(restApiId=api_id, stageName="prod",
            patchOperations=[{"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": "3601"}]))
        out["bad_size"] = error(lambda: apigw.update_stage(restApiId=api_id, stageName="prod",
            patchOperations=[{"op": "replace", "path": "/cacheClusterSize", "value": "2"}]))
        stage = apigw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
            {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
            {"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": "600"}])
        out["setting"] = stage["methodSettings"]["*/*"]
        url = f"{URL}/_aws/execute-api/{api_id}/prod/items"

        out["first"] = call(url + "?type=a")
        out["second"] = call(url + "?type=a&page=2")
        out["other_key"] = call(url + "?type=b")
        out["post_1"] = call(url + "?type=a", "POST")
        out["post_2"] = call(url + "?type=a", "POST")
        out["refresh_unauthorized"] = call(url + "?type=a", headers={"Cache-Control": "max-age=0"})
        apigw.flush_stage_cache(restApiId=api_id, stageName="prod")
        out["after_flush"] = call(url + "?type=a")
        out["after_flush_again"] = call(url + "?type=a")

        apigw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
            {"op": "replace", "path": "/*/*/caching/unauthorizedCacheControlHeaderStrategy", "value": "FAIL_WITH_403"}])
        out["refresh_refused"] = call(url + "?type=a", headers={"Cache-Control": "max-age=0"})
        apigw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
            {"op": "replace", "path": "/*/*/caching/requireAuthorizationForCacheControl", "value": "false"}])
        out["refreshed"] = call(url + "?type=a", headers={"Cache-Control": "max-age=0"})
        out["after_refresh"] = call(url + "?type=a")

        disabled = apigw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[{"op": "replace", "path": "/cacheClusterEnabled", "value": "false"}])
        out["disabled"] = disabled["cacheClusterStatus"]
        out["uncached_1"] = call(url + "?type=a")
        out["uncached_2"] = call(url + "?type=a")
        out["flush_unknown_stage"] = None
        try:
            apigw.flush_stage_cache(restApiId=api_id, stageName="nope")
        except apigw.exceptions.NotFoundException as e:
            out["flush_unknown_stage"] = str(e)
        """;

    [Fact]
    public async Task Get_responses_are_cached_by_key_within_the_ttl_until_flushed_and_max_age_zero_refreshes_only_when_allowed()
    {
        var r = await Clients.Boto3Async(stratus.Url, Script);

        Assert.True(r["created"]!["cacheClusterEnabled"]!.GetValue<bool>());
        Assert.Equal("0.5", r["created"]!["cacheClusterSize"]!.GetValue<string>());
        Assert.Equal("CREATE_IN_PROGRESS", r["created"]!["cacheClusterStatus"]!.GetValue<string>());
        Assert.Equal("AVAILABLE", r["settled"]!.GetValue<string>());
        Assert.Equal("""[true,"1.6"]""", r["deployed_stage"]!.ToJsonString());
        Assert.Contains("between 0 and 3600", r["bad_ttl"]!.GetValue<string>());
        Assert.Contains("Invalid cache cluster size", r["bad_size"]!.GetValue<string>());
        Assert.True(r["setting"]!["cachingEnabled"]!.GetValue<bool>());
        Assert.Equal(600, r["setting"]!["cacheTtlInSeconds"]!.GetValue<int>());
        Assert.True(r["setting"]!["requireAuthorizationForCacheControl"]!.GetValue<bool>());

        string Invocation(string name)
        {
            Assert.Equal(200, r[name]!["status"]!.GetValue<int>());
            return r[name]!["invocation"]!.GetValue<string>();
        }
        var first = Invocation("first");
        // The second GET within the TTL, with a parameter outside the cache key, is the cached answer: the function ran once.
        Assert.Equal(first, Invocation("second"));
        Assert.NotEqual(first, Invocation("other_key"));
        // The stage-wide setting caches GET only.
        Assert.NotEqual(Invocation("post_1"), Invocation("post_2"));
        // An unsigned max-age=0 is ignored with a warning (the default SUCCEED_WITH_RESPONSE_HEADER).
        Assert.Equal(first, Invocation("refresh_unauthorized"));
        Assert.StartsWith("199 ", r["refresh_unauthorized"]!["warning"]!.GetValue<string>());
        var afterFlush = Invocation("after_flush");
        Assert.NotEqual(first, afterFlush);
        Assert.Equal(afterFlush, Invocation("after_flush_again"));
        Assert.Equal(403, r["refresh_refused"]!["status"]!.GetValue<int>());
        var refreshed = Invocation("refreshed");
        Assert.NotEqual(afterFlush, refreshed);
        Assert.Equal(refreshed, Invocation("after_refresh"));
        Assert.Equal("DELETE_IN_PROGRESS", r["disabled"]!.GetValue<string>());
        Assert.NotEqual(Invocation("uncached_1"), Invocation("uncached_2"));
        Assert.Contains("Invalid Stage identifier specified", r["flush_unknown_stage"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_deployments_stage_description_in_a_template_sets_the_stage_cache_and_the_stage_serves_from_it()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            import urllib.request
            template = {"Resources": {
                "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "cached-stack"}},
                "Method": {"Type": "AWS::ApiGateway::Method", "Properties": {"RestApiId": {"Ref": "Api"},
                    "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "HttpMethod": "GET", "AuthorizationType": "NONE",
                    "Integration": {"Type": "MOCK", "RequestTemplates": {"application/json": "{\"statusCode\": 200}"},
                        "IntegrationResponses": [{"StatusCode": "200", "ResponseTemplates": {"application/json": "{\"id\": \"$context.requestId\"}"}}]},
                    "MethodResponses": [{"StatusCode": "200"}]}},
                "Deployment": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": "Method", "Properties": {"RestApiId": {"Ref": "Api"},
                    "StageName": "prod", "StageDescription": {"CacheClusterEnabled": True, "CacheClusterSize": "1.6",
                        "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "CachingEnabled": True, "CacheTtlInSeconds": 120}]}}},
                "Other": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": "Method", "Properties": {"RestApiId": {"Ref": "Api"},
                    "StageName": "beta", "StageDescription": {"CacheClusterEnabled": True, "CachingEnabled": True, "CacheTtlInSeconds": 60}}},
            }, "Outputs": {"Api": {"Value": {"Ref": "Api"}}}}
            cfn = client("cloudformation")
            cfn.create_stack(StackName="cached-stack", TemplateBody=json.dumps(template))
            cfn.get_waiter("stack_create_complete").wait(StackName="cached-stack", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            api_id = cfn.describe_stacks(StackName="cached-stack")["Stacks"][0]["Outputs"][0]["OutputValue"]
            apigw = client("apigateway")
            for name in ("prod", "beta"):
                stage = apigw.get_stage(restApiId=api_id, stageName=name)
                out[name] = {k: stage.get(k) for k in ("cacheClusterEnabled", "cacheClusterSize", "cacheClusterStatus")}
                out[name]["setting"] = stage.get("methodSettings", {}).get("*/*", {})
                def served():
                    with urllib.request.urlopen(f"{URL}/_aws/execute-api/{api_id}/{name}/") as answer:
                        return {"id": json.loads(answer.read())["id"], "request": answer.headers["x-amzn-RequestId"]}
                out[name]["gets"] = [served(), served()]
            cfn.delete_stack(StackName="cached-stack")
            cfn.get_waiter("stack_delete_complete").wait(StackName="cached-stack", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            """);

        foreach (var (stage, size, ttl) in new[] { ("prod", "1.6", 120), ("beta", "0.5", 60) })
        {
            Assert.True(r[stage]!["cacheClusterEnabled"]!.GetValue<bool>());
            Assert.Equal(size, r[stage]!["cacheClusterSize"]!.GetValue<string>());
            Assert.Equal("AVAILABLE", r[stage]!["cacheClusterStatus"]!.GetValue<string>());
            Assert.True(r[stage]!["setting"]!["cachingEnabled"]!.GetValue<bool>());
            Assert.Equal(ttl, r[stage]!["setting"]!["cacheTtlInSeconds"]!.GetValue<int>());
            // The second GET is two requests (two request ids) answered by one integration run: the body names the first request.
            var gets = r[stage]!["gets"]!.AsArray();
            Assert.NotEqual(gets[0]!["request"]!.GetValue<string>(), gets[1]!["request"]!.GetValue<string>());
            Assert.Equal(gets[0]!["request"]!.GetValue<string>(), gets[0]!["id"]!.GetValue<string>());
            Assert.Equal(gets[0]!["id"]!.GetValue<string>(), gets[1]!["id"]!.GetValue<string>());
        }
    }
}
