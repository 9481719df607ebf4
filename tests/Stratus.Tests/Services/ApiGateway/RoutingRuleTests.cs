using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// Routing rules of custom domain names through boto3 (apigatewayv2's routing rule operations, RoutingMode in both APIs), with real
/// requests to the data plane: rules route by header and base path in priority order, each routing mode uses only what it names, and
/// the documented limits are refused.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class RoutingRuleTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Prelude = CustomDomainTests.Prelude + """
        def send(host, path, headers=None):
            request = urllib.request.Request(URL + path, headers=dict(headers or {}, Host=host))
            try:
                with urllib.request.urlopen(request) as answer:
                    body = json.loads(answer.read().decode())
                    return {"status": answer.status, "api": body["api"], "stage": body["stage"], "resource": body["resource"]}
            except urllib.error.HTTPError as refused:
                return {"status": refused.code}
        def invoke(api, stage, strip=False):
            return [{"InvokeApi": {"ApiId": api, "Stage": stage, "StripBasePath": strip}}]
        def header(name, glob):
            return {"MatchHeaders": {"AnyOf": [{"Header": name, "ValueGlob": glob}]}}
        def base_paths(*paths):
            return {"MatchBasePaths": {"AnyOf": list(paths)}}

        """;

    [Fact]
    public async Task Rules_route_by_header_and_base_path_in_priority_order_and_each_routing_mode_uses_only_what_it_names()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            a = mock_api("rules-a")
            b = mock_api("rules-b")
            out["ids"] = {"a": a, "b": b}
            D = "rules.example.com"
            created = v2.create_domain_name(DomainName=D, DomainNameConfigurations=[{"CertificateArn": CERT, "EndpointType": "REGIONAL"}],
                RoutingMode="ROUTING_RULE_ONLY")
            out["created_mode"] = created["RoutingMode"]
            out["rest_mode"] = apigw.get_domain_name(domainName=D)["routingMode"]
            out["mapping_refused"] = error(v2.create_api_mapping, DomainName=D, ApiId=a, Stage="prod", ApiMappingKey="m")

            beta = v2.create_routing_rule(DomainName=D, Priority=10, Conditions=[header("x-version", "beta*")], Actions=invoke(b, "test"))
            out["rule"] = {k: beta[k] for k in ["Priority", "Conditions", "Actions", "RoutingRuleArn"]}
            shop = v2.create_routing_rule(DomainName=D, Priority=20, Conditions=[base_paths("shop")], Actions=invoke(a, "prod", strip=True))
            v2.create_routing_rule(DomainName=D, Priority=30, Conditions=[base_paths("orders", "legacy/orders"), header("X-Tenant", "*corp*")],
                Actions=invoke(b, "prod", strip=True))
            v2.create_routing_rule(DomainName=D, Priority=40, Conditions=[base_paths("keep")], Actions=invoke(a, "test"))

            out["header_rule"] = send(D, "/pets", {"x-version": "beta-2"})
            out["header_name_any_case"] = send(D, "/pets", {"X-VERSION": "beta"})
            out["header_value_case_counts"] = send(D, "/pets", {"x-version": "BETA"})
            out["base_path_stripped"] = send(D, "/shop/pets")
            out["both_conditions"] = send(D, "/legacy/orders/pets", {"x-tenant": "acorpb"})
            out["one_condition_only"] = send(D, "/orders/pets", {"x-tenant": "other"})
            out["base_path_kept"] = send(D, "/keep/pets")
            out["nothing_matches"] = send(D, "/pets")
            # The lower priority number wins: the base path rule, moved before the header rule, now takes a beta request under /shop.
            out["before_move"] = send(D, "/shop/pets", {"x-version": "beta"})
            v2.put_routing_rule(DomainName=D, RoutingRuleId=shop["RoutingRuleId"], Priority=5, Conditions=[base_paths("shop")],
                Actions=invoke(a, "prod", strip=True))
            out["after_move"] = send(D, "/shop/pets", {"x-version": "beta"})
            out["listed"] = [rule["Priority"] for rule in v2.list_routing_rules(DomainName=D)["RoutingRules"]]
            page = v2.list_routing_rules(DomainName=D, MaxResults=3)
            out["paged"] = [len(page["RoutingRules"]), len(v2.list_routing_rules(DomainName=D, NextToken=page["NextToken"])["RoutingRules"])]
            out["got"] = v2.get_routing_rule(DomainName=D, RoutingRuleId=shop["RoutingRuleId"])["Priority"]

            v2.update_domain_name(DomainName=D, RoutingMode="ROUTING_RULE_THEN_API_MAPPING")
            v2.create_api_mapping(DomainName=D, ApiId=a, Stage="test", ApiMappingKey="")
            out["then_rule"] = send(D, "/pets", {"x-version": "beta"})
            out["then_mapping"] = send(D, "/pets")

            updated = apigw.update_domain_name(domainName=D, patchOperations=[{"op": "replace", "path": "/routingMode", "value": "BASE_PATH_MAPPING_ONLY"}])
            out["rest_updated_mode"] = updated["routingMode"]
            out["mapping_only"] = send(D, "/pets", {"x-version": "beta"})
            out["rule_refused"] = error(v2.create_routing_rule, DomainName=D, Priority=50, Conditions=[], Actions=invoke(a, "prod"))
            out["rules_kept"] = len(v2.list_routing_rules(DomainName=D)["RoutingRules"])

            rest_domain = apigw.create_domain_name(domainName="rules-rest.example.com", regionalCertificateArn=CERT,
                endpointConfiguration={"types": ["REGIONAL"]}, routingMode="ROUTING_RULE_THEN_BASE_PATH_MAPPING")
            out["rest_created_mode"] = rest_domain["routingMode"]
            out["v2_reads_rest_mode"] = v2.get_domain_name(DomainName="rules-rest.example.com")["RoutingMode"]
            catch_all = v2.create_routing_rule(DomainName="rules-rest.example.com", Priority=1, Conditions=[], Actions=invoke(b, "prod"))
            out["catch_all"] = send("rules-rest.example.com", "/pets")
            v2.delete_routing_rule(DomainName="rules-rest.example.com", RoutingRuleId=catch_all["RoutingRuleId"])
            out["deleted"] = error(v2.get_routing_rule, DomainName="rules-rest.example.com", RoutingRuleId=catch_all["RoutingRuleId"])
            out["after_delete"] = send("rules-rest.example.com", "/pets")
            v2.delete_domain_name(DomainName=D)
            apigw.delete_domain_name(domainName="rules-rest.example.com")
            """);

        Assert.Equal("ROUTING_RULE_ONLY", r["created_mode"]!.GetValue<string>());
        Assert.Equal("ROUTING_RULE_ONLY", r["rest_mode"]!.GetValue<string>());
        Assert.Equal("BadRequestException", r["mapping_refused"]!["code"]!.GetValue<string>());
        var rule = r["rule"]!;
        Assert.Equal(10, rule["Priority"]!.GetValue<int>());
        Assert.Equal("""[{"MatchHeaders":{"AnyOf":[{"Header":"x-version","ValueGlob":"beta*"}]}}]""", rule["Conditions"]!.ToJsonString());
        Assert.Equal("test", rule["Actions"]![0]!["InvokeApi"]!["Stage"]!.GetValue<string>());
        Assert.False(rule["Actions"]![0]!["InvokeApi"]!["StripBasePath"]!.GetValue<bool>());
        Assert.Matches(@"^arn:aws:apigateway:us-east-1:\d{12}:/domainnames/rules\.example\.com\+d-[a-z0-9]{10}/routingrules/[a-z0-9]{6}$",
            rule["RoutingRuleArn"]!.GetValue<string>());

        AssertRouted(r["header_rule"]!, "b", "test");
        AssertRouted(r["header_name_any_case"]!, "b", "test");
        Assert.Equal(403, r["header_value_case_counts"]!["status"]!.GetValue<int>());
        AssertRouted(r["base_path_stripped"]!, "a", "prod");
        AssertRouted(r["both_conditions"]!, "b", "prod");
        Assert.Equal(403, r["one_condition_only"]!["status"]!.GetValue<int>());
        // Without StripBasePath the API sees /keep/pets, which it has no resource for.
        Assert.NotEqual(200, r["base_path_kept"]!["status"]!.GetValue<int>());
        Assert.Equal(403, r["nothing_matches"]!["status"]!.GetValue<int>());
        Assert.NotEqual(200, r["before_move"]!["status"]!.GetValue<int>());
        AssertRouted(r["after_move"]!, "a", "prod");
        Assert.Equal("[5,10,30,40]", r["listed"]!.ToJsonString());
        Assert.Equal("[3,1]", r["paged"]!.ToJsonString());
        Assert.Equal(5, r["got"]!.GetValue<int>());
        AssertRouted(r["then_rule"]!, "b", "test");
        AssertRouted(r["then_mapping"]!, "a", "test");
        Assert.Equal("BASE_PATH_MAPPING_ONLY", r["rest_updated_mode"]!.GetValue<string>());
        AssertRouted(r["mapping_only"]!, "a", "test");
        Assert.Equal("BadRequestException", r["rule_refused"]!["code"]!.GetValue<string>());
        Assert.Equal(4, r["rules_kept"]!.GetValue<int>());
        Assert.Equal("ROUTING_RULE_THEN_BASE_PATH_MAPPING", r["rest_created_mode"]!.GetValue<string>());
        Assert.Equal("ROUTING_RULE_THEN_API_MAPPING", r["v2_reads_rest_mode"]!.GetValue<string>());
        AssertRouted(r["catch_all"]!, "b", "prod");
        Assert.Equal("NotFoundException", r["deleted"]!["code"]!.GetValue<string>());
        Assert.Equal(403, r["after_delete"]!["status"]!.GetValue<int>());

        void AssertRouted(JsonNode call, string api, string stage)
        {
            Assert.Equal(200, call["status"]!.GetValue<int>());
            Assert.Equal(r["ids"]![api]!.GetValue<string>(), call["api"]!.GetValue<string>());
            Assert.Equal(stage, call["stage"]!.GetValue<string>());
            Assert.Equal("/pets", call["resource"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Rules_beyond_the_documented_limits_or_with_bad_conditions_are_refused()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            a = mock_api("limits-a")
            D = "limits.example.com"
            v2.create_domain_name(DomainName=D, DomainNameConfigurations=[{"CertificateArn": CERT, "EndpointType": "REGIONAL"}],
                RoutingMode="ROUTING_RULE_ONLY")
            v2.create_routing_rule(DomainName=D, Priority=100, Conditions=[header("x-a", "1"), header("x-b", "2"), base_paths("p")],
                Actions=invoke(a, "prod"))
            cases = {
                "duplicate_priority": dict(Priority=100, Conditions=[], Actions=invoke(a, "prod")),
                "priority_too_high": dict(Priority=1000001, Conditions=[], Actions=invoke(a, "prod")),
                "three_headers": dict(Priority=1, Conditions=[header("x-a", "1"), header("x-b", "2"), header("x-c", "3")], Actions=invoke(a, "prod")),
                "two_base_paths": dict(Priority=2, Conditions=[base_paths("p"), base_paths("q")], Actions=invoke(a, "prod")),
                "both_in_one": dict(Priority=3, Conditions=[dict(header("x-a", "1"), **base_paths("p"))], Actions=invoke(a, "prod")),
                "empty_condition": dict(Priority=4, Conditions=[{}], Actions=invoke(a, "prod")),
                "two_headers_in_any_of": dict(Priority=5, Conditions=[{"MatchHeaders": {"AnyOf": [{"Header": "x-a", "ValueGlob": "1"},
                    {"Header": "x-b", "ValueGlob": "2"}]}}], Actions=invoke(a, "prod")),
                "wildcard_inside": dict(Priority=6, Conditions=[header("x-a", "a*b")], Actions=invoke(a, "prod")),
                "bare_wildcard": dict(Priority=7, Conditions=[header("x-a", "*")], Actions=invoke(a, "prod")),
                "reserved_header": dict(Priority=8, Conditions=[header("Authorization", "Bearer*")], Actions=invoke(a, "prod")),
                "amz_header": dict(Priority=9, Conditions=[header("x-amz-date", "2*")], Actions=invoke(a, "prod")),
                "empty_base_paths": dict(Priority=10, Conditions=[base_paths()], Actions=invoke(a, "prod")),
                "bad_base_path": dict(Priority=11, Conditions=[base_paths("a b")], Actions=invoke(a, "prod")),
                "two_actions": dict(Priority=12, Conditions=[], Actions=invoke(a, "prod") + invoke(a, "test")),
                "no_such_api": dict(Priority=13, Conditions=[], Actions=invoke("nosuchapi1", "prod")),
                "no_such_stage": dict(Priority=14, Conditions=[], Actions=invoke(a, "nope")),
            }
            for name, case in cases.items():
                out[name] = error(v2.create_routing_rule, DomainName=D, **case)
            out["no_domain"] = error(v2.create_routing_rule, DomainName="none.example.com", Priority=1, Conditions=[], Actions=invoke(a, "prod"))
            out["wrong_domain_id"] = error(v2.list_routing_rules, DomainName=D, DomainNameId="d-0000000000")
            out["no_rule"] = error(v2.get_routing_rule, DomainName=D, RoutingRuleId="nosuch")
            out["bad_mode"] = error(v2.update_domain_name, DomainName=D, RoutingMode="BASE_PATH_MAPPING_ONLY")
            out["count"] = len(v2.list_routing_rules(DomainName=D)["RoutingRules"])
            v2.delete_domain_name(DomainName=D)
            """);

        Assert.Equal("ConflictException", r["duplicate_priority"]!["code"]!.GetValue<string>());
        foreach (var refused in new[] { "priority_too_high", "three_headers", "two_base_paths", "both_in_one", "empty_condition", "two_headers_in_any_of",
                     "wildcard_inside", "bare_wildcard", "reserved_header", "amz_header", "empty_base_paths", "bad_base_path", "two_actions",
                     "no_such_api", "no_such_stage", "bad_mode" })
            Assert.True(r[refused]?["code"]?.GetValue<string>() == "BadRequestException", $"{refused}: {r[refused]?.ToJsonString() ?? "accepted"}");
        Assert.Equal("NotFoundException", r["no_domain"]!["code"]!.GetValue<string>());
        Assert.Equal("NotFoundException", r["wrong_domain_id"]!["code"]!.GetValue<string>());
        Assert.Equal("NotFoundException", r["no_rule"]!["code"]!.GetValue<string>());
        Assert.Equal(1, r["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_CloudFormation_routing_rule_routes_is_changed_in_place_survives_a_restart_and_goes_with_its_stack()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        var r = await Clients.Boto3Async(server.Url, Prelude + """
            cfn = client("cloudformation")
            a = mock_api("cfn-rules-a")
            out["ids"] = {"a": a}
            def template(glob):
                return json.dumps({"Resources": {
                    "Domain": {"Type": "AWS::ApiGatewayV2::DomainName", "Properties": {"DomainName": "cfn-rules.example.com",
                        "DomainNameConfigurations": [{"CertificateArn": CERT, "EndpointType": "REGIONAL"}], "RoutingMode": "ROUTING_RULE_ONLY"}},
                    "Rule": {"Type": "AWS::ApiGatewayV2::RoutingRule", "Properties": {
                        "DomainNameArn": {"Fn::GetAtt": ["Domain", "DomainNameArn"]}, "Priority": 7,
                        "Conditions": [{"MatchHeaders": {"AnyOf": [{"Header": "x-team", "ValueGlob": glob}]}}, {"MatchBasePaths": {"AnyOf": ["api"]}}],
                        "Actions": [{"InvokeApi": {"ApiId": a, "Stage": "prod", "StripBasePath": True}}]}},
                }, "Outputs": {"RuleId": {"Value": {"Fn::GetAtt": ["Rule", "RoutingRuleId"]}}, "RuleArn": {"Value": {"Ref": "Rule"}}}})
            def outputs():
                return {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="routing-rules")["Stacks"][0]["Outputs"]}
            cfn.create_stack(StackName="routing-rules", TemplateBody=template("blue*"))
            cfn.get_waiter("stack_create_complete").wait(StackName="routing-rules", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["created"] = outputs()
            out["blue"] = send("cfn-rules.example.com", "/api/pets", {"x-team": "blue-1"})
            cfn.update_stack(StackName="routing-rules", TemplateBody=template("red*"))
            cfn.get_waiter("stack_update_complete").wait(StackName="routing-rules", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["updated"] = outputs()
            out["blue_after"] = send("cfn-rules.example.com", "/api/pets", {"x-team": "blue-1"})
            out["red"] = send("cfn-rules.example.com", "/api/pets", {"x-team": "red-1"})
            """);
        await server.RestartAsync();
        var after = await Clients.Boto3Async(server.Url, Prelude + """
            cfn = client("cloudformation")
            out["rules"] = [rule["Conditions"][0]["MatchHeaders"]["AnyOf"][0]["ValueGlob"] for rule in v2.list_routing_rules(DomainName="cfn-rules.example.com")["RoutingRules"]]
            out["red"] = send("cfn-rules.example.com", "/api/pets", {"x-team": "red-2"})
            cfn.delete_stack(StackName="routing-rules")
            cfn.get_waiter("stack_delete_complete").wait(StackName="routing-rules", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["gone"] = error(v2.get_domain_name, DomainName="cfn-rules.example.com")
            """);

        var created = r["created"]!;
        Assert.Matches("^[a-z0-9]{6}$", created["RuleId"]!.GetValue<string>());
        Assert.EndsWith("/routingrules/" + created["RuleId"]!.GetValue<string>(), created["RuleArn"]!.GetValue<string>());
        Assert.Equal(created["RuleId"]!.GetValue<string>(), r["updated"]!["RuleId"]!.GetValue<string>());
        Assert.Equal(200, r["blue"]!["status"]!.GetValue<int>());
        Assert.Equal(r["ids"]!["a"]!.GetValue<string>(), r["blue"]!["api"]!.GetValue<string>());
        Assert.Equal("/pets", r["blue"]!["resource"]!.GetValue<string>());
        Assert.Equal(403, r["blue_after"]!["status"]!.GetValue<int>());
        Assert.Equal(200, r["red"]!["status"]!.GetValue<int>());
        Assert.Equal("""["red*"]""", after["rules"]!.ToJsonString());
        Assert.Equal(200, after["red"]!["status"]!.GetValue<int>());
        Assert.Equal("NotFoundException", after["gone"]!["code"]!.GetValue<string>());
    }
}
