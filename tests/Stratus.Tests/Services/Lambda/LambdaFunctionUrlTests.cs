using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>Function URLs through boto3 and plain HTTP (Python's urllib): the path form, the 2.0 event, CORS, and AWS_IAM signing.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaFunctionUrlTests(TunedLambdaFixture stratus) : IClassFixture<TunedLambdaFixture>
{
    private Task<JsonObject> RunAsync(string script) => Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + Http + "\n" + script);

    private const string Http = """
        import urllib.request, urllib.error
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        def http(url, method="GET", body=None, headers=None):
            request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
            try:
                with urllib.request.urlopen(request) as r:
                    return {"status": r.status, "headers": {k.lower(): v for k, v in r.headers.items()}, "body": r.read().decode()}
            except urllib.error.HTTPError as e:
                return {"status": e.code, "headers": {k.lower(): v for k, v in e.headers.items()}, "body": e.read().decode()}
        def path_form(config):
            url_id = config["FunctionUrl"].split("//")[1].split(".")[0]
            return URL.rstrip("/") + "/_aws/lambda-url/" + url_id + "/"
        """;

    [Fact]
    public async Task Url_with_auth_NONE_serves_the_2_0_event_over_the_path_form_with_CORS()
    {
        var result = await RunAsync("""
            APP = '''
            import json
            def handler(event, context):
                if event["rawPath"] == "/plain":
                    return ["just", "json"]
                return {"statusCode": 201, "headers": {"x-seen": event["requestContext"]["http"]["method"]}, "cookies": ["a=1"],
                        "body": json.dumps({"version": event["version"], "rawPath": event["rawPath"], "query": event.get("queryStringParameters"),
                                            "body": event.get("body"), "routeKey": event["routeKey"], "header": event["headers"].get("x-custom")})}
            '''
            create("url-open", {"app.py": APP})
            config = lam.create_function_url_config(FunctionName="url-open", AuthType="NONE",
                                                    Cors={"AllowOrigins": ["https://example.com"], "AllowMethods": ["POST"], "AllowHeaders": ["x-custom"], "MaxAge": 60})
            out["config"] = {k: config[k] for k in ["FunctionUrl", "FunctionArn", "AuthType", "InvokeMode", "Cors"]}
            base = path_form(config)
            out["before_permission"] = http(base + "hello")["status"]
            lam.add_permission(FunctionName="url-open", StatementId="public-url", Action="lambda:InvokeFunctionUrl", Principal="*", FunctionUrlAuthType="NONE")
            out["post"] = http(base + "hello/world?x=1&y=2", method="POST", body=b"payload text",
                               headers={"Content-Type": "text/plain", "X-Custom": "c1", "Origin": "https://example.com"})
            out["plain"] = http(base + "plain")
            out["preflight"] = http(base + "hello", method="OPTIONS", headers={"Origin": "https://example.com", "Access-Control-Request-Method": "POST"})
            out["unknown"] = http(URL.rstrip("/") + "/_aws/lambda-url/" + "0" * 32 + "/")["status"]
            out["again"] = error(lam.create_function_url_config, FunctionName="url-open", AuthType="NONE")
            out["stream"] = lam.update_function_url_config(FunctionName="url-open", InvokeMode="RESPONSE_STREAM")["InvokeMode"]
            out["listed"] = len(lam.list_function_url_configs(FunctionName="url-open")["FunctionUrlConfigs"])
            lam.delete_function_url_config(FunctionName="url-open")
            out["deleted"] = error(lam.get_function_url_config, FunctionName="url-open")
            out["gone"] = http(base + "hello")["status"]
            """);

        var config = result["config"]!;
        Assert.Matches(@"^http://[a-z0-9]{32}\.lambda-url\.us-east-1\.localhost:\d+/$", config["FunctionUrl"]!.GetValue<string>());
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:url-open", config["FunctionArn"]!.GetValue<string>());
        Assert.Equal("BUFFERED", config["InvokeMode"]!.GetValue<string>());
        Assert.Equal(60, config["Cors"]!["MaxAge"]!.GetValue<int>());
        Assert.Equal(403, result["before_permission"]!.GetValue<int>());

        var post = result["post"]!;
        Assert.Equal(201, post["status"]!.GetValue<int>());
        Assert.Equal("POST", post["headers"]!["x-seen"]!.GetValue<string>());
        Assert.Equal("https://example.com", post["headers"]!["access-control-allow-origin"]!.GetValue<string>());
        Assert.Equal("a=1", post["headers"]!["set-cookie"]!.GetValue<string>());
        var seen = JsonNode.Parse(post["body"]!.GetValue<string>())!;
        Assert.Equal("2.0", seen["version"]!.GetValue<string>());
        Assert.Equal("/hello/world", seen["rawPath"]!.GetValue<string>());
        Assert.Equal("$default", seen["routeKey"]!.GetValue<string>());
        Assert.Equal("1", seen["query"]!["x"]!.GetValue<string>());
        Assert.Equal("payload text", seen["body"]!.GetValue<string>());
        Assert.Equal("c1", seen["header"]!.GetValue<string>());

        Assert.Equal(200, result["plain"]!["status"]!.GetValue<int>());
        Assert.Equal("application/json", result["plain"]!["headers"]!["content-type"]!.GetValue<string>());
        Assert.Equal("""["just","json"]""", JsonNode.Parse(result["plain"]!["body"]!.GetValue<string>())!.ToJsonString());

        var preflight = result["preflight"]!;
        Assert.Equal(200, preflight["status"]!.GetValue<int>());
        Assert.Equal("https://example.com", preflight["headers"]!["access-control-allow-origin"]!.GetValue<string>());
        Assert.Equal("POST", preflight["headers"]!["access-control-allow-methods"]!.GetValue<string>());
        Assert.Equal("60", preflight["headers"]!["access-control-max-age"]!.GetValue<string>());

        Assert.Equal(404, result["unknown"]!.GetValue<int>());
        Assert.Equal("ResourceConflictException", result["again"]!["code"]!.GetValue<string>());
        Assert.Equal("RESPONSE_STREAM", result["stream"]!.GetValue<string>());
        Assert.Equal(1, result["listed"]!.GetValue<int>());
        Assert.Equal("ResourceNotFoundException", result["deleted"]!["code"]!.GetValue<string>());
        Assert.Equal(404, result["gone"]!.GetValue<int>());
    }

    [Fact]
    public async Task Url_with_AWS_IAM_refuses_unsigned_requests_and_answers_signed_ones()
    {
        var result = await RunAsync("""
            create("url-iam", {"app.py": "def handler(event, context):\n    return {'statusCode': 200, 'body': event['requestContext']['authorizer']['iam']['accessKey']}\n"}, Publish=True)
            lam.create_alias(FunctionName="url-iam", Name="live", FunctionVersion="1")
            config = lam.create_function_url_config(FunctionName="url-iam", Qualifier="live", AuthType="AWS_IAM")
            out["arn"] = config["FunctionArn"]
            url = path_form(config) + "whoami"
            out["unsigned"] = http(url)
            signed = AWSRequest(method="GET", url=url)
            SigV4Auth(Credentials("AKIDSIGNER", "secret"), "lambda", "us-east-1").add_auth(signed)
            out["signed"] = http(url, headers=dict(signed.headers.items()))
            out["version_qualifier"] = error(lam.create_function_url_config, FunctionName="url-iam", Qualifier="1", AuthType="NONE")
            """);

        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:url-iam:live", result["arn"]!.GetValue<string>());
        Assert.Equal(403, result["unsigned"]!["status"]!.GetValue<int>());
        Assert.Equal("""{"Message":"Forbidden"}""", result["unsigned"]!["body"]!.GetValue<string>());
        Assert.Equal(200, result["signed"]!["status"]!.GetValue<int>());
        Assert.Equal("AKIDSIGNER", result["signed"]!["body"]!.GetValue<string>());
        Assert.NotNull(result["version_qualifier"]);
    }
}
