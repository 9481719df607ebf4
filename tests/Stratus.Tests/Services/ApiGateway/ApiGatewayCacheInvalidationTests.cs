using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// `--auth enforce`: a client's <c>Cache-Control: max-age=0</c> to a cached method that requires authorization for it refreshes
/// the entry only when the request is signed for execute-api and the signer's policies allow execute-api:InvalidateCache on the
/// method's ARN, as AWS decides; otherwise the method's unauthorizedCacheControlHeaderStrategy applies. botocore signs the requests.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ApiGatewayCacheInvalidationTests : EnforcedStratusTest
{
    [Fact]
    public async Task Max_age_zero_refreshes_only_for_a_signer_allowed_InvalidateCache_on_the_method_arn()
    {
        var r = await Clients.Boto3Async(Server.Url, RootPrelude + """
            import urllib.request, urllib.error
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            iam, apigw = client("iam", **ROOT), client("apigateway", **ROOT)
            api_id = apigw.create_rest_api(name="invalidated")["id"]
            root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
            items = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
            apigw.put_method(restApiId=api_id, resourceId=items, httpMethod="GET", authorizationType="NONE")
            apigw.put_integration(restApiId=api_id, resourceId=items, httpMethod="GET", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.put_method_response(restApiId=api_id, resourceId=items, httpMethod="GET", statusCode="200")
            apigw.put_integration_response(restApiId=api_id, resourceId=items, httpMethod="GET", statusCode="200",
                responseTemplates={"application/json": '{"id": "$context.requestId"}'})
            apigw.create_deployment(restApiId=api_id, stageName="prod", cacheClusterEnabled=True)
            def strategy(value):
                apigw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
                    {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
                    {"op": "replace", "path": "/*/*/caching/unauthorizedCacheControlHeaderStrategy", "value": value}])
            strategy("SUCCEED_WITH_RESPONSE_HEADER")
            url = URL.rstrip("/") + f"/_aws/execute-api/{api_id}/prod/items"
            method_arn = f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/prod/GET/items"
            def call(key=None, secret=None, refresh=True, service="execute-api"):
                headers = {"Cache-Control": "max-age=0"} if refresh else {}
                request = AWSRequest(method="GET", url=url, headers=headers)
                if key:
                    SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(request)
                try:
                    with urllib.request.urlopen(urllib.request.Request(url, headers=dict(request.headers.items()))) as answer:
                        return {"status": answer.status, "id": json.loads(answer.read())["id"], "warning": answer.headers.get("Warning")}
                except urllib.error.HTTPError as refused:
                    return {"status": refused.code, "body": refused.read().decode()}
            allowed = user("cache-invalidator", [{"Effect": "Allow", "Action": "execute-api:InvalidateCache", "Resource": method_arn}])
            elsewhere = user("cache-elsewhere", [{"Effect": "Allow", "Action": "execute-api:InvalidateCache", "Resource": f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/prod/GET/other"}])
            denied = user("cache-denied", [{"Effect": "Allow", "Action": "execute-api:*", "Resource": "*"},
                                          {"Effect": "Deny", "Action": "execute-api:InvalidateCache", "Resource": f"arn:aws:execute-api:*:*:{api_id}/*"}])
            out["first"] = call(refresh=False)
            out["unsigned"] = call()
            out["elsewhere"] = call(**elsewhere)
            out["denied"] = call(**denied)
            out["wrong_service"] = call(service="lambda", **allowed)
            out["allowed"] = call(**allowed)
            out["after_allowed"] = call(refresh=False)
            out["root"] = call(**ROOT)
            strategy("FAIL_WITH_403")
            out["fail_unauthorized"] = call(**elsewhere)
            out["fail_allowed"] = call(**allowed)
            strategy("SUCCEED_WITHOUT_RESPONSE_HEADER")
            out["quiet_unauthorized"] = call(**denied)
            out["quiet_reference"] = call(refresh=False)
            """);

        string Id(string name)
        {
            Assert.Equal(200, r[name]!["status"]!.GetValue<int>());
            return r[name]!["id"]!.GetValue<string>();
        }
        string? Warning(string name) => r[name]!["warning"]?.GetValue<string>();
        var first = Id("first");
        // Unsigned, signed by a principal allowed only another method's ARN, or denied explicitly: the cached answer with AWS's warning.
        foreach (var unauthorized in new[] { "unsigned", "elsewhere", "denied", "wrong_service" })
        {
            Assert.Equal(first, Id(unauthorized));
            Assert.StartsWith("199 Cache-control headers were ignored", Warning(unauthorized));
        }
        // Allowed on the method's ARN: the entry is refreshed, with no warning, and the next plain GET is the new entry.
        var refreshed = Id("allowed");
        Assert.NotEqual(first, refreshed);
        Assert.Null(Warning("allowed"));
        Assert.Equal(refreshed, Id("after_allowed"));
        // The account's root, whose key no policy names, may.
        var byRoot = Id("root");
        Assert.NotEqual(refreshed, byRoot);
        Assert.Equal(403, r["fail_unauthorized"]!["status"]!.GetValue<int>());
        var failAllowed = Id("fail_allowed");
        Assert.NotEqual(byRoot, failAllowed);
        Assert.Equal(failAllowed, Id("quiet_unauthorized"));
        Assert.Null(Warning("quiet_unauthorized"));
        Assert.Equal(failAllowed, Id("quiet_reference"));
    }
}
