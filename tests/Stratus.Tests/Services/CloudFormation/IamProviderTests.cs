using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>AWS::IAM::User, Group, AccessKey, InstanceProfile, OIDCProvider and UserToGroupAddition through a stack, driven by boto3.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class IamProviderTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_stack_creates_users_groups_keys_profiles_and_providers_and_deletes_them()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            FAST = {"Delay": 1, "MaxAttempts": 60}
            cf = client("cloudformation")
            iam = client("iam")
            def template(status):
                return json.dumps({
                    "Resources": {
                        "Devs": {"Type": "AWS::IAM::Group", "Properties": {"GroupName": "cfn-devs", "Path": "/cfn/",
                            "Policies": [{"PolicyName": "read", "PolicyDocument": {"Version": "2012-10-17",
                                "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}}]}},
                        "Builder": {"Type": "AWS::IAM::User", "Properties": {"UserName": "cfn-builder", "Groups": [{"Ref": "Devs"}],
                            "Tags": [{"Key": "team", "Value": "ci"}]}},
                        "Other": {"Type": "AWS::IAM::User", "Properties": {}},
                        "Managed": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"Users": [{"Ref": "Builder"}], "Groups": [{"Ref": "Devs"}],
                            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}}},
                        "Inline": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "inline-logs", "Users": [{"Ref": "Other"}],
                            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:Get*", "Resource": "*"}]}}},
                        "Addition": {"Type": "AWS::IAM::UserToGroupAddition", "Properties": {"GroupName": {"Ref": "Devs"}, "Users": [{"Ref": "Other"}]}},
                        "Key": {"Type": "AWS::IAM::AccessKey", "Properties": {"UserName": {"Ref": "Builder"}, "Status": status}},
                        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
                        "Profile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [{"Ref": "Role"}]}},
                        "Oidc": {"Type": "AWS::IAM::OIDCProvider", "Properties": {"Url": "https://cfn.example.test", "ClientIdList": ["sts.amazonaws.com"],
                            "ThumbprintList": ["c" * 40]}},
                    },
                    "Outputs": {
                        "KeyId": {"Value": {"Ref": "Key"}},
                        "Secret": {"Value": {"Fn::GetAtt": ["Key", "SecretAccessKey"]}},
                        "UserArn": {"Value": {"Fn::GetAtt": ["Builder", "Arn"]}},
                        "ProfileArn": {"Value": {"Fn::GetAtt": ["Profile", "Arn"]}},
                        "OidcArn": {"Value": {"Ref": "Oidc"}},
                        "OtherName": {"Value": {"Ref": "Other"}},
                    },
                })
            cf.create_stack(StackName="iam-entities", TemplateBody=template("Active"), Capabilities=["CAPABILITY_NAMED_IAM"])
            cf.get_waiter("stack_create_complete").wait(StackName="iam-entities", WaiterConfig=FAST)
            outputs = {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName="iam-entities")["Stacks"][0]["Outputs"]}
            out["user_arn"] = outputs["UserArn"]
            out["caller"] = client("sts", key=outputs["KeyId"], secret=outputs["Secret"]).get_caller_identity()["Arn"]
            out["members"] = sorted(u["UserName"] for u in iam.get_group(GroupName="cfn-devs")["Users"])
            out["other"] = outputs["OtherName"]
            out["user_managed"] = len(iam.list_attached_user_policies(UserName="cfn-builder")["AttachedPolicies"])
            out["group_managed"] = len(iam.list_attached_group_policies(GroupName="cfn-devs")["AttachedPolicies"])
            out["other_inline"] = iam.list_user_policies(UserName=outputs["OtherName"])["PolicyNames"]
            out["profile_roles"] = len(iam.get_instance_profile(InstanceProfileName=outputs["ProfileArn"].split("/")[-1])["InstanceProfile"]["Roles"])
            out["oidc_url"] = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=outputs["OidcArn"])["Url"]

            cf.update_stack(StackName="iam-entities", TemplateBody=template("Inactive"), Capabilities=["CAPABILITY_NAMED_IAM"])
            cf.get_waiter("stack_update_complete").wait(StackName="iam-entities", WaiterConfig=FAST)
            out["status_after_update"] = iam.list_access_keys(UserName="cfn-builder")["AccessKeyMetadata"][0]["Status"]

            cf.delete_stack(StackName="iam-entities")
            cf.get_waiter("stack_delete_complete").wait(StackName="iam-entities", WaiterConfig=FAST)
            out["user_gone"] = error(iam.get_user, UserName="cfn-builder")
            out["group_gone"] = error(iam.get_group, GroupName="cfn-devs")
            out["oidc_gone"] = error(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=outputs["OidcArn"])
            """);

        Assert.Equal("arn:aws:iam::000000000000:user/cfn-builder", r["user_arn"]!.GetValue<string>());
        Assert.Equal("arn:aws:iam::000000000000:user/cfn-builder", r["caller"]!.GetValue<string>());
        var other = r["other"]!.GetValue<string>();
        Assert.Equal(new[] { "cfn-builder", other }.Order(StringComparer.Ordinal), r["members"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(1, r["user_managed"]!.GetValue<int>());
        Assert.Equal(1, r["group_managed"]!.GetValue<int>());
        Assert.Equal(["inline-logs"], r["other_inline"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(1, r["profile_roles"]!.GetValue<int>());
        Assert.Equal("cfn.example.test", r["oidc_url"]!.GetValue<string>());
        Assert.Equal("Inactive", r["status_after_update"]!.GetValue<string>());
        Assert.Equal("NoSuchEntity", r["user_gone"]!["code"]!.GetValue<string>());
        Assert.Equal("NoSuchEntity", r["group_gone"]!["code"]!.GetValue<string>());
        Assert.Equal("NoSuchEntity", r["oidc_gone"]!["code"]!.GetValue<string>());
    }
}
