using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// Mutual TLS on custom domain names, end to end: a truststore uploaded to Stratus's S3, domains created with it through apigateway and
/// apigatewayv2, and HTTPS requests whose SNI names the domain, made with no client certificate, a stranger's and one the truststore's CA
/// signed. Only the last reaches the functions, which see the certificate where AWS puts it.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class MutualTlsTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string RestDomain = "mtls-rest.example.com";
    private const string HttpDomain = "mtls-http.example.com";

    private static string Py(string text) => text.Replace("\n", "\\n");

    [Fact]
    public async Task A_mutual_TLS_domain_admits_only_clients_its_truststore_trusts_and_hands_their_certificate_on()
    {
        var now = DateTimeOffset.UtcNow;
        using var ca = TestCertificates.Authority("Stratus Test CA", now.AddDays(-1), now.AddYears(1));
        using var expiredCa = TestCertificates.Authority("Expired Test CA", now.AddDays(-30), now.AddDays(-10));
        using var otherCa = TestCertificates.Authority("Other Test CA", now.AddDays(-1), now.AddYears(1));
        using var client = TestCertificates.Client(ca, "CN=device-1,O=Stratus Tests", now.AddHours(-1), now.AddDays(30));
        using var stranger = TestCertificates.SelfSigned("CN=stranger", now.AddHours(-1), now.AddDays(30));
        var bundle = ca.ExportCertificatePem() + "\n" + expiredCa.ExportCertificatePem() + "\n";

        var setup = await Clients.Boto3Async(stratus.Url, CustomDomainTests.Prelude + $$"""
            s3 = client("s3")
            s3.create_bucket(Bucket="mtls-truststores")
            s3.put_object(Bucket="mtls-truststores", Key="ca.pem", Body="{{Py(bundle)}}")
            s3.put_object(Bucket="mtls-truststores", Key="not-pem.txt", Body="hello")
            code = "import json\ndef handler(event, context):\n    rc = event['requestContext']\n    cert = (rc.get('authentication') or {}).get('clientCert') or (rc.get('identity') or {}).get('clientCert')\n    return {'statusCode': 200, 'body': json.dumps({'clientCert': cert})}\n"
            arn = create("mtls-echo", {"app.py": code}, Timeout=30)["FunctionArn"]
            lam.add_permission(FunctionName="mtls-echo", StatementId="apigateway", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
            api = apigw.create_rest_api(name="mtls-rest")
            api_id, root = api["id"], api["rootResourceId"]
            whoami = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="whoami")
            apigw.put_method(restApiId=api_id, resourceId=whoami["id"], httpMethod="GET", authorizationType="NONE")
            apigw.put_integration(restApiId=api_id, resourceId=whoami["id"], httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
                uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations")
            vtl = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="vtl")
            apigw.put_method(restApiId=api_id, resourceId=vtl["id"], httpMethod="GET", authorizationType="NONE")
            apigw.put_method_response(restApiId=api_id, resourceId=vtl["id"], httpMethod="GET", statusCode="200")
            apigw.put_integration(restApiId=api_id, resourceId=vtl["id"], httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.put_integration_response(restApiId=api_id, resourceId=vtl["id"], httpMethod="GET", statusCode="200", selectionPattern="",
                responseTemplates={"application/json": '{"subject": "$context.identity.clientCert.subjectDN", "issuer": "$context.identity.clientCert.issuerDN"}'})
            apigw.create_deployment(restApiId=api_id, stageName="prod")
            out["bad_uri"] = error(apigw.create_domain_name, domainName="bad-uri.example.com", regionalCertificateArn=CERT, endpointConfiguration={"types": ["REGIONAL"]},
                mutualTlsAuthentication={"truststoreUri": "https://mtls-truststores/ca.pem"})
            out["missing"] = error(apigw.create_domain_name, domainName="missing.example.com", regionalCertificateArn=CERT, endpointConfiguration={"types": ["REGIONAL"]},
                mutualTlsAuthentication={"truststoreUri": "s3://mtls-truststores/nothing.pem"})
            out["not_pem"] = error(apigw.create_domain_name, domainName="not-pem.example.com", regionalCertificateArn=CERT, endpointConfiguration={"types": ["REGIONAL"]},
                mutualTlsAuthentication={"truststoreUri": "s3://mtls-truststores/not-pem.txt"})
            domain = apigw.create_domain_name(domainName="{{RestDomain}}", regionalCertificateArn=CERT, endpointConfiguration={"types": ["REGIONAL"]},
                mutualTlsAuthentication={"truststoreUri": "s3://mtls-truststores/ca.pem"})
            out["rest_mtls"] = domain.get("mutualTlsAuthentication")
            apigw.create_base_path_mapping(domainName="{{RestDomain}}", basePath="v1", restApiId=api_id, stage="prod")
            out["got"] = apigw.get_domain_name(domainName="{{RestDomain}}").get("mutualTlsAuthentication")
            http = v2.create_api(Name="mtls-http", ProtocolType="HTTP", Target=arn, RouteKey="GET /items")["ApiId"]
            created = v2.create_domain_name(DomainName="{{HttpDomain}}", DomainNameConfigurations=[{"CertificateArn": CERT, "EndpointType": "REGIONAL"}],
                MutualTlsAuthentication={"TruststoreUri": "s3://mtls-truststores/ca.pem"})
            out["http_mtls"] = created.get("MutualTlsAuthentication")
            v2.create_api_mapping(DomainName="{{HttpDomain}}", ApiId=http, Stage="$default")
            out["plain_http"] = call("{{RestDomain}}", "/v1/whoami")
            """);
        Assert.Equal("BadRequestException", setup["bad_uri"]!["code"]!.GetValue<string>());
        Assert.Equal("BadRequestException", setup["missing"]!["code"]!.GetValue<string>());
        Assert.Contains("NoSuchKey", setup["missing"]!["message"]!.GetValue<string>());
        Assert.Equal("BadRequestException", setup["not_pem"]!["code"]!.GetValue<string>());
        var restMtls = setup["rest_mtls"]!;
        Assert.Equal("s3://mtls-truststores/ca.pem", restMtls["truststoreUri"]!.GetValue<string>());
        var warning = Assert.Single(restMtls["truststoreWarnings"]!.AsArray())!.GetValue<string>();
        Assert.Contains("Expired Test CA", warning);
        Assert.Equal(restMtls.ToJsonString(), setup["got"]!.ToJsonString());
        Assert.Equal("s3://mtls-truststores/ca.pem", setup["http_mtls"]!["TruststoreUri"]!.GetValue<string>());
        Assert.Single(setup["http_mtls"]!["TruststoreWarnings"]!.AsArray());
        // Plain HTTP carries no certificate: refused as one without.
        Assert.Equal(403, setup["plain_http"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"message":"Forbidden"}""", setup["plain_http"]!["body"]!.GetValue<string>());

        var (noCertificate, _) = await GetAsync(RestDomain, "/v1/whoami", null);
        Assert.Equal(HttpStatusCode.Forbidden, noCertificate);
        var (strangerStatus, strangerBody) = await GetAsync(RestDomain, "/v1/whoami", stranger);
        Assert.Equal(HttpStatusCode.Forbidden, strangerStatus);
        Assert.Equal("""{"message":"Forbidden"}""", strangerBody);
        using var foreign = TestCertificates.Client(otherCa, "CN=other-device", now.AddHours(-1), now.AddDays(30));
        var (otherStatus, _) = await GetAsync(RestDomain, "/v1/whoami", foreign);
        Assert.Equal(HttpStatusCode.Forbidden, otherStatus);

        var (restStatus, restBody) = await GetAsync(RestDomain, "/v1/whoami", client);
        Assert.True(restStatus == HttpStatusCode.OK, restBody);
        var restCert = JsonNode.Parse(restBody)!["clientCert"]!;
        Assert.Equal("CN=device-1,O=Stratus Tests", restCert["subjectDN"]!.GetValue<string>());
        Assert.Equal("CN=Stratus Test CA", restCert["issuerDN"]!.GetValue<string>());
        Assert.Equal(client.ExportCertificatePem(), restCert["clientCertPem"]!.GetValue<string>());
        Assert.Matches("^[0-9a-f]{2}(:[0-9a-f]{2})+$", restCert["serialNumber"]!.GetValue<string>());
        Assert.EndsWith(" GMT", restCert["validity"]!["notAfter"]!.GetValue<string>());

        var (vtlStatus, vtlBody) = await GetAsync(RestDomain, "/v1/vtl", client);
        Assert.Equal(HttpStatusCode.OK, vtlStatus);
        Assert.Equal("CN=device-1,O=Stratus Tests", JsonNode.Parse(vtlBody)!["subject"]!.GetValue<string>());

        var (httpStatus, httpBody) = await GetAsync(HttpDomain, "/items", client);
        Assert.True(httpStatus == HttpStatusCode.OK, httpBody);
        Assert.Equal("CN=device-1,O=Stratus Tests", JsonNode.Parse(httpBody)!["clientCert"]!["subjectDN"]!.GetValue<string>());
        var (httpStranger, _) = await GetAsync(HttpDomain, "/items", stranger);
        Assert.Equal(HttpStatusCode.Forbidden, httpStranger);

        // The truststore is kept as it was read: a new object changes nothing until the domain is updated, which reads it again.
        var replaced = await Clients.Boto3Async(stratus.Url, CustomDomainTests.Prelude + $$"""
            client("s3").put_object(Bucket="mtls-truststores", Key="ca.pem", Body="{{Py(otherCa.ExportCertificatePem())}}")
            """);
        Assert.NotNull(replaced);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(RestDomain, "/v1/whoami", client)).Status);
        var updated = await Clients.Boto3Async(stratus.Url, CustomDomainTests.Prelude + $$"""
            out["reread"] = apigw.update_domain_name(domainName="{{RestDomain}}",
                patchOperations=[{"op": "replace", "path": "/mutualTlsAuthentication/truststoreUri", "value": "s3://mtls-truststores/ca.pem"}]).get("mutualTlsAuthentication")
            """);
        Assert.Null(updated["reread"]!["truststoreWarnings"]);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(RestDomain, "/v1/whoami", client)).Status);

        // An empty truststore URI turns mutual TLS off: the domain answers without a certificate again.
        var off = await Clients.Boto3Async(stratus.Url, CustomDomainTests.Prelude + $$"""
            out["off"] = apigw.update_domain_name(domainName="{{RestDomain}}",
                patchOperations=[{"op": "replace", "path": "/mutualTlsAuthentication/truststoreUri", "value": ""}]).get("mutualTlsAuthentication")
            out["plain_http"] = call("{{RestDomain}}", "/v1/vtl")
            apigw.delete_domain_name(domainName="{{RestDomain}}")
            v2.delete_domain_name(DomainName="{{HttpDomain}}")
            """);
        Assert.Null(off["off"]);
        Assert.Equal(200, off["plain_http"]!["status"]!.GetValue<int>());
    }

    /// <summary>A GET over HTTPS to Stratus's port with the SNI and Host of <paramref name="domain"/>, presenting <paramref name="certificate"/> if any.</summary>
    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string domain, string path, X509Certificate2? certificate)
    {
        var port = new Uri(stratus.Url).Port;
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellation) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, port, cancellation);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                TargetHost = domain,
                // Stratus's own certificate is self-signed: the client side of this test checks nothing.
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
                ClientCertificates = certificate is null ? null : [certificate],
                LocalCertificateSelectionCallback = certificate is null ? null : (_, _, _, _, _) => certificate,
            },
        };
        using var http = new HttpClient(handler);
        using var response = await http.GetAsync($"https://{domain}:{port}{path}");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
