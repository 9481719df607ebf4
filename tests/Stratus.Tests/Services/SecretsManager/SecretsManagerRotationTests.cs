using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.SecretsManager;

/// <summary>RotateSecret with a real python3.12 rotation function that calls back into Secrets Manager through boto3, as AWS's do.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SecretsManagerRotationTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    /// <summary>
    /// A rotation function written the way AWS's rotation templates work: it checks the token's version is
    /// AWSPENDING, puts a new password there in createSecret, reads it in testSecret (failing there when FAIL_TEST
    /// is set) and moves AWSCURRENT to it in finishSecret. Each step is printed, so its log shows which ran.
    /// </summary>
    private const string Script = LambdaScripts.Prelude + """
        import datetime
        ROTATOR = '''
        import boto3, json, os
        sm = boto3.client("secretsmanager")
        def handler(event, context):
            arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
            print("rotation step " + step)
            meta = sm.describe_secret(SecretId=arn)
            if not meta["RotationEnabled"]:
                raise ValueError("rotation is not enabled")
            stages = meta["VersionIdsToStages"].get(token)
            if stages is None:
                raise ValueError("the token has no version")
            if "AWSCURRENT" in stages:
                return
            if "AWSPENDING" not in stages:
                raise ValueError("the token's version is not pending")
            if step == "createSecret":
                value = json.loads(sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
                try:
                    sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
                except sm.exceptions.ResourceNotFoundException:
                    value["password"] = sm.get_random_password(ExcludePunctuation=True)["RandomPassword"]
                    sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(value), VersionStages=["AWSPENDING"])
            elif step == "testSecret":
                if os.environ.get("FAIL_TEST") == "1":
                    raise RuntimeError("the new password does not work")
                sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
            elif step == "finishSecret":
                current = next(v for v, s in meta["VersionIdsToStages"].items() if "AWSCURRENT" in s)
                sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current)
        '''
        sm = client("secretsmanager")
        logs = client("logs")
        def steps_logged(function, until):
            deadline = time.time() + 60
            steps = []
            while until not in steps and time.time() < deadline:
                time.sleep(1)
                try:
                    found = logs.filter_log_events(logGroupName="/aws/lambda/" + function)["events"]
                except logs.exceptions.ResourceNotFoundException:
                    found = []
                steps = [e["message"].strip()[len("rotation step "):] for e in found if e["message"].startswith("rotation step ")]
            return steps
        RECORDER = '''
        import json
        def handler(event, context):
            print("event " + json.dumps(event))
        '''
        def events_logged(function):
            deadline = time.time() + 60
            found = []
            while not found and time.time() < deadline:
                time.sleep(1)
                try:
                    found = [json.loads(e["message"].strip()[len("event "):]) for e in logs.filter_log_events(logGroupName="/aws/lambda/" + function)["events"]
                             if e["message"].startswith("event ")]
                except logs.exceptions.ResourceNotFoundException:
                    pass
            return found
        def password(secret, **kw):
            return json.loads(sm.get_secret_value(SecretId=secret, **kw)["SecretString"])["password"]

        """;

    [Fact]
    public async Task A_rotation_function_runs_its_four_steps_and_its_new_version_becomes_current()
    {
        var r = await Clients.Boto3Async(stratus.Url, Script + """
            arn = create("rotator", {"app.py": ROTATOR}, Timeout=30)["FunctionArn"]
            secret = sm.create_secret(Name="rotated/db", SecretString=json.dumps({"username": "app", "password": "first-password"}))["ARN"]
            out["denied"] = error(sm.rotate_secret, SecretId="rotated/db", RotationLambdaARN=arn)
            out["no_function"] = error(sm.rotate_secret, SecretId="rotated/db")
            out["cron"] = error(sm.rotate_secret, SecretId="rotated/db", RotationLambdaARN=arn, RotationRules={"ScheduleExpression": "cron(30 12 * * ? *)"})
            lam.add_permission(FunctionName="rotator", StatementId="secretsmanager", Action="lambda:InvokeFunction", Principal="secretsmanager.amazonaws.com")
            rotation = sm.rotate_secret(SecretId="rotated/db", RotationLambdaARN=arn, RotationRules={"AutomaticallyAfterDays": 30})
            out["version"] = rotation["VersionId"]
            deadline = time.time() + 60
            while sm.get_secret_value(SecretId="rotated/db")["VersionId"] != rotation["VersionId"] and time.time() < deadline:
                time.sleep(0.5)
            out["current"] = password("rotated/db")
            out["previous"] = password("rotated/db", VersionStage="AWSPREVIOUS")
            out["steps"] = steps_logged("rotator", "finishSecret")
            d = sm.describe_secret(SecretId="rotated/db")
            out["describe"] = {k: d.get(k) for k in ["RotationEnabled", "RotationLambdaARN", "RotationRules"]}
            # AutomaticallyAfterDays: the window is the UTC day 30 days on, reported as its last second.
            last = d["LastRotatedDate"].astimezone(datetime.timezone.utc)
            out["next_is_window_end"] = d["NextRotationDate"] == datetime.datetime.combine(last.date() + datetime.timedelta(days=30), datetime.time(23, 59, 59), tzinfo=datetime.timezone.utc)
            out["stages"] = d["VersionIdsToStages"][rotation["VersionId"]]
            sm.cancel_rotate_secret(SecretId="rotated/db")
            cancelled = sm.describe_secret(SecretId="rotated/db")
            out["cancelled"] = {k: cancelled.get(k) for k in ["RotationEnabled", "RotationLambdaARN", "NextRotationDate"]}
            out["cancel_again"] = error(sm.cancel_rotate_secret, SecretId="rotated/db")
            """);

        Assert.Equal("AccessDeniedException", (string?)r["denied"]!["code"]);
        Assert.Equal("Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.",
            (string?)r["denied"]!["message"]);
        Assert.Equal("InvalidRequestException", (string?)r["no_function"]!["code"]);
        Assert.Equal("InvalidParameterException", (string?)r["cron"]!["code"]);
        Assert.Equal("The schedule expression cron(30 12 * * ? *) is not valid.", (string?)r["cron"]!["message"]);
        Assert.Equal("""["createSecret","setSecret","testSecret","finishSecret"]""", r["steps"]!.ToJsonString());
        Assert.Equal("first-password", (string?)r["previous"]);
        Assert.NotEqual("first-password", (string?)r["current"]);
        Assert.Equal(32, ((string?)r["current"])!.Length);
        Assert.True((bool)r["describe"]!["RotationEnabled"]!);
        Assert.EndsWith(":function:rotator", (string?)r["describe"]!["RotationLambdaARN"]);
        Assert.Equal(30, (int)r["describe"]!["RotationRules"]!["AutomaticallyAfterDays"]!);
        Assert.True((bool)r["next_is_window_end"]!);
        Assert.Contains("AWSCURRENT", r["stages"]!.AsArray().Select(s => (string?)s));
        Assert.False((bool)r["cancelled"]!["RotationEnabled"]!);
        Assert.EndsWith(":function:rotator", (string?)r["cancelled"]!["RotationLambdaARN"]);
        Assert.Null(r["cancelled"]!["NextRotationDate"]);
        Assert.Equal("InvalidRequestException", (string?)r["cancel_again"]!["code"]);
    }

    [Fact]
    public async Task A_failing_step_leaves_the_new_version_pending_and_the_current_value_in_place()
    {
        var r = await Clients.Boto3Async(stratus.Url, Script + """
            arn = create("failing-rotator", {"app.py": ROTATOR}, Timeout=30, Environment={"Variables": {"FAIL_TEST": "1"}})["FunctionArn"]
            lam.add_permission(FunctionName="failing-rotator", StatementId="secretsmanager", Action="lambda:InvokeFunction", Principal="secretsmanager.amazonaws.com")
            sm.create_secret(Name="rotated/failing", SecretString=json.dumps({"username": "app", "password": "kept-password"}))
            rotation = sm.rotate_secret(SecretId="rotated/failing", RotationLambdaARN=arn)
            out["steps"] = steps_logged("failing-rotator", "testSecret")
            out["current"] = password("rotated/failing")
            out["pending_is_new"] = password("rotated/failing", VersionStage="AWSPENDING") != "kept-password"
            d = sm.describe_secret(SecretId="rotated/failing")
            out["stages"] = d["VersionIdsToStages"][rotation["VersionId"]]
            out["enabled"] = d["RotationEnabled"]
            out["last_rotated"] = d.get("LastRotatedDate")
            out["again"] = error(sm.rotate_secret, SecretId="rotated/failing")
            """);

        Assert.Equal("""["createSecret","setSecret","testSecret"]""", r["steps"]!.ToJsonString());
        Assert.Equal("kept-password", (string?)r["current"]);
        Assert.True((bool)r["pending_is_new"]!);
        Assert.Equal("""["AWSPENDING"]""", r["stages"]!.ToJsonString());
        Assert.True((bool)r["enabled"]!);
        Assert.Null(r["last_rotated"]);
        Assert.Equal("InvalidRequestException", (string?)r["again"]!["code"]);
        Assert.Equal("A previous rotation isn't complete. That rotation will be reattempted.", (string?)r["again"]!["message"]);
    }

    [Fact]
    public async Task Rotate_immediately_false_runs_test_secret_only_and_its_failure_reaches_a_rule_on_the_default_bus()
    {
        var r = await Clients.Boto3Async(stratus.Url, Script + """
            arn = create("checked-rotator", {"app.py": ROTATOR}, Timeout=30, Environment={"Variables": {"FAIL_TEST": "1"}})["FunctionArn"]
            lam.add_permission(FunctionName="checked-rotator", StatementId="secretsmanager", Action="lambda:InvokeFunction", Principal="secretsmanager.amazonaws.com")
            recorder = create("rotation-events", {"app.py": RECORDER})["FunctionArn"]
            lam.add_permission(FunctionName="rotation-events", StatementId="events", Action="lambda:InvokeFunction", Principal="events.amazonaws.com")
            ev = client("events")
            ev.put_rule(Name="rotation-failed", EventPattern=json.dumps({"source": ["aws.secretsmanager"], "detail-type": ["AWS Service Event via CloudTrail"],
                                                                      "detail": {"eventName": ["RotationFailed"]}}))
            ev.put_targets(Rule="rotation-failed", Targets=[{"Id": "recorder", "Arn": recorder}])
            secret = sm.create_secret(Name="rotated/checked", SecretString=json.dumps({"username": "app", "password": "checked-password"}))["ARN"]
            out["window_too_long"] = error(sm.rotate_secret, SecretId="rotated/checked", RotationLambdaARN=arn,
                                           RotationRules={"ScheduleExpression": "cron(0 22 * * ? *)", "Duration": "3h"})
            rotation = sm.rotate_secret(SecretId="rotated/checked", RotationLambdaARN=arn, RotateImmediately=False,
                                        RotationRules={"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "3h"})
            out["version_returned"] = "VersionId" in rotation
            out["steps"] = steps_logged("checked-rotator", "testSecret")
            seen = events_logged("rotation-events")
            out["event"] = [[e["source"], e["detail-type"], e["detail"]["eventName"], e["detail"]["additionalEventData"]["SecretId"] == secret] for e in seen]
            out["leaked"] = "checked-password" in json.dumps(seen)
            deadline = time.time() + 60
            while len(sm.describe_secret(SecretId=secret)["VersionIdsToStages"]) != 1 and time.time() < deadline:
                time.sleep(0.5)
            d = sm.describe_secret(SecretId=secret)
            out["stages"] = list(d["VersionIdsToStages"].values())
            n = d["NextRotationDate"].astimezone(datetime.timezone.utc)
            out["next"] = [n.day in (1, 15), n.hour, n.minute, n.second]
            out["rules"] = d["RotationRules"]
            out["enabled"] = d["RotationEnabled"]
            out["current"] = password(secret)
            """);

        Assert.Equal("The rotation window must not extend into the next UTC day.", (string?)r["window_too_long"]!["message"]);
        Assert.False((bool)r["version_returned"]!);
        Assert.Equal("""["testSecret"]""", r["steps"]!.ToJsonString());
        Assert.Equal("""[["aws.secretsmanager","AWS Service Event via CloudTrail","RotationFailed",true]]""", r["event"]!.ToJsonString());
        Assert.False((bool)r["leaked"]!);
        Assert.Equal("""[["AWSCURRENT"]]""", r["stages"]!.ToJsonString());
        Assert.Equal("""[true,18,59,59]""", r["next"]!.ToJsonString());
        Assert.Equal("""{"Duration":"3h","ScheduleExpression":"cron(0 16 1,15 * ? *)"}""", r["rules"]!.ToJsonString());
        Assert.True((bool)r["enabled"]!);
        Assert.Equal("checked-password", (string?)r["current"]);
    }

    [Fact]
    public async Task A_rotation_schedule_resource_rotates_on_create_cancels_on_delete_and_refuses_hosted_rotation()
    {
        var r = await Clients.Boto3Async(stratus.Url, Script + """
            arn = create("stack-rotator", {"app.py": ROTATOR}, Timeout=30)["FunctionArn"]
            lam.add_permission(FunctionName="stack-rotator", StatementId="secretsmanager", Action="lambda:InvokeFunction", Principal="secretsmanager.amazonaws.com")
            secret = sm.create_secret(Name="rotated/stack", SecretString=json.dumps({"username": "app", "password": "stack-password"}))["ARN"]
            cf = client("cloudformation")
            FAST = {"Delay": 1, "MaxAttempts": 180}
            def schedule(properties):
                return json.dumps({"Resources": {"Schedule": {"Type": "AWS::SecretsManager::RotationSchedule", "Properties": properties}},
                                   "Outputs": {"Ref": {"Value": {"Ref": "Schedule"}}}})
            cf.create_stack(StackName="rotation", TemplateBody=schedule({"SecretId": secret, "RotationLambdaARN": arn,
                            "RotationRules": {"ScheduleExpression": "rate(10 days)", "Duration": "2h"}}))
            cf.get_waiter("stack_create_complete").wait(StackName="rotation", WaiterConfig=FAST)
            out["ref"] = cf.describe_stacks(StackName="rotation")["Stacks"][0]["Outputs"][0]["OutputValue"] == secret
            out["steps"] = steps_logged("stack-rotator", "finishSecret")
            deadline = time.time() + 60
            while password(secret) == "stack-password" and time.time() < deadline:
                time.sleep(0.5)
            out["rotated"] = password(secret) != "stack-password"
            d = sm.describe_secret(SecretId=secret)
            out["rules"] = d["RotationRules"]
            cf.delete_stack(StackName="rotation")
            cf.get_waiter("stack_delete_complete").wait(StackName="rotation", WaiterConfig=FAST)
            out["after_delete"] = sm.describe_secret(SecretId=secret)["RotationEnabled"]
            cf.create_stack(StackName="hosted", TemplateBody=schedule({"SecretId": secret, "HostedRotationLambda": {"RotationType": "MySQLSingleUser"},
                            "RotationRules": {"AutomaticallyAfterDays": 30}}))
            try:
                cf.get_waiter("stack_create_complete").wait(StackName="hosted", WaiterConfig=FAST)
            except botocore.exceptions.WaiterError:
                pass
            out["hosted"] = [e.get("ResourceStatusReason", "") for e in cf.describe_stack_events(StackName="hosted")["StackEvents"]
                             if e["LogicalResourceId"] == "Schedule" and e["ResourceStatus"] == "CREATE_FAILED"]
            """);

        Assert.True((bool)r["ref"]!);
        Assert.Equal("""["createSecret","setSecret","testSecret","finishSecret"]""", r["steps"]!.ToJsonString());
        Assert.True((bool)r["rotated"]!);
        Assert.Equal("""{"Duration":"2h","ScheduleExpression":"rate(10 days)"}""", r["rules"]!.ToJsonString());
        Assert.False((bool)r["after_delete"]!);
        Assert.Contains("HostedRotationLambda is not built", (string?)Assert.Single(r["hosted"]!.AsArray()));
    }
}
