using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>ImportRestApi and PutRestApi with Swagger/OpenAPI definitions through boto3: merge, overwrite, and all-or-nothing failures.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ApiGatewayImportTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Definitions_are_imported_merged_overwritten_and_a_bad_one_changes_nothing()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            apigw = client("apigateway")
            def mock(body):
                return {"responses": {"200": {"description": "ok"}},
                        "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
                                                            "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": body}}}}}
            def shape(api):
                return {r["path"]: sorted(r.get("resourceMethods", {})) for r in apigw.get_resources(restApiId=api, limit=500)["items"]}
            swagger = {"swagger": "2.0", "info": {"title": "imported", "version": "2"}, "x-amazon-apigateway-binary-media-types": ["image/png"],
                       "paths": {"/pets": {"get": mock("[]"), "x-amazon-apigateway-any-method": mock("{}")}, "/pets/{petId}": {"get": mock("{}")}}}
            api = apigw.import_rest_api(body=json.dumps(swagger).encode())
            out["imported"] = [api["name"], api["version"], api.get("binaryMediaTypes"), shape(api["id"])]

            merged = {"openapi": "3.0.1", "info": {"title": "imported"}, "paths": {"/owners": {"post": mock("{}")}}}
            apigw.put_rest_api(restApiId=api["id"], mode="merge", body=json.dumps(merged).encode())
            out["merged"] = shape(api["id"])
            apigw.put_rest_api(restApiId=api["id"], mode="overwrite", body=json.dumps(merged).encode())
            out["overwritten"] = shape(api["id"])

            broken = {"openapi": "3.0.1", "info": {"title": "x"}, "paths": {"/a": {"get": mock("{}")},
                      "/b": {"get": {"x-amazon-apigateway-integration": {"type": "carrier-pigeon"}}}}}
            out["broken"] = error(apigw.put_rest_api, restApiId=api["id"], mode="overwrite", body=json.dumps(broken).encode())
            out["afterBroken"] = shape(api["id"])
            out["yaml"] = error(apigw.import_rest_api, body=b"openapi: 3.0.1\n")
            out["apis"] = sorted(a["name"] for a in apigw.get_rest_apis()["items"])
            """);

        Assert.Equal("""["imported","2",["image/png"],{"/":[],"/pets":["ANY","GET"],"/pets/{petId}":["GET"]}]""", result["imported"]!.ToJsonString());
        Assert.Equal("""{"/":[],"/owners":["POST"],"/pets":["ANY","GET"],"/pets/{petId}":["GET"]}""", result["merged"]!.ToJsonString());
        Assert.Equal("""{"/":[],"/owners":["POST"]}""", result["overwritten"]!.ToJsonString());
        Assert.Equal("BadRequestException", (string?)result["broken"]!["code"]);
        Assert.Equal(400, (int)result["broken"]!["status"]!);
        Assert.Equal("""{"/":[],"/owners":["POST"]}""", result["afterBroken"]!.ToJsonString());
        Assert.Equal("BadRequestException", (string?)result["yaml"]!["code"]);
        Assert.Equal("""["imported"]""", result["apis"]!.ToJsonString());
    }
}
