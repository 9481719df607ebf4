using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Iam;

/// <summary>
/// `--auth enforce` with resources: identity policies naming one function's ARN, a function policy
/// (AddPermission) letting another principal invoke, a trust policy refusing AssumeRole, sts:ExternalId,
/// a session policy narrowing a role's permissions, and session tags seen as aws:PrincipalTag.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ResourceAuthorizationTests : EnforcedStratusTest
{
    private const string Account = "000000000000";

    private const string Prelude = $$"""
        import io, zipfile
        ROOT = dict(key="{{RootKey}}", secret="{{RootSecret}}")
        iam = client("iam", **ROOT)
        def doc(*statements):
            return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        def user(name):
            iam.create_user(UserName=name)
            k = iam.create_access_key(UserName=name)["AccessKey"]
            return dict(key=k["AccessKeyId"], secret=k["SecretAccessKey"])
        def session(creds):
            return dict(key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])

        """;

    [Fact]
    public async Task A_policy_on_one_functions_arn_allows_that_function_only_and_a_function_policy_lets_another_principal_invoke()
    {
        var r = await Clients.Boto3Async(Server.Url, Prelude + $$"""
            role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr("app.py", "def handler(event, context):\n    return event\n")
            lam = client("lambda", **ROOT)
            for name in ("allowed-fn", "other-fn"):
                lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": buf.getvalue()})

            dev = user("dev")
            iam.put_user_policy(UserName="dev", PolicyName="one-function", PolicyDocument=doc(
                {"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": "arn:aws:lambda:us-east-1:{{Account}}:function:allowed-fn"}))
            out["allowed"] = client("lambda", **dev).get_function(FunctionName="allowed-fn")["Configuration"]["FunctionName"]
            out["allowed_by_arn"] = client("lambda", **dev).get_function(FunctionName="arn:aws:lambda:us-east-1:{{Account}}:function:allowed-fn")["Configuration"]["FunctionName"]
            out["other"] = error(client("lambda", **dev).get_function, FunctionName="other-fn")
            out["qualified"] = error(client("lambda", **dev).get_function, FunctionName="allowed-fn", Qualifier="$LATEST")

            caller = user("caller")
            out["invoke_before"] = error(client("lambda", **caller).invoke, FunctionName="other-fn", InvocationType="DryRun")
            lam.add_permission(FunctionName="other-fn", StatementId="let-caller", Action="lambda:InvokeFunction", Principal="arn:aws:iam::{{Account}}:user/caller")
            out["invoke_after"] = client("lambda", **caller).invoke(FunctionName="other-fn", InvocationType="DryRun")["StatusCode"]
            out["invoke_the_other"] = error(client("lambda", **caller).invoke, FunctionName="allowed-fn", InvocationType="DryRun")
            out["get_not_granted"] = error(client("lambda", **caller).get_function, FunctionName="other-fn")
            lam.add_permission(FunctionName="allowed-fn", StatementId="account", Action="lambda:InvokeFunction", Principal="{{Account}}")
            out["account_grant_delegates"] = error(client("lambda", **caller).invoke, FunctionName="allowed-fn", InvocationType="DryRun")
            """);

        Assert.Equal("allowed-fn", r["allowed"]!.GetValue<string>());
        Assert.Equal("allowed-fn", r["allowed_by_arn"]!.GetValue<string>());
        var other = r["other"]!;
        Assert.Equal("AccessDeniedException", other["code"]!.GetValue<string>());
        Assert.Equal(403, other["status"]!.GetValue<int>());
        Assert.Equal($"User: arn:aws:iam::{Account}:user/dev is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:{Account}:function:other-fn because no identity-based policy allows the lambda:GetFunction action",
            other["message"]!.GetValue<string>());
        Assert.Contains($"on resource: arn:aws:lambda:us-east-1:{Account}:function:allowed-fn:$LATEST ", r["qualified"]!["message"]!.GetValue<string>());
        Assert.Contains("lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:other-fn", r["invoke_before"]!["message"]!.GetValue<string>());
        Assert.Equal(204, r["invoke_after"]!.GetValue<int>());
        Assert.Equal("AccessDeniedException", r["invoke_the_other"]!["code"]!.GetValue<string>());
        Assert.Contains("lambda:GetFunction", r["get_not_granted"]!["message"]!.GetValue<string>());
        // Naming the account only delegates to the account's IAM policies, which grant the caller nothing.
        Assert.Equal("AccessDeniedException", r["account_grant_delegates"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_trust_policy_decides_assume_role_with_its_external_id_and_session_policies_and_tags_narrow_the_session()
    {
        var r = await Clients.Boto3Async(Server.Url, Prelude + $$"""
            alice = user("alice")
            sts = client("sts", **alice)
            out["identity_needs_no_policy"] = sts.get_caller_identity()["Arn"]
            partner = iam.create_role(RoleName="partner", AssumeRolePolicyDocument=doc(
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::{{Account}}:user/alice"}, "Action": ["sts:AssumeRole", "sts:TagSession"],
                 "Condition": {"StringEquals": {"sts:ExternalId": "ext-123"} } }))["Role"]["Arn"]
            iam.put_role_policy(RoleName="partner", PolicyName="logs", PolicyDocument=doc({"Effect": "Allow", "Action": "logs:*", "Resource": "*"},
                {"Effect": "Allow", "Action": "ssm:PutParameter", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"} } }))
            lambda_only = iam.create_role(RoleName="lambda-only", AssumeRolePolicyDocument=doc(
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]

            out["trust_refuses"] = error(sts.assume_role, RoleArn=lambda_only, RoleSessionName="s1")
            out["no_external_id"] = error(sts.assume_role, RoleArn=partner, RoleSessionName="s1")
            out["wrong_external_id"] = error(sts.assume_role, RoleArn=partner, RoleSessionName="s1", ExternalId="ext-999")
            full = session(sts.assume_role(RoleArn=partner, RoleSessionName="full", ExternalId="ext-123")["Credentials"])
            client("logs", **full).create_log_group(logGroupName="made-by-session")
            out["full_session"] = [g["logGroupName"] for g in client("logs", **full).describe_log_groups()["logGroups"]]

            narrow = sts.assume_role(RoleArn=partner, RoleSessionName="narrow", ExternalId="ext-123",
                                     Policy=doc({"Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"}))
            out["packed"] = narrow["PackedPolicySize"]
            narrow = session(narrow["Credentials"])
            out["narrow_reads"] = len(client("logs", **narrow).describe_log_groups()["logGroups"])
            out["narrow_cannot_create"] = error(client("logs", **narrow).create_log_group, logGroupName="not-allowed")
            out["bad_session_policy"] = error(sts.assume_role, RoleArn=partner, RoleSessionName="bad", ExternalId="ext-123", Policy=doc({"Effect": "Maybe", "Action": "logs:*", "Resource": "*"}))

            blue = session(sts.assume_role(RoleArn=partner, RoleSessionName="blue", ExternalId="ext-123", Tags=[{"Key": "team", "Value": "blue"}])["Credentials"])
            red = session(sts.assume_role(RoleArn=partner, RoleSessionName="red", ExternalId="ext-123", Tags=[{"Key": "team", "Value": "red"}])["Credentials"])
            out["blue_puts"] = client("ssm", **blue).put_parameter(Name="/team/colour", Value="blue", Type="String")["Version"]
            out["red_refused"] = error(client("ssm", **red).put_parameter, Name="/team/colour", Value="red", Type="String", Overwrite=True)
            iam.update_assume_role_policy(RoleName="partner", PolicyDocument=doc(
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::{{Account}}:user/alice"}, "Action": "sts:AssumeRole"}))
            out["tags_need_tag_session"] = error(sts.assume_role, RoleArn=partner, RoleSessionName="tagged", Tags=[{"Key": "team", "Value": "blue"}])
            """);

        Assert.Equal($"arn:aws:iam::{Account}:user/alice", r["identity_needs_no_policy"]!.GetValue<string>());
        var refused = r["trust_refuses"]!;
        Assert.Equal("AccessDenied", refused["code"]!.GetValue<string>());
        Assert.Equal(403, refused["status"]!.GetValue<int>());
        Assert.StartsWith($"User: arn:aws:iam::{Account}:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{Account}:role/lambda-only", refused["message"]!.GetValue<string>());
        Assert.Equal("AccessDenied", r["no_external_id"]!["code"]!.GetValue<string>());
        Assert.Equal("AccessDenied", r["wrong_external_id"]!["code"]!.GetValue<string>());
        Assert.Contains("made-by-session", r["full_session"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.True(r["packed"]!.GetValue<int>() > 0);
        Assert.Equal(1, r["narrow_reads"]!.GetValue<int>());
        var narrowed = r["narrow_cannot_create"]!;
        Assert.Equal("AccessDeniedException", narrowed["code"]!.GetValue<string>());
        Assert.Equal($"User: arn:aws:sts::{Account}:assumed-role/partner/narrow is not authorized to perform: logs:CreateLogGroup on resource: arn:aws:logs:us-east-1:{Account}:log-group:not-allowed:log-stream: because no session policy allows the logs:CreateLogGroup action",
            narrowed["message"]!.GetValue<string>());
        Assert.Equal("MalformedPolicyDocument", r["bad_session_policy"]!["code"]!.GetValue<string>());
        Assert.Equal(1, r["blue_puts"]!.GetValue<int>());
        Assert.Equal("AccessDeniedException", r["red_refused"]!["code"]!.GetValue<string>());
        Assert.Equal("AccessDenied", r["tags_need_tag_session"]!["code"]!.GetValue<string>());
    }
}
