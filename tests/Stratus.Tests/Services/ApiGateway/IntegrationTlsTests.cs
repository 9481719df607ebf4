using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// tlsConfig.insecureSkipVerification on HTTP and HTTP_PROXY integrations, through boto3, against a loopback HTTPS backend under a
/// self-signed certificate that this Stratus's trust store does not hold: unset or false, the certificate is verified and the request
/// fails (500); true, it is accepted. (ClientCertificateTests shows the same verification passing when the trust store holds it.)
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class IntegrationTlsTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_backend_certificate_outside_the_trust_store_is_refused_unless_insecureSkipVerification()
    {
        using var backend = new MutualTlsEchoServer(requireClientCertificate: false);
        var r = await Clients.Boto3Async(stratus.Url, $$"""
            import urllib.request, urllib.error
            apigw = client("apigateway")
            def call(url):
                try:
                    with urllib.request.urlopen(url) as answer:
                        return {"status": answer.status, "body": json.loads(answer.read().decode())}
                except urllib.error.HTTPError as refused:
                    return {"status": refused.code}
            api_id = apigw.create_rest_api(name="tls")["id"]
            root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
            def method(part, kind, **kw):
                resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
                apigw.put_method(restApiId=api_id, resourceId=resource, httpMethod="GET", authorizationType="NONE")
                integration = apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod="GET", type=kind,
                    integrationHttpMethod="GET", uri="{{backend.Url}}/echo", **kw)
                if kind == "HTTP":
                    apigw.put_method_response(restApiId=api_id, resourceId=resource, httpMethod="GET", statusCode="200")
                    apigw.put_integration_response(restApiId=api_id, resourceId=resource, httpMethod="GET", statusCode="200", selectionPattern="")
                return resource, integration
            verified, _ = method("verified", "HTTP_PROXY")
            _, skipping = method("skipping", "HTTP_PROXY", tlsConfig={"insecureSkipVerification": True})
            method("mapped", "HTTP", tlsConfig={"insecureSkipVerification": True})
            out["put"] = skipping.get("tlsConfig")
            out["default"] = apigw.get_integration(restApiId=api_id, resourceId=verified, httpMethod="GET").get("tlsConfig")
            apigw.create_deployment(restApiId=api_id, stageName="prod")
            base = f"{URL}/_aws/execute-api/{api_id}/prod"
            out["verified"] = call(base + "/verified")
            out["skipping"] = call(base + "/skipping")
            out["mapped"] = call(base + "/mapped")
            out["patched"] = apigw.update_integration(restApiId=api_id, resourceId=verified, httpMethod="GET",
                patchOperations=[{"op": "replace", "path": "/tlsConfig/insecureSkipVerification", "value": "true"}]).get("tlsConfig")
            out["bad_path"] = error(apigw.update_integration, restApiId=api_id, resourceId=verified, httpMethod="GET",
                patchOperations=[{"op": "replace", "path": "/tlsConfig/other", "value": "true"}])
            out["before_redeploy"] = call(base + "/verified")
            apigw.create_deployment(restApiId=api_id, stageName="prod")
            out["after_redeploy"] = call(base + "/verified")
            export = json.loads(apigw.get_export(restApiId=api_id, stageName="prod", exportType="oas30",
                parameters={"extensions": "integrations"})["body"].read())
            out["exported"] = export["paths"]["/skipping"]["get"]["x-amazon-apigateway-integration"].get("tlsConfig")
            apigw.delete_rest_api(restApiId=api_id)
            """);

        Assert.Equal("""{"insecureSkipVerification":true}""", r["put"]!.ToJsonString());
        Assert.Null(r["default"]);
        // Verified against the system's trust store, which does not hold the backend's self-signed certificate.
        Assert.Equal(500, r["verified"]!["status"]!.GetValue<int>());
        foreach (var skipped in new[] { "skipping", "mapped", "after_redeploy" })
        {
            Assert.Equal(200, r[skipped]!["status"]!.GetValue<int>());
            // The backend answered: no client certificate was presented, so its thumbprint is null.
            Assert.Null(r[skipped]!["body"]!["thumbprint"]);
        }
        Assert.Equal("""{"insecureSkipVerification":true}""", r["patched"]!.ToJsonString());
        Assert.Equal("BadRequestException", r["bad_path"]!["code"]!.GetValue<string>());
        // The stage serves its deployment: the patch applies once deployed.
        Assert.Equal(500, r["before_redeploy"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"insecureSkipVerification":true}""", r["exported"]!.ToJsonString());
    }
}
