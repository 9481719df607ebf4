using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// `--auth verify` on a deployed stage: an AWS_IAM method takes only requests botocore signed for
/// execute-api with a key Stratus knows; and templates that once killed the process are refused at put
/// time or answer 500 at run time while Stratus keeps serving.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ApiGatewayIamAuthTests : IAsyncLifetime
{
    private const string RootKey = "AKIAROOTEXAMPLE00001";
    private const string RootSecret = "root-secret-for-tests-only";
    private StratusProcess _server = null!;

    public async Task InitializeAsync() =>
        _server = await StratusProcess.StartEphemeralAsync("--auth", "verify", "--root-key", $"{RootKey}:{RootSecret}");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Aws_iam_method_answers_signed_requests_and_refuses_unsigned_and_badly_signed_ones()
    {
        var r = await Clients.Boto3Async(_server.Url, $$"""
            import urllib.request, urllib.error
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            ROOT = dict(key="{{RootKey}}", secret="{{RootSecret}}")

            def call(url, key=None, secret=None, service="execute-api"):
                request = AWSRequest(method="GET", url=url)
                if key:
                    SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(request)
                try:
                    with urllib.request.urlopen(urllib.request.Request(url, headers=dict(request.headers.items()))) as answer:
                        return {"status": answer.status, "body": answer.read().decode()}
                except urllib.error.HTTPError as refused:
                    return {"status": refused.code, "body": refused.read().decode(), "type": refused.headers.get("x-amzn-ErrorType")}

            apigw = client("apigateway", **ROOT)
            api = apigw.create_rest_api(name="iam-protected")
            api_id, root = api["id"], api["rootResourceId"]
            def mock_method(path, authorization, response_template):
                resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart=path)
                apigw.put_method(restApiId=api_id, resourceId=resource["id"], httpMethod="GET", authorizationType=authorization)
                apigw.put_method_response(restApiId=api_id, resourceId=resource["id"], httpMethod="GET", statusCode="200")
                apigw.put_integration(restApiId=api_id, resourceId=resource["id"], httpMethod="GET", type="MOCK",
                    requestTemplates={"application/json": '{"statusCode": 200}'})
                apigw.put_integration_response(restApiId=api_id, resourceId=resource["id"], httpMethod="GET", statusCode="200",
                    selectionPattern="", responseTemplates={"application/json": response_template})
                return resource
            secure = mock_method("secure", "AWS_IAM", '{"caller": "$context.identity.userArn", "key": "$context.identity.accessKey"}')
            mock_method("boom", "NONE", '#set($s = "0123456789")#foreach($i in [1..40])#set($s = "$s$s")#end$s')

            put = lambda template: error(apigw.put_integration, restApiId=api_id, resourceId=secure["id"], httpMethod="GET", type="MOCK",
                                         requestTemplates={"application/json": template})
            out["deep_if"] = put("#if(true)" * 20000 + "x" + "#end" * 20000)
            out["deep_parentheses"] = put("#set($x = " + "(" * 50000 + "1" + ")" * 50000 + ")")
            out["too_big"] = put("x" * (300 * 1024 + 1))

            apigw.create_deployment(restApiId=api_id, stageName="prod")
            base = f"{URL}/restapis/{api_id}/prod/_user_request_"
            out["signed"] = call(base + "/secure", **ROOT)
            out["unsigned"] = call(base + "/secure")
            out["wrong_secret"] = call(base + "/secure", key=ROOT["key"], secret="wrong")
            out["unknown_key"] = call(base + "/secure", key="AKIAUNKNOWN000000000", secret="x")
            out["boom"] = call(base + "/boom")
            out["signed_after_boom"] = call(base + "/secure", **ROOT)
            """);

        Assert.Equal(200, r["signed"]!["status"]!.GetValue<int>());
        var caller = JsonNode.Parse(r["signed"]!["body"]!.GetValue<string>())!;
        Assert.Equal("arn:aws:iam::000000000000:root", caller["caller"]!.GetValue<string>());
        Assert.Equal(RootKey, caller["key"]!.GetValue<string>());

        Assert.Equal(403, r["unsigned"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"message":"Missing Authentication Token"}""", r["unsigned"]!["body"]!.GetValue<string>());
        Assert.Equal(403, r["wrong_secret"]!["status"]!.GetValue<int>());
        Assert.StartsWith("The request signature we calculated does not match the signature you provided.",
            JsonNode.Parse(r["wrong_secret"]!["body"]!.GetValue<string>())!["message"]!.GetValue<string>());
        Assert.Equal("InvalidSignatureException", r["wrong_secret"]!["type"]!.GetValue<string>());
        Assert.Equal(403, r["unknown_key"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"message":"The security token included in the request is invalid."}""", r["unknown_key"]!["body"]!.GetValue<string>());

        foreach (var refused in new[] { "deep_if", "deep_parentheses", "too_big" })
        {
            Assert.Equal(400, r[refused]!["status"]!.GetValue<int>());
            Assert.Equal("BadRequestException", r[refused]!["code"]!.GetValue<string>());
            Assert.StartsWith("Invalid mapping template specified", r[refused]!["message"]!.GetValue<string>());
        }
        Assert.Equal(500, r["boom"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"message":"Internal server error"}""", r["boom"]!["body"]!.GetValue<string>());
        Assert.Equal(200, r["signed_after_boom"]!["status"]!.GetValue<int>());
    }
}
