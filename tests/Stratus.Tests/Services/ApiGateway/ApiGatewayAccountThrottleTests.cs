using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// API Gateway's account-level throttle is a quota Stratus takes from its environment (STRATUS_APIGATEWAY_ACCOUNT_RATE/_BURST):
/// GetAccount reports it as throttleSettings, and a stage's requests beyond its burst are answered 429, as AWS throttles.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ApiGatewayAccountThrottleTests
{
    [Fact]
    public async Task The_quota_set_in_the_environment_is_the_one_get_account_reports_and_the_stage_enforces()
    {
        // A refill of one request per 1,000 seconds: only the burst of 3 gets through during the test.
        await using var server = await StratusProcess.StartEphemeralAsync(new Dictionary<string, string>
        {
            ["STRATUS_APIGATEWAY_ACCOUNT_RATE"] = "0.001",
            ["STRATUS_APIGATEWAY_ACCOUNT_BURST"] = "3",
        });

        var r = await Clients.Boto3Async(server.Url, """
            import urllib.request, urllib.error
            apigw = client("apigateway")
            out["throttle"] = apigw.get_account()["throttleSettings"]
            api = apigw.create_rest_api(name="throttled")
            apigw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", authorizationType="NONE")
            apigw.put_method_response(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", statusCode="200")
            apigw.put_integration(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", type="MOCK",
                requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.put_integration_response(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", statusCode="200")
            apigw.create_deployment(restApiId=api["id"], stageName="prod")
            def status():
                try:
                    with urllib.request.urlopen(f"{URL}/_aws/execute-api/{api['id']}/prod/") as answer:
                        return answer.status
                except urllib.error.HTTPError as refused:
                    return refused.code
            out["statuses"] = [status() for _ in range(5)]
            """);

        Assert.Equal(3, r["throttle"]!["burstLimit"]!.GetValue<int>());
        Assert.Equal(0.001, r["throttle"]!["rateLimit"]!.GetValue<double>());
        Assert.Equal("[200,200,200,429,429]", r["statuses"]!.ToJsonString());
    }
}
