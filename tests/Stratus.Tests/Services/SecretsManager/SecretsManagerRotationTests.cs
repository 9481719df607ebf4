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
            out["cron"] = error(sm.rotate_secret, SecretId="rotated/db", RotationLambdaARN=arn, RotationRules={"ScheduleExpression": "cron(0 12 * * ? *)"})
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
            out["rotated_days_to_next"] = round((d["NextRotationDate"] - d["LastRotatedDate"]).total_seconds() / 86400)
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
        Assert.Contains("cron() schedules are not built", (string?)r["cron"]!["message"]);
        Assert.Equal("""["createSecret","setSecret","testSecret","finishSecret"]""", r["steps"]!.ToJsonString());
        Assert.Equal("first-password", (string?)r["previous"]);
        Assert.NotEqual("first-password", (string?)r["current"]);
        Assert.Equal(32, ((string?)r["current"])!.Length);
        Assert.True((bool)r["describe"]!["RotationEnabled"]!);
        Assert.EndsWith(":function:rotator", (string?)r["describe"]!["RotationLambdaARN"]);
        Assert.Equal(30, (int)r["describe"]!["RotationRules"]!["AutomaticallyAfterDays"]!);
        Assert.Equal(30, (int)r["rotated_days_to_next"]!);
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
}
