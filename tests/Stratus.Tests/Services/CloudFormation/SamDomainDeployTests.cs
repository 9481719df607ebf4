using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// SAM's Domain property deployed through CloudFormation: an HttpApi's domain with a list of base paths and an Api's domain on its
/// root, under SAM's logical ids, served by Host on Stratus's port; and an HttpApi's RouteSettings reaching its stage.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class SamDomainDeployTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Http_api_and_api_domains_deploy_with_sam_logical_ids_and_route_by_base_path()
    {
        var r = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + """
            import hashlib, urllib.request, urllib.error
            CERT = "arn:aws:acm:us-east-1:000000000000:certificate/0b1c2d3e-0000-4000-8000-000000000002"
            def call(host, path):
                request = urllib.request.Request(URL + path, headers={"Host": host})
                try:
                    with urllib.request.urlopen(request) as answer:
                        return [answer.status, json.loads(answer.read().decode())]
                except urllib.error.HTTPError as refused:
                    return [refused.code, refused.read().decode()]
            code = "def handler(event, context):\n    return {'statusCode': 200, 'body': __import__('json').dumps({'path': event.get('rawPath') or event.get('path'), 'domain': event['requestContext']['domainName']})}\n"
            template = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {
                "Hello": {"Type": "AWS::Serverless::Function", "Properties": {"Runtime": "python3.12", "Handler": "index.handler", "InlineCode": code,
                    "Events": {"Http": {"Type": "HttpApi", "Properties": {"ApiId": {"Ref": "Orders"}, "Path": "/hello", "Method": "get"}},
                               "Rest": {"Type": "Api", "Properties": {"RestApiId": {"Ref": "Shop"}, "Path": "/hello", "Method": "get"}}}}},
                "Orders": {"Type": "AWS::Serverless::HttpApi", "Properties": {
                    "Domain": {"DomainName": "sam-http.example.com", "CertificateArn": CERT, "EndpointConfiguration": "REGIONAL", "BasePath": ["/orders/v2", "svc"]},
                    "RouteSettings": {"GET /hello": {"ThrottlingBurstLimit": 50, "ThrottlingRateLimit": 25}}}},
                "Shop": {"Type": "AWS::Serverless::Api", "Properties": {"StageName": "live",
                    "Domain": {"DomainName": "sam-rest.example.com", "CertificateArn": CERT}}},
            }}
            cf = client("cloudformation")
            FAST = {"Delay": 1, "MaxAttempts": 120}
            cf.create_stack(StackName="sam-domains", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
            try:
                cf.get_waiter("stack_create_complete").wait(StackName="sam-domains", WaiterConfig=FAST)
            except Exception:
                out["events"] = [e.get("ResourceStatusReason") for e in cf.describe_stack_events(StackName="sam-domains")["StackEvents"] if e.get("ResourceStatusReason")]
                raise
            resources = {x["LogicalResourceId"]: x for x in cf.list_stack_resources(StackName="sam-domains")["StackResourceSummaries"]}
            http_domain = "ApiGatewayDomainNameV2" + hashlib.sha1(b"sam-http.example.com").hexdigest()[:10]
            rest_domain = "ApiGatewayDomainName" + hashlib.sha1(b"sam-rest.example.com").hexdigest()[:10]
            out["generated"] = sorted(f"{k}:{resources[k]['ResourceType']}" for k in
                [http_domain, rest_domain, "Ordersordersv2ApiMapping", "OrderssvcApiMapping", "ShopBasePathMapping"] if k in resources)
            v2 = client("apigatewayv2")
            out["keys"] = sorted(m.get("ApiMappingKey", "") + ":" + m["Stage"] for m in v2.get_api_mappings(DomainName="sam-http.example.com")["Items"])
            apigw = client("apigateway")
            out["rest_mappings"] = [[m["basePath"], m["stage"]] for m in apigw.get_base_path_mappings(domainName="sam-rest.example.com")["items"]]
            api = resources["Orders"]["PhysicalResourceId"]
            out["route_settings"] = v2.get_stage(ApiId=api, StageName="$default")["RouteSettings"]
            out["http_v2"] = call("sam-http.example.com", "/orders/v2/hello")
            out["http_svc"] = call("sam-http.example.com", "/svc/hello")
            out["rest"] = call("sam-rest.example.com", "/hello")
            cf.delete_stack(StackName="sam-domains")
            cf.get_waiter("stack_delete_complete").wait(StackName="sam-domains", WaiterConfig=FAST)
            try:
                v2.get_domain_name(DomainName="sam-http.example.com")
                out["gone"] = False
            except v2.exceptions.NotFoundException:
                out["gone"] = True
            """, TimeSpan.FromMinutes(3));
        Assert.Equal(5, r["generated"]!.AsArray().Count);
        Assert.Contains("OrderssvcApiMapping:AWS::ApiGatewayV2::ApiMapping", r["generated"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Contains("ShopBasePathMapping:AWS::ApiGateway::BasePathMapping", r["generated"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("""["orders/v2:$default","svc:$default"]""", r["keys"]!.ToJsonString());
        Assert.Equal("""[["(none)","live"]]""", r["rest_mappings"]!.ToJsonString());
        Assert.Equal(50, r["route_settings"]!["GET /hello"]!["ThrottlingBurstLimit"]!.GetValue<int>());
        foreach (var (name, path) in new[] { ("http_v2", "/orders/v2/hello"), ("http_svc", "/svc/hello") })
        {
            Assert.Equal(200, r[name]![0]!.GetValue<int>());
            Assert.Equal(path, r[name]![1]!["path"]!.GetValue<string>());
            Assert.Equal("sam-http.example.com", r[name]![1]!["domain"]!.GetValue<string>());
        }
        Assert.Equal(200, r["rest"]![0]!.GetValue<int>());
        Assert.Equal("/hello", r["rest"]![1]!["path"]!.GetValue<string>());
        Assert.True(r["gone"]!.GetValue<bool>());
    }
}
