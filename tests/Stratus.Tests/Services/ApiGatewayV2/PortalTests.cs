using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGatewayV2;

/// <summary>
/// API Gateway portals through boto3: a REST API's deployed methods documented by product REST endpoint pages, a markdown product page,
/// a portal published as a website Stratus serves (path and host forms), its preview, try it's invoke URL, tags, sharing policies,
/// disabling, and the refusals (a method not deployed, Cognito authorization).
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class PortalTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_published_portal_serves_its_products_endpoint_and_markdown_pages_until_disabled()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            import urllib.request, urllib.error, json
            rest = client("apigateway")
            v2 = client("apigatewayv2")
            def fetch(url, host=None):
                request = urllib.request.Request(url, headers={"Host": host} if host else {})
                try:
                    with urllib.request.urlopen(request) as response:
                        return [response.status, response.read().decode()]
                except urllib.error.HTTPError as e:
                    return [e.code, e.read().decode()]
            def errors(action):
                try:
                    action()
                    return None
                except v2.exceptions.ClientError as e:
                    return [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Message"]]

            api = rest.create_rest_api(name="portal-pets")["id"]
            root = rest.get_resources(restApiId=api)["items"][0]["id"]
            pets = rest.create_resource(restApiId=api, parentId=root, pathPart="pets")["id"]
            pet = rest.create_resource(restApiId=api, parentId=pets, pathPart="{petId}")["id"]
            rest.create_model(restApiId=api, name="Pet", contentType="application/json",
                schema=json.dumps({"type": "object", "properties": {"name": {"type": "string"}}}))
            rest.put_method(restApiId=api, resourceId=pet, httpMethod="GET", authorizationType="NONE", operationName="GetPet",
                requestParameters={"method.request.path.petId": True})
            rest.put_method(restApiId=api, resourceId=pets, httpMethod="POST", authorizationType="NONE", requestModels={"application/json": "Pet"})
            for resource, method in [(pet, "GET"), (pets, "POST")]:
                rest.put_integration(restApiId=api, resourceId=resource, httpMethod=method, type="MOCK",
                    requestTemplates={"application/json": '{"statusCode": 200}'})
                rest.put_method_response(restApiId=api, resourceId=resource, httpMethod=method, statusCode="200")
                rest.put_integration_response(restApiId=api, resourceId=resource, httpMethod=method, statusCode="200",
                    responseTemplates={"application/json": '{"pet": "$input.params(\'petId\')"}'})
            rest.create_deployment(restApiId=api, stageName="prod")

            product = v2.create_portal_product(DisplayName="Pet adoption", Description="Meet and adopt pets", Tags={"team": "pets"})
            pid = product["PortalProductId"]
            page = v2.create_product_page(PortalProductId=pid, DisplayContent={"Title": "Getting started",
                "Body": "# Adopting a pet\n\nCall **GET** `/pets/{petId}` first.\n\n- meet\n- adopt\n\n<script>alert(1)</script>\n\n[docs](javascript:alert(1))"})
            endpoint = v2.create_product_rest_endpoint_page(PortalProductId=pid, TryItState="ENABLED",
                RestEndpointIdentifier={"IdentifierParts": {"RestApiId": api, "Stage": "prod", "Method": "GET", "Path": "/pets/{petId}"}})
            post = v2.create_product_rest_endpoint_page(PortalProductId=pid,
                RestEndpointIdentifier={"IdentifierParts": {"RestApiId": api, "Stage": "prod", "Method": "POST", "Path": "/pets"}},
                DisplayContent={"Overrides": {"OperationName": "Add a pet"}})
            out["endpoint"] = {k: endpoint[k] for k in ["DisplayContent", "RestEndpointIdentifier", "Status", "TryItState"]}
            out["post_name"] = post["DisplayContent"]["OperationName"]
            out["post_body"] = post["DisplayContent"]["Body"]
            out["raw"] = json.loads(v2.get_product_rest_endpoint_page(PortalProductId=pid, ProductRestEndpointPageId=endpoint["ProductRestEndpointPageId"],
                IncludeRawDisplayContent="true")["RawDisplayContent"]).get("operationId")
            out["listed_endpoints"] = sorted(p["OperationName"] for p in v2.list_product_rest_endpoint_pages(PortalProductId=pid)["Items"])
            out["listed_pages"] = [p["PageTitle"] for p in v2.list_product_pages(PortalProductId=pid)["Items"]]
            v2.update_portal_product(PortalProductId=pid, DisplayOrder={"Contents": [{"SectionName": "Adopt",
                "ProductRestEndpointPageArns": [endpoint["ProductRestEndpointPageArn"], post["ProductRestEndpointPageArn"]]}],
                "ProductPageArns": [page["ProductPageArn"]]})

            colors = {"AccentColor": "#ff9900", "BackgroundColor": "#ffffff", "ErrorValidationColor": "#d13212",
                "HeaderColor": "#232f3e", "NavigationColor": "#eaeded", "TextColor": "#16191f"}
            portal = v2.create_portal(Authorization={"None": {}}, EndpointConfiguration={"None": {}}, IncludedPortalProductArns=[product["PortalProductArn"]],
                PortalContent={"DisplayName": "Pet portal", "Description": "All about pets", "Theme": {"CustomColors": colors}},
                RumAppMonitorName="pets-rum", Tags={"env": "test"})
            portal_id = portal["PortalId"]
            out["created"] = [portal["PublishStatus"], portal["PortalArn"].endswith(":/portals/" + portal_id), portal["RumAppMonitorName"]]
            out["unpublished"] = fetch(URL + "/_portals/" + portal_id + "/")[0]
            v2.preview_portal(PortalId=portal_id)
            preview = v2.get_portal(PortalId=portal_id)["Preview"]
            out["preview"] = [preview["PreviewStatus"], fetch(preview["PreviewUrl"])[0], "Try it" in fetch(preview["PreviewUrl"] + "products/" + pid + "/endpoints/" + endpoint["ProductRestEndpointPageId"])[1]]
            v2.publish_portal(PortalId=portal_id, Description="first release")
            got = v2.get_portal(PortalId=portal_id)
            out["published"] = [got["PublishStatus"], got["LastPublishedDescription"], "LastPublished" in got]
            domain = got["EndpointConfiguration"]["PortalDefaultDomainName"]
            site = URL + "/_portals/" + portal_id + "/"
            home = fetch(site)
            product_page = fetch(site + "products/" + pid)
            endpoint_page = fetch(site + "products/" + pid + "/endpoints/" + endpoint["ProductRestEndpointPageId"])
            markdown_page = fetch(site + "products/" + pid + "/pages/" + page["ProductPageId"])
            out["home"] = [home[0], "Pet portal" in home[1], "Pet adoption" in home[1], "#232f3e" in home[1]]
            out["product"] = [product_page[0], "<h2>Adopt</h2>" in product_page[1], "Add a pet" in product_page[1], "Getting started" in product_page[1]]
            out["endpoint_page"] = [endpoint_page[0], "/pets/{petId}" in endpoint_page[1], "petId" in endpoint_page[1],
                'data-invoke="/_aws/execute-api/' + api + '/prod"' in endpoint_page[1]]
            out["markdown_page"] = [markdown_page[0], "<h1>Adopting a pet</h1>" in markdown_page[1], "<strong>GET</strong>" in markdown_page[1],
                "<li>adopt</li>" in markdown_page[1], "<script>alert" in markdown_page[1], "javascript:" in markdown_page[1]]
            out["host_form"] = [domain.startswith("p-" + portal_id + ".apigw-portal.us-east-1.localhost:"), fetch(URL + "/", host=domain)[0],
                "Pet portal" in fetch(URL + "/", host=domain)[1]]
            out["try_it"] = fetch(URL + "/_aws/execute-api/" + api + "/prod/pets/7")

            out["tags"] = v2.get_tags(ResourceArn=got["PortalArn"])["Tags"]
            v2.tag_resource(ResourceArn=product["PortalProductArn"], Tags={"stage": "beta"})
            out["product_tags"] = v2.get_tags(ResourceArn=product["PortalProductArn"])["Tags"]
            policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "apigateway:GetPortalProduct", "Resource": product["PortalProductArn"]}]})
            v2.put_portal_product_sharing_policy(PortalProductId=pid, PolicyDocument=policy)
            out["policy"] = v2.get_portal_product_sharing_policy(PortalProductId=pid)["PolicyDocument"] == policy
            out["bad_policy"] = errors(lambda: v2.put_portal_product_sharing_policy(PortalProductId=pid, PolicyDocument="{\"Statement\": 1}"))[:2]
            v2.delete_portal_product_sharing_policy(PortalProductId=pid)
            out["policy_gone"] = errors(lambda: v2.get_portal_product_sharing_policy(PortalProductId=pid))[:2]

            out["missing_method"] = errors(lambda: v2.create_product_rest_endpoint_page(PortalProductId=pid,
                RestEndpointIdentifier={"IdentifierParts": {"RestApiId": api, "Stage": "prod", "Method": "DELETE", "Path": "/pets"}}))[:2]
            out["missing_stage"] = errors(lambda: v2.create_product_rest_endpoint_page(PortalProductId=pid,
                RestEndpointIdentifier={"IdentifierParts": {"RestApiId": api, "Stage": "nostage", "Method": "GET", "Path": "/pets/{petId}"}}))[:2]
            cognito = errors(lambda: v2.create_portal(EndpointConfiguration={"None": {}},
                Authorization={"CognitoConfig": {"AppClientId": "client", "UserPoolArn": "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_abc",
                    "UserPoolDomain": "https://pets.auth.us-east-1.amazoncognito.com"}},
                PortalContent={"DisplayName": "Cognito portal", "Theme": {"CustomColors": colors}}))
            out["cognito"] = cognito[:2] + ["CognitoConfig" in cognito[2]]

            v2.disable_portal(PortalId=portal_id)
            out["disabled"] = [v2.get_portal(PortalId=portal_id)["PublishStatus"], fetch(site)[0], fetch(URL + "/", host=domain)[0]]

            v2.delete_product_rest_endpoint_page(PortalProductId=pid, ProductRestEndpointPageId=post["ProductRestEndpointPageId"])
            v2.delete_product_page(PortalProductId=pid, ProductPageId=page["ProductPageId"])
            out["order_after_deletes"] = v2.get_portal_product(PortalProductId=pid)["DisplayOrder"]
            v2.delete_portal(PortalId=portal_id)
            out["portal_gone"] = errors(lambda: v2.get_portal(PortalId=portal_id))[:2]
            v2.delete_portal_product(PortalProductId=pid)
            out["product_gone"] = errors(lambda: v2.get_portal_product(PortalProductId=pid))[:2]
            rest.delete_rest_api(restApiId=api)
            """);
        var endpoint = r["endpoint"]!;
        Assert.Equal("/pets/{petId}", endpoint["DisplayContent"]!["OperationName"]!.GetValue<string>());
        Assert.EndsWith("/_aws/execute-api/" + endpoint["RestEndpointIdentifier"]!["IdentifierParts"]!["RestApiId"]!.GetValue<string>() + "/prod/pets/{petId}",
            endpoint["DisplayContent"]!["Endpoint"]!.GetValue<string>());
        Assert.Contains("| petId | path | yes | string |", endpoint["DisplayContent"]!["Body"]!.GetValue<string>());
        Assert.Contains("Operation ID: `GetPet`", endpoint["DisplayContent"]!["Body"]!.GetValue<string>());
        Assert.Equal("AVAILABLE", endpoint["Status"]!.GetValue<string>());
        Assert.Equal("ENABLED", endpoint["TryItState"]!.GetValue<string>());
        Assert.Equal("Add a pet", r["post_name"]!.GetValue<string>());
        Assert.Contains("model `Pet`", r["post_body"]!.GetValue<string>());
        Assert.Equal("GetPet", r["raw"]!.GetValue<string>());
        Assert.Equal("""["/pets/{petId}","Add a pet"]""", r["listed_endpoints"]!.ToJsonString());
        Assert.Equal("""["Getting started"]""", r["listed_pages"]!.ToJsonString());
        Assert.Equal("""["DISABLED",true,"pets-rum"]""", r["created"]!.ToJsonString());
        Assert.Equal(404, r["unpublished"]!.GetValue<int>());
        Assert.Equal("""["PREVIEW_READY",200,false]""", r["preview"]!.ToJsonString());
        Assert.Equal("""["PUBLISHED","first release",true]""", r["published"]!.ToJsonString());
        Assert.Equal("[200,true,true,true]", r["home"]!.ToJsonString());
        Assert.Equal("[200,true,true,true]", r["product"]!.ToJsonString());
        Assert.Equal("[200,true,true,true]", r["endpoint_page"]!.ToJsonString());
        Assert.Equal("[200,true,true,true,false,false]", r["markdown_page"]!.ToJsonString());
        Assert.Equal("[true,200,true]", r["host_form"]!.ToJsonString());
        Assert.Equal(200, r["try_it"]![0]!.GetValue<int>());
        Assert.Contains("\"pet\": \"7\"", r["try_it"]![1]!.GetValue<string>());
        Assert.Equal("""{"env":"test"}""", r["tags"]!.ToJsonString());
        Assert.Equal("""{"team":"pets","stage":"beta"}""", r["product_tags"]!.ToJsonString());
        Assert.True(r["policy"]!.GetValue<bool>());
        Assert.Equal("""["BadRequestException",400]""", r["bad_policy"]!.ToJsonString());
        Assert.Equal("""["NotFoundException",404]""", r["policy_gone"]!.ToJsonString());
        Assert.Equal("""["NotFoundException",404]""", r["missing_method"]!.ToJsonString());
        Assert.Equal("""["NotFoundException",404]""", r["missing_stage"]!.ToJsonString());
        Assert.Equal("""["BadRequestException",400,true]""", r["cognito"]!.ToJsonString());
        Assert.Equal("""["DISABLED",404,404]""", r["disabled"]!.ToJsonString());
        Assert.Single(r["order_after_deletes"]!["Contents"]![0]!["ProductRestEndpointPageArns"]!.AsArray());
        Assert.Equal("[]", r["order_after_deletes"]!["ProductPageArns"]!.ToJsonString());
        Assert.Equal("""["NotFoundException",404]""", r["portal_gone"]!.ToJsonString());
        Assert.Equal("""["NotFoundException",404]""", r["product_gone"]!.ToJsonString());
    }
}
