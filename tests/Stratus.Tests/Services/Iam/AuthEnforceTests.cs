using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Iam;

/// <summary>`--auth enforce`: IAM users' and roles' policies decide each request; the root key is always allowed.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class AuthEnforceTests : EnforcedStratusTest
{
    [Fact]
    public async Task A_user_in_a_group_is_allowed_then_denied_by_an_explicit_deny_and_by_a_boundary()
    {
        var r = await Clients.Boto3Async(Server.Url, $$"""
            iam = client("iam", key="{{RootKey}}", secret="{{RootSecret}}")
            def doc(*statements):
                return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
            iam.create_user(UserName="worker")
            key = iam.create_access_key(UserName="worker")["AccessKey"]
            worker = dict(key=key["AccessKeyId"], secret=key["SecretAccessKey"])
            out["before_any_policy"] = error(client("logs", **worker).describe_log_groups)
            out["query_before"] = error(client("iam", **worker).list_users)

            iam.create_group(GroupName="operators")
            iam.add_user_to_group(GroupName="operators", UserName="worker")
            iam.put_group_policy(GroupName="operators", PolicyName="ops", PolicyDocument=doc({"Effect": "Allow", "Action": ["logs:*", "iam:List*"], "Resource": "*"}))
            out["allowed"] = "logGroups" in client("logs", **worker).describe_log_groups()
            out["iam_allowed"] = "Users" in client("iam", **worker).list_users()

            iam.put_user_policy(UserName="worker", PolicyName="no-logs", PolicyDocument=doc({"Effect": "Deny", "Action": "logs:Describe*", "Resource": "*"}))
            out["explicit_deny"] = error(client("logs", **worker).describe_log_groups)
            iam.delete_user_policy(UserName="worker", PolicyName="no-logs")
            out["allowed_again"] = "logGroups" in client("logs", **worker).describe_log_groups()

            boundary = iam.create_policy(PolicyName="iam-only", PolicyDocument=doc({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}))["Policy"]["Arn"]
            iam.put_user_permissions_boundary(UserName="worker", PermissionsBoundary=boundary)
            out["boundary_deny"] = error(client("logs", **worker).describe_log_groups)
            out["inside_boundary"] = "Users" in client("iam", **worker).list_users()
            out["root_still_allowed"] = "logGroups" in client("logs", key="{{RootKey}}", secret="{{RootSecret}}").describe_log_groups()
            """);

        var before = r["before_any_policy"]!;
        Assert.Equal("AccessDeniedException", before["code"]!.GetValue<string>());
        Assert.Equal(403, before["status"]!.GetValue<int>());
        Assert.Equal("User: arn:aws:iam::000000000000:user/worker is not authorized to perform: logs:DescribeLogGroups on resource: * because no identity-based policy allows the logs:DescribeLogGroups action",
            before["message"]!.GetValue<string>());
        Assert.Equal("AccessDenied", r["query_before"]!["code"]!.GetValue<string>());
        Assert.Equal(403, r["query_before"]!["status"]!.GetValue<int>());
        Assert.True(r["allowed"]!.GetValue<bool>());
        Assert.True(r["iam_allowed"]!.GetValue<bool>());
        Assert.Equal("AccessDeniedException", r["explicit_deny"]!["code"]!.GetValue<string>());
        Assert.Contains("with an explicit deny in an identity-based policy", r["explicit_deny"]!["message"]!.GetValue<string>());
        Assert.True(r["allowed_again"]!.GetValue<bool>());
        Assert.Equal("AccessDeniedException", r["boundary_deny"]!["code"]!.GetValue<string>());
        Assert.Contains("because no permissions boundary allows the logs:DescribeLogGroups action", r["boundary_deny"]!["message"]!.GetValue<string>());
        Assert.True(r["inside_boundary"]!.GetValue<bool>());
        Assert.True(r["root_still_allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_sessions_source_identity_reaches_the_policies_of_its_requests_and_an_inherited_tag_cannot_be_set_again()
    {
        var r = await Clients.Boto3Async(Server.Url, $$"""
            root = dict(key="{{RootKey}}", secret="{{RootSecret}}")
            iam = client("iam", **root)
            def doc(*statements):
                return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
            trust = doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]})
            iam.create_role(RoleName="audited", AssumeRolePolicyDocument=trust)
            iam.put_role_policy(RoleName="audited", PolicyName="only-alice", PolicyDocument=doc({"Effect": "Allow", "Action": "logs:DescribeLogGroups",
                "Resource": "*", "Condition": {"StringEquals": {"aws:SourceIdentity": "alice"} } }))
            iam.create_user(UserName="assumer")
            iam.put_user_policy(UserName="assumer", PolicyName="assume", PolicyDocument=doc({"Effect": "Allow",
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"], "Resource": "arn:aws:iam::000000000000:role/audited"}))
            key = iam.create_access_key(UserName="assumer")["AccessKey"]
            sts = client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
            def as_session(**kw):
                c = sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/audited", RoleSessionName="session", **kw)["Credentials"]
                return dict(key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
            out["alice"] = "logGroups" in client("logs", **as_session(SourceIdentity="alice")).describe_log_groups()
            out["bob"] = error(client("logs", **as_session(SourceIdentity="bob")).describe_log_groups)
            out["nobody"] = error(client("logs", **as_session()).describe_log_groups)
            iam.put_role_policy(RoleName="audited", PolicyName="chain", PolicyDocument=doc({"Effect": "Allow", "Action": "sts:*", "Resource": "*"}))
            tagged = as_session(Tags=[{"Key": "team", "Value": "blue"}], TransitiveTagKeys=["team"])
            hop = client("sts", **tagged)
            out["clash"] = error(hop.assume_role, RoleArn="arn:aws:iam::000000000000:role/audited", RoleSessionName="hop", Tags=[{"Key": "Team", "Value": "red"}])
            out["other_tag"] = hop.assume_role(RoleArn="arn:aws:iam::000000000000:role/audited", RoleSessionName="hop", Tags=[{"Key": "stage", "Value": "dev"}])["AssumedRoleUser"]["Arn"]
            """);

        Assert.True(r["alice"]!.GetValue<bool>());
        Assert.Equal("AccessDeniedException", r["bob"]!["code"]!.GetValue<string>());
        Assert.Equal("AccessDeniedException", r["nobody"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidParameterValue", r["clash"]!["code"]!.GetValue<string>());
        Assert.Contains("Team", r["clash"]!["message"]!.GetValue<string>());
        Assert.Equal("arn:aws:sts::000000000000:assumed-role/audited/hop", r["other_tag"]!.GetValue<string>());
    }
}
