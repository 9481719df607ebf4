using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// `--auth enforce`: a REST method with authorizationType AWS_IAM answers only a signer whose policies allow execute-api:Invoke on
/// the method's ARN (arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH, the request's own path), as AWS decides; any other
/// signer gets 403 with the IAM refusal and the ACCESS_DENIED gateway response. botocore signs the requests.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ApiGatewayIamInvokeEnforcedTests : EnforcedStratusTest
{
    [Fact]
    public async Task An_AWS_IAM_method_answers_only_signers_allowed_execute_api_Invoke_on_its_arn()
    {
        var r = await Clients.Boto3Async(Server.Url, RootPrelude + """
            import urllib.request, urllib.error
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            iam, apigw = client("iam", **ROOT), client("apigateway", **ROOT)
            api_id = apigw.create_rest_api(name="iam-invoke")["id"]
            root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
            items = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
            item = apigw.create_resource(restApiId=api_id, parentId=items, pathPart="{id}")["id"]
            apigw.put_method(restApiId=api_id, resourceId=item, httpMethod="GET", authorizationType="AWS_IAM")
            apigw.put_integration(restApiId=api_id, resourceId=item, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.put_method_response(restApiId=api_id, resourceId=item, httpMethod="GET", statusCode="200")
            apigw.put_integration_response(restApiId=api_id, resourceId=item, httpMethod="GET", statusCode="200",
                responseTemplates={"application/json": '{"caller": "$context.identity.userArn"}'})
            apigw.put_gateway_response(restApiId=api_id, responseType="ACCESS_DENIED", statusCode="403",
                responseTemplates={"application/json": '{"denied": $context.error.messageString}'})
            apigw.create_deployment(restApiId=api_id, stageName="prod")
            arn = f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/prod/GET/items/"
            def call(item_id, key=None, secret=None):
                url = URL.rstrip("/") + f"/_aws/execute-api/{api_id}/prod/items/{item_id}"
                request = AWSRequest(method="GET", url=url)
                if key:
                    SigV4Auth(Credentials(key, secret), "execute-api", "us-east-1").add_auth(request)
                try:
                    with urllib.request.urlopen(urllib.request.Request(url, headers=dict(request.headers.items()))) as answer:
                        return {"status": answer.status, "body": json.loads(answer.read())}
                except urllib.error.HTTPError as refused:
                    return {"status": refused.code, "body": json.loads(refused.read()), "type": refused.headers.get("x-amzn-ErrorType")}
            one = user("reads-one", [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": arn + "1"}])
            every = user("reads-every", [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": arn + "*"},
                                         {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": arn + "secret"}])
            nothing = user("reads-nothing", [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])
            out["unsigned"] = call("1")
            out["one_allowed"] = call("1", **one)
            out["one_elsewhere"] = call("2", **one)
            out["every"] = call("2", **every)
            out["every_denied"] = call("secret", **every)
            out["nothing"] = call("1", **nothing)
            out["root"] = call("1", **ROOT)
            out["arn"] = arn
            """);

        Assert.Equal(403, r["unsigned"]!["status"]!.GetValue<int>());
        Assert.Equal(200, r["one_allowed"]!["status"]!.GetValue<int>());
        Assert.EndsWith(":user/reads-one", r["one_allowed"]!["body"]!["caller"]!.GetValue<string>());
        Assert.Equal(200, r["every"]!["status"]!.GetValue<int>());
        Assert.Equal(200, r["root"]!["status"]!.GetValue<int>());
        var arn = r["arn"]!.GetValue<string>();
        foreach (var (name, user, item) in new[] { ("one_elsewhere", "reads-one", "2"), ("every_denied", "reads-every", "secret"), ("nothing", "reads-nothing", "1") })
        {
            Assert.Equal(403, r[name]!["status"]!.GetValue<int>());
            Assert.Equal("AccessDeniedException", r[name]!["type"]!.GetValue<string>());
            // The ACCESS_DENIED gateway response the API customized carries IAM's refusal.
            var denied = r[name]!["body"]!["denied"]!.GetValue<string>();
            Assert.Contains($":user/{user} is not authorized to perform: execute-api:Invoke on resource: {arn}{item}", denied);
        }
    }
}
