using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGatewayV2;

/// <summary>
/// `--auth enforce` on the WebSocket management API (apigatewaymanagementapi), which AWS serves to SigV4-signed callers only:
/// unsigned calls and calls signed for another service are refused, and a signer needs execute-api:ManageConnections on
/// <c>arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/@connections/ID</c>. Authorization comes before the connection is
/// looked up, so an allowed caller asking for a connection that is not open gets GoneException, a refused one 403.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class WebSocketManagementAuthTests : EnforcedStratusTest
{
    [Fact]
    public async Task Management_calls_need_a_signer_allowed_ManageConnections_on_the_connection_arn()
    {
        var r = await Clients.Boto3Async(Server.Url, $$$$"""
            import urllib.request, urllib.error
            ROOT = dict(key="{{{{RootKey}}}}", secret="{{{{RootSecret}}}}")
            iam, v2 = client("iam", **ROOT), client("apigatewayv2", **ROOT)
            api_id = v2.create_api(Name="chat", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
            integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                IntegrationUri="arn:aws:lambda:us-east-1:000000000000:function:chat")["IntegrationId"]
            v2.create_route(ApiId=api_id, RouteKey="$default", Target="integrations/" + integration)
            v2.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
            stage_url = URL.rstrip("/") + f"/_aws/execute-api/{api_id}/prod"
            def user(name, resource):
                iam.create_user(UserName=name)
                iam.put_user_policy(UserName=name, PolicyName="manage", PolicyDocument=json.dumps({"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "execute-api:ManageConnections", "Resource": resource}]}))
                key = iam.create_access_key(UserName=name)["AccessKey"]
                return dict(key=key["AccessKeyId"], secret=key["SecretAccessKey"])
            def outcome(call):
                try:
                    call()
                    return {"status": 200}
                except Exception as e:
                    return {"status": e.response["ResponseMetadata"]["HTTPStatusCode"], "code": e.response["Error"]["Code"]}
            def management(credentials):
                return boto3.client("apigatewaymanagementapi", endpoint_url=stage_url, region_name="us-east-1",
                    aws_access_key_id=credentials["key"], aws_secret_access_key=credentials["secret"])
            allowed = user("manager", f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/prod/POST/@connections/*")
            elsewhere = user("other-api", "arn:aws:execute-api:us-east-1:000000000000:otherapi/prod/POST/@connections/*")
            out["allowed"] = outcome(lambda: management(allowed).post_to_connection(ConnectionId="bm90LW9wZW4=", Data=b"hi"))
            out["allowed_get"] = outcome(lambda: management(allowed).get_connection(ConnectionId="bm90LW9wZW4="))
            out["elsewhere"] = outcome(lambda: management(elsewhere).post_to_connection(ConnectionId="bm90LW9wZW4=", Data=b"hi"))
            try:
                urllib.request.urlopen(urllib.request.Request(stage_url + "/@connections/bm90LW9wZW4=", data=b"hi", method="POST"))
                out["unsigned"] = {"status": 200}
            except urllib.error.HTTPError as refused:
                out["unsigned"] = {"status": refused.code, "type": refused.headers.get("x-amzn-ErrorType")}
            """);

        Assert.Equal(410, r["allowed"]!["status"]!.GetValue<int>());
        Assert.Equal("GoneException", r["allowed"]!["code"]!.GetValue<string>());
        // GetConnection is GET on the ARN, which the policy (POST only) does not cover.
        Assert.Equal(403, r["allowed_get"]!["status"]!.GetValue<int>());
        Assert.Equal(403, r["elsewhere"]!["status"]!.GetValue<int>());
        Assert.Equal("ForbiddenException", r["elsewhere"]!["code"]!.GetValue<string>());
        Assert.Equal(403, r["unsigned"]!["status"]!.GetValue<int>());
        Assert.Equal("ForbiddenException", r["unsigned"]!["type"]!.GetValue<string>());
    }
}
