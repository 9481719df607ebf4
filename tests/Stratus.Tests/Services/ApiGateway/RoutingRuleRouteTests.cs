using Stratus.Services.ApiGateway;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>How routing rules pick a request's REST API stage: value globs, whole-segment base paths, priority order, StripBasePath.</summary>
public sealed class RoutingRuleRouteTests
{
    [Theory]
    [InlineData("beta", "beta", true)]
    [InlineData("beta", "beta2", false)]
    [InlineData("a*", "alpha", true)]
    [InlineData("a*", "beta", false)]
    [InlineData("*-prod", "eu-prod", true)]
    [InlineData("*-prod", "eu-prod-2", false)]
    [InlineData("*corp*", "megacorpltd", true)]
    [InlineData("*corp*", "Corp", false)]
    public void A_value_glob_matches_literally_or_by_prefix_suffix_or_contains_with_case_counting(string glob, string value, bool matches) =>
        Assert.Equal(matches, CustomDomainNames.GlobMatches(glob, value));

    private static RoutingRule Rule(string id, int priority, RoutingRuleAction action, params RoutingRuleCondition[] conditions) =>
        new() { Id = id, Priority = priority, Conditions = [.. conditions], Action = action };

    private static readonly CustomDomain Domain = new()
    {
        AccountId = "000000000000",
        Region = "us-east-1",
        DomainName = "api.example.com",
        DomainNameId = "d-0123456789",
        SecurityPolicy = "TLS_1_2",
        CreatedDate = DateTimeOffset.UnixEpoch,
        RoutingMode = RoutingModes.RoutingRuleOnly,
        // Stored out of priority order: the route must sort them.
        RoutingRules =
        [
            Rule("catchall", 900, new("fallback", "prod", false)),
            Rule("orders", 20, new("orders", "prod", true), new RoutingRuleCondition(null, ["orders", "v2/orders"])),
            Rule("beta", 10, new("beta", "test", false), new RoutingRuleCondition(new HeaderGlob("x-version", "beta*"), null)),
        ],
    };

    private static (string RuleId, string Path)? Route(string path, params (string Name, string Value)[] headers)
    {
        var lookup = headers.ToLookup(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase);
        return CustomDomainNames.RouteByRules(Domain, path, name => lookup[name]) is { } route ? (route.Rule.Id, route.Path) : null;
    }

    [Fact]
    public void The_lowest_priority_number_whose_conditions_hold_wins()
    {
        Assert.Equal(("beta", "/orders/1"), Route("/orders/1", ("X-Version", "beta1")));
        Assert.Equal(("orders", "/1"), Route("/orders/1", ("x-version", "stable")));
        Assert.Equal(("catchall", "/pets"), Route("/pets"));
    }

    [Theory]
    [InlineData("/orders", "/")]
    [InlineData("/v2/orders/items/7", "/items/7")]
    public void A_base_path_matches_whole_leading_segments_and_is_stripped_when_the_action_says_so(string path, string rest) =>
        Assert.Equal(("orders", rest), Route(path));

    [Fact]
    public void A_base_path_that_is_only_a_prefix_of_a_segment_does_not_match() =>
        Assert.Equal("catchall", Route("/ordersx/1")!.Value.RuleId);

    [Fact]
    public void Without_a_rule_that_holds_there_is_no_route()
    {
        var domain = Domain with { RoutingRules = [.. Domain.RoutingRules.Where(r => r.Id != "catchall")] };
        Assert.Null(CustomDomainNames.RouteByRules(domain, "/pets", _ => []));
    }
}
