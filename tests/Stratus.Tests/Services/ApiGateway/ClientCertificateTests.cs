using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// Client certificates through boto3: GenerateClientCertificate makes a real self-signed certificate (AWS's shapes, a year's validity,
/// pagination, description patch, 404 once deleted), and a stage naming it makes its HTTP_PROXY integration present it to a backend that
/// requires a client certificate (a loopback mutual-TLS server under the test's own certificate, trusted by this Stratus alone).
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ClientCertificateTests
{
    [Fact]
    public async Task A_stage_presents_its_generated_client_certificate_to_a_mutual_TLS_backend()
    {
        using var backend = new MutualTlsEchoServer();
        var trust = TestScratch.NewFile("backend-ca-", ".pem");
        await File.WriteAllTextAsync(trust, backend.CertificatePem);
        await using var stratus = await StratusProcess.StartEphemeralAsync(new Dictionary<string, string> { ["SSL_CERT_FILE"] = trust });

        var r = await Clients.Boto3Async(stratus.Url, $$"""
            import urllib.request, urllib.error, ssl, hashlib, datetime
            apigw = client("apigateway")
            def call(url):
                try:
                    with urllib.request.urlopen(url) as answer:
                        return {"status": answer.status, "body": json.loads(answer.read().decode())}
                except urllib.error.HTTPError as refused:
                    return {"status": refused.code}
            first = apigw.generate_client_certificate(description="backend mtls", tags={"team": "a"})
            second = apigw.generate_client_certificate()
            cert_id = out["cert_id"] = first["clientCertificateId"]
            out["first"] = {k: first.get(k) for k in ["description", "tags"]}
            out["pem"] = first["pemEncodedCertificate"]
            out["valid_days"] = (first["expirationDate"] - first["createdDate"]).days
            out["thumbprint"] = hashlib.sha1(ssl.PEM_cert_to_DER_cert(first["pemEncodedCertificate"])).hexdigest().upper()
            page = apigw.get_client_certificates(limit=1)
            out["page"] = {"count": len(page["items"]), "position": "position" in page}
            out["rest"] = len(apigw.get_client_certificates(limit=1, position=page["position"])["items"])
            out["updated"] = apigw.update_client_certificate(clientCertificateId=cert_id,
                patchOperations=[{"op": "replace", "path": "/description", "value": "renamed"}])["description"]
            out["got"] = apigw.get_client_certificate(clientCertificateId=cert_id)["description"]

            api = apigw.create_rest_api(name="mtls", endpointConfiguration={"types": ["REGIONAL"]})
            proxy = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="echo")
            apigw.put_method(restApiId=api["id"], resourceId=proxy["id"], httpMethod="GET", authorizationType="NONE")
            apigw.put_integration(restApiId=api["id"], resourceId=proxy["id"], httpMethod="GET", type="HTTP_PROXY",
                integrationHttpMethod="GET", uri="{{backend.Url}}/echo")
            deployment = apigw.create_deployment(restApiId=api["id"])["id"]
            apigw.create_stage(restApiId=api["id"], stageName="prod", deploymentId=deployment)
            out["missing_stage_cert"] = error(apigw.update_stage, restApiId=api["id"], stageName="prod",
                patchOperations=[{"op": "replace", "path": "/clientCertificateId", "value": "zzzzzz"}])
            url = f"{URL}/_aws/execute-api/{api['id']}/prod/echo"
            out["without"] = call(url)
            out["stage_cert"] = apigw.update_stage(restApiId=api["id"], stageName="prod",
                patchOperations=[{"op": "replace", "path": "/clientCertificateId", "value": cert_id}])["clientCertificateId"]
            out["with"] = call(url)

            apigw.delete_client_certificate(clientCertificateId=second["clientCertificateId"])
            out["deleted"] = error(apigw.get_client_certificate, clientCertificateId=second["clientCertificateId"])
            out["delete_again"] = error(apigw.delete_client_certificate, clientCertificateId=second["clientCertificateId"])

            cfn = client("cloudformation")
            def stack_template(description):
                return json.dumps({"Resources": {"Cert": {"Type": "AWS::ApiGateway::ClientCertificate", "Properties": {"Description": description} } },
                    "Outputs": {"Cert": {"Value": {"Ref": "Cert"} } } })
            cfn.create_stack(StackName="certs", TemplateBody=stack_template("from a stack"))
            cfn.get_waiter("stack_create_complete").wait(StackName="certs", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            stack_cert = cfn.describe_stacks(StackName="certs")["Stacks"][0]["Outputs"][0]["OutputValue"]
            made = apigw.get_client_certificate(clientCertificateId=stack_cert)
            out["stack_cert"] = made["description"]
            cfn.update_stack(StackName="certs", TemplateBody=stack_template("updated in place"))
            cfn.get_waiter("stack_update_complete").wait(StackName="certs", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            updated = apigw.get_client_certificate(clientCertificateId=stack_cert)
            out["stack_updated"] = {"description": updated["description"], "same_key": updated["pemEncodedCertificate"] == made["pemEncodedCertificate"]}
            cfn.delete_stack(StackName="certs")
            cfn.get_waiter("stack_delete_complete").wait(StackName="certs", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["stack_deleted"] = error(apigw.get_client_certificate, clientCertificateId=stack_cert)
            """);

        Assert.Equal("backend mtls", r["first"]!["description"]!.GetValue<string>());
        Assert.Equal("a", r["first"]!["tags"]!["team"]!.GetValue<string>());
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", r["pem"]!.GetValue<string>());
        Assert.Equal(365, r["valid_days"]!.GetValue<int>());
        Assert.Equal(1, r["page"]!["count"]!.GetValue<int>());
        Assert.True(r["page"]!["position"]!.GetValue<bool>());
        Assert.Equal(1, r["rest"]!.GetValue<int>());
        Assert.Equal("renamed", r["updated"]!.GetValue<string>());
        Assert.Equal("renamed", r["got"]!.GetValue<string>());
        Assert.Equal("NotFoundException", r["missing_stage_cert"]!["code"]!.GetValue<string>());

        // The backend refuses a handshake without a client certificate: the integration fails, as on AWS, with a 500.
        Assert.Equal(500, r["without"]!["status"]!.GetValue<int>());
        Assert.Equal(r["cert_id"]!.GetValue<string>(), r["stage_cert"]!.GetValue<string>());
        Assert.Equal(200, r["with"]!["status"]!.GetValue<int>());
        Assert.Equal(r["thumbprint"]!.GetValue<string>(), r["with"]!["body"]!["thumbprint"]!.GetValue<string>());

        Assert.Equal("NotFoundException", r["deleted"]!["code"]!.GetValue<string>());
        Assert.Equal("Invalid Client Certificate identifier specified", r["deleted"]!["message"]!.GetValue<string>());
        Assert.Equal("NotFoundException", r["delete_again"]!["code"]!.GetValue<string>());
        Assert.Equal("from a stack", r["stack_cert"]!.GetValue<string>());
        Assert.Equal("updated in place", r["stack_updated"]!["description"]!.GetValue<string>());
        Assert.True(r["stack_updated"]!["same_key"]!.GetValue<bool>());
        Assert.Equal("NotFoundException", r["stack_deleted"]!["code"]!.GetValue<string>());
    }
}
