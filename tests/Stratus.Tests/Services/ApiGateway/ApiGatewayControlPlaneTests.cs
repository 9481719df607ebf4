using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>API Gateway's control plane through boto3: every resource kind, patch operations, tags, and AWS's errors.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ApiGatewayControlPlaneTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Rest_apis_resources_methods_integrations_deployments_stages_and_tags()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            apigw = client("apigateway")
            api = apigw.create_rest_api(name="breadth", description="d1", endpointConfiguration={"types": ["REGIONAL"]}, tags={"team": "a"})
            api_id, root = api["id"], api["rootResourceId"]
            out["api"] = {"id": api_id, "types": api["endpointConfiguration"]["types"], "tags": api["tags"], "created": str(type(api["createdDate"]))}
            other = apigw.create_rest_api(name="second")
            page1 = apigw.get_rest_apis(limit=1)
            page2 = apigw.get_rest_apis(limit=1, position=page1["position"])
            out["paging"] = {"pages": sorted([a["name"] for a in page1["items"]] + [a["name"] for a in page2["items"]]), "sizes": [len(page1["items"]), len(page2["items"])], "more": "position" in page2}
            updated = apigw.update_rest_api(restApiId=api_id, patchOperations=[
                {"op": "replace", "path": "/name", "value": "renamed"},
                {"op": "replace", "path": "/description", "value": "d2"},
                {"op": "add", "path": "/binaryMediaTypes/image~1png"}])
            out["updated"] = {"name": updated["name"], "description": updated["description"], "binary": updated["binaryMediaTypes"]}
            out["badPatch"] = error(apigw.update_rest_api, restApiId=api_id, patchOperations=[{"op": "replace", "path": "/nope", "value": "x"}])

            accounts = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="accounts")
            account = apigw.create_resource(restApiId=api_id, parentId=accounts["id"], pathPart="{id}")
            proxy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")
            out["paths"] = [accounts["path"], account["path"], proxy["path"]]
            out["duplicate"] = error(apigw.create_resource, restApiId=api_id, parentId=root, pathPart="accounts")
            out["badPart"] = error(apigw.create_resource, restApiId=api_id, parentId=root, pathPart="a b")
            out["underGreedy"] = error(apigw.create_resource, restApiId=api_id, parentId=proxy["id"], pathPart="x")

            m = apigw.put_method(restApiId=api_id, resourceId=account["id"], httpMethod="GET", authorizationType="NONE",
                                 apiKeyRequired=True, requestParameters={"method.request.path.id": True, "method.request.querystring.q": False})
            out["method"] = {"apiKeyRequired": m["apiKeyRequired"], "params": m["requestParameters"]}
            out["dupMethod"] = error(apigw.put_method, restApiId=api_id, resourceId=account["id"], httpMethod="GET", authorizationType="NONE")
            out["badVerb"] = error(apigw.put_method, restApiId=api_id, resourceId=account["id"], httpMethod="FETCH", authorizationType="NONE")
            m2 = apigw.update_method(restApiId=api_id, resourceId=account["id"], httpMethod="GET", patchOperations=[
                {"op": "replace", "path": "/apiKeyRequired", "value": "false"},
                {"op": "remove", "path": "/requestParameters/method.request.querystring.q"}])
            out["methodUpdated"] = {"apiKeyRequired": m2["apiKeyRequired"], "params": m2["requestParameters"]}
            apigw.put_method(restApiId=api_id, resourceId=proxy["id"], httpMethod="ANY", authorizationType="NONE")
            out["missingMethod"] = error(apigw.get_method, restApiId=api_id, resourceId=accounts["id"], httpMethod="GET")

            apigw.put_method_response(restApiId=api_id, resourceId=account["id"], httpMethod="GET", statusCode="200",
                                      responseParameters={"method.response.header.Content-Type": False})
            out["noIntegrationYet"] = error(apigw.get_integration, restApiId=api_id, resourceId=account["id"], httpMethod="GET")
            out["badType"] = error(apigw.put_integration, restApiId=api_id, resourceId=account["id"], httpMethod="GET", type="SOAP")
            out["badArn"] = error(apigw.put_integration, restApiId=api_id, resourceId=account["id"], httpMethod="GET", type="AWS",
                                  integrationHttpMethod="POST", uri="arn:aws:apigateway:us-east-1:lambda:nowhere")
            out["noHttpMethod"] = error(apigw.put_integration, restApiId=api_id, resourceId=account["id"], httpMethod="GET", type="HTTP",
                                        uri="http://127.0.0.1:1/")
            out["badTemplate"] = error(apigw.put_integration, restApiId=api_id, resourceId=account["id"], httpMethod="GET", type="MOCK",
                                       requestTemplates={"application/json": "#if($x) never closed"})
            integration = apigw.put_integration(restApiId=api_id, resourceId=account["id"], httpMethod="GET", type="MOCK",
                                                requestTemplates={"application/json": '{"statusCode": 200}'}, passthroughBehavior="WHEN_NO_TEMPLATES",
                                                timeoutInMillis=5000)
            out["integration"] = {"type": integration["type"], "passthrough": integration["passthroughBehavior"], "timeout": integration["timeoutInMillis"]}
            patched = apigw.update_integration(restApiId=api_id, resourceId=account["id"], httpMethod="GET", patchOperations=[
                {"op": "add", "path": "/requestTemplates/text~1plain", "value": "plain"}])
            out["templates"] = sorted(patched["requestTemplates"].keys())
            out["noMethodResponse"] = error(apigw.put_integration_response, restApiId=api_id, resourceId=account["id"], httpMethod="GET", statusCode="404")
            out["badPattern"] = error(apigw.put_integration_response, restApiId=api_id, resourceId=account["id"], httpMethod="GET",
                                      statusCode="200", selectionPattern="(unclosed")
            ir = apigw.put_integration_response(restApiId=api_id, resourceId=account["id"], httpMethod="GET", statusCode="200",
                                                responseTemplates={"application/json": '{"id": "$input.params(\'id\')"}'})
            out["integrationResponse"] = ir["statusCode"]
            apigw.put_integration(restApiId=api_id, resourceId=proxy["id"], httpMethod="ANY", type="HTTP_PROXY",
                                  integrationHttpMethod="ANY", uri="http://127.0.0.1:9/{proxy}")
            full = apigw.get_resources(restApiId=api_id, embed=["methods"])
            plain = apigw.get_resources(restApiId=api_id)
            byPath = {r["path"]: r for r in full["items"]}
            out["embedded"] = byPath["/accounts/{id}"]["resourceMethods"]["GET"]["methodIntegration"]["type"]
            out["notEmbedded"] = {r["path"]: r.get("resourceMethods") for r in plain["items"]}["/accounts/{id}"]

            out["emptyApi"] = error(apigw.create_deployment, restApiId=other["id"], stageName="x")
            dep = apigw.create_deployment(restApiId=api_id, stageName="dev", description="first", variables={"env": "dev"})
            stage = apigw.get_stage(restApiId=api_id, stageName="dev")
            out["stage"] = {"deploymentMatches": stage["deploymentId"] == dep["id"], "variables": stage["variables"]}
            out["dupStage"] = error(apigw.create_stage, restApiId=api_id, stageName="dev", deploymentId=dep["id"])
            apigw.create_stage(restApiId=api_id, stageName="prod", deploymentId=dep["id"], variables={"env": "prod"}, tags={"tier": "1"})
            out["stages"] = sorted(s["stageName"] for s in apigw.get_stages(restApiId=api_id)["item"])
            st = apigw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
                {"op": "replace", "path": "/variables/env", "value": "production"},
                {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"},
                {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"}])
            out["stageUpdated"] = {"env": st["variables"]["env"], "log": st["methodSettings"]["*/*"]["loggingLevel"], "metrics": st["methodSettings"]["*/*"]["metricsEnabled"]}
            out["badVariable"] = error(apigw.update_stage, restApiId=api_id, stageName="prod", patchOperations=[
                {"op": "replace", "path": "/variables/env", "value": "spaces are bad"}])
            out["deployments"] = len(apigw.get_deployments(restApiId=api_id)["items"])
            out["deploymentInUse"] = error(apigw.delete_deployment, restApiId=api_id, deploymentId=dep["id"])

            api_arn = f"arn:aws:apigateway:us-east-1::/restapis/{api_id}"
            apigw.tag_resource(resourceArn=api_arn, tags={"cost": "c1"})
            apigw.untag_resource(resourceArn=api_arn, tagKeys=["team"])
            out["apiTags"] = apigw.get_tags(resourceArn=api_arn)["tags"]
            out["stageTags"] = apigw.get_tags(resourceArn=api_arn + "/stages/prod")["tags"]

            tested = apigw.test_invoke_method(restApiId=api_id, resourceId=account["id"], httpMethod="GET", pathWithQueryString="/accounts/77")
            out["testInvoke"] = {"status": tested["status"], "body": tested["body"]}

            apigw.delete_resource(restApiId=api_id, resourceId=accounts["id"])
            out["afterDelete"] = sorted(r["path"] for r in apigw.get_resources(restApiId=api_id)["items"])
            out["childGone"] = error(apigw.get_resource, restApiId=api_id, resourceId=account["id"])
            out["rootDelete"] = error(apigw.delete_resource, restApiId=api_id, resourceId=root)
            apigw.delete_stage(restApiId=api_id, stageName="prod")
            out["stageGone"] = error(apigw.get_stage, restApiId=api_id, stageName="prod")
            apigw.delete_rest_api(restApiId=api_id)
            out["apiGone"] = error(apigw.get_rest_api, restApiId=api_id)
            """);

        Assert.Matches("^[a-z0-9]{10}$", result["api"]!["id"]!.GetValue<string>());
        Assert.Equal("""["REGIONAL"]""", result["api"]!["types"]!.ToJsonString());
        Assert.Equal("""{"team":"a"}""", result["api"]!["tags"]!.ToJsonString());
        Assert.Contains("datetime", result["api"]!["created"]!.GetValue<string>());
        Assert.Equal("""{"pages":["breadth","second"],"sizes":[1,1],"more":false}""", result["paging"]!.ToJsonString());
        Assert.Equal("""{"name":"renamed","description":"d2","binary":["image/png"]}""", result["updated"]!.ToJsonString());
        AssertError(result["badPatch"], "BadRequestException", 400, "Invalid patch path '/nope'");

        Assert.Equal(["/accounts", "/accounts/{id}", "/{proxy+}"], Strings(result["paths"]));
        AssertError(result["duplicate"], "ConflictException", 409, "Another resource with the same parent already has this name: accounts");
        AssertError(result["badPart"], "BadRequestException", 400, "Resource's path part only allow");
        AssertError(result["underGreedy"], "BadRequestException", 400, "greedy path variable");

        Assert.Equal("""{"apiKeyRequired":true,"params":{"method.request.path.id":true,"method.request.querystring.q":false}}""", result["method"]!.ToJsonString());
        AssertError(result["dupMethod"], "ConflictException", 409, "Method already exists for this resource");
        AssertError(result["badVerb"], "BadRequestException", 400, "Invalid HttpMethod specified");
        Assert.Equal("""{"apiKeyRequired":false,"params":{"method.request.path.id":true}}""", result["methodUpdated"]!.ToJsonString());
        AssertError(result["missingMethod"], "NotFoundException", 404, "Invalid Method identifier specified");

        AssertError(result["noIntegrationYet"], "NotFoundException", 404, "Invalid Integration identifier specified");
        // The model's enum, checked before the operation runs: ValidationException, in the order AWS lists the types.
        AssertError(result["badType"], "ValidationException", 400,
            "Value 'SOAP' at 'putIntegrationInput.type' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]");
        AssertError(result["badArn"], "BadRequestException", 400, "AWS ARN for integration must contain path or action");
        AssertError(result["noHttpMethod"], "BadRequestException", 400, "Enumeration value for HttpMethod must be non-empty");
        AssertError(result["badTemplate"], "BadRequestException", 400, "Invalid mapping template");
        Assert.Equal("""{"type":"MOCK","passthrough":"WHEN_NO_TEMPLATES","timeout":5000}""", result["integration"]!.ToJsonString());
        Assert.Equal("""["application/json","text/plain"]""", result["templates"]!.ToJsonString());
        AssertError(result["noMethodResponse"], "NotFoundException", 404, "Invalid Response status code specified");
        AssertError(result["badPattern"], "BadRequestException", 400, "Invalid selection pattern");
        Assert.Equal("200", result["integrationResponse"]!.GetValue<string>());
        Assert.Equal("MOCK", result["embedded"]!.GetValue<string>());
        Assert.Equal("""{"GET":{}}""", result["notEmbedded"]!.ToJsonString());

        AssertError(result["emptyApi"], "BadRequestException", 400, "The REST API doesn't contain any methods");
        Assert.Equal("""{"deploymentMatches":true,"variables":{"env":"dev"}}""", result["stage"]!.ToJsonString());
        AssertError(result["dupStage"], "ConflictException", 409, "Stage already exists");
        Assert.Equal("""["dev","prod"]""", result["stages"]!.ToJsonString());
        Assert.Equal("""{"env":"production","log":"INFO","metrics":true}""", result["stageUpdated"]!.ToJsonString());
        AssertError(result["badVariable"], "BadRequestException", 400, "Stage variable value");
        Assert.Equal(1, result["deployments"]!.GetValue<int>());
        AssertError(result["deploymentInUse"], "BadRequestException", 400, "Active stages pointing to this deployment must be moved or deleted");

        Assert.Equal("""{"cost":"c1"}""", result["apiTags"]!.ToJsonString());
        Assert.Equal("""{"tier":"1"}""", result["stageTags"]!.ToJsonString());
        Assert.Equal(200, result["testInvoke"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"id": "77"}""", result["testInvoke"]!["body"]!.GetValue<string>());

        Assert.Equal(["/", "/{proxy+}"], Strings(result["afterDelete"]));
        AssertError(result["childGone"], "NotFoundException", 404, "Invalid Resource identifier specified");
        AssertError(result["rootDelete"], "BadRequestException", 400, "Cannot delete root resource");
        AssertError(result["stageGone"], "NotFoundException", 404, "Invalid Stage identifier specified");
        AssertError(result["apiGone"], "NotFoundException", 404, "Invalid API identifier specified");
    }

    private static IEnumerable<string> Strings(JsonNode? list) => list!.AsArray().Select(n => n!.GetValue<string>());

    private static void AssertError(JsonNode? error, string code, int status, string messagePart)
    {
        Assert.NotNull(error);
        Assert.Equal(code, error["code"]!.GetValue<string>());
        Assert.Equal(status, error["status"]!.GetValue<int>());
        Assert.Contains(messagePart, error["message"]!.GetValue<string>());
    }
}
