using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// Custom domain names through boto3 (apigateway and apigatewayv2, one namespace) and CloudFormation, served on Stratus's own port by
/// the request's Host: the base path picks the mapping, is taken off, and the rest reaches the mapped REST or HTTP API's stage.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CustomDomainTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Certificate = "arn:aws:acm:us-east-1:000000000000:certificate/0b1c2d3e-0000-4000-8000-000000000001";

    internal const string Prelude = LambdaScripts.Prelude + """
        import urllib.request, urllib.error
        CERT = "arn:aws:acm:us-east-1:000000000000:certificate/0b1c2d3e-0000-4000-8000-000000000001"
        def call(host, path, method="GET"):
            request = urllib.request.Request(URL + path, method=method, headers={"Host": host})
            try:
                with urllib.request.urlopen(request) as answer:
                    return {"status": answer.status, "body": answer.read().decode()}
            except urllib.error.HTTPError as refused:
                return {"status": refused.code, "body": refused.read().decode()}
        apigw = client("apigateway")
        v2 = client("apigatewayv2")
        def mock_api(name):
            api = apigw.create_rest_api(name=name)
            api_id, root = api["id"], api["rootResourceId"]
            resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
            apigw.put_method(restApiId=api_id, resourceId=resource["id"], httpMethod="GET", authorizationType="NONE")
            apigw.put_method_response(restApiId=api_id, resourceId=resource["id"], httpMethod="GET", statusCode="200")
            apigw.put_integration(restApiId=api_id, resourceId=resource["id"], httpMethod="GET", type="MOCK",
                requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.put_integration_response(restApiId=api_id, resourceId=resource["id"], httpMethod="GET", statusCode="200",
                selectionPattern="", responseTemplates={"application/json": '{"api": "$context.apiId", "stage": "$context.stage", "resource": "$context.resourcePath", "domain": "$context.domainName"}'})
            apigw.create_deployment(restApiId=api_id, stageName="prod")
            apigw.create_deployment(restApiId=api_id, stageName="test")
            return api_id
        def http_api(name):
            code = "def handler(event, context):\n    return {'rawPath': event['rawPath'], 'routeKey': event['routeKey'], 'domain': event['requestContext']['domainName']}\n"
            arn = create(name, {"app.py": code})["FunctionArn"]
            lam.add_permission(FunctionName=name, StatementId="apigateway", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
            return v2.create_api(Name=name, ProtocolType="HTTP", Target=arn, RouteKey="GET /items")["ApiId"]

        """;

    [Fact]
    public async Task Base_path_and_api_mappings_route_a_custom_Host_to_REST_and_HTTP_APIs_with_AWS_shapes()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            rest = mock_api("domain-rest")
            domain = apigw.create_domain_name(domainName="api.example.com", regionalCertificateArn=CERT, endpointConfiguration={"types": ["REGIONAL"]},
                tags={"team": "a"})
            out["domain"] = {k: domain.get(k) for k in ["domainName", "regionalDomainName", "regionalCertificateArn", "endpointConfiguration", "domainNameStatus", "securityPolicy", "tags"]}
            out["edge"] = error(apigw.create_domain_name, domainName="edge.example.com", certificateArn=CERT)
            out["again"] = error(apigw.create_domain_name, domainName="api.example.com", regionalCertificateArn=CERT, endpointConfiguration={"types": ["REGIONAL"]})
            out["bad_name"] = error(apigw.create_domain_name, domainName="localhost", regionalCertificateArn=CERT, endpointConfiguration={"types": ["REGIONAL"]})
            out["v1"] = apigw.create_base_path_mapping(domainName="api.example.com", basePath="v1", restApiId=rest, stage="prod")
            out["none"] = apigw.create_base_path_mapping(domainName="api.example.com", restApiId=rest)
            out["duplicate"] = error(apigw.create_base_path_mapping, domainName="api.example.com", basePath="v1", restApiId=rest, stage="test")
            out["no_api"] = error(apigw.create_base_path_mapping, domainName="api.example.com", basePath="x", restApiId="nosuchapi1")
            out["no_stage"] = error(apigw.create_base_path_mapping, domainName="api.example.com", basePath="x", restApiId=rest, stage="nope")
            out["mappings"] = sorted(m["basePath"] for m in apigw.get_base_path_mappings(domainName="api.example.com")["items"])
            out["got_none"] = apigw.get_base_path_mapping(domainName="api.example.com", basePath="(none)")
            out["via_v1"] = call("api.example.com", "/v1/pets")
            out["via_stage_segment"] = call("api.example.com", "/test/pets")
            out["via_regional"] = call(domain["regionalDomainName"], "/v1/pets")
            out["unrouted"] = call("api.example.com", "/v1/nothing")
            out["updated"] = apigw.update_base_path_mapping(domainName="api.example.com", basePath="v1",
                patchOperations=[{"op": "replace", "path": "/stage", "value": "test"}])
            out["via_v1_updated"] = call("api.example.com", "/v1/pets")
            apigw.delete_base_path_mapping(domainName="api.example.com", basePath="(none)")
            out["after_delete"] = call("api.example.com", "/test/pets")
            out["cert_updated"] = apigw.update_domain_name(domainName="api.example.com",
                patchOperations=[{"op": "replace", "path": "/regionalCertificateArn", "value": CERT + "-2"}])["regionalCertificateArn"]
            # disableExecuteApiEndpoint closes the execute-api URL with 403 and leaves the custom domain open.
            out["execute_api_open"] = call(rest + ".execute-api.localhost", "/test/pets")["status"]
            apigw.update_rest_api(restApiId=rest, patchOperations=[{"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "True"}])
            out["execute_api_closed"] = call(rest + ".execute-api.localhost", "/test/pets")
            out["domain_still_open"] = call("api.example.com", "/v1/pets")["status"]

            http = http_api("domain-http")
            created = v2.create_domain_name(DomainName="http.example.com", DomainNameConfigurations=[{"CertificateArn": CERT, "EndpointType": "REGIONAL"}])
            out["v2_domain"] = {k: created.get(k) for k in ["DomainName", "ApiMappingSelectionExpression", "DomainNameConfigurations"]}
            mapping = v2.create_api_mapping(DomainName="http.example.com", ApiId=http, Stage="$default", ApiMappingKey="orders/v2")
            out["v2_mapping"] = {k: mapping.get(k) for k in ["ApiId", "ApiMappingKey", "Stage"]}
            out["v2_rest_mapping"] = v2.create_api_mapping(DomainName="http.example.com", ApiId=rest, Stage="prod", ApiMappingKey="legacy")["ApiMappingKey"]
            out["v2_mappings"] = sorted(m["ApiMappingKey"] for m in v2.get_api_mappings(DomainName="http.example.com")["Items"])
            out["via_http"] = call("http.example.com", "/orders/v2/items")
            out["via_http_other"] = call("http.example.com", "/orders/v2/other")
            out["via_http_rest"] = call("http.example.com", "/legacy/pets")
            out["no_mapping"] = call("http.example.com", "/elsewhere")
            out["shared"] = sorted(d["domainName"] for d in apigw.get_domain_names()["items"])
            out["v2_sees_rest_domain"] = v2.get_domain_name(DomainName="api.example.com")["DomainNameConfigurations"][0]["CertificateArn"]
            v2.delete_api_mapping(DomainName="http.example.com", ApiMappingId=mapping["ApiMappingId"])
            out["after_unmap"] = call("http.example.com", "/orders/v2/items")
            out["missing_mapping"] = error(v2.get_api_mapping, DomainName="http.example.com", ApiMappingId=mapping["ApiMappingId"])
            v2.delete_domain_name(DomainName="http.example.com")
            apigw.delete_domain_name(domainName="api.example.com")
            out["gone"] = error(apigw.get_domain_name, domainName="api.example.com")
            out["gone_host"] = call("api.example.com", "/v1/pets")
            """);

        var domain = r["domain"]!;
        Assert.Equal("api.example.com", domain["domainName"]!.GetValue<string>());
        Assert.Matches("^d-[a-z0-9]{10}\\.execute-api\\.us-east-1\\.localhost$", domain["regionalDomainName"]!.GetValue<string>());
        Assert.Equal(Certificate, domain["regionalCertificateArn"]!.GetValue<string>());
        Assert.Equal("""["REGIONAL"]""", domain["endpointConfiguration"]!["types"]!.ToJsonString());
        Assert.Equal("AVAILABLE", domain["domainNameStatus"]!.GetValue<string>());
        Assert.Equal("TLS_1_2", domain["securityPolicy"]!.GetValue<string>());
        Assert.Equal("a", domain["tags"]!["team"]!.GetValue<string>());
        Assert.Equal("BadRequestException", r["edge"]!["code"]!.GetValue<string>());
        Assert.Contains("CloudFront", r["edge"]!["message"]!.GetValue<string>());
        Assert.Equal("BadRequestException", r["again"]!["code"]!.GetValue<string>());
        Assert.Equal("BadRequestException", r["bad_name"]!["code"]!.GetValue<string>());
        Assert.Equal("v1", r["v1"]!["basePath"]!.GetValue<string>());
        Assert.Equal("prod", r["v1"]!["stage"]!.GetValue<string>());
        Assert.Equal("(none)", r["none"]!["basePath"]!.GetValue<string>());
        Assert.Null(r["none"]!["stage"]);
        Assert.Equal("ConflictException", r["duplicate"]!["code"]!.GetValue<string>());
        Assert.Equal("BadRequestException", r["no_api"]!["code"]!.GetValue<string>());
        Assert.Equal("BadRequestException", r["no_stage"]!["code"]!.GetValue<string>());
        Assert.Equal("""["(none)","v1"]""", r["mappings"]!.ToJsonString());
        Assert.Equal("(none)", r["got_none"]!["basePath"]!.GetValue<string>());

        AssertRest(r["via_v1"]!, "prod", "api.example.com");
        AssertRest(r["via_stage_segment"]!, "test", "api.example.com");
        Assert.Equal(200, r["via_regional"]!["status"]!.GetValue<int>());
        Assert.Equal(403, r["unrouted"]!["status"]!.GetValue<int>());
        Assert.Equal("test", r["updated"]!["stage"]!.GetValue<string>());
        AssertRest(r["via_v1_updated"]!, "test", "api.example.com");
        Assert.Equal(403, r["after_delete"]!["status"]!.GetValue<int>());
        Assert.Equal(Certificate + "-2", r["cert_updated"]!.GetValue<string>());
        Assert.Equal(200, r["execute_api_open"]!.GetValue<int>());
        Assert.Equal(403, r["execute_api_closed"]!["status"]!.GetValue<int>());
        Assert.Contains("Forbidden", r["execute_api_closed"]!["body"]!.GetValue<string>());
        Assert.Equal(200, r["domain_still_open"]!.GetValue<int>());

        var v2Domain = r["v2_domain"]!;
        Assert.Equal("$request.basepath", v2Domain["ApiMappingSelectionExpression"]!.GetValue<string>());
        var configuration = v2Domain["DomainNameConfigurations"]![0]!;
        Assert.Equal("REGIONAL", configuration["EndpointType"]!.GetValue<string>());
        Assert.Equal("AVAILABLE", configuration["DomainNameStatus"]!.GetValue<string>());
        Assert.EndsWith(".execute-api.us-east-1.localhost", configuration["ApiGatewayDomainName"]!.GetValue<string>());
        Assert.Equal("orders/v2", r["v2_mapping"]!["ApiMappingKey"]!.GetValue<string>());
        Assert.Equal("legacy", r["v2_rest_mapping"]!.GetValue<string>());
        Assert.Equal("""["legacy","orders/v2"]""", r["v2_mappings"]!.ToJsonString());

        var viaHttp = r["via_http"]!;
        Assert.Equal(200, viaHttp["status"]!.GetValue<int>());
        var answer = JsonNode.Parse(viaHttp["body"]!.GetValue<string>())!;
        // The route matched on the path without its mapping key; rawPath keeps it, as AWS reports it for a custom domain.
        Assert.Equal("GET /items", answer["routeKey"]!.GetValue<string>());
        Assert.Equal("/orders/v2/items", answer["rawPath"]!.GetValue<string>());
        Assert.Equal("http.example.com", answer["domain"]!.GetValue<string>());
        Assert.Equal(404, r["via_http_other"]!["status"]!.GetValue<int>());
        AssertRest(r["via_http_rest"]!, "prod", "http.example.com");
        Assert.Equal(403, r["no_mapping"]!["status"]!.GetValue<int>());
        Assert.Equal("""["api.example.com","http.example.com"]""", r["shared"]!.ToJsonString());
        Assert.Equal(Certificate + "-2", r["v2_sees_rest_domain"]!.GetValue<string>());
        Assert.Equal(403, r["after_unmap"]!["status"]!.GetValue<int>());
        Assert.Equal("NotFoundException", r["missing_mapping"]!["code"]!.GetValue<string>());
        Assert.Equal("NotFoundException", r["gone"]!["code"]!.GetValue<string>());
        Assert.NotEqual(200, r["gone_host"]!["status"]!.GetValue<int>());
    }

    private static void AssertRest(JsonNode call, string stage, string domain)
    {
        Assert.Equal(200, call["status"]!.GetValue<int>());
        var body = JsonNode.Parse(call["body"]!.GetValue<string>())!;
        Assert.Equal(stage, body["stage"]!.GetValue<string>());
        Assert.Equal("/pets", body["resource"]!.GetValue<string>());
        Assert.Equal(domain, body["domain"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_wildcard_domain_routes_every_name_under_it_and_an_exact_name_wins_over_it()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            wild = mock_api("domain-wild")
            exact = mock_api("domain-exact")
            regional = {"types": ["REGIONAL"]}
            out["created"] = apigw.create_domain_name(domainName="*.wild.example.com", regionalCertificateArn=CERT, endpointConfiguration=regional)["domainName"]
            apigw.create_base_path_mapping(domainName="*.wild.example.com", restApiId=wild, stage="prod")
            apigw.create_domain_name(domainName="admin.wild.example.com", regionalCertificateArn=CERT, endpointConfiguration=regional)
            apigw.create_base_path_mapping(domainName="admin.wild.example.com", restApiId=exact, stage="test")
            out["got"] = apigw.get_domain_name(domainName="*.wild.example.com")["domainName"]
            out["tenant"] = call("tenant1.wild.example.com", "/pets")
            out["exact"] = call("admin.wild.example.com", "/pets")
            out["apex"] = call("wild.example.com", "/pets")["status"]
            out["bad_wildcard"] = error(apigw.create_domain_name, domainName="*.*.example.com", regionalCertificateArn=CERT, endpointConfiguration=regional)
            apigw.delete_domain_name(domainName="admin.wild.example.com")
            out["exact_gone"] = call("admin.wild.example.com", "/pets")
            apigw.delete_domain_name(domainName="*.wild.example.com")
            """);

        Assert.Equal("*.wild.example.com", r["created"]!.GetValue<string>());
        Assert.Equal("*.wild.example.com", r["got"]!.GetValue<string>());
        Assert.Equal(200, r["tenant"]!["status"]!.GetValue<int>());
        var tenant = JsonNode.Parse(r["tenant"]!["body"]!.GetValue<string>())!;
        Assert.Equal("prod", tenant["stage"]!.GetValue<string>());
        Assert.StartsWith("tenant1.wild.example.com", tenant["domain"]!.GetValue<string>());
        Assert.Equal("test", JsonNode.Parse(r["exact"]!["body"]!.GetValue<string>())!["stage"]!.GetValue<string>());
        // The wildcard does not cover the name it sits under.
        Assert.NotEqual(200, r["apex"]!.GetValue<int>());
        Assert.Equal("BadRequestException", r["bad_wildcard"]!["code"]!.GetValue<string>());
        Assert.Equal("prod", JsonNode.Parse(r["exact_gone"]!["body"]!.GetValue<string>())!["stage"]!.GetValue<string>());
    }

    [Fact]
    public async Task CloudFormation_domain_names_and_mappings_route_and_are_removed_with_the_stack()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            rest = mock_api("cfn-domain-rest")
            http = http_api("cfn-domain-http")
            cfn = client("cloudformation")
            template = {"Resources": {
                "RestDomain": {"Type": "AWS::ApiGateway::DomainName", "Properties": {"DomainName": "cfn.example.com",
                    "RegionalCertificateArn": CERT, "EndpointConfiguration": {"Types": ["REGIONAL"]}}},
                "RestMapping": {"Type": "AWS::ApiGateway::BasePathMapping", "Properties": {"DomainName": {"Ref": "RestDomain"},
                    "BasePath": "shop", "RestApiId": rest, "Stage": "prod"}},
                "HttpDomain": {"Type": "AWS::ApiGatewayV2::DomainName", "Properties": {"DomainName": "cfn-http.example.com",
                    "DomainNameConfigurations": [{"CertificateArn": CERT, "EndpointType": "REGIONAL"}]}},
                "HttpMapping": {"Type": "AWS::ApiGatewayV2::ApiMapping", "Properties": {"DomainName": {"Ref": "HttpDomain"},
                    "ApiId": http, "Stage": "$default", "ApiMappingKey": "svc"}},
            }, "Outputs": {
                "Regional": {"Value": {"Fn::GetAtt": ["RestDomain", "RegionalDomainName"]}},
                "MappingId": {"Value": {"Ref": "HttpMapping"}},
            }}
            cfn.create_stack(StackName="custom-domains", TemplateBody=json.dumps(template))
            cfn.get_waiter("stack_create_complete").wait(StackName="custom-domains", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="custom-domains")["Stacks"][0]["Outputs"]}
            out["regional"] = outputs["Regional"]
            out["mapping_is_listed"] = outputs["MappingId"] in [m["ApiMappingId"] for m in v2.get_api_mappings(DomainName="cfn-http.example.com")["Items"]]
            out["rest"] = call("cfn.example.com", "/shop/pets")
            out["http"] = call("cfn-http.example.com", "/svc/items")
            cfn.delete_stack(StackName="custom-domains")
            cfn.get_waiter("stack_delete_complete").wait(StackName="custom-domains", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["gone"] = [error(apigw.get_domain_name, domainName=name)["code"] for name in ["cfn.example.com", "cfn-http.example.com"]]
            """);

        Assert.EndsWith(".execute-api.us-east-1.localhost", r["regional"]!.GetValue<string>());
        Assert.True(r["mapping_is_listed"]!.GetValue<bool>());
        AssertRest(r["rest"]!, "prod", "cfn.example.com");
        Assert.Equal(200, r["http"]!["status"]!.GetValue<int>());
        Assert.Equal("GET /items", JsonNode.Parse(r["http"]!["body"]!.GetValue<string>())!["routeKey"]!.GetValue<string>());
        Assert.Equal("""["NotFoundException","NotFoundException"]""", r["gone"]!.ToJsonString());
    }
}
