using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Logs;

/// <summary>
/// Scheduled queries through boto3 against a persistent Stratus: created, read, listed by state, updated, their (empty)
/// history paged, refused as AWS refuses (a name taken, an unknown one) and as Stratus refuses (SQL, a role IAM does not
/// have), kept across a restart, deleted, and made and removed by a stack's AWS::Logs::ScheduledQuery. Their runs are
/// proven in <see cref="LogsScheduledQueryTests"/> with a driven clock.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LogsScheduledQueriesClientTests
{
    [Fact]
    public async Task Scheduled_queries_are_kept_listed_updated_and_refused_as_the_model_says()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        var result = await Clients.Boto3Async(server.Url, """
            logs, iam, s3 = client("logs"), client("iam"), client("s3")
            role = iam.create_role(RoleName="s14-schedq-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
            s3.create_bucket(Bucket="s14-schedq-results")
            logs.create_log_group(logGroupName="/app/scheduled")
            common = dict(queryLanguage="CWLI", queryString="fields @message | limit 5", logGroupIdentifiers=["/app/scheduled"],
                scheduleExpression="cron(0 9 * * ? *)", timezone="Europe/Paris", startTimeOffset=3600, executionRoleArn=role,
                destinationConfiguration={"s3Configuration": {"destinationIdentifier": "s3://s14-schedq-results/daily", "roleArn": role}})
            created = logs.create_scheduled_query(name="daily", description="every morning", **common)
            out["created"] = [created["state"], created["scheduledQueryArn"].split(":scheduled-query:")[0]]
            out["taken"] = error(logs.create_scheduled_query, name="daily", **common)
            out["sql"] = error(logs.create_scheduled_query, name="sql", **dict(common, queryLanguage="SQL", queryString="SELECT 1"))
            out["no_role"] = error(logs.create_scheduled_query, name="norole", **dict(common, executionRoleArn=role + "-missing"))
            out["bad_schedule"] = error(logs.create_scheduled_query, name="bad", **dict(common, scheduleExpression="daily"))
            logs.create_scheduled_query(name="paused", state="DISABLED", **common)
            got = logs.get_scheduled_query(identifier=created["scheduledQueryArn"])
            out["got"] = [got["name"], got["description"], got["scheduleExpression"], got["timezone"], got["startTimeOffset"], got["state"],
                got["destinationConfiguration"]["s3Configuration"]["destinationIdentifier"], got["logGroupIdentifiers"], "lastTriggeredTime" in got]
            out["enabled"] = [q["name"] for q in logs.list_scheduled_queries(state="ENABLED")["scheduledQueries"]]
            page = logs.list_scheduled_queries(maxResults=1)
            out["paged"] = [len(page["scheduledQueries"]), "nextToken" in page]
            updated = logs.update_scheduled_query(identifier="daily", **dict(common, scheduleExpression="rate(5 minutes)"), state="DISABLED")
            out["updated"] = [updated["scheduleExpression"], updated["state"]]
            out["disabled"] = sorted(q["name"] for q in logs.list_scheduled_queries(state="DISABLED")["scheduledQueries"])
            history = logs.get_scheduled_query_history(identifier="daily", startTime=0, endTime=int(time.time() * 1000), executionStatuses=["Complete"])
            out["history"] = [history["name"], history["triggerHistory"]]
            out["missing"] = error(logs.get_scheduled_query, identifier="nope")
            """);

        Assert.Equal("ENABLED", (string)result["created"]![0]!);
        Assert.StartsWith("arn:aws:logs:us-east-1:", (string)result["created"]![1]!);
        Assert.Equal("ConflictException", (string)result["taken"]!["code"]!);
        Assert.Equal("ValidationException", (string)result["sql"]!["code"]!);
        Assert.Contains("SQL", (string)result["sql"]!["message"]!);
        Assert.Equal("ValidationException", (string)result["no_role"]!["code"]!);
        Assert.Equal("ValidationException", (string)result["bad_schedule"]!["code"]!);
        Assert.Equal("""["daily","every morning","cron(0 9 * * ? *)","Europe/Paris",3600,"ENABLED","s3://s14-schedq-results/daily",["/app/scheduled"],false]""",
            result["got"]!.ToJsonString());
        Assert.Equal("""["daily"]""", result["enabled"]!.ToJsonString());
        Assert.Equal("[1,true]", result["paged"]!.ToJsonString());
        Assert.Equal("""["rate(5 minutes)","DISABLED"]""", result["updated"]!.ToJsonString());
        Assert.Equal("""["daily","paused"]""", result["disabled"]!.ToJsonString());
        Assert.Equal("""["daily",[]]""", result["history"]!.ToJsonString());
        Assert.Equal("ResourceNotFoundException", (string)result["missing"]!["code"]!);

        await server.RestartAsync();
        var after = await Clients.Boto3Async(server.Url, """
            logs = client("logs")
            out["kept"] = sorted(q["name"] for q in logs.list_scheduled_queries()["scheduledQueries"])
            logs.delete_scheduled_query(identifier="daily")
            out["after_delete"] = [q["name"] for q in logs.list_scheduled_queries()["scheduledQueries"]]
            out["delete_again"] = error(logs.delete_scheduled_query, identifier="daily")
            role = client("iam").get_role(RoleName="s14-schedq-role")["Role"]["Arn"]
            cfn = client("cloudformation")
            template = {"Resources": {"Query": {"Type": "AWS::Logs::ScheduledQuery", "Properties": {
                "Name": "from-stack", "QueryLanguage": "CWLI", "QueryString": "stats count(*)", "LogGroupIdentifiers": ["/app/scheduled"],
                "ScheduleExpression": "rate(1 hour)", "ExecutionRoleArn": role,
                "DestinationConfiguration": {"S3Configuration": {"DestinationIdentifier": "s3://s14-schedq-results/stack", "RoleArn": role}}}}},
                "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Query", "ScheduledQueryArn"]}}}}
            cfn.create_stack(StackName="s14-schedq-stack", TemplateBody=json.dumps(template))
            cfn.get_waiter("stack_create_complete").wait(StackName="s14-schedq-stack", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            stack_arn = cfn.describe_stacks(StackName="s14-schedq-stack")["Stacks"][0]["Outputs"][0]["OutputValue"]
            from_stack = logs.get_scheduled_query(identifier="from-stack")
            out["from_stack"] = [from_stack["scheduledQueryArn"] == stack_arn, from_stack["scheduleExpression"], from_stack["state"],
                from_stack["destinationConfiguration"]["s3Configuration"]["destinationIdentifier"]]
            cfn.delete_stack(StackName="s14-schedq-stack")
            cfn.get_waiter("stack_delete_complete").wait(StackName="s14-schedq-stack", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["stack_deleted"] = error(logs.get_scheduled_query, identifier="from-stack")
            """);
        Assert.Equal("""["daily","paused"]""", after["kept"]!.ToJsonString());
        Assert.Equal("""["paused"]""", after["after_delete"]!.ToJsonString());
        Assert.Equal("ResourceNotFoundException", (string)after["delete_again"]!["code"]!);
        Assert.Equal("""[true,"rate(1 hour)","ENABLED","s3://s14-schedq-results/stack"]""", after["from_stack"]!.ToJsonString());
        Assert.Equal("ResourceNotFoundException", (string)after["stack_deleted"]!["code"]!);
    }
}
