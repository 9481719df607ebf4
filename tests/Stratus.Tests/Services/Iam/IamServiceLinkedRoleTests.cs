using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Iam;

/// <summary>Service-linked roles through boto3: AWS's names and paths, their protection, their deletion tasks, and a stack's.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class IamServiceLinkedRoleTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_service_linked_role_has_AWSs_name_refuses_changes_and_is_deleted_through_a_task()
    {
        var r = await Clients.Boto3Async(stratus.Url, """
            iam = client("iam")
            role = iam.create_service_linked_role(AWSServiceName="rds.amazonaws.com", Description="for rds")["Role"]
            out["name"], out["path"], out["arn"] = role["RoleName"], role["Path"], role["Arn"]
            out["trusted"] = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"]
            out["again"] = error(iam.create_service_linked_role, AWSServiceName="rds.amazonaws.com")
            out["suffix_refused"] = error(iam.create_service_linked_role, AWSServiceName="rds.amazonaws.com", CustomSuffix="two")
            out["unknown"] = error(iam.create_service_linked_role, AWSServiceName="nothing.amazonaws.com")
            out["with_suffix"] = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="fleet")["Role"]["RoleName"]
            out["suffix_too_long"] = error(iam.create_service_linked_role, AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="s" * 60)

            out["delete_role"] = error(iam.delete_role, RoleName="AWSServiceRoleForRDS")
            out["attach"] = error(iam.attach_role_policy, RoleName="AWSServiceRoleForRDS", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
            out["put"] = error(iam.put_role_policy, RoleName="AWSServiceRoleForRDS", PolicyName="p",
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
            out["trust"] = error(iam.update_assume_role_policy, RoleName="AWSServiceRoleForRDS",
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
            iam.update_role_description(RoleName="AWSServiceRoleForRDS", Description="changed")
            out["description"] = iam.get_role(RoleName="AWSServiceRoleForRDS")["Role"]["Description"]

            iam.create_role(RoleName="plain-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
            out["not_linked"] = error(iam.delete_service_linked_role, RoleName="plain-role")
            task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForRDS")["DeletionTaskId"]
            out["task"] = task
            out["status"] = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"]
            out["gone"] = error(iam.get_role, RoleName="AWSServiceRoleForRDS")
            out["no_task"] = error(iam.get_service_linked_role_deletion_status, DeletionTaskId=task + "x")

            cf = client("cloudformation")
            body = json.dumps({"Resources": {"Linked": {"Type": "AWS::IAM::ServiceLinkedRole",
                    "Properties": {"AWSServiceName": "ecs.amazonaws.com", "Description": "ecs"}}},
                "Outputs": {"Name": {"Value": {"Ref": "Linked"}}, "Att": {"Value": {"Fn::GetAtt": ["Linked", "RoleName"]}}}})
            cf.create_stack(StackName="linked-role", TemplateBody=body)
            cf.get_waiter("stack_create_complete").wait(StackName="linked-role", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["outputs"] = sorted(o["OutputValue"] for o in cf.describe_stacks(StackName="linked-role")["Stacks"][0]["Outputs"])
            out["stack_role_path"] = iam.get_role(RoleName="AWSServiceRoleForECS")["Role"]["Path"]
            cf.delete_stack(StackName="linked-role")
            cf.get_waiter("stack_delete_complete").wait(StackName="linked-role", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["stack_role_gone"] = error(iam.get_role, RoleName="AWSServiceRoleForECS")["code"]
            """);

        Assert.Equal("AWSServiceRoleForRDS", r["name"]!.GetValue<string>());
        Assert.Equal("/aws-service-role/rds.amazonaws.com/", r["path"]!.GetValue<string>());
        Assert.Equal("arn:aws:iam::000000000000:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS", r["arn"]!.GetValue<string>());
        Assert.Equal("rds.amazonaws.com", r["trusted"]!.GetValue<string>());
        Assert.Equal("InvalidInput", r["again"]!["code"]!.GetValue<string>());
        Assert.Equal("Service role name AWSServiceRoleForRDS has been taken in this account, please try a different suffix.", r["again"]!["message"]!.GetValue<string>());
        Assert.Equal("InvalidInput", r["suffix_refused"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidInput", r["unknown"]!["code"]!.GetValue<string>());
        Assert.Equal("AWSServiceRoleForAutoScaling_fleet", r["with_suffix"]!.GetValue<string>());
        Assert.Equal("InvalidInput", r["suffix_too_long"]!["code"]!.GetValue<string>());
        foreach (var refused in new[] { "delete_role", "attach", "put", "trust" })
        {
            Assert.Equal("UnmodifiableEntity", r[refused]!["code"]!.GetValue<string>());
            Assert.Contains("protected role 'AWSServiceRoleForRDS'", r[refused]!["message"]!.GetValue<string>());
        }
        Assert.Equal("changed", r["description"]!.GetValue<string>());
        Assert.Equal("InvalidInput", r["not_linked"]!["code"]!.GetValue<string>());
        Assert.Matches("^task/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS/[0-9a-f-]{36}$", r["task"]!.GetValue<string>());
        Assert.Equal("SUCCEEDED", r["status"]!.GetValue<string>());
        Assert.Equal("NoSuchEntity", r["gone"]!["code"]!.GetValue<string>());
        Assert.Equal("NoSuchEntity", r["no_task"]!["code"]!.GetValue<string>());
        Assert.Equal(["AWSServiceRoleForECS", "AWSServiceRoleForECS"], r["outputs"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("/aws-service-role/ecs.amazonaws.com/", r["stack_role_path"]!.GetValue<string>());
        Assert.Equal("NoSuchEntity", r["stack_role_gone"]!.GetValue<string>());
    }
}
