using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Iam;

/// <summary>
/// `--auth enforce` with the keys a request and its resource carry: iam:PassRole checked when CreateFunction
/// passes a role (with iam:PassedToService), aws:ResourceTag from a function's, parameter's and secret's own
/// tags (and secretsmanager:ResourceTag), aws:RequestTag/aws:TagKeys on tag and create calls, and the service
/// keys ssm:Overwrite and rds:DatabaseEngine.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ConditionKeyAuthorizationTests : EnforcedStratusTest
{
    private const string Account = "000000000000";

    private const string Prelude = $$"""
        import io, zipfile
        ROOT = dict(key="{{RootKey}}", secret="{{RootSecret}}")
        iam = client("iam", **ROOT)
        def doc(*statements):
            return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        def user(name, *statements):
            iam.create_user(UserName=name)
            iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(*statements))
            k = iam.create_access_key(UserName=name)["AccessKey"]
            return dict(key=k["AccessKeyId"], secret=k["SecretAccessKey"])
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("app.py", "def handler(event, context):\n    return event\n")
        CODE = {"ZipFile": buf.getvalue()}
        role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]

        """;

    [Fact]
    public async Task Creating_a_function_needs_iam_pass_role_on_its_role_for_lambda()
    {
        var r = await Clients.Boto3Async(Server.Url, Prelude + """
            create_only = user("create-only", {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"})
            out["no_pass_role"] = error(client("lambda", **create_only).create_function, FunctionName="f1", Runtime="python3.12", Role=role, Handler="app.handler", Code=CODE)
            to_ec2 = user("to-ec2", {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role, "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"} } })
            out["passed_to_another_service"] = error(client("lambda", **to_ec2).create_function, FunctionName="f2", Runtime="python3.12", Role=role, Handler="app.handler", Code=CODE)
            to_lambda = user("to-lambda", {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role, "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"} } })
            out["created"] = client("lambda", **to_lambda).create_function(FunctionName="f3", Runtime="python3.12", Role=role, Handler="app.handler", Code=CODE)["FunctionName"]
            out["functions"] = sorted(f["FunctionName"] for f in client("lambda", **ROOT).list_functions()["Functions"])
            """);

        var refused = r["no_pass_role"]!;
        Assert.Equal("AccessDeniedException", refused["code"]!.GetValue<string>());
        Assert.Equal(403, refused["status"]!.GetValue<int>());
        Assert.Equal($"User: arn:aws:iam::{Account}:user/create-only is not authorized to perform: iam:PassRole on resource: arn:aws:iam::{Account}:role/fn-role because no identity-based policy allows the iam:PassRole action",
            refused["message"]!.GetValue<string>());
        Assert.Equal("AccessDeniedException", r["passed_to_another_service"]!["code"]!.GetValue<string>());
        Assert.Equal("f3", r["created"]!.GetValue<string>());
        Assert.Equal(["f3"], r["functions"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task EventBridge_targets_and_a_stacks_service_role_need_iam_pass_role_to_their_service()
    {
        var r = await Clients.Boto3Async(Server.Url, Prelude + $$"""
            trust = lambda service: doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})
            events_role = iam.create_role(RoleName="events-role", AssumeRolePolicyDocument=trust("events.amazonaws.com"))["Role"]["Arn"]
            stack_role = iam.create_role(RoleName="stack-role", AssumeRolePolicyDocument=trust("cloudformation.amazonaws.com"))["Role"]["Arn"]
            client("events", **ROOT).put_rule(Name="hourly", ScheduleExpression="rate(1 hour)")
            targets = lambda role: [{"Id": "a", "Arn": "arn:aws:lambda:us-east-1:{{Account}}:function:f3"},
                {"Id": "b", "Arn": "arn:aws:lambda:us-east-1:{{Account}}:function:f4", "RoleArn": role}]
            targets_only = user("targets-only", {"Effect": "Allow", "Action": "events:PutTargets", "Resource": "*"})
            out["targets without pass role"] = error(client("events", **targets_only).put_targets, Rule="hourly", Targets=targets(events_role))
            out["targets without a role"] = client("events", **targets_only).put_targets(Rule="hourly", Targets=targets(events_role)[:1])["FailedEntryCount"]
            to_lambda = user("events-to-lambda", {"Effect": "Allow", "Action": "events:PutTargets", "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"} } })
            out["targets passed to another service"] = error(client("events", **to_lambda).put_targets, Rule="hourly", Targets=targets(events_role))
            to_events = user("events-to-events", {"Effect": "Allow", "Action": "events:PutTargets", "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": events_role, "Condition": {"StringEquals": {"iam:PassedToService": "events.amazonaws.com"} } })
            out["targets passed"] = client("events", **to_events).put_targets(Rule="hourly", Targets=targets(events_role))["FailedEntryCount"]
            out["another role"] = error(client("events", **to_events).put_targets, Rule="hourly", Targets=targets(stack_role))

            body = json.dumps({"Resources": {"H": {"Type": "AWS::CloudFormation::WaitConditionHandle"} } })
            stacker = user("stacker", {"Effect": "Allow", "Action": "cloudformation:CreateStack", "Resource": "*"})
            out["stack without pass role"] = error(client("cloudformation", **stacker).create_stack, StackName="with-role", TemplateBody=body, RoleARN=stack_role)
            stack_passer = user("stack-passer", {"Effect": "Allow", "Action": "cloudformation:CreateStack", "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": stack_role, "Condition": {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"} } })
            out["stack passed"] = client("cloudformation", **stack_passer).create_stack(StackName="with-role", TemplateBody=body, RoleARN=stack_role)["StackId"].split("/")[1]
            """);

        var refused = r["targets without pass role"]!;
        Assert.Equal("AccessDeniedException", refused["code"]!.GetValue<string>());
        Assert.Equal(403, refused["status"]!.GetValue<int>());
        Assert.Equal($"User: arn:aws:iam::{Account}:user/targets-only is not authorized to perform: iam:PassRole on resource: arn:aws:iam::{Account}:role/events-role because no identity-based policy allows the iam:PassRole action",
            refused["message"]!.GetValue<string>());
        Assert.Equal(0, r["targets without a role"]!.GetValue<int>());
        Assert.Equal("AccessDeniedException", r["targets passed to another service"]!["code"]!.GetValue<string>());
        Assert.Equal(0, r["targets passed"]!.GetValue<int>());
        Assert.Contains($"iam:PassRole on resource: arn:aws:iam::{Account}:role/stack-role", r["another role"]!["message"]!.GetValue<string>());
        Assert.Equal("AccessDenied", r["stack without pass role"]!["code"]!.GetValue<string>());
        Assert.Contains($"iam:PassRole on resource: arn:aws:iam::{Account}:role/stack-role", r["stack without pass role"]!["message"]!.GetValue<string>());
        Assert.Equal("with-role", r["stack passed"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_resources_own_tags_are_its_resource_tag_keys_in_lambda_ssm_and_secrets_manager()
    {
        var r = await Clients.Boto3Async(Server.Url, Prelude + """
            lam, ssm, sm = client("lambda", **ROOT), client("ssm", **ROOT), client("secretsmanager", **ROOT)
            for team in ("blue", "red"):
                lam.create_function(FunctionName=f"{team}-fn", Runtime="python3.12", Role=role, Handler="app.handler", Code=CODE, Tags={"team": team})
                ssm.put_parameter(Name=f"/app/{team}", Value=team, Type="String", Tags=[{"Key": "team", "Value": team}])
                sm.create_secret(Name=f"{team}-secret", SecretString=team, Tags=[{"Key": "team", "Value": team}])
            signing = {team: lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": ["arn:aws:signer:us-east-1:000000000000:/signing-profiles/p/abcdefghij"]},
                Tags={"team": team})["CodeSigningConfig"]["CodeSigningConfigArn"] for team in ("blue", "red")}
            blue = user("blue-reader",
                {"Effect": "Allow", "Action": ["lambda:GetFunction", "lambda:GetCodeSigningConfig", "ssm:GetParameter"], "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"} } },
                {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*", "Condition": {"StringEquals": {"secretsmanager:ResourceTag/team": "blue"} } })
            out["lambda_blue"] = client("lambda", **blue).get_function(FunctionName="blue-fn")["Configuration"]["FunctionName"]
            out["lambda_red"] = error(client("lambda", **blue).get_function, FunctionName="red-fn")
            out["signing_blue"] = client("lambda", **blue).get_code_signing_config(CodeSigningConfigArn=signing["blue"])["CodeSigningConfig"]["CodeSigningConfigArn"] == signing["blue"]
            out["signing_red"] = error(client("lambda", **blue).get_code_signing_config, CodeSigningConfigArn=signing["red"])
            out["ssm_blue"] = client("ssm", **blue).get_parameter(Name="/app/blue")["Parameter"]["Value"]
            out["ssm_red"] = error(client("ssm", **blue).get_parameter, Name="/app/red")
            out["secret_blue"] = client("secretsmanager", **blue).get_secret_value(SecretId="blue-secret")["SecretString"]
            out["secret_red"] = error(client("secretsmanager", **blue).get_secret_value, SecretId="red-secret")
            # Retagging the red function blue lets the same policy read it.
            lam.tag_resource(Resource=lam.get_function(FunctionName="red-fn")["Configuration"]["FunctionArn"], Tags={"team": "blue"})
            out["lambda_retagged"] = client("lambda", **blue).get_function(FunctionName="red-fn")["Configuration"]["FunctionName"]
            """);

        Assert.Equal("blue-fn", r["lambda_blue"]!.GetValue<string>());
        Assert.Equal($"User: arn:aws:iam::{Account}:user/blue-reader is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:{Account}:function:red-fn because no identity-based policy allows the lambda:GetFunction action",
            r["lambda_red"]!["message"]!.GetValue<string>());
        Assert.True(r["signing_blue"]!.GetValue<bool>());
        Assert.Equal("AccessDeniedException", r["signing_red"]!["code"]!.GetValue<string>());
        Assert.Contains("lambda:GetCodeSigningConfig on resource: arn:aws:lambda:us-east-1:" + Account + ":code-signing-config:csc-", r["signing_red"]!["message"]!.GetValue<string>());
        Assert.Equal("blue", r["ssm_blue"]!.GetValue<string>());
        Assert.Equal("AccessDeniedException", r["ssm_red"]!["code"]!.GetValue<string>());
        Assert.Contains($"ssm:GetParameter on resource: arn:aws:ssm:us-east-1:{Account}:parameter/app/red", r["ssm_red"]!["message"]!.GetValue<string>());
        Assert.Equal("blue", r["secret_blue"]!.GetValue<string>());
        Assert.Equal("AccessDeniedException", r["secret_red"]!["code"]!.GetValue<string>());
        Assert.Equal("red-fn", r["lambda_retagged"]!.GetValue<string>());
    }

    [Fact]
    public async Task Request_tags_tag_keys_and_service_keys_decide_tag_create_and_put_calls()
    {
        var r = await Clients.Boto3Async(Server.Url, Prelude + $$"""
            lam = client("lambda", **ROOT)
            arn = lam.create_function(FunctionName="tagged-fn", Runtime="python3.12", Role=role, Handler="app.handler", Code=CODE)["FunctionArn"]
            ssm = client("ssm", **ROOT)
            ssm.put_parameter(Name="/app/setting", Value="one", Type="String")
            tagger = user("tagger",
                {"Effect": "Allow", "Action": ["lambda:TagResource", "lambda:UntagResource", "secretsmanager:CreateSecret"], "Resource": "*",
                 "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}, "StringEqualsIfExists": {"aws:RequestTag/team": ["blue", "green"]} } },
                {"Effect": "Allow", "Action": "ssm:PutParameter", "Resource": "*"},
                {"Effect": "Deny", "Action": "ssm:PutParameter", "Resource": "*", "Condition": {"Bool": {"ssm:Overwrite": "true"} } },
                {"Effect": "Allow", "Action": "rds:CreateDBInstance", "Resource": "*"},
                {"Effect": "Deny", "Action": "rds:CreateDBInstance", "Resource": "*", "Condition": {"StringEquals": {"rds:DatabaseEngine": "postgres"} } })
            t = client("lambda", **tagger)
            t.tag_resource(Resource=arn, Tags={"team": "blue"})
            out["other_key"] = error(t.tag_resource, Resource=arn, Tags={"cost-center": "42"})
            out["other_value"] = error(t.tag_resource, Resource=arn, Tags={"team": "red"})
            out["untag_other_key"] = error(t.untag_resource, Resource=arn, TagKeys=["cost-center"])
            t.untag_resource(Resource=arn, TagKeys=["team"])
            t.tag_resource(Resource=arn, Tags={"team": "green"})
            out["tags"] = lam.list_tags(Resource=arn)["Tags"]
            sm = client("secretsmanager", **tagger)
            out["secret_tagged"] = sm.create_secret(Name="made", SecretString="x", Tags=[{"Key": "team", "Value": "blue"}])["Name"]
            out["secret_wrong_tag"] = error(sm.create_secret, Name="not-made", SecretString="x", Tags=[{"Key": "owner", "Value": "me"}])
            s = client("ssm", **tagger)
            out["put_new"] = s.put_parameter(Name="/app/new", Value="n", Type="String")["Version"]
            out["overwrite"] = error(s.put_parameter, Name="/app/setting", Value="two", Type="String", Overwrite=True)
            out["setting"] = ssm.get_parameter(Name="/app/setting")["Parameter"]["Value"]
            out["postgres"] = error(client("rds", **tagger).create_db_instance, DBInstanceIdentifier="pg-db", Engine="postgres",
                                    DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="password123")
            """);

        Assert.Equal("AccessDeniedException", r["other_key"]!["code"]!.GetValue<string>());
        Assert.Equal("AccessDeniedException", r["other_value"]!["code"]!.GetValue<string>());
        Assert.Equal("AccessDeniedException", r["untag_other_key"]!["code"]!.GetValue<string>());
        Assert.Equal("green", r["tags"]!["team"]!.GetValue<string>());
        Assert.Equal("made", r["secret_tagged"]!.GetValue<string>());
        Assert.Equal("AccessDeniedException", r["secret_wrong_tag"]!["code"]!.GetValue<string>());
        Assert.Equal(1, r["put_new"]!.GetValue<int>());
        var overwrite = r["overwrite"]!;
        Assert.Equal("AccessDeniedException", overwrite["code"]!.GetValue<string>());
        Assert.EndsWith("with an explicit deny in an identity-based policy", overwrite["message"]!.GetValue<string>());
        Assert.Equal("one", r["setting"]!.GetValue<string>());
        var postgres = r["postgres"]!;
        Assert.Equal("AccessDenied", postgres["code"]!.GetValue<string>());
        Assert.Equal($"User: arn:aws:iam::{Account}:user/tagger is not authorized to perform: rds:CreateDBInstance on resource: arn:aws:rds:us-east-1:{Account}:db:pg-db with an explicit deny in an identity-based policy",
            postgres["message"]!.GetValue<string>());
    }
}
