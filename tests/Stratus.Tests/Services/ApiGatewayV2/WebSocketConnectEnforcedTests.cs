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
        var r = await Clients.Boto3Async(Server.Url, $$$$"""
            import http.client, urllib.parse, os
            from botocore.auth import SigV4QueryAuth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            ROOT = dict(key="{{{{RootKey}}}}", secret="{{{{RootSecret}}}}")
            iam, v2, lam = client("iam", **ROOT), client("apigatewayv2", **ROOT), client("lambda", **ROOT)
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
            role = iam.create_role(RoleName="ws-fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
            code = io.BytesIO()
            with zipfile.ZipFile(code, "w") as z:
                source = zipfile.ZipInfo("app.py")
                source.external_attr = 0o644 << 16
                z.writestr(source, "def handler(event, context):\n    return {'statusCode': 200}\n")
            fn = lam.create_function(FunctionName="ws-open", Runtime="python3.12", Role=role, Handler="app.handler", Timeout=30,
                Code={"ZipFile": code.getvalue()})["FunctionArn"]
            lam.add_permission(FunctionName="ws-open", StatementId="apigateway", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
            api = v2.create_api(Name="iam", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
            integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn)["IntegrationId"]
            v2.create_route(ApiId=api, RouteKey="$connect", AuthorizationType="AWS_IAM", Target="integrations/" + integration)
            v2.create_stage(ApiId=api, StageName="prod", AutoDeploy=True)
            def user(name, resource):
                iam.create_user(UserName=name)
                iam.put_user_policy(UserName=name, PolicyName="invoke", PolicyDocument=json.dumps({"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resource}]}))
                return iam.create_access_key(UserName=name)["AccessKey"]
            stage_url = URL.rstrip("/") + f"/_aws/execute-api/{api}/prod"
            def upgrade(key=None):
                url = stage_url
                if key is not None:
                    request = AWSRequest(method="GET", url=stage_url)
                    SigV4QueryAuth(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), "execute-api", "us-east-1", expires=300).add_auth(request)
                    url = request.url
                parts = urllib.parse.urlsplit(url)
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
                connection.request("GET", parts.path + ("?" + parts.query if parts.query else ""), headers={"Upgrade": "websocket",
                    "Connection": "Upgrade", "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(), "Sec-WebSocket-Version": "13"})
                response = connection.getresponse()
                status = response.status if response.status == 101 else {"status": response.status, "body": response.read().decode()}
                connection.close()
                return status
            out["allowed"] = upgrade(user("caller", f"arn:aws:execute-api:us-east-1:000000000000:{api}/prod/$connect"))
            out["elsewhere"] = upgrade(user("other", "arn:aws:execute-api:us-east-1:000000000000:otherapi/prod/$connect"))
            out["unsigned"] = upgrade()
            """);

        Assert.Equal("101", r["allowed"]!.ToJsonString());
        Assert.Equal(403, r["elsewhere"]!["status"]!.GetValue<int>());
        Assert.Contains("execute-api:Invoke", r["elsewhere"]!["body"]!.GetValue<string>());
        Assert.Equal(403, r["unsigned"]!["status"]!.GetValue<int>());
    }
}
