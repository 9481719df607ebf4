using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGatewayV2;

/// <summary>
/// `--auth enforce` on a WebSocket API whose $connect route is AWS_IAM: the upgrade must be signed for execute-api (here a presigned
/// URL, as browser-less clients sign it), and the signer's policies must allow execute-api:Invoke on
/// <c>arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/$connect</c>; a signer without it, or an unsigned upgrade, gets 403.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class WebSocketConnectEnforcedTests : EnforcedStratusTest
{
    [Fact]
    public async Task Aws_iam_connect_needs_a_signer_allowed_invoke_on_the_connect_route_arn()
    {
        var r = await Clients.Boto3Async(Server.Url, RootPrelude + """
            import http.client, urllib.parse, os
            from botocore.auth import SigV4QueryAuth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            v2 = client("apigatewayv2", **ROOT)
            fn = python_function("ws-open", "def handler(event, context):\n    return {'statusCode': 200}\n")
            api = v2.create_api(Name="iam", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
            integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn)["IntegrationId"]
            v2.create_route(ApiId=api, RouteKey="$connect", AuthorizationType="AWS_IAM", Target="integrations/" + integration)
            v2.create_stage(ApiId=api, StageName="prod", AutoDeploy=True)
            def invoker(name, resource):
                return user(name, [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resource}])
            stage_url = URL.rstrip("/") + f"/_aws/execute-api/{api}/prod"
            def upgrade(key=None):
                url = stage_url
                if key is not None:
                    request = AWSRequest(method="GET", url=stage_url)
                    SigV4QueryAuth(Credentials(key["key"], key["secret"]), "execute-api", "us-east-1", expires=300).add_auth(request)
                    url = request.url
                parts = urllib.parse.urlsplit(url)
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
                connection.request("GET", parts.path + ("?" + parts.query if parts.query else ""), headers={"Upgrade": "websocket",
                    "Connection": "Upgrade", "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(), "Sec-WebSocket-Version": "13"})
                response = connection.getresponse()
                status = response.status if response.status == 101 else {"status": response.status, "body": response.read().decode()}
                connection.close()
                return status
            out["allowed"] = upgrade(invoker("caller", f"arn:aws:execute-api:us-east-1:000000000000:{api}/prod/$connect"))
            out["elsewhere"] = upgrade(invoker("other", "arn:aws:execute-api:us-east-1:000000000000:otherapi/prod/$connect"))
            out["unsigned"] = upgrade()
            """);

        Assert.Equal("101", r["allowed"]!.ToJsonString());
        Assert.Equal(403, r["elsewhere"]!["status"]!.GetValue<int>());
        Assert.Contains("execute-api:Invoke", r["elsewhere"]!["body"]!.GetValue<string>());
        Assert.Equal(403, r["unsigned"]!["status"]!.GetValue<int>());
    }
}
