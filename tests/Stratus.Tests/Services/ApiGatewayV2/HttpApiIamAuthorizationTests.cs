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

    [Fact]
    public async Task An_imported_sigv4_route_is_AWS_IAM_exported_so_and_its_access_log_names_the_signer()
    {
        var r = await Clients.Boto3Async(Server.Url, RootPrelude + """
            import urllib.request, urllib.error
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            v2, logs = client("apigatewayv2", **ROOT), client("logs", **ROOT)
            fn = python_function("http-sigv4", "def handler(event, context):\n    return {'statusCode': 200, 'body': 'signed'}\n")
            definition = {
                "openapi": "3.0.1", "info": {"title": "sigv4-import", "version": "1"},
                "paths": {"/orders": {"get": {
                    "security": [{"sigv4": []}],
                    "x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": fn, "payloadFormatVersion": "2.0"}}}},
                "components": {"securitySchemes": {"sigv4": {"type": "apiKey", "name": "Authorization", "in": "header",
                                                             "x-amazon-apigateway-authtype": "awsSigv4"}}},
            }
            api = v2.import_api(Body=json.dumps(definition))["ApiId"]
            out["routes"] = [[route["RouteKey"], route["AuthorizationType"]] for route in v2.get_routes(ApiId=api)["Items"]]
            v2.create_stage(ApiId=api, StageName="$default", AutoDeploy=True, AccessLogSettings={
                "DestinationArn": "arn:aws:logs:us-east-1:000000000000:log-group:/http-api/sigv4-access",
                "Format": '{"accountId":"$context.identity.accountId","caller":"$context.identity.caller","user":"$context.identity.user","userArn":"$context.identity.userArn","accessKey":"$context.identity.accessKey","status":"$context.status"}'})
            exported = json.loads(v2.export_api(ApiId=api, OutputType="JSON", Specification="OAS30")["body"].read())
            out["export_security"] = exported["paths"]["/orders"]["get"].get("security")
            out["export_scheme"] = exported["components"]["securitySchemes"]["sigv4"]
            def call(key=None, secret=None):
                url = URL.rstrip("/") + f"/_aws/execute-api/{api}/orders"
                request = AWSRequest(method="GET", url=url)
                if key:
                    SigV4Auth(Credentials(key, secret), "execute-api", "us-east-1").add_auth(request)
                try:
                    with urllib.request.urlopen(urllib.request.Request(url, method="GET", headers=dict(request.headers.items()))) as answer:
                        return {"status": answer.status, "body": answer.read().decode()}
                except urllib.error.HTTPError as refused:
                    return {"status": refused.code, "body": refused.read().decode()}
            caller = user("sigv4-caller", [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}])
            out["unsigned"] = call()
            out["signed"] = call(**caller)
            out["caller_key"] = caller["key"]
            lines = []
            deadline = time.time() + 30
            while len(lines) < 2 and time.time() < deadline:
                try:
                    lines = [json.loads(e["message"]) for e in logs.filter_log_events(logGroupName="/http-api/sigv4-access")["events"]]
                except logs.exceptions.ResourceNotFoundException:
                    lines = []
                if len(lines) < 2:
                    time.sleep(0.5)
            out["log"] = sorted(lines, key=lambda line: line["status"])
            """);

        Assert.Equal("""[["GET /orders","AWS_IAM"]]""", r["routes"]!.ToJsonString());
        Assert.Equal("""[{"sigv4":[]}]""", r["export_security"]!.ToJsonString());
        Assert.Equal("""{"type":"apiKey","name":"Authorization","in":"header","x-amazon-apigateway-authtype":"awsSigv4"}""", r["export_scheme"]!.ToJsonString());
        Assert.Equal(403, r["unsigned"]!["status"]!.GetValue<int>());
        Assert.Equal(200, r["signed"]!["status"]!.GetValue<int>());
        Assert.Equal("signed", r["signed"]!["body"]!.GetValue<string>());
        var (signed, refused) = (r["log"]![0]!, r["log"]![1]!);
        Assert.Equal("200", signed["status"]!.GetValue<string>());
        Assert.Equal("000000000000", signed["accountId"]!.GetValue<string>());
        Assert.EndsWith(":user/sigv4-caller", signed["userArn"]!.GetValue<string>());
        Assert.Equal(r["caller_key"]!.GetValue<string>(), signed["accessKey"]!.GetValue<string>());
        Assert.Equal(signed["caller"]!.GetValue<string>(), signed["user"]!.GetValue<string>());
        Assert.NotEqual("-", signed["caller"]!.GetValue<string>());
        // The unsigned request has no signer: AWS writes "-" for a variable without a value.
        Assert.Equal("403", refused["status"]!.GetValue<string>());
        Assert.Equal("-", refused["userArn"]!.GetValue<string>());
    }
}
