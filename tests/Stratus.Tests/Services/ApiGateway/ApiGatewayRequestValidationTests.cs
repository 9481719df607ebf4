using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>Request validators and models driven by boto3: a body breaking its model and a missing required parameter answer AWS's 400s.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ApiGatewayRequestValidationTests : IClassFixture<StratusFixture>
{
    private readonly StratusFixture _stratus;

    public ApiGatewayRequestValidationTests(StratusFixture stratus) => _stratus = stratus;

    [Fact]
    public async Task Validator_refuses_a_body_breaking_its_model_and_a_missing_required_parameter()
    {
        var r = await Clients.Boto3Async(_stratus.Url, """
            import json, urllib.request, urllib.error
            def call(url, body, headers={}):
                request = urllib.request.Request(url, data=body.encode(), method="POST", headers={"Content-Type": "application/json", **headers})
                try:
                    with urllib.request.urlopen(request) as answer:
                        return {"status": answer.status, "body": answer.read().decode()}
                except urllib.error.HTTPError as refused:
                    return {"status": refused.code, "body": refused.read().decode(), "type": refused.headers.get("x-amzn-ErrorType")}
            apigw = client("apigateway")
            api = apigw.create_rest_api(name="validated")
            api_id, root = api["id"], api["rootResourceId"]
            schema = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["name"],
                      "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}}}
            model = apigw.create_model(restApiId=api_id, name="Pet", contentType="application/json", schema=json.dumps(schema))
            out["model"] = apigw.get_model(restApiId=api_id, modelName="Pet")
            out["models"] = [m["name"] for m in apigw.get_models(restApiId=api_id)["items"]]
            out["bad_schema"] = error(apigw.create_model, restApiId=api_id, name="Broken", contentType="application/json", schema="{not json")
            validator = apigw.create_request_validator(restApiId=api_id, name="all", validateRequestBody=True, validateRequestParameters=True)
            out["validators"] = [v["name"] for v in apigw.get_request_validators(restApiId=api_id)["items"]]
            resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
            apigw.put_method(restApiId=api_id, resourceId=resource["id"], httpMethod="POST", authorizationType="NONE",
                requestValidatorId=validator["id"], requestModels={"application/json": "Pet"},
                requestParameters={"method.request.header.x-tenant": True, "method.request.querystring.dry": False})
            apigw.put_method_response(restApiId=api_id, resourceId=resource["id"], httpMethod="POST", statusCode="200")
            apigw.put_integration(restApiId=api_id, resourceId=resource["id"], httpMethod="POST", type="MOCK",
                requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.put_integration_response(restApiId=api_id, resourceId=resource["id"], httpMethod="POST", statusCode="200", selectionPattern="")
            out["in_use"] = error(apigw.delete_model, restApiId=api_id, modelName="Pet")
            apigw.create_deployment(restApiId=api_id, stageName="prod")
            url = f"{URL}/_aws/execute-api/{api_id}/prod/pets"
            tenant = {"x-tenant": "t1"}
            out["valid"] = call(url, '{"name": "Rex", "age": 3}', tenant)
            out["breaks_model"] = call(url, '{"age": -1}', tenant)
            out["not_json"] = call(url, 'name=Rex', tenant)
            out["no_header"] = call(url, '{"name": "Rex"}')

            apigw.update_request_validator(restApiId=api_id, requestValidatorId=validator["id"],
                patchOperations=[{"op": "replace", "path": "/validateRequestBody", "value": "false"}])
            apigw.create_deployment(restApiId=api_id, stageName="prod")
            out["body_unchecked"] = call(url, '{"age": -1}', tenant)
            """);

        Assert.Equal("application/json", r["model"]!["contentType"]!.GetValue<string>());
        Assert.Equal(["Pet"], r["models"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("BadRequestException", r["bad_schema"]!["code"]!.GetValue<string>());
        Assert.Equal(["all"], r["validators"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("ConflictException", r["in_use"]!["code"]!.GetValue<string>());
        Assert.Equal(200, r["valid"]!["status"]!.GetValue<int>());
        foreach (var invalid in new[] { "breaks_model", "not_json" })
        {
            Assert.Equal(400, r[invalid]!["status"]!.GetValue<int>());
            Assert.Equal("""{"message":"Invalid request body"}""", r[invalid]!["body"]!.GetValue<string>());
            Assert.Equal("BadRequestException", r[invalid]!["type"]!.GetValue<string>());
        }
        Assert.Equal(400, r["no_header"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"message":"Missing required request parameters: [x-tenant]"}""", r["no_header"]!["body"]!.GetValue<string>());
        Assert.Equal(200, r["body_unchecked"]!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Gateway_responses_customize_the_status_headers_and_body_of_refusals()
    {
        var r = await Clients.Boto3Async(_stratus.Url, """
            import json, urllib.request, urllib.error
            def call(url, body):
                request = urllib.request.Request(url, data=body.encode(), method="POST", headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request) as answer:
                        return {"status": answer.status, "body": answer.read().decode()}
                except urllib.error.HTTPError as refused:
                    return {"status": refused.code, "body": refused.read().decode(), "header": refused.headers.get("X-Reason")}
            apigw = client("apigateway")
            api = apigw.create_rest_api(name="customized")
            api_id, root = api["id"], api["rootResourceId"]
            apigw.create_model(restApiId=api_id, name="Named", contentType="application/json",
                schema=json.dumps({"type": "object", "required": ["name"]}))
            validator = apigw.create_request_validator(restApiId=api_id, name="body", validateRequestBody=True)
            apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="POST", authorizationType="NONE",
                requestValidatorId=validator["id"], requestModels={"application/json": "Named"})
            apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="POST", type="MOCK",
                requestTemplates={"application/json": '{"statusCode": 200}'})
            out["default"] = apigw.get_gateway_response(restApiId=api_id, responseType="THROTTLED")
            out["put"] = apigw.put_gateway_response(restApiId=api_id, responseType="BAD_REQUEST_BODY", statusCode="422",
                responseParameters={"gatewayresponse.header.X-Reason": "'schema'"},
                responseTemplates={"application/json": '{"error": $context.error.messageString, "type": "$context.error.responseType"}'})
            apigw.put_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX", statusCode="404",
                responseTemplates={"application/json": '{"gone": "$context.error.message"}'})
            listed = apigw.get_gateway_responses(restApiId=api_id)["items"]
            out["listed"] = {i["responseType"]: i["defaultResponse"] for i in listed}
            out["bad_type"] = error(apigw.put_gateway_response, restApiId=api_id, responseType="NOT_A_TYPE")
            apigw.create_deployment(restApiId=api_id, stageName="prod")
            base = f"{URL}/_aws/execute-api/{api_id}/prod"
            out["body"] = call(base + "/", '{"other": 1}')
            out["route"] = call(base + "/nowhere", '{}')
            apigw.delete_gateway_response(restApiId=api_id, responseType="BAD_REQUEST_BODY")
            out["after_delete"] = apigw.get_gateway_response(restApiId=api_id, responseType="BAD_REQUEST_BODY")["defaultResponse"]
            """);

        Assert.Equal("429", r["default"]!["statusCode"]!.GetValue<string>());
        Assert.True(r["default"]!["defaultResponse"]!.GetValue<bool>());
        Assert.False(r["put"]!["defaultResponse"]!.GetValue<bool>());
        Assert.Equal(21, r["listed"]!.AsObject().Count);
        Assert.False(r["listed"]!["BAD_REQUEST_BODY"]!.GetValue<bool>());
        Assert.True(r["listed"]!["THROTTLED"]!.GetValue<bool>());
        // A response type outside the model's enum is refused before the operation runs, as API Gateway's model validation does.
        Assert.Equal("ValidationException", r["bad_type"]!["code"]!.GetValue<string>());

        Assert.Equal(422, r["body"]!["status"]!.GetValue<int>());
        Assert.Equal("schema", r["body"]!["header"]!.GetValue<string>());
        Assert.Equal("""{"error": "Invalid request body", "type": "BAD_REQUEST_BODY"}""", r["body"]!["body"]!.GetValue<string>());
        // No gateway response of its own: MISSING_AUTHENTICATION_TOKEN takes DEFAULT_4XX's.
        Assert.Equal(404, r["route"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"gone": "Missing Authentication Token"}""", r["route"]!["body"]!.GetValue<string>());
        Assert.True(r["after_delete"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Models_refer_only_to_models_that_exist_and_a_referenced_model_cannot_be_deleted()
    {
        var r = await Clients.Boto3Async(_stratus.Url, """
            apigw = client("apigateway")
            api_id = apigw.create_rest_api(name="referring")["id"]
            root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
            shops = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="shops")["id"]
            def ref(name):
                return json.dumps({"type": "object", "properties": {"pet": {"$ref": f"https://apigateway.amazonaws.com/restapis/{api_id}/models/{name}"}}})
            out["dangling_create"] = error(apigw.create_model, restApiId=api_id, name="Owner", contentType="application/json", schema=ref("Pet"))
            apigw.create_model(restApiId=api_id, name="Pet", contentType="application/json", schema='{"type": "object"}')
            apigw.create_model(restApiId=api_id, name="Owner", contentType="application/json", schema=ref("Pet"))
            out["dangling_update"] = error(apigw.update_model, restApiId=api_id, modelName="Owner",
                patchOperations=[{"op": "replace", "path": "/schema", "value": ref("Vet")}])
            out["by_model"] = error(apigw.delete_model, restApiId=api_id, modelName="Pet")
            apigw.create_model(restApiId=api_id, name="Shop", contentType="application/json", schema='{"type": "object"}')
            apigw.put_method(restApiId=api_id, resourceId=shops, httpMethod="POST", authorizationType="NONE", requestModels={"application/json": "Shop"})
            out["by_request"] = error(apigw.delete_model, restApiId=api_id, modelName="Shop")
            apigw.update_method(restApiId=api_id, resourceId=shops, httpMethod="POST",
                patchOperations=[{"op": "remove", "path": "/requestModels/application~1json"}])
            apigw.put_method_response(restApiId=api_id, resourceId=shops, httpMethod="POST", statusCode="200", responseModels={"application/json": "Shop"})
            out["by_response"] = error(apigw.delete_model, restApiId=api_id, modelName="Shop")
            apigw.delete_method_response(restApiId=api_id, resourceId=shops, httpMethod="POST", statusCode="200")
            out["shop_deleted"] = error(apigw.delete_model, restApiId=api_id, modelName="Shop")
            apigw.delete_model(restApiId=api_id, modelName="Owner")
            out["pet_deleted"] = error(apigw.delete_model, restApiId=api_id, modelName="Pet")
            out["left"] = sorted(m["name"] for m in apigw.get_models(restApiId=api_id)["items"])
            apigw.delete_rest_api(restApiId=api_id)
            """);

        foreach (var (dangling, name) in new[] { ("dangling_create", "Pet"), ("dangling_update", "Vet") })
        {
            Assert.Equal("BadRequestException", r[dangling]!["code"]!.GetValue<string>());
            Assert.StartsWith("Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified",
                r[dangling]!["message"]!.GetValue<string>());
            Assert.Contains($"'{name}'", r[dangling]!["message"]!.GetValue<string>());
        }
        // AWS refuses deleting a model in use with a 409 ConflictException naming its first user.
        foreach (var (inUse, message) in new[]
        {
            ("by_model", "Cannot delete model 'Pet', is referenced in model: Owner"),
            ("by_request", "Cannot delete model 'Shop', is referenced in method request: /shops/POST"),
            ("by_response", "Cannot delete model 'Shop', is referenced in method response: /shops/POST"),
        })
        {
            Assert.Equal("ConflictException", r[inUse]!["code"]!.GetValue<string>());
            Assert.Equal(message, r[inUse]!["message"]!.GetValue<string>());
        }
        Assert.Null(r["shop_deleted"]);
        Assert.Null(r["pet_deleted"]);
        Assert.DoesNotContain("Pet", r["left"]!.AsArray().Select(n => (string?)n));
    }
}
