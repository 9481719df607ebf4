using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Iam;

/// <summary>Users, groups, keys, policy versions, instance profiles, identity providers, the account and the simulator through boto3.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class IamEntitiesTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Prelude = """
        iam = client("iam")
        def doc(*statements):
            return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        ALLOW_S3 = doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})

        """;

    private Task<JsonObject> Run(string script) => Clients.Boto3Async(stratus.Url, Prelude + script);

    private static string Str(JsonNode? node) => node!.GetValue<string>();

    [Fact]
    public async Task Groups_hold_users_and_policies_and_refuse_deletion_while_they_do()
    {
        var r = await Run("""
            iam.create_user(UserName="g-alice", Tags=[{"Key": "team", "Value": "red"}])
            iam.create_user(UserName="g-bob")
            group = iam.create_group(GroupName="g-devs", Path="/eng/")["Group"]
            out["group_arn"] = group["Arn"]
            out["duplicate"] = error(iam.create_group, GroupName="G-DEVS")
            iam.add_user_to_group(GroupName="g-devs", UserName="g-alice")
            iam.add_user_to_group(GroupName="g-devs", UserName="g-bob")
            out["members"] = [u["UserName"] for u in iam.get_group(GroupName="g-devs")["Users"]]
            out["for_user"] = [g["GroupName"] for g in iam.list_groups_for_user(UserName="g-alice")["Groups"]]
            iam.put_group_policy(GroupName="g-devs", PolicyName="s3", PolicyDocument=ALLOW_S3)
            out["group_policy"] = iam.get_group_policy(GroupName="g-devs", PolicyName="s3")["PolicyDocument"]["Statement"][0]["Action"]
            arn = iam.create_policy(PolicyName="g-managed", PolicyDocument=ALLOW_S3)["Policy"]["Arn"]
            iam.attach_group_policy(GroupName="g-devs", PolicyArn=arn)
            out["attached"] = [p["PolicyName"] for p in iam.list_attached_group_policies(GroupName="g-devs")["AttachedPolicies"]]
            out["entities"] = [g["GroupName"] for g in iam.list_entities_for_policy(PolicyArn=arn)["PolicyGroups"]]
            out["attachment_count"] = iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"]
            out["delete_busy"] = error(iam.delete_group, GroupName="g-devs")
            out["delete_user_in_group"] = error(iam.delete_user, UserName="g-bob")
            iam.remove_user_from_group(GroupName="g-devs", UserName="g-bob")
            out["not_member"] = error(iam.remove_user_from_group, GroupName="g-devs", UserName="g-bob")
            iam.update_user(UserName="g-alice", NewUserName="g-alicia")
            out["renamed_member"] = [u["UserName"] for u in iam.get_group(GroupName="g-devs")["Users"]]
            out["user_tags"] = iam.list_user_tags(UserName="g-alicia")["Tags"]
            iam.remove_user_from_group(GroupName="g-devs", UserName="g-alicia")
            iam.detach_group_policy(GroupName="g-devs", PolicyArn=arn)
            iam.delete_group_policy(GroupName="g-devs", PolicyName="s3")
            out["policy_gone"] = error(iam.get_group_policy, GroupName="g-devs", PolicyName="s3")
            iam.delete_group(GroupName="g-devs")
            out["group_gone"] = error(iam.get_group, GroupName="g-devs")
            """);

        Assert.Equal("arn:aws:iam::000000000000:group/eng/g-devs", Str(r["group_arn"]));
        Assert.Equal("EntityAlreadyExists", Str(r["duplicate"]!["code"]));
        Assert.Equal(["g-alice", "g-bob"], r["members"]!.AsArray().Select(Str));
        Assert.Equal(["g-devs"], r["for_user"]!.AsArray().Select(Str));
        Assert.Equal("s3:*", Str(r["group_policy"]));
        Assert.Equal(["g-managed"], r["attached"]!.AsArray().Select(Str));
        Assert.Equal(["g-devs"], r["entities"]!.AsArray().Select(Str));
        Assert.Equal(1, r["attachment_count"]!.GetValue<int>());
        Assert.Equal("DeleteConflict", Str(r["delete_busy"]!["code"]));
        Assert.Equal("DeleteConflict", Str(r["delete_user_in_group"]!["code"]));
        Assert.Equal("NoSuchEntity", Str(r["not_member"]!["code"]));
        Assert.Equal(["g-alicia"], r["renamed_member"]!.AsArray().Select(Str));
        Assert.Equal("red", Str(r["user_tags"]![0]!["Value"]));
        Assert.Equal("The group policy with name s3 cannot be found.", Str(r["policy_gone"]!["message"]));
        Assert.Equal("The group with name g-devs cannot be found.", Str(r["group_gone"]!["message"]));
    }

    [Fact]
    public async Task A_created_access_key_signs_requests_as_its_user_and_records_its_use()
    {
        var r = await Run("""
            iam.create_user(UserName="k-carol")
            key = iam.create_access_key(UserName="k-carol")["AccessKey"]
            out["never_used"] = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
            as_user = dict(key=key["AccessKeyId"], secret=key["SecretAccessKey"])
            out["caller"] = client("sts", **as_user).get_caller_identity()["Arn"]
            out["own_user"] = client("iam", **as_user).get_user()["User"]["UserName"]
            used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
            out["used_by"] = used["UserName"]
            out["used_service"] = used["AccessKeyLastUsed"]["ServiceName"]
            out["used_date"] = "LastUsedDate" in used["AccessKeyLastUsed"]
            iam.update_access_key(UserName="k-carol", AccessKeyId=key["AccessKeyId"], Status="Inactive")
            out["status"] = iam.list_access_keys(UserName="k-carol")["AccessKeyMetadata"][0]["Status"]
            iam.create_login_profile(UserName="k-carol", Password="Secret-Pass-1", PasswordResetRequired=True)
            out["login"] = iam.get_login_profile(UserName="k-carol")["LoginProfile"]["PasswordResetRequired"]
            out["login_twice"] = error(iam.create_login_profile, UserName="k-carol", Password="Secret-Pass-1")
            iam.update_account_password_policy(MinimumPasswordLength=20, RequireNumbers=True)
            out["password_policy"] = iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"]
            out["weak"] = error(iam.update_login_profile, UserName="k-carol", Password="short")
            iam.delete_account_password_policy()
            out["no_policy"] = error(iam.get_account_password_policy)
            out["unknown_key"] = error(iam.delete_access_key, UserName="k-carol", AccessKeyId="AKIANOTAKEY000000000")
            """);

        Assert.Equal("N/A", Str(r["never_used"]!["ServiceName"]));
        Assert.Equal("arn:aws:iam::000000000000:user/k-carol", Str(r["caller"]));
        Assert.Equal("k-carol", Str(r["own_user"]));
        Assert.Equal("k-carol", Str(r["used_by"]));
        Assert.Equal("iam", Str(r["used_service"]));
        Assert.True(r["used_date"]!.GetValue<bool>());
        Assert.Equal("Inactive", Str(r["status"]));
        Assert.True(r["login"]!.GetValue<bool>());
        Assert.Equal("EntityAlreadyExists", Str(r["login_twice"]!["code"]));
        Assert.Equal(20, r["password_policy"]!.GetValue<int>());
        Assert.Equal("PasswordPolicyViolation", Str(r["weak"]!["code"]));
        Assert.Contains("at least 20 characters", Str(r["weak"]!["message"]));
        Assert.Equal("NoSuchEntity", Str(r["no_policy"]!["code"]));
        Assert.Equal("NoSuchEntity", Str(r["unknown_key"]!["code"]));
    }

    [Fact]
    public async Task Policy_versions_page_newest_first_and_stop_at_five()
    {
        var r = await Run("""
            arn = iam.create_policy(PolicyName="v-policy", PolicyDocument=ALLOW_S3, Tags=[{"Key": "a", "Value": "1"}])["Policy"]["Arn"]
            for n in range(4):
                iam.create_policy_version(PolicyArn=arn, PolicyDocument=ALLOW_S3, SetAsDefault=(n == 3))
            out["sixth"] = error(iam.create_policy_version, PolicyArn=arn, PolicyDocument=ALLOW_S3)
            page = iam.list_policy_versions(PolicyArn=arn, MaxItems=2)
            out["first_page"] = [v["VersionId"] for v in page["Versions"]]
            out["truncated"] = page["IsTruncated"]
            out["all"] = [v["VersionId"] for p in iam.get_paginator("list_policy_versions").paginate(PolicyArn=arn, PaginationConfig={"PageSize": 2}) for v in p["Versions"]]
            out["default"] = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            out["delete_default"] = error(iam.delete_policy_version, PolicyArn=arn, VersionId="v5")
            iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
            iam.delete_policy_version(PolicyArn=arn, VersionId="v5")
            out["after"] = sorted(v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"])
            iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "b", "Value": "2"}])
            iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
            out["tags"] = iam.list_policy_tags(PolicyArn=arn)["Tags"]
            out["bad_action"] = error(iam.create_policy_version, PolicyArn=arn, PolicyDocument=doc({"Effect": "Allow", "Action": "GetObject", "Resource": "*"}))
            out["bad_resource"] = error(iam.create_policy, PolicyName="v-bad", PolicyDocument=doc({"Effect": "Allow", "Action": "s3:*", "Resource": "bucket"}))
            out["bad_operator"] = error(iam.put_user_policy, UserName="nobody", PolicyName="p",
                PolicyDocument=doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEqualz": {"aws:username": "x"}}}))
            """);

        Assert.Equal("LimitExceeded", Str(r["sixth"]!["code"]));
        Assert.Equal(["v5", "v4"], r["first_page"]!.AsArray().Select(Str));
        Assert.True(r["truncated"]!.GetValue<bool>());
        Assert.Equal(["v5", "v4", "v3", "v2", "v1"], r["all"]!.AsArray().Select(Str));
        Assert.Equal("v5", Str(r["default"]));
        Assert.Equal("DeleteConflict", Str(r["delete_default"]!["code"]));
        Assert.Equal(["v1", "v2", "v3", "v4"], r["after"]!.AsArray().Select(Str));
        Assert.Equal("b", Str(Assert.Single(r["tags"]!.AsArray())!["Key"]));
        Assert.Equal("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.", Str(r["bad_action"]!["message"]));
        Assert.Equal("Resource bucket must be in ARN format or \"*\".", Str(r["bad_resource"]!["message"]));
        Assert.Equal("MalformedPolicyDocument", Str(r["bad_operator"]!["code"]));
        Assert.Equal("Syntax errors in policy.", Str(r["bad_operator"]!["message"]));
    }

    [Fact]
    public async Task Instance_profiles_and_identity_providers_are_kept_and_counted()
    {
        var r = await Run("""
            trust = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
            iam.create_role(RoleName="ip-role", AssumeRolePolicyDocument=trust)
            profile = iam.create_instance_profile(InstanceProfileName="ip-web", Path="/web/")["InstanceProfile"]
            out["profile_arn"] = profile["Arn"]
            iam.add_role_to_instance_profile(InstanceProfileName="ip-web", RoleName="ip-role")
            out["second_role"] = error(iam.add_role_to_instance_profile, InstanceProfileName="ip-web", RoleName="ip-role")
            out["roles"] = [x["RoleName"] for x in iam.get_instance_profile(InstanceProfileName="ip-web")["InstanceProfile"]["Roles"]]
            out["for_role"] = [p["InstanceProfileName"] for p in iam.list_instance_profiles_for_role(RoleName="ip-role")["InstanceProfiles"]]
            out["role_busy"] = error(iam.delete_role, RoleName="ip-role")
            out["profile_busy"] = error(iam.delete_instance_profile, InstanceProfileName="ip-web")

            oidc = iam.create_open_id_connect_provider(Url="https://token.example.test/ci", ClientIDList=["sts.amazonaws.com"],
                ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
            out["oidc_arn"] = oidc
            out["oidc_again"] = error(iam.create_open_id_connect_provider, Url="https://token.example.test/ci", ThumbprintList=["a" * 40])
            iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=oidc, ClientID="my-app")
            iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=oidc, ThumbprintList=["B" * 40])
            got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=oidc)
            out["oidc"] = {"url": got["Url"], "clients": got["ClientIDList"], "thumbprints": got["ThumbprintList"]}
            out["oidc_list"] = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]

            metadata = ('<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.test" '
                        'validUntil="2030-01-01T00:00:00Z"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
                        + '<!-- ' + 'x' * 1000 + ' --></md:IDPSSODescriptor></md:EntityDescriptor>')
            saml = iam.create_saml_provider(Name="corp", SAMLMetadataDocument=metadata)["SAMLProviderArn"]
            out["saml_arn"] = saml
            out["saml_valid_until"] = iam.get_saml_provider(SAMLProviderArn=saml)["ValidUntil"].isoformat()
            out["saml_bad"] = error(iam.create_saml_provider, Name="bad", SAMLMetadataDocument="<notmetadata>" + "x" * 1000 + "</notmetadata>")

            out["token_version_default"] = iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"]
            iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
            summary = iam.get_account_summary()["SummaryMap"]
            out["summary"] = {k: summary[k] for k in ("InstanceProfiles", "Providers", "AccessKeysPerUserQuota", "GlobalEndpointTokenVersion")}
            out["token_version_bad"] = error(iam.set_security_token_service_preferences, GlobalEndpointTokenVersion="v3Token")
            details = iam.get_account_authorization_details(Filter=["Role"])
            role = [x for x in details["RoleDetailList"] if x["RoleName"] == "ip-role"][0]
            out["details_profiles"] = [p["InstanceProfileName"] for p in role["InstanceProfileList"]]
            out["details_users"] = len(details["UserDetailList"])

            iam.remove_role_from_instance_profile(InstanceProfileName="ip-web", RoleName="ip-role")
            iam.delete_instance_profile(InstanceProfileName="ip-web")
            iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=oidc)
            out["oidc_gone"] = error(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=oidc)
            iam.tag_saml_provider(SAMLProviderArn=saml, Tags=[{"Key": "idp", "Value": "corp"}])
            out["saml_tags"] = iam.list_saml_provider_tags(SAMLProviderArn=saml)["Tags"]
            iam.delete_saml_provider(SAMLProviderArn=saml)
            out["saml_gone"] = error(iam.get_saml_provider, SAMLProviderArn=saml)
            """);

        Assert.Equal("arn:aws:iam::000000000000:instance-profile/web/ip-web", Str(r["profile_arn"]));
        Assert.Equal("EntityAlreadyExists", Str(r["second_role"]!["code"]));
        Assert.Equal(["ip-role"], r["roles"]!.AsArray().Select(Str));
        Assert.Equal(["ip-web"], r["for_role"]!.AsArray().Select(Str));
        Assert.Equal("DeleteConflict", Str(r["role_busy"]!["code"]));
        Assert.Equal("DeleteConflict", Str(r["profile_busy"]!["code"]));
        Assert.Equal("arn:aws:iam::000000000000:oidc-provider/token.example.test/ci", Str(r["oidc_arn"]));
        Assert.Equal("EntityAlreadyExists", Str(r["oidc_again"]!["code"]));
        Assert.Equal("token.example.test/ci", Str(r["oidc"]!["url"]));
        Assert.Equal(["sts.amazonaws.com", "my-app"], r["oidc"]!["clients"]!.AsArray().Select(Str));
        Assert.Equal([new string('b', 40)], r["oidc"]!["thumbprints"]!.AsArray().Select(Str));
        Assert.Contains(Str(r["oidc_arn"]), r["oidc_list"]!.AsArray().Select(Str));
        Assert.Equal("arn:aws:iam::000000000000:saml-provider/corp", Str(r["saml_arn"]));
        Assert.StartsWith("2030-01-01T00:00:00", Str(r["saml_valid_until"]));
        Assert.Equal("InvalidInput", Str(r["saml_bad"]!["code"]));
        Assert.True(r["summary"]!["InstanceProfiles"]!.GetValue<int>() >= 1);
        Assert.True(r["summary"]!["Providers"]!.GetValue<int>() >= 2);
        Assert.Equal(2, r["summary"]!["AccessKeysPerUserQuota"]!.GetValue<int>());
        Assert.Equal(1, r["token_version_default"]!.GetValue<int>());
        Assert.Equal(2, r["summary"]!["GlobalEndpointTokenVersion"]!.GetValue<int>());
        Assert.Equal("ValidationError", Str(r["token_version_bad"]!["code"]));
        Assert.Equal(["ip-web"], r["details_profiles"]!.AsArray().Select(Str));
        Assert.Equal(0, r["details_users"]!.GetValue<int>());
        Assert.Equal("NoSuchEntity", Str(r["oidc_gone"]!["code"]));
        Assert.Equal("corp", Str(r["saml_tags"]![0]!["Value"]));
        Assert.Equal("NoSuchEntity", Str(r["saml_gone"]!["code"]));
    }

    [Fact]
    public async Task The_simulator_allows_denies_explicitly_and_caps_by_the_boundary()
    {
        var r = await Run("""
            iam.create_user(UserName="s-dave")
            iam.create_group(GroupName="s-readers")
            iam.add_user_to_group(GroupName="s-readers", UserName="s-dave")
            iam.put_group_policy(GroupName="s-readers", PolicyName="all", PolicyDocument=doc({"Effect": "Allow", "Action": ["s3:*", "lambda:*", "logs:*"], "Resource": "*"}))
            iam.put_user_policy(UserName="s-dave", PolicyName="no-delete", PolicyDocument=doc({"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}))
            boundary = iam.create_policy(PolicyName="s-boundary", PolicyDocument=doc({"Effect": "Allow", "Action": ["s3:*", "logs:*"], "Resource": "*"}))["Policy"]["Arn"]
            iam.put_user_permissions_boundary(UserName="s-dave", PermissionsBoundary=boundary)
            out["boundary_shown"] = iam.get_user(UserName="s-dave")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
            results = iam.simulate_principal_policy(PolicySourceArn="arn:aws:iam::000000000000:user/s-dave",
                ActionNames=["s3:GetObject", "s3:DeleteObject", "lambda:InvokeFunction"])["EvaluationResults"]
            out["decisions"] = {x["EvalActionName"]: x["EvalDecision"] for x in results}
            out["matched"] = {x["EvalActionName"]: [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in x["MatchedStatements"]] for x in results}
            out["by_boundary"] = {x["EvalActionName"]: x["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"] for x in results if "PermissionsBoundaryDecisionDetail" in x}
            custom = iam.simulate_custom_policy(PolicyInputList=[doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"})],
                ActionNames=["s3:GetObject"], ResourceArns=["arn:aws:s3:::b/erin/x", "arn:aws:s3:::b/frank/x"],
                ContextEntries=[{"ContextKeyName": "aws:username", "ContextKeyValues": ["erin"], "ContextKeyType": "string"}])["EvaluationResults"]
            out["custom"] = [(x["EvalResourceName"], x["EvalDecision"]) for x in custom]
            out["missing"] = iam.simulate_custom_policy(PolicyInputList=[doc({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestTag/env": "prod"}}})],
                ActionNames=["s3:PutObject"])["EvaluationResults"][0]["MissingContextValues"]
            out["context_keys"] = iam.get_context_keys_for_principal_policy(PolicySourceArn="arn:aws:iam::000000000000:user/s-dave",
                PolicyInputList=[doc({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})])["ContextKeyNames"]
            out["bad_input"] = error(iam.simulate_custom_policy, PolicyInputList=["{}"], ActionNames=["s3:GetObject"])
            out["no_source"] = error(iam.simulate_principal_policy, PolicySourceArn="arn:aws:iam::000000000000:user/ghost", ActionNames=["s3:GetObject"])
            """);

        Assert.EndsWith(":policy/s-boundary", Str(r["boundary_shown"]));
        Assert.Equal("allowed", Str(r["decisions"]!["s3:GetObject"]));
        Assert.Equal("explicitDeny", Str(r["decisions"]!["s3:DeleteObject"]));
        Assert.Equal("implicitDeny", Str(r["decisions"]!["lambda:InvokeFunction"]));
        Assert.Equal("no-delete", Str(r["matched"]!["s3:DeleteObject"]![0]![0]));
        Assert.Equal("user", Str(r["matched"]!["s3:DeleteObject"]![0]![1]));
        Assert.Contains(r["matched"]!["s3:GetObject"]!.AsArray(), m => Str(m![0]) == "all" && Str(m[1]) == "group");
        Assert.True(r["by_boundary"]!["s3:GetObject"]!.GetValue<bool>());
        Assert.False(r["by_boundary"]!["lambda:InvokeFunction"]!.GetValue<bool>());
        Assert.Equal("allowed", Str(r["custom"]![0]![1]));
        Assert.Equal("implicitDeny", Str(r["custom"]![1]![1]));
        Assert.Equal(["aws:RequestTag/env"], r["missing"]!.AsArray().Select(Str));
        Assert.Equal(["aws:SourceIp"], r["context_keys"]!.AsArray().Select(Str));
        Assert.Equal("InvalidInput", Str(r["bad_input"]!["code"]));
        Assert.Equal("NoSuchEntity", Str(r["no_source"]!["code"]));
    }
}
