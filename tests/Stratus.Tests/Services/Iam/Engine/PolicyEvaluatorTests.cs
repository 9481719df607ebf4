using Stratus.Services.Iam.Engine;

namespace Stratus.Tests.Services.Iam.Engine;

/// <summary>The evaluation engine against AWS's documented logic, one behaviour per test.</summary>
public sealed class PolicyEvaluatorTests
{
    private const string UserArn = "arn:aws:iam::123456789012:user/alice";

    private static SourcedPolicy Identity(string statements, string version = "2012-10-17") =>
        new("inline", PolicySourceKind.User, Policy.Parse($$"""{"Version":"{{version}}","Statement":[{{statements}}]}"""));

    private static RequestContext Request(string action, string resource = "*") =>
        new RequestContext { Action = action, Resource = resource, PrincipalArn = UserArn }.WithPrincipal(UserArn, "AIDAEXAMPLE", "123456789012");

    private static Decision Decide(string statements, RequestContext request) =>
        PolicyEvaluator.Evaluate(new PolicySet { Identity = [Identity(statements)] }, request).Decision;

    [Fact]
    public void Nothing_allows_by_default() =>
        Assert.Equal(Decision.ImplicitDeny, PolicyEvaluator.Evaluate(new PolicySet(), Request("s3:GetObject")).Decision);

    [Theory]
    [InlineData("s3:GetObject", "s3:GetObject", Decision.Allowed)]
    [InlineData("s3:Get*", "s3:GetObject", Decision.Allowed)]
    [InlineData("S3:getobject", "s3:GetObject", Decision.Allowed)]
    [InlineData("s3:Get?bject", "s3:GetObject", Decision.Allowed)]
    [InlineData("*", "lambda:InvokeFunction", Decision.Allowed)]
    [InlineData("s3:Put*", "s3:GetObject", Decision.ImplicitDeny)]
    [InlineData("s3:GetObjectAcl", "s3:GetObject", Decision.ImplicitDeny)]
    public void Actions_match_with_wildcards_and_without_regard_to_case(string pattern, string action, Decision expected) =>
        Assert.Equal(expected, Decide($$"""{"Effect":"Allow","Action":"{{pattern}}","Resource":"*"}""", Request(action)));

    [Fact]
    public void An_explicit_deny_beats_any_allow()
    {
        var evaluation = PolicyEvaluator.Evaluate(new PolicySet
        {
            Identity = [Identity("""{"Effect":"Allow","Action":"*","Resource":"*"}"""), Identity("""{"Sid":"no","Effect":"Deny","Action":"s3:*","Resource":"*"}""")],
        }, Request("s3:GetObject"));
        Assert.Equal(Decision.ExplicitDeny, evaluation.Decision);
        Assert.Equal("no", Assert.Single(evaluation.Matched).Statement.Sid);
    }

    [Fact]
    public void NotAction_allows_everything_but_what_it_names()
    {
        const string statement = """{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}""";
        Assert.Equal(Decision.Allowed, Decide(statement, Request("s3:GetObject")));
        Assert.Equal(Decision.ImplicitDeny, Decide(statement, Request("iam:CreateUser")));
    }

    [Theory]
    [InlineData("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/key", Decision.Allowed)]
    [InlineData("arn:aws:s3:::bucket/*", "arn:aws:s3:::other/key", Decision.ImplicitDeny)]
    [InlineData("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/key", Decision.ImplicitDeny)]
    [InlineData("arn:aws:lambda:*:123456789012:function:f-?", "arn:aws:lambda:us-east-1:123456789012:function:f-1", Decision.Allowed)]
    public void Resources_match_with_wildcards_and_with_regard_to_case(string pattern, string resource, Decision expected) =>
        Assert.Equal(expected, Decide($$"""{"Effect":"Allow","Action":"s3:GetObject","Resource":"{{pattern}}"}""", Request("s3:GetObject", resource)));

    [Fact]
    public void NotResource_denies_everything_but_what_it_names()
    {
        var set = new PolicySet
        {
            Identity = [Identity("""{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::safe/*"}""")],
        };
        Assert.Equal(Decision.Allowed, PolicyEvaluator.Evaluate(set, Request("s3:GetObject", "arn:aws:s3:::safe/a")).Decision);
        Assert.Equal(Decision.ExplicitDeny, PolicyEvaluator.Evaluate(set, Request("s3:GetObject", "arn:aws:s3:::other/a")).Decision);
    }

    [Fact]
    public void Policy_variables_are_replaced_in_version_2012_only()
    {
        const string statement = """{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}""";
        Assert.Equal(Decision.Allowed, Decide(statement, Request("s3:GetObject", "arn:aws:s3:::home/alice/notes")));
        Assert.Equal(Decision.ImplicitDeny, Decide(statement, Request("s3:GetObject", "arn:aws:s3:::home/bob/notes")));
        var old = new PolicySet { Identity = [Identity(statement, "2008-10-17")] };
        Assert.Equal(Decision.ImplicitDeny, PolicyEvaluator.Evaluate(old, Request("s3:GetObject", "arn:aws:s3:::home/alice/notes")).Decision);
        Assert.Equal(Decision.Allowed, PolicyEvaluator.Evaluate(old, Request("s3:GetObject", "arn:aws:s3:::home/${aws:username}/notes")).Decision);
    }

    [Fact]
    public void A_variable_without_a_value_uses_its_default_or_fails_the_match()
    {
        const string withDefault = """{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::t/${aws:PrincipalTag/team, 'none'}/*"}""";
        Assert.Equal(Decision.Allowed, Decide(withDefault, Request("s3:GetObject", "arn:aws:s3:::t/none/x")));
        Assert.Equal(Decision.Allowed, Decide(withDefault, Request("s3:GetObject", "arn:aws:s3:::t/red/x").With("aws:PrincipalTag/team", "red")));
        const string without = """{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::t/${aws:PrincipalTag/team}/*"}""";
        Assert.Equal(Decision.ImplicitDeny, Decide(without, Request("s3:GetObject", "arn:aws:s3:::t//x")));
    }

    [Fact]
    public void A_permissions_boundary_caps_what_identity_policies_allow()
    {
        var set = new PolicySet
        {
            Identity = [Identity("""{"Effect":"Allow","Action":"*","Resource":"*"}""")],
            Boundary = [Identity("""{"Effect":"Allow","Action":"s3:*","Resource":"*"}""")],
        };
        var inside = PolicyEvaluator.Evaluate(set, Request("s3:GetObject"));
        Assert.Equal(Decision.Allowed, inside.Decision);
        Assert.True(inside.AllowedByBoundary);
        var outside = PolicyEvaluator.Evaluate(set, Request("iam:CreateUser"));
        Assert.Equal(Decision.ImplicitDeny, outside.Decision);
        Assert.False(outside.AllowedByBoundary);
        // A boundary alone grants nothing.
        Assert.Equal(Decision.ImplicitDeny, PolicyEvaluator.Evaluate(set with { Identity = [] }, Request("s3:GetObject")).Decision);
    }

    [Fact]
    public void A_resource_policy_naming_the_caller_allows_without_an_identity_policy_and_its_deny_decides()
    {
        var allow = new SourcedPolicy("ResourcePolicy", PolicySourceKind.Resource, Policy.Parse(
            $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"{{UserArn}}"},"Action":"s3:GetObject","Resource":"*"}]}"""));
        Assert.Equal(Decision.Allowed, PolicyEvaluator.Evaluate(new PolicySet { Resource = allow }, Request("s3:GetObject")).Decision);
        var other = new SourcedPolicy("ResourcePolicy", PolicySourceKind.Resource, Policy.Parse(
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"s3:GetObject","Resource":"*"}]}"""));
        Assert.Equal(Decision.ImplicitDeny, PolicyEvaluator.Evaluate(new PolicySet { Resource = other }, Request("s3:GetObject")).Decision);
        var account = new SourcedPolicy("ResourcePolicy", PolicySourceKind.Resource, Policy.Parse(
            """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"}]}"""));
        Assert.Equal(Decision.ExplicitDeny, PolicyEvaluator.Evaluate(new PolicySet { Identity = [Identity("""{"Effect":"Allow","Action":"*","Resource":"*"}""")], Resource = account },
            Request("s3:GetObject")).Decision);
    }

    private static Decision WithCondition(string condition, RequestContext request) =>
        Decide($$"""{"Effect":"Allow","Action":"*","Resource":"*","Condition":{{condition}}}""", request);

    [Theory]
    [InlineData("""{"StringEquals":{"aws:username":"alice"}}""", true)]
    [InlineData("""{"StringEquals":{"aws:username":["bob","alice"]}}""", true)]
    [InlineData("""{"StringEquals":{"aws:username":"Alice"}}""", false)]
    [InlineData("""{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}""", true)]
    [InlineData("""{"StringNotEquals":{"aws:username":"alice"}}""", false)]
    [InlineData("""{"StringNotEquals":{"aws:username":["bob","carol"]}}""", true)]
    [InlineData("""{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/a*"}}""", true)]
    [InlineData("""{"StringNotLike":{"aws:PrincipalArn":"*:user/a*"}}""", false)]
    [InlineData("""{"StringEquals":{"aws:username":"${aws:username}"}}""", true)]
    [InlineData("""{"NumericLessThan":{"s3:max-keys":"10"}}""", true)]
    [InlineData("""{"NumericGreaterThanEquals":{"s3:max-keys":5}}""", true)]
    [InlineData("""{"NumericEquals":{"s3:max-keys":"7"}}""", false)]
    [InlineData("""{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}""", true)]
    [InlineData("""{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}""", false)]
    [InlineData("""{"DateLessThan":{"aws:CurrentTime":"1893456000"}}""", true)]
    [InlineData("""{"Bool":{"aws:SecureTransport":"false"}}""", true)]
    [InlineData("""{"Bool":{"aws:SecureTransport":true}}""", false)]
    [InlineData("""{"IpAddress":{"aws:SourceIp":"10.1.0.0/16"}}""", true)]
    [InlineData("""{"IpAddress":{"aws:SourceIp":["192.168.0.0/16","10.1.2.3"]}}""", true)]
    [InlineData("""{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}""", false)]
    [InlineData("""{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/*"}}""", true)]
    [InlineData("""{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}""", false)]
    [InlineData("""{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/alice"}}""", false)]
    [InlineData("""{"Null":{"aws:TokenIssueTime":"true"}}""", true)]
    [InlineData("""{"Null":{"aws:username":"true"}}""", false)]
    [InlineData("""{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}}""", false)]
    [InlineData("""{"StringEquals":{"aws:username":"alice","aws:PrincipalType":"User"}}""", true)]
    public void Condition_operators_compare_as_documented(string condition, bool allowed)
    {
        var request = Request("s3:ListBucket").With("s3:max-keys", "6").With("aws:SourceIp", "10.1.2.3").With("aws:SecureTransport", "false")
            .With("aws:CurrentTime", "2024-05-01T12:00:00Z");
        Assert.Equal(allowed ? Decision.Allowed : Decision.ImplicitDeny, WithCondition(condition, request));
    }

    [Theory]
    [InlineData("""{"StringEquals":{"aws:RequestTag/env":"prod"}}""", false)]
    [InlineData("""{"StringEqualsIfExists":{"aws:RequestTag/env":"prod"}}""", true)]
    [InlineData("""{"StringNotEquals":{"aws:RequestTag/env":"prod"}}""", true)]
    [InlineData("""{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}""", true)]
    [InlineData("""{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}""", false)]
    public void A_key_the_request_lacks_satisfies_only_IfExists_ForAllValues_and_negations(string condition, bool allowed) =>
        Assert.Equal(allowed ? Decision.Allowed : Decision.ImplicitDeny, WithCondition(condition, Request("s3:PutObject")));

    [Theory]
    [InlineData("""{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}""", true)]
    [InlineData("""{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}""", false)]
    [InlineData("""{"ForAnyValue:StringEquals":{"aws:TagKeys":["team","owner"]}}""", true)]
    [InlineData("""{"ForAnyValue:StringEquals":{"aws:TagKeys":["owner"]}}""", false)]
    [InlineData("""{"ForAllValues:StringNotEquals":{"aws:TagKeys":["owner"]}}""", true)]
    [InlineData("""{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env","team"]}}""", false)]
    public void Set_operators_compare_every_or_any_request_value(string condition, bool allowed) =>
        Assert.Equal(allowed ? Decision.Allowed : Decision.ImplicitDeny, WithCondition(condition, Request("s3:PutObject").With("aws:TagKeys", "env", "team")));

    [Fact]
    public void Missing_context_keys_are_reported()
    {
        var evaluation = PolicyEvaluator.Evaluate(new PolicySet { Identity = [Identity("""{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/env":"prod"}}}""")] },
            Request("s3:PutObject"));
        Assert.Equal(["aws:RequestTag/env"], evaluation.MissingContextKeys);
    }

    [Fact]
    public void Matched_statements_carry_their_position_in_the_document()
    {
        var policy = Policy.Parse("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}\n  ]\n}");
        var statement = Assert.Single(policy.Statements);
        Assert.Equal(new TextPosition(4, 5), statement.Start);
        Assert.Equal(new TextPosition(4, 59), statement.End);
    }

    [Fact]
    public async Task Wildcards_do_not_backtrack_exponentially()
    {
        // Exponential backtracking would take years on this input; a minute only guards against a hang.
        var pattern = string.Concat(Enumerable.Repeat("*a", 40)) + "b";
        var value = new string('a', 5000);
        Assert.False(await Task.Run(() => Wildcard.Matches(pattern, value, false)).WaitAsync(TimeSpan.FromMinutes(1)));
    }
}

/// <summary>Resource policies across accounts, account delegation, session policies and required key policies.</summary>
public sealed class ResourcePolicyEvaluationTests
{
    private const string UserArn = "arn:aws:iam::123456789012:user/alice";
    private const string FunctionArn = "arn:aws:lambda:us-east-1:123456789012:function:f";
    private const string OtherAccountFunction = "arn:aws:lambda:us-east-1:999999999999:function:f";

    private static SourcedPolicy Policy(PolicySourceKind kind, string statement) =>
        new("p", kind, Stratus.Services.Iam.Engine.Policy.Parse($$"""{"Version":"2012-10-17","Statement":[{{statement}}]}"""));

    private static SourcedPolicy Grant(string principal, string resource) =>
        Policy(PolicySourceKind.Resource, $$"""{"Effect":"Allow","Principal":{"AWS":"{{principal}}"},"Action":"lambda:InvokeFunction","Resource":"{{resource}}"}""");

    private static readonly SourcedPolicy AllowAll = Policy(PolicySourceKind.User, """{"Effect":"Allow","Action":"*","Resource":"*"}""");

    private static Evaluation Evaluate(PolicySet set, string resource, bool required = false) =>
        PolicyEvaluator.Evaluate(set, new RequestContext { Action = "lambda:InvokeFunction", Resource = resource, PrincipalArn = UserArn, ResourcePolicyRequired = required }
            .WithPrincipal(UserArn, "AIDA", "123456789012"));

    [Fact]
    public void Within_an_account_naming_the_account_delegates_to_identity_policies()
    {
        var account = Grant("arn:aws:iam::123456789012:root", FunctionArn);
        Assert.Equal(Decision.ImplicitDeny, Evaluate(new PolicySet { Resource = account }, FunctionArn).Decision);
        Assert.Equal(Decision.Allowed, Evaluate(new PolicySet { Identity = [AllowAll], Resource = account }, FunctionArn).Decision);
    }

    [Fact]
    public void Across_accounts_both_the_resource_policy_and_the_identity_policy_must_allow()
    {
        var grant = Grant(UserArn, OtherAccountFunction);
        var onlyResource = Evaluate(new PolicySet { Resource = grant }, OtherAccountFunction);
        Assert.Equal(Decision.ImplicitDeny, onlyResource.Decision);
        Assert.Equal(Refusal.NoIdentityAllow, onlyResource.Refusal);
        var onlyIdentity = Evaluate(new PolicySet { Identity = [AllowAll] }, OtherAccountFunction);
        Assert.Equal(Refusal.NoResourceAllow, onlyIdentity.Refusal);
        Assert.Equal("because no resource-based policy allows the lambda:InvokeFunction action", onlyIdentity.Because("lambda:InvokeFunction"));
        Assert.Equal(Decision.Allowed, Evaluate(new PolicySet { Identity = [AllowAll], Resource = grant }, OtherAccountFunction).Decision);
        Assert.Equal(Decision.Allowed, Evaluate(new PolicySet { Identity = [AllowAll], Resource = Grant("123456789012", OtherAccountFunction) }, OtherAccountFunction).Decision);
    }

    [Fact]
    public void Session_policies_intersect_and_their_deny_is_named()
    {
        var session = Policy(PolicySourceKind.None, """{"Effect":"Allow","Action":"logs:*","Resource":"*"}""");
        var narrowed = Evaluate(new PolicySet { Identity = [AllowAll], Session = [session] }, FunctionArn);
        Assert.Equal(Refusal.NoSessionAllow, narrowed.Refusal);
        var deny = Policy(PolicySourceKind.None, """{"Effect":"Deny","Action":"lambda:*","Resource":"*"}""");
        Assert.Equal(Refusal.SessionDeny, Evaluate(new PolicySet { Identity = [AllowAll], Session = [deny] }, FunctionArn).Refusal);
        // A resource policy naming the caller itself is not limited by its session policies.
        Assert.Equal(Decision.Allowed, Evaluate(new PolicySet { Session = [session], Resource = Grant(UserArn, FunctionArn) }, FunctionArn).Decision);
    }

    [Fact]
    public void A_required_resource_policy_must_allow_even_within_the_account()
    {
        var keyPolicy = Grant("arn:aws:iam::123456789012:user/bob", FunctionArn);
        Assert.Equal(Refusal.NoResourceAllow, Evaluate(new PolicySet { Identity = [AllowAll], Resource = keyPolicy }, FunctionArn, required: true).Refusal);
        Assert.Equal(Decision.Allowed, Evaluate(new PolicySet { Identity = [AllowAll], Resource = Grant("arn:aws:iam::123456789012:root", FunctionArn) }, FunctionArn, required: true).Decision);
    }
}
