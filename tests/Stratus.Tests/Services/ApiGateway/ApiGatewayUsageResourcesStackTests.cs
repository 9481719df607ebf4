using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>AWS::ApiGateway::ApiKey, UsagePlan, UsagePlanKey, Model, RequestValidator and GatewayResponse in one stack, served and then removed with it.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ApiGatewayUsageResourcesStackTests : IClassFixture<StratusFixture>
{
    private readonly StratusFixture _stratus;

    public ApiGatewayUsageResourcesStackTests(StratusFixture stratus) => _stratus = stratus;

    [Fact]
    public async Task Stack_creates_keys_plans_validators_models_and_gateway_responses_that_the_stage_serves()
    {
        var r = await Clients.Boto3Async(_stratus.Url, """
            import json, urllib.request, urllib.error
            def call(url, key=None, body='{"name": "x"}'):
                headers = {"Content-Type": "application/json", **({"x-api-key": key} if key else {})}
                try:
                    with urllib.request.urlopen(urllib.request.Request(url, data=body.encode(), method="POST", headers=headers)) as answer:
                        return {"status": answer.status, "body": answer.read().decode()}
                except urllib.error.HTTPError as refused:
                    return {"status": refused.code, "body": refused.read().decode()}
            template = {"Resources": {
                "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "stacked"}},
                "Named": {"Type": "AWS::ApiGateway::Model", "Properties": {"RestApiId": {"Ref": "Api"}, "ContentType": "application/json",
                    "Schema": {"type": "object", "required": ["name"]}}},
                "Validator": {"Type": "AWS::ApiGateway::RequestValidator", "Properties": {"RestApiId": {"Ref": "Api"}, "ValidateRequestBody": True}},
                "Method": {"Type": "AWS::ApiGateway::Method", "Properties": {"RestApiId": {"Ref": "Api"},
                    "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "HttpMethod": "POST", "AuthorizationType": "NONE",
                    "ApiKeyRequired": True, "RequestValidatorId": {"Ref": "Validator"}, "RequestModels": {"application/json": {"Ref": "Named"}},
                    "Integration": {"Type": "MOCK", "RequestTemplates": {"application/json": "{\"statusCode\": 200}"},
                        "IntegrationResponses": [{"StatusCode": "200"}]},
                    "MethodResponses": [{"StatusCode": "200"}]}},
                "NoKey": {"Type": "AWS::ApiGateway::GatewayResponse", "Properties": {"RestApiId": {"Ref": "Api"},
                    "ResponseType": "INVALID_API_KEY", "StatusCode": "401", "ResponseTemplates": {"application/json": "{\"need\": \"key\"}"}}},
                "Deployment": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": ["Method", "NoKey"],
                    "Properties": {"RestApiId": {"Ref": "Api"}, "StageName": "prod"}},
                "Key": {"Type": "AWS::ApiGateway::ApiKey", "Properties": {"Enabled": True, "Value": "stack-made-key-0123456789"}},
                "Plan": {"Type": "AWS::ApiGateway::UsagePlan", "DependsOn": "Deployment", "Properties": {
                    "ApiStages": [{"ApiId": {"Ref": "Api"}, "Stage": "prod"}], "Quota": {"Limit": 100, "Period": "MONTH"}}},
                "PlanKey": {"Type": "AWS::ApiGateway::UsagePlanKey", "Properties": {"KeyId": {"Ref": "Key"}, "KeyType": "API_KEY",
                    "UsagePlanId": {"Ref": "Plan"}}},
            }, "Outputs": {"Api": {"Value": {"Ref": "Api"}}}}
            cfn = client("cloudformation")
            cfn.create_stack(StackName="usage", TemplateBody=json.dumps(template))
            cfn.get_waiter("stack_create_complete").wait(StackName="usage", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            api_id = cfn.describe_stacks(StackName="usage")["Stacks"][0]["Outputs"][0]["OutputValue"]
            url = f"{URL}/_aws/execute-api/{api_id}/prod/"
            out["no_key"] = call(url)
            out["with_key"] = call(url, "stack-made-key-0123456789")
            out["bad_body"] = call(url, "stack-made-key-0123456789", '{"other": 1}')
            cfn.delete_stack(StackName="usage")
            cfn.get_waiter("stack_delete_complete").wait(StackName="usage", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            apigw = client("apigateway")
            out["keys_left"] = len(apigw.get_api_keys()["items"])
            out["plans_left"] = len(apigw.get_usage_plans()["items"])
            """);

        Assert.Equal(401, r["no_key"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"need": "key"}""", r["no_key"]!["body"]!.GetValue<string>());
        Assert.Equal(200, r["with_key"]!["status"]!.GetValue<int>());
        Assert.Equal(400, r["bad_body"]!["status"]!.GetValue<int>());
        Assert.Equal(0, r["keys_left"]!.GetValue<int>());
        Assert.Equal(0, r["plans_left"]!.GetValue<int>());
    }
}
