using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGatewayV2;

/// <summary>
/// `--auth enforce` on an HTTP API route with authorizationType AWS_IAM: the request must be signed with SigV4 for execute-api, and
/// the signer's policies must allow execute-api:Invoke on <c>arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH</c>; the
/// function then sees the signer as payload format 2.0's <c>requestContext.authorizer.iam</c>, as on AWS. botocore signs the requests.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class HttpApiIamAuthorizationTests : EnforcedStratusTest
{
    [Fact]
    public async Task An_AWS_IAM_route_answers_signers_allowed_invoke_and_passes_them_to_the_function()
    {
        var r = await Clients.Boto3Async(Server.Url, RootPrelude + """
            import urllib.request, urllib.error
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            v2 = client("apigatewayv2", **ROOT)
            fn = python_function("http-iam", "import json\ndef handler(event, context):\n    return {'statusCode': 200, 'body': json.dumps({'iam': event['requestContext']['authorizer']['iam'], 'body': event.get('body')})}\n")
            api = v2.create_api(Name="iam", ProtocolType="HTTP")["ApiId"]
            integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn, PayloadFormatVersion="2.0")["IntegrationId"]
            v2.create_route(ApiId=api, RouteKey="POST /orders/{id}", AuthorizationType="AWS_IAM", Target="integrations/" + integration)
            v2.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
            arn = f"arn:aws:execute-api:us-east-1:000000000000:{api}/$default/POST/orders/"
            def invoker(name, resource):
                return user(name, [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resource}])
            def call(order, key=None, secret=None, body=b'{"n": 1}', sent=None):
                url = URL.rstrip("/") + f"/_aws/execute-api/{api}/orders/{order}"
                request = AWSRequest(method="POST", url=url, data=body)
                if key:
                    SigV4Auth(Credentials(key, secret), "execute-api", "us-east-1").add_auth(request)
                try:
                    with urllib.request.urlopen(urllib.request.Request(url, data=sent or body, method="POST", headers=dict(request.headers.items()))) as answer:
                        return {"status": answer.status, "body": json.loads(answer.read())}
                except urllib.error.HTTPError as refused:
                    return {"status": refused.code, "body": json.loads(refused.read())}
            caller = invoker("orders-caller", arn + "*")
            other = invoker("orders-other", arn + "7")
            out["allowed"] = call("1", **caller)
            out["elsewhere"] = call("1", **other)
            out["unsigned"] = call("1")
            out["tampered"] = call("1", sent=b'{"n": 2}', **caller)
            out["root"] = call("2", **ROOT)
            out["caller_key"] = caller["key"]
            """);

        Assert.Equal(200, r["allowed"]!["status"]!.GetValue<int>());
        var iam = r["allowed"]!["body"]!["iam"]!;
        Assert.Equal(r["caller_key"]!.GetValue<string>(), iam["accessKey"]!.GetValue<string>());
        Assert.Equal("000000000000", iam["accountId"]!.GetValue<string>());
        Assert.EndsWith(":user/orders-caller", iam["userArn"]!.GetValue<string>());
        Assert.Equal("""{"n": 1}""", r["allowed"]!["body"]!["body"]!.GetValue<string>());
        Assert.Equal(403, r["elsewhere"]!["status"]!.GetValue<int>());
        Assert.Contains("is not authorized to perform: execute-api:Invoke", r["elsewhere"]!["body"]!["message"]!.GetValue<string>());
        Assert.Equal(403, r["unsigned"]!["status"]!.GetValue<int>());
        Assert.Equal("Missing Authentication Token", r["unsigned"]!["body"]!["message"]!.GetValue<string>());
        // A body changed after signing fails the signature.
        Assert.Equal(403, r["tampered"]!["status"]!.GetValue<int>());
        Assert.Equal(200, r["root"]!["status"]!.GetValue<int>());
    }
}
