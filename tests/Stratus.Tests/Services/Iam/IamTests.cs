using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Iam;

/// <summary>IAM's roles, policies, users and keys through boto3, errors included.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class IamTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Prelude = """
        iam = client("iam")
        TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "logs:*", "Resource": "*"}]})

        """;

    private Task<JsonObject> Run(string script) => Clients.Boto3Async(stratus.Url, Prelude + script);

    [Fact]
    public async Task Roles_are_created_read_listed_with_pagination_and_path_prefix_and_deleted()
    {
        var r = await Run("""
            for i in range(5):
                iam.create_role(RoleName=f"page-{i}", Path="/paged/", AssumeRolePolicyDocument=TRUST, Description=f"role {i}")
            role = iam.get_role(RoleName="PAGE-3")["Role"]
            out["get"] = {"name": role["RoleName"], "path": role["Path"], "arn": role["Arn"], "id": role["RoleId"],
                          "trust": role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
                          "description": role["Description"], "max": role["MaxSessionDuration"]}
            first = iam.list_roles(PathPrefix="/paged/", MaxItems=2)
            out["first"] = [x["RoleName"] for x in first["Roles"]]
            out["truncated"] = first["IsTruncated"]
            names = [x["RoleName"] for page in iam.get_paginator("list_roles").paginate(PathPrefix="/paged/", PaginationConfig={"PageSize": 2}) for x in page["Roles"]]
            out["all"] = names
            out["other_prefix"] = len(iam.list_roles(PathPrefix="/elsewhere/")["Roles"])
            iam.delete_role(RoleName="page-0")
            out["after_delete"] = error(iam.get_role, RoleName="page-0")
            """);

        Assert.Equal("page-3", r["get"]!["name"]!.GetValue<string>());
        Assert.Equal("/paged/", r["get"]!["path"]!.GetValue<string>());
        Assert.Equal("arn:aws:iam::000000000000:role/paged/page-3", r["get"]!["arn"]!.GetValue<string>());
        Assert.Matches("^AROA[A-Z2-7]{17}$", r["get"]!["id"]!.GetValue<string>());
        Assert.Equal("lambda.amazonaws.com", r["get"]!["trust"]!.GetValue<string>());
        Assert.Equal("role 3", r["get"]!["description"]!.GetValue<string>());
        Assert.Equal(3600, r["get"]!["max"]!.GetValue<int>());
        Assert.Equal(["page-0", "page-1"], r["first"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.True(r["truncated"]!.GetValue<bool>());
        Assert.Equal(["page-0", "page-1", "page-2", "page-3", "page-4"], r["all"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(0, r["other_prefix"]!.GetValue<int>());
        Assert.Equal("NoSuchEntity", r["after_delete"]!["code"]!.GetValue<string>());
        Assert.Equal(404, r["after_delete"]!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Role_errors_use_iam_codes_and_statuses()
    {
        var r = await Run("""
            iam.create_role(RoleName="dupe", AssumeRolePolicyDocument=TRUST)
            out["duplicate"] = error(iam.create_role, RoleName="DUPE", AssumeRolePolicyDocument=TRUST)
            out["bad_json"] = error(iam.create_role, RoleName="badjson", AssumeRolePolicyDocument="{not json")
            out["no_principal"] = error(iam.create_role, RoleName="noprincipal", AssumeRolePolicyDocument=POLICY)
            out["bad_name"] = error(iam.create_role, RoleName="has space", AssumeRolePolicyDocument=TRUST)
            out["bad_path"] = error(iam.create_role, RoleName="badpath", Path="nopath", AssumeRolePolicyDocument=TRUST)
            out["missing"] = error(iam.get_role, RoleName="ghost")
            out["half_created"] = error(iam.get_role, RoleName="badjson")
            iam.put_role_policy(RoleName="dupe", PolicyName="inline", PolicyDocument=POLICY)
            out["inline_conflict"] = error(iam.delete_role, RoleName="dupe")
            """);

        void Expect(string key, string code, int status, string? message = null)
        {
            Assert.Equal(code, r[key]!["code"]!.GetValue<string>());
            Assert.Equal(status, r[key]!["status"]!.GetValue<int>());
            if (message is not null) Assert.Contains(message, r[key]!["message"]!.GetValue<string>());
        }
        Expect("duplicate", "EntityAlreadyExists", 409, "Role with name DUPE already exists.");
        Expect("bad_json", "MalformedPolicyDocument", 400, "invalid Json");
        Expect("no_principal", "MalformedPolicyDocument", 400, "Principal");
        Expect("bad_name", "ValidationError", 400, "roleName");
        Expect("bad_path", "ValidationError", 400, "path");
        Expect("missing", "NoSuchEntity", 404, "The role with name ghost cannot be found.");
        Expect("half_created", "NoSuchEntity", 404);
        Expect("inline_conflict", "DeleteConflict", 409, "must delete policies first");
    }

    [Fact]
    public async Task Tags_trust_policy_and_inline_policies_change_in_place()
    {
        var r = await Run("""
            iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "Environment", "Value": "demo-cct-paas"}])
            iam.tag_role(RoleName="tagged", Tags=[{"Key": "team", "Value": "a"}, {"Key": "Environment", "Value": "prod"}])
            iam.untag_role(RoleName="tagged", TagKeys=["team"])
            out["tags"] = iam.list_role_tags(RoleName="tagged")["Tags"]
            new_trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            iam.update_assume_role_policy(RoleName="tagged", PolicyDocument=new_trust)
            out["trust"] = iam.get_role(RoleName="tagged")["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"]
            iam.put_role_policy(RoleName="tagged", PolicyName="logs", PolicyDocument=POLICY)
            out["inline_names"] = iam.list_role_policies(RoleName="tagged")["PolicyNames"]
            out["inline_doc"] = iam.get_role_policy(RoleName="tagged", PolicyName="logs")["PolicyDocument"]["Statement"][0]["Action"]
            iam.delete_role_policy(RoleName="tagged", PolicyName="logs")
            out["inline_gone"] = error(iam.get_role_policy, RoleName="tagged", PolicyName="logs")
            out["identity_with_principal"] = error(iam.put_role_policy, RoleName="tagged", PolicyName="p", PolicyDocument=TRUST)
            iam.delete_role(RoleName="tagged")
            """);

        Assert.Equal("""[{"Key":"Environment","Value":"prod"}]""", r["tags"]!.ToJsonString());
        Assert.Equal("apigateway.amazonaws.com", r["trust"]!.GetValue<string>());
        Assert.Equal("""["logs"]""", r["inline_names"]!.ToJsonString());
        Assert.Equal("logs:*", r["inline_doc"]!.GetValue<string>());
        Assert.Equal("NoSuchEntity", r["inline_gone"]!["code"]!.GetValue<string>());
        Assert.Equal("MalformedPolicyDocument", r["identity_with_principal"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Managed_policies_have_versions_attachments_and_delete_rules()
    {
        var r = await Run("""
            arn = iam.create_policy(PolicyName="app-logs", Path="/app/", PolicyDocument=POLICY, Description="logs")["Policy"]["Arn"]
            out["arn"] = arn
            out["duplicate"] = error(iam.create_policy, PolicyName="app-logs", PolicyDocument=POLICY)
            v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=POLICY.replace("logs:*", "logs:PutLogEvents"), SetAsDefault=True)["PolicyVersion"]
            out["v2"] = [v2["VersionId"], v2["IsDefaultVersion"]]
            out["default_doc"] = iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["Document"]["Statement"][0]["Action"]
            out["versions"] = sorted(v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"])
            out["delete_default"] = error(iam.delete_policy_version, PolicyArn=arn, VersionId="v2")
            for n in range(3):
                iam.create_policy_version(PolicyArn=arn, PolicyDocument=POLICY)
            out["sixth"] = error(iam.create_policy_version, PolicyArn=arn, PolicyDocument=POLICY)
            iam.create_role(RoleName="user-of-policy", AssumeRolePolicyDocument=TRUST)
            iam.attach_role_policy(RoleName="user-of-policy", PolicyArn=arn)
            out["attachments"] = iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"]
            out["attached_only"] = [p["PolicyName"] for p in iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]]
            out["attached_delete"] = error(iam.delete_policy, PolicyArn=arn)
            iam.detach_role_policy(RoleName="user-of-policy", PolicyArn=arn)
            out["detach_again"] = error(iam.detach_role_policy, RoleName="user-of-policy", PolicyArn=arn)
            out["versions_first"] = error(iam.delete_policy, PolicyArn=arn)
            for v in ["v1", "v3", "v4", "v5"]:
                iam.delete_policy_version(PolicyArn=arn, VersionId=v)
            iam.delete_policy(PolicyArn=arn)
            out["gone"] = error(iam.get_policy, PolicyArn=arn)
            out["aws_managed"] = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")["Policy"]["PolicyName"]
            out["aws_scope"] = len(iam.list_policies(Scope="AWS")["Policies"]) > 1
            out["unknown_attach"] = error(iam.attach_role_policy, RoleName="user-of-policy", PolicyArn="arn:aws:iam::aws:policy/Nope")
            """);

        Assert.Equal("arn:aws:iam::000000000000:policy/app/app-logs", r["arn"]!.GetValue<string>());
        Assert.Equal("EntityAlreadyExists", r["duplicate"]!["code"]!.GetValue<string>());
        Assert.Equal("""["v2",true]""", r["v2"]!.ToJsonString());
        Assert.Equal("logs:PutLogEvents", r["default_doc"]!.GetValue<string>());
        Assert.Equal("""["v1","v2"]""", r["versions"]!.ToJsonString());
        Assert.Equal("DeleteConflict", r["delete_default"]!["code"]!.GetValue<string>());
        Assert.Equal("LimitExceeded", r["sixth"]!["code"]!.GetValue<string>());
        Assert.Equal(1, r["attachments"]!.GetValue<int>());
        Assert.Equal("""["app-logs"]""", r["attached_only"]!.ToJsonString());
        Assert.Equal("DeleteConflict", r["attached_delete"]!["code"]!.GetValue<string>());
        Assert.Equal("NoSuchEntity", r["detach_again"]!["code"]!.GetValue<string>());
        Assert.Equal("DeleteConflict", r["versions_first"]!["code"]!.GetValue<string>());
        Assert.Equal("NoSuchEntity", r["gone"]!["code"]!.GetValue<string>());
        Assert.Equal("AWSLambdaVPCAccessExecutionRole", r["aws_managed"]!.GetValue<string>());
        Assert.True(r["aws_scope"]!.GetValue<bool>());
        Assert.Equal("NoSuchEntity", r["unknown_attach"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Users_and_access_keys_follow_iam_limits()
    {
        var r = await Run("""
            user = iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "a"}])["User"]
            out["user"] = [user["UserName"], user["Arn"], user["UserId"][:4]]
            k1 = iam.create_access_key(UserName="alice")["AccessKey"]
            k2 = iam.create_access_key(UserName="alice")["AccessKey"]
            out["key"] = [k1["AccessKeyId"][:4], len(k1["AccessKeyId"]), len(k1["SecretAccessKey"]), k1["Status"]]
            out["third"] = error(iam.create_access_key, UserName="alice")
            out["listed"] = sorted(k["AccessKeyId"] for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]) == sorted([k1["AccessKeyId"], k2["AccessKeyId"]])
            out["with_keys"] = error(iam.delete_user, UserName="alice")
            iam.delete_access_key(UserName="alice", AccessKeyId=k1["AccessKeyId"])
            iam.delete_access_key(UserName="alice", AccessKeyId=k2["AccessKeyId"])
            out["unknown_key"] = error(iam.delete_access_key, UserName="alice", AccessKeyId=k2["AccessKeyId"])
            out["users"] = [u["UserName"] for u in iam.list_users()["Users"]]
            iam.delete_user(UserName="alice")
            out["gone"] = error(iam.get_user, UserName="alice")
            """);

        Assert.Equal("""["alice","arn:aws:iam::000000000000:user/alice","AIDA"]""", r["user"]!.ToJsonString());
        Assert.Equal("""["AKIA",20,40,"Active"]""", r["key"]!.ToJsonString());
        Assert.Equal("LimitExceeded", r["third"]!["code"]!.GetValue<string>());
        Assert.True(r["listed"]!.GetValue<bool>());
        Assert.Equal("DeleteConflict", r["with_keys"]!["code"]!.GetValue<string>());
        Assert.Equal("NoSuchEntity", r["unknown_key"]!["code"]!.GetValue<string>());
        Assert.Equal("""["alice"]""", r["users"]!.ToJsonString());
        Assert.Equal("NoSuchEntity", r["gone"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Accounts_are_isolated_by_access_key()
    {
        var r = await Run("""
            client("iam", key="111111111111").create_role(RoleName="mine", AssumeRolePolicyDocument=TRUST)
            out["own"] = client("iam", key="111111111111").get_role(RoleName="mine")["Role"]["Arn"]
            out["other"] = error(client("iam", key="222222222222").get_role, RoleName="mine")
            out["sts"] = client("sts", key="111111111111").get_caller_identity()["Account"]
            """);

        Assert.Equal("arn:aws:iam::111111111111:role/mine", r["own"]!.GetValue<string>());
        Assert.Equal("NoSuchEntity", r["other"]!["code"]!.GetValue<string>());
        Assert.Equal("111111111111", r["sts"]!.GetValue<string>());
    }
}
