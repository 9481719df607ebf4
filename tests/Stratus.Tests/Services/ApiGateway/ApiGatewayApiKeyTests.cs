using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// API keys and usage plans driven by boto3 against a real Stratus: a method with apiKeyRequired answers 403 without a key
/// in a usage plan for its stage, 200 with one until the plan's quota is spent, then 429 "Limit Exceeded", still after a restart;
/// a plan's throttle answers 429 "Too Many Requests" once its burst is used.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ApiGatewayApiKeyTests : IAsyncLifetime
{
    private StratusProcess _server = null!;

    public async Task InitializeAsync() => _server = await StratusProcess.StartPersistentAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private const string Prelude = """
        import urllib.request, urllib.error
        def call(url, key=None):
            headers = {"x-api-key": key} if key else {}
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as answer:
                    return {"status": answer.status, "body": answer.read().decode()}
            except urllib.error.HTTPError as refused:
                return {"status": refused.code, "body": refused.read().decode(), "type": refused.headers.get("x-amzn-ErrorType")}
        apigw = client("apigateway")

        """;

    [Fact]
    public async Task Key_in_a_usage_plan_opens_the_method_until_the_quota_is_spent_and_the_count_survives_a_restart()
    {
        var r = await Clients.Boto3Async(_server.Url, Prelude + """
            api = apigw.create_rest_api(name="metered")
            api_id, root = api["id"], api["rootResourceId"]
            resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
            apigw.put_method(restApiId=api_id, resourceId=resource["id"], httpMethod="GET", authorizationType="NONE", apiKeyRequired=True)
            apigw.put_method_response(restApiId=api_id, resourceId=resource["id"], httpMethod="GET", statusCode="200")
            apigw.put_integration(restApiId=api_id, resourceId=resource["id"], httpMethod="GET", type="MOCK",
                requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.put_integration_response(restApiId=api_id, resourceId=resource["id"], httpMethod="GET", statusCode="200",
                selectionPattern="", responseTemplates={"application/json": '{"pets": []}'})
            apigw.create_deployment(restApiId=api_id, stageName="prod")
            url = f"{URL}/_aws/execute-api/{api_id}/prod/pets"

            key = apigw.create_api_key(name="partner-a", enabled=True)
            out["created_has_value"] = len(key.get("value", ""))
            out["get_without_value"] = "value" in apigw.get_api_key(apiKey=key["id"])
            out["get_with_value"] = apigw.get_api_key(apiKey=key["id"], includeValue=True)["value"] == key["value"]
            out["listed"] = [k["name"] for k in apigw.get_api_keys(nameQuery="partner", includeValues=True)["items"] if "value" in k]

            out["no_key"] = call(url)
            out["unknown_key"] = call(url, "x" * 40)
            out["not_in_plan"] = call(url, key["value"])

            plan = apigw.create_usage_plan(name="gold", apiStages=[{"apiId": api_id, "stage": "prod"}],
                throttle={"rateLimit": 100, "burstLimit": 50}, quota={"limit": 3, "period": "DAY"})
            out["plan"] = apigw.get_usage_plan(usagePlanId=plan["id"])
            out["plan_key"] = apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
            out["plan_keys"] = [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]]
            out["plans_of_key"] = [p["id"] for p in apigw.get_usage_plans(keyId=key["id"])["items"]]
            out["allowed"] = [call(url, key["value"])["status"] for _ in range(3)]
            out["over_quota"] = call(url, key["value"])

            import datetime
            today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
            out["usage"] = apigw.get_usage(usagePlanId=plan["id"], startDate=today, endDate=today)["items"]

            apigw.update_api_key(apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}])
            out["disabled"] = call(url, key["value"])
            apigw.update_api_key(apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "true"}])
            out["ids"] = {"api": api_id, "key": key["id"], "value": key["value"], "plan": plan["id"]}
            """);

        Assert.Equal(40, r["created_has_value"]!.GetValue<int>());
        Assert.False(r["get_without_value"]!.GetValue<bool>());
        Assert.True(r["get_with_value"]!.GetValue<bool>());
        Assert.Equal(["partner-a"], r["listed"]!.AsArray().Select(n => n!.GetValue<string>()));
        foreach (var refused in new[] { "no_key", "unknown_key", "not_in_plan", "disabled" })
        {
            Assert.Equal(403, r[refused]!["status"]!.GetValue<int>());
            Assert.Equal("""{"message":"Forbidden"}""", r[refused]!["body"]!.GetValue<string>());
        }
        Assert.Equal("DAY", r["plan"]!["quota"]!["period"]!.GetValue<string>());
        Assert.Equal(50, r["plan"]!["throttle"]!["burstLimit"]!.GetValue<int>());
        Assert.Equal("API_KEY", r["plan_key"]!["type"]!.GetValue<string>());
        var ids = r["ids"]!;
        Assert.Equal([ids["key"]!.GetValue<string>()], r["plan_keys"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal([ids["plan"]!.GetValue<string>()], r["plans_of_key"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal([200, 200, 200], r["allowed"]!.AsArray().Select(n => n!.GetValue<int>()));
        Assert.Equal(429, r["over_quota"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"message":"Limit Exceeded"}""", r["over_quota"]!["body"]!.GetValue<string>());
        Assert.Equal("LimitExceededException", r["over_quota"]!["type"]!.GetValue<string>());
        Assert.Equal("[[3,0]]", r["usage"]![ids["key"]!.GetValue<string>()]!.ToJsonString());

        await _server.RestartAsync();
        var after = await Clients.Boto3Async(_server.Url, Prelude + $$"""
            out["after_restart"] = call(f"{URL}/_aws/execute-api/{{ids["api"]}}/prod/pets", "{{ids["value"]}}")
            apigw.delete_usage_plan_key(usagePlanId="{{ids["plan"]}}", keyId="{{ids["key"]}}")
            out["removed_from_plan"] = call(f"{URL}/_aws/execute-api/{{ids["api"]}}/prod/pets", "{{ids["value"]}}")
            """);
        Assert.Equal(429, after["after_restart"]!["status"]!.GetValue<int>());
        Assert.Equal(403, after["removed_from_plan"]!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Plan_throttle_answers_too_many_requests_once_the_burst_is_spent()
    {
        var r = await Clients.Boto3Async(_server.Url, Prelude + """
            api = apigw.create_rest_api(name="throttled")
            api_id, root = api["id"], api["rootResourceId"]
            apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE", apiKeyRequired=True)
            apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK",
                requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
            apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200", selectionPattern="")
            apigw.create_deployment(restApiId=api_id, stageName="dev")
            key = apigw.create_api_key(name="burst", enabled=True, value="a-custom-key-of-enough-length")
            plan = apigw.create_usage_plan(name="slow", apiStages=[{"apiId": api_id, "stage": "dev"}],
                throttle={"rateLimit": 0.001, "burstLimit": 2})
            apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
            url = f"{URL}/_aws/execute-api/{api_id}/dev/"
            out["answers"] = [call(url, "a-custom-key-of-enough-length") for _ in range(3)]
            out["short_value"] = error(apigw.create_api_key, name="short", value="too-short")
            out["bad_period"] = error(apigw.create_usage_plan, name="bad", quota={"limit": 1, "period": "YEAR"})
            out["missing_plan"] = error(apigw.get_usage_plan, usagePlanId="nosuchplan")
            """);

        var answers = r["answers"]!.AsArray();
        Assert.Equal([200, 200, 429], answers.Select(a => a!["status"]!.GetValue<int>()));
        Assert.Equal("""{"message":"Too Many Requests"}""", answers[2]!["body"]!.GetValue<string>());
        Assert.Equal("BadRequestException", r["short_value"]!["code"]!.GetValue<string>());
        // An enum outside the model's set is refused before the operation runs, as API Gateway's model validation does.
        Assert.Equal("ValidationException", r["bad_period"]!["code"]!.GetValue<string>());
        Assert.Equal("NotFoundException", r["missing_plan"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task UpdateUsage_sets_the_remaining_quota_the_data_plane_then_enforces()
    {
        var r = await Clients.Boto3Async(_server.Url, Prelude + """
            import datetime
            api = apigw.create_rest_api(name="extended")
            api_id, root = api["id"], api["rootResourceId"]
            apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE", apiKeyRequired=True)
            apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
            apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200", selectionPattern="")
            apigw.create_deployment(restApiId=api_id, stageName="prod")
            url = f"{URL}/_aws/execute-api/{api_id}/prod/"
            key = apigw.create_api_key(name="extended-key", enabled=True)
            plan = apigw.create_usage_plan(name="small", apiStages=[{"apiId": api_id, "stage": "prod"}], quota={"limit": 2, "period": "DAY"})
            apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
            out["first"] = [call(url, key["value"])["status"] for _ in range(3)]
            updated = apigw.update_usage(usagePlanId=plan["id"], keyId=key["id"], patchOperations=[{"op": "replace", "path": "/remaining", "value": "3"}])
            out["updated"] = {"plan": updated["usagePlanId"], "items": updated["items"]}
            out["then"] = [call(url, key["value"])["status"] for _ in range(4)]
            today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
            out["usage"] = apigw.get_usage(usagePlanId=plan["id"], startDate=today, endDate=today)["items"][key["id"]]
            out["bad_path"] = error(apigw.update_usage, usagePlanId=plan["id"], keyId=key["id"], patchOperations=[{"op": "replace", "path": "/used", "value": "1"}])
            unlimited = apigw.create_usage_plan(name="unlimited", apiStages=[])
            other = apigw.create_api_key(name="other-key", enabled=True)
            apigw.create_usage_plan_key(usagePlanId=unlimited["id"], keyId=other["id"], keyType="API_KEY")
            out["no_quota"] = error(apigw.update_usage, usagePlanId=unlimited["id"], keyId=other["id"], patchOperations=[{"op": "replace", "path": "/remaining", "value": "1"}])
            out["not_in_plan"] = error(apigw.update_usage, usagePlanId=plan["id"], keyId=other["id"], patchOperations=[{"op": "replace", "path": "/remaining", "value": "1"}])
            out["key"] = key["id"]
            out["plan"] = plan["id"]
            """);

        Assert.Equal("[200,200,429]", r["first"]!.ToJsonString());
        Assert.Equal(r["plan"]!.GetValue<string>(), r["updated"]!["plan"]!.GetValue<string>());
        var series = r["updated"]!["items"]![r["key"]!.GetValue<string>()]!.AsArray();
        Assert.Equal("[2,3]", series[^1]!.ToJsonString());
        // Three more requests are let through, then the quota is spent again.
        Assert.Equal("[200,200,200,429]", r["then"]!.ToJsonString());
        Assert.Equal("[[5,0]]", r["usage"]!.ToJsonString());
        Assert.Equal("BadRequestException", r["bad_path"]!["code"]!.GetValue<string>());
        Assert.Equal("BadRequestException", r["no_quota"]!["code"]!.GetValue<string>());
        Assert.Equal("NotFoundException", r["not_in_plan"]!["code"]!.GetValue<string>());
    }
}
