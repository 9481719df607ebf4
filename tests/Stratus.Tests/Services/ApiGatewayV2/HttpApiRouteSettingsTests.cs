using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.ApiGatewayV2;

/// <summary>
/// An HTTP API stage's DefaultRouteSettings and RouteSettings through boto3: throttling enforced per route with 429
/// {"message":"Too Many Requests"}, detailed metrics published per route, DeleteRouteSettings, and AWS's refusals.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class HttpApiRouteSettingsTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Route_settings_throttle_their_route_publish_detailed_metrics_and_can_be_deleted()
    {
        var r = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + """
            import urllib.request, urllib.error, time
            v2 = client("apigatewayv2")
            cw = client("cloudwatch")
            arn = create("v2-route-settings", {"app.py": "def handler(event, context):\n    return {'route': event['routeKey']}\n"})["FunctionArn"]
            lam.add_permission(FunctionName="v2-route-settings", StatementId="apigateway", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
            api = v2.create_api(Name="route-settings", ProtocolType="HTTP", Target=arn)["ApiId"]
            integration = v2.get_integrations(ApiId=api)["Items"][0]["IntegrationId"]
            v2.create_route(ApiId=api, RouteKey="GET /limited", Target="integrations/" + integration)
            stage = v2.update_stage(ApiId=api, StageName="$default",
                DefaultRouteSettings={"DetailedMetricsEnabled": True},
                RouteSettings={"GET /limited": {"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 0.0}})
            out["updated"] = {"default": stage["DefaultRouteSettings"], "routes": stage["RouteSettings"]}
            def call(path):
                try:
                    with urllib.request.urlopen(URL + "/_aws/execute-api/" + api + path) as response:
                        return [response.status, response.read().decode()]
                except urllib.error.HTTPError as e:
                    return [e.code, e.read().decode()]
            out["limited"] = [call("/limited") for _ in range(3)]
            out["other"] = call("/other")
            def errors(action):
                try:
                    action()
                    return None
                except v2.exceptions.ClientError as e:
                    return [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
            out["unknown_route"] = errors(lambda: v2.update_stage(ApiId=api, StageName="$default", RouteSettings={"GET /nowhere": {"ThrottlingBurstLimit": 1}}))
            out["logging_level"] = errors(lambda: v2.update_stage(ApiId=api, StageName="$default", DefaultRouteSettings={"LoggingLevel": "INFO"}))
            v2.delete_route_settings(ApiId=api, StageName="$default", RouteKey="GET /limited")
            out["after_delete"] = v2.get_stage(ApiId=api, StageName="$default").get("RouteSettings", {})
            out["limited_again"] = call("/limited")
            out["delete_again"] = errors(lambda: v2.delete_route_settings(ApiId=api, StageName="$default", RouteKey="GET /limited"))
            routes = []
            for _ in range(600):
                metrics = cw.list_metrics(Namespace="AWS/ApiGateway", MetricName="Count",
                    Dimensions=[{"Name": "ApiId", "Value": api}, {"Name": "Stage", "Value": "$default"}, {"Name": "Route"}])["Metrics"]
                routes = sorted(d["Value"] for m in metrics for d in m["Dimensions"] if d["Name"] == "Route")
                if "GET /limited" in routes and "$default" in routes: break
                time.sleep(0.1)
            out["metric_routes"] = routes
            """);
        Assert.Equal("""{"DetailedMetricsEnabled":true}""", r["updated"]!["default"]!.ToJsonString());
        Assert.Equal(2, r["updated"]!["routes"]!["GET /limited"]!["ThrottlingBurstLimit"]!.GetValue<int>());
        Assert.Equal(0.0, r["updated"]!["routes"]!["GET /limited"]!["ThrottlingRateLimit"]!.GetValue<double>());
        var limited = r["limited"]!.AsArray();
        Assert.Equal([200, 200, 429], limited.Select(c => c![0]!.GetValue<int>()));
        Assert.Equal("""{"message":"Too Many Requests"}""", limited[2]![1]!.GetValue<string>());
        Assert.Equal(200, r["other"]![0]!.GetValue<int>());
        Assert.Equal("""["BadRequestException",400]""", r["unknown_route"]!.ToJsonString());
        Assert.Equal("""["BadRequestException",400]""", r["logging_level"]!.ToJsonString());
        Assert.Equal("{}", r["after_delete"]!.ToJsonString());
        Assert.Equal(200, r["limited_again"]![0]!.GetValue<int>());
        Assert.Equal("""["NotFoundException",404]""", r["delete_again"]!.ToJsonString());
        Assert.Equal("""["$default","GET /limited"]""", r["metric_routes"]!.ToJsonString());
    }
}
