using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// Through boto3: operations of the lambda, apigateway and apigatewayv2 models Stratus does not serve are refused by
/// name with their reason, and the last gateway-response and authorizer-cache operations are served.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ApiGatewayNotServedTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Unserved_operations_are_refused_by_name_and_UpdateGatewayResponse_and_FlushStageAuthorizersCache_are_served()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            apigw = client("apigateway")
            out["vpclinks_v1"] = error(apigw.get_vpc_links)
            out["esm"] = error(client("lambda").list_event_source_mappings)
            out["vpclink"] = error(client("apigatewayv2").get_vpc_links)
            api = apigw.create_rest_api(name="patched-responses")["id"]
            updated = apigw.update_gateway_response(restApiId=api, responseType="MISSING_AUTHENTICATION_TOKEN", patchOperations=[
                {"op": "replace", "path": "/statusCode", "value": "404"},
                {"op": "add", "path": "/responseTemplates/application~1json", "value": '{"gone": true}'},
                {"op": "add", "path": "/responseParameters/gatewayresponse.header.x-why", "value": "'no route'"}])
            out["updated"] = {k: updated[k] for k in ["statusCode", "responseTemplates", "responseParameters", "defaultResponse"]}
            out["got"] = apigw.get_gateway_response(restApiId=api, responseType="MISSING_AUTHENTICATION_TOKEN")["statusCode"]
            out["badPath"] = error(apigw.update_gateway_response, restApiId=api, responseType="DEFAULT_4XX", patchOperations=[{"op": "replace", "path": "/nope", "value": "x"}])
            root = apigw.get_resources(restApiId=api)["items"][0]["id"]
            apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
            apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.create_deployment(restApiId=api, stageName="prod")
            out["flushed"] = apigw.flush_stage_authorizers_cache(restApiId=api, stageName="prod")["ResponseMetadata"]["HTTPStatusCode"]
            out["noStage"] = error(apigw.flush_stage_authorizers_cache, restApiId=api, stageName="nope")
            """);

        Assert.Equal("BadRequestException", result["vpclinks_v1"]!["code"]!.GetValue<string>());
        Assert.Contains("GetVpcLinks: VPC links carry traffic", result["vpclinks_v1"]!["message"]!.GetValue<string>());
        Assert.Equal("InvalidParameterValueException", result["esm"]!["code"]!.GetValue<string>());
        Assert.Contains("ListEventSourceMappings: event source mappings poll SQS", result["esm"]!["message"]!.GetValue<string>());
        Assert.Equal("BadRequestException", result["vpclink"]!["code"]!.GetValue<string>());
        Assert.Contains("GetVpcLinks: VPC links", result["vpclink"]!["message"]!.GetValue<string>());

        var updated = result["updated"]!;
        Assert.Equal("404", updated["statusCode"]!.GetValue<string>());
        Assert.Equal("{\"gone\": true}", updated["responseTemplates"]!["application/json"]!.GetValue<string>());
        Assert.Equal("'no route'", updated["responseParameters"]!["gatewayresponse.header.x-why"]!.GetValue<string>());
        Assert.False(updated["defaultResponse"]!.GetValue<bool>());
        Assert.Equal("404", result["got"]!.GetValue<string>());
        Assert.Equal("BadRequestException", result["badPath"]!["code"]!.GetValue<string>());
        Assert.Equal(202, result["flushed"]!.GetValue<int>());
        Assert.Equal("NotFoundException", result["noStage"]!["code"]!.GetValue<string>());
    }
}
