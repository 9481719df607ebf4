using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// Documentation parts and versions through boto3: locations checked by AWS's rules (defaults filled, fields a type does not take
/// refused, one part per location), properties patched, parts imported in merge and overwrite modes, a version snapshotting the parts
/// and published to a stage, whose export with the documentation extension carries that snapshot.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ApiGatewayDocumentationTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Parts_follow_the_location_rules_import_merge_and_overwrite_and_a_published_version_is_exported()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            apigw = client("apigateway")
            def refused(action, **kw):
                try:
                    action(**kw)
                    return None
                except apigw.exceptions.ClientError as e:
                    return [e.response["Error"]["Code"], e.response["Error"]["Message"]]
            api = apigw.create_rest_api(name="documented")
            api_id, root = api["id"], api["rootResourceId"]
            apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
            apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
            deployment = apigw.create_deployment(restApiId=api_id, stageName="prod")

            api_part = apigw.create_documentation_part(restApiId=api_id, location={"type": "API"}, properties='{"description": "The pets API"}')
            method_part = apigw.create_documentation_part(restApiId=api_id, location={"type": "METHOD", "method": "get"}, properties='{"summary": "List"}')
            out["api_part"] = api_part["location"]
            out["method_part"] = method_part["location"]
            out["duplicate"] = refused(apigw.create_documentation_part, restApiId=api_id, location={"type": "API"}, properties="{}")
            out["not_taken"] = refused(apigw.create_documentation_part, restApiId=api_id, location={"type": "API", "path": "/pets"}, properties="{}")
            out["name_missing"] = refused(apigw.create_documentation_part, restApiId=api_id, location={"type": "MODEL"}, properties="{}")
            out["bad_properties"] = refused(apigw.create_documentation_part, restApiId=api_id, location={"type": "RESOURCE"}, properties="[1]")
            out["patched"] = apigw.update_documentation_part(restApiId=api_id, documentationPartId=method_part["id"],
                patchOperations=[{"op": "replace", "path": "/properties", "value": '{"summary": "List the pets"}'}])["properties"]
            out["by_type"] = [p["location"]["type"] for p in apigw.get_documentation_parts(restApiId=api_id, type="METHOD")["items"]]

            version = apigw.create_documentation_version(restApiId=api_id, documentationVersion="1.0", stageName="prod", description="first")
            out["version"] = [version["version"], version["description"], "createdDate" in version]
            out["stage_version"] = apigw.get_stage(restApiId=api_id, stageName="prod").get("documentationVersion")
            out["stage_with_version"] = apigw.create_stage(restApiId=api_id, stageName="docs", deploymentId=deployment["id"], documentationVersion="1.0").get("documentationVersion")
            out["stage_unknown_version"] = refused(apigw.create_stage, restApiId=api_id, stageName="nodocs", deploymentId=deployment["id"], documentationVersion="9.9")
            apigw.delete_stage(restApiId=api_id, stageName="docs")
            out["version_again"] = refused(apigw.create_documentation_version, restApiId=api_id, documentationVersion="1.0")

            merged = apigw.import_documentation_parts(restApiId=api_id, mode="merge", body=json.dumps({"swagger": "2.0", "info": {"title": "x"}, "paths": {},
                "x-amazon-apigateway-documentation": {"documentationParts": [
                    {"location": {"type": "API"}, "properties": {"description": "Imported"}},
                    {"location": {"type": "MODEL", "name": "Pet"}, "properties": {"title": "A pet"}},
                    {"location": {"type": "MODEL"}, "properties": {}}]}}).encode())
            out["merged"] = [len(merged["ids"]), merged["ids"][0] == api_part["id"], len(merged.get("warnings", []))]
            out["after_merge"] = sorted(p["location"]["type"] for p in apigw.get_documentation_parts(restApiId=api_id)["items"])
            overwritten = apigw.import_documentation_parts(restApiId=api_id, mode="overwrite", failOnWarnings=True, body=json.dumps({"openapi": "3.0.1", "info": {"title": "x"}, "paths": {},
                "x-amazon-apigateway-documentation": {"documentationParts": [{"location": {"type": "RESOURCE", "path": "/"}, "properties": {"description": "Root"}}]}}).encode())
            out["after_overwrite"] = [p["location"]["type"] for p in apigw.get_documentation_parts(restApiId=api_id)["items"]]

            exported = json.loads(apigw.get_export(restApiId=api_id, stageName="prod", exportType="oas30", parameters={"extensions": "documentation"})["body"].read())
            out["exported"] = exported.get("x-amazon-apigateway-documentation")
            plain = json.loads(apigw.get_export(restApiId=api_id, stageName="prod", exportType="oas30")["body"].read())
            out["plain_has_documentation"] = "x-amazon-apigateway-documentation" in plain
            out["published_delete"] = refused(apigw.delete_documentation_version, restApiId=api_id, documentationVersion="1.0")
            apigw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[{"op": "remove", "path": "/documentationVersion"}])
            apigw.delete_documentation_version(restApiId=api_id, documentationVersion="1.0")
            out["versions_left"] = apigw.get_documentation_versions(restApiId=api_id)["items"]
            apigw.delete_documentation_part(restApiId=api_id, documentationPartId=overwritten["ids"][0])
            out["gone"] = refused(apigw.get_documentation_part, restApiId=api_id, documentationPartId=overwritten["ids"][0])
            apigw.delete_rest_api(restApiId=api_id)
            """);

        Assert.Equal("""{"type":"API"}""", r["api_part"]!.ToJsonString());
        Assert.Equal("""{"type":"METHOD","path":"/","method":"GET"}""", r["method_part"]!.ToJsonString());
        Assert.Equal("ConflictException", (string?)r["duplicate"]![0]);
        Assert.Equal("BadRequestException", (string?)r["not_taken"]![0]);
        Assert.Contains("'path'", (string?)r["not_taken"]![1]);
        Assert.Contains("'name' is required", (string?)r["name_missing"]![1]);
        Assert.Equal("BadRequestException", (string?)r["bad_properties"]![0]);
        Assert.Equal("""{"summary": "List the pets"}""", (string?)r["patched"]);
        Assert.Equal("""["METHOD"]""", r["by_type"]!.ToJsonString());
        Assert.Equal("""["1.0","first",true]""", r["version"]!.ToJsonString());
        Assert.Equal("1.0", (string?)r["stage_version"]);
        Assert.Equal("ConflictException", (string?)r["version_again"]![0]);
        Assert.Equal("1.0", (string?)r["stage_with_version"]);
        Assert.Equal("NotFoundException", (string?)r["stage_unknown_version"]![0]);
        // The API part at the same location is replaced in place, the model part added, the nameless model part a warning.
        Assert.Equal("[2,true,1]", r["merged"]!.ToJsonString());
        Assert.Equal("""["API","METHOD","MODEL"]""", r["after_merge"]!.ToJsonString());
        Assert.Equal("""["RESOURCE"]""", r["after_overwrite"]!.ToJsonString());
        // The export carries the published snapshot (version 1.0), not the parts imported since.
        var exported = r["exported"]!;
        Assert.Equal("1.0", (string?)exported["version"]);
        var parts = exported["documentationParts"]!.AsArray().Select(p => p!["location"]!["type"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(["API", "METHOD"], parts);
        Assert.Contains(exported["documentationParts"]!.AsArray(), p => (string?)p!["properties"]!["summary"] == "List the pets");
        Assert.False((bool)r["plain_has_documentation"]!);
        Assert.Equal("BadRequestException", (string?)r["published_delete"]![0]);
        Assert.Empty(r["versions_left"]!.AsArray());
        Assert.Equal("NotFoundException", (string?)r["gone"]![0]);
    }

    [Fact]
    public async Task ImportRestApi_and_PutRestApi_read_the_documentation_the_definition_carries()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            apigw = client("apigateway")
            def definition(parts):
                return json.dumps({"openapi": "3.0.1", "info": {"title": "documented", "version": "1"},
                    "paths": {"/pets": {"get": {"x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'}}}}},
                    "x-amazon-apigateway-documentation": {"documentationParts": parts}}).encode()
            api = apigw.import_rest_api(body=definition([
                {"location": {"type": "API"}, "properties": {"description": "The pet shop"}},
                {"location": {"type": "METHOD", "path": "/pets", "method": "GET"}, "properties": {"summary": "List pets"}},
                {"location": {"type": "NOT_A_TYPE"}, "properties": {}}]))
            parts = apigw.get_documentation_parts(restApiId=api["id"])["items"]
            out["imported"] = sorted((p["location"]["type"], json.loads(p["properties"])) for p in parts)
            apigw.put_rest_api(restApiId=api["id"], mode="merge", body=definition([
                {"location": {"type": "API"}, "properties": {"description": "Renamed shop"}}]))
            parts = apigw.get_documentation_parts(restApiId=api["id"])["items"]
            out["merged"] = sorted((p["location"]["type"], json.loads(p["properties"])) for p in parts)
            apigw.delete_rest_api(restApiId=api["id"])
            """);

        var imported = r["imported"]!.AsArray();
        Assert.Equal(2, imported.Count);
        Assert.Equal("API", (string?)imported[0]![0]);
        Assert.Equal("The pet shop", (string?)imported[0]![1]!["description"]);
        Assert.Equal("METHOD", (string?)imported[1]![0]);
        Assert.Equal("List pets", (string?)imported[1]![1]!["summary"]);
        var merged = r["merged"]!.AsArray();
        Assert.Equal(2, merged.Count);
        Assert.Equal("Renamed shop", (string?)merged[0]![1]!["description"]);
    }

    [Fact]
    public async Task UNDOCUMENTED_lists_the_entities_no_part_documents_and_DOCUMENTED_the_parts()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            apigw = client("apigateway")
            api = apigw.create_rest_api(name="half-documented")
            api_id, root = api["id"], api["rootResourceId"]
            apigw.create_model(restApiId=api_id, name="Pet", contentType="application/json", schema='{"type": "object"}')
            pets = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
            apigw.put_method(restApiId=api_id, resourceId=pets, httpMethod="POST", authorizationType="NONE",
                requestParameters={"method.request.querystring.limit": False, "method.request.header.x-trace": False},
                requestModels={"application/json": "Pet"})
            apigw.put_method_response(restApiId=api_id, resourceId=pets, httpMethod="POST", statusCode="200",
                responseParameters={"method.response.header.X-Count": False}, responseModels={"application/json": "Pet"})
            for location in ({"type": "API"}, {"type": "METHOD", "path": "/pets", "method": "*"},
                             {"type": "QUERY_PARAMETER", "path": "/pets", "method": "POST", "name": "limit"}):
                apigw.create_documentation_part(restApiId=api_id, location=location, properties='{"description": "documented"}')
            def listed(**kw):
                items = apigw.get_documentation_parts(restApiId=api_id, **kw)["items"]
                return [{**p["location"], "id": "id" in p, "properties": "properties" in p} for p in items]
            out["undocumented"] = listed(locationStatus="UNDOCUMENTED", limit=500)
            out["undocumented_resources"] = listed(locationStatus="UNDOCUMENTED", type="RESOURCE")
            out["undocumented_named"] = listed(locationStatus="UNDOCUMENTED", nameQuery="Count")
            first = apigw.get_documentation_parts(restApiId=api_id, locationStatus="UNDOCUMENTED", limit=2)
            rest = apigw.get_documentation_parts(restApiId=api_id, locationStatus="UNDOCUMENTED", limit=500, position=first["position"])
            out["paged"] = len(first["items"]) + len(rest["items"])
            out["documented"] = sorted(p["type"] for p in listed(locationStatus="DOCUMENTED"))
            apigw.delete_rest_api(restApiId=api_id)
            """);

        var undocumented = r["undocumented"]!.AsArray().Select(l => l!).ToList();
        string Entity(JsonNode l) => string.Join(' ', new[] { "type", "path", "method", "statusCode", "name" }.Select(k => (string?)l[k]).OfType<string>());
        var entities = undocumented.Select(Entity).ToList();
        // An entity has no id or properties: no part exists for it.
        Assert.All(undocumented, l => Assert.False((bool)l["id"]! || (bool)l["properties"]!));
        Assert.Contains("MODEL Pet", entities);
        Assert.Contains("RESOURCE /", entities);
        Assert.Contains("RESOURCE /pets", entities);
        Assert.Contains("REQUEST_HEADER /pets POST x-trace", entities);
        Assert.Contains("REQUEST_BODY /pets POST", entities);
        Assert.Contains("RESPONSE /pets POST 200", entities);
        Assert.Contains("RESPONSE_HEADER /pets POST 200 X-Count", entities);
        Assert.Contains("RESPONSE_BODY /pets POST 200", entities);
        // Documented: the API, the method (by its part's wildcard method) and the query parameter.
        Assert.DoesNotContain(entities, e => e.StartsWith("API", StringComparison.Ordinal) || e.StartsWith("METHOD", StringComparison.Ordinal)
            || e.StartsWith("QUERY_PARAMETER", StringComparison.Ordinal));
        Assert.Equal(["RESOURCE /", "RESOURCE /pets"], r["undocumented_resources"]!.AsArray().Select(l => Entity(l!)));
        Assert.Equal(["RESPONSE_HEADER /pets POST 200 X-Count"], r["undocumented_named"]!.AsArray().Select(l => Entity(l!)));
        Assert.Equal(undocumented.Count, r["paged"]!.GetValue<int>());
        Assert.Equal(["API", "METHOD", "QUERY_PARAMETER"], r["documented"]!.AsArray().Select(t => (string?)t));
    }
}
