using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Logs;

/// <summary>Under `--auth enforce`, reading masked events unmasked also needs logs:Unmask, as on AWS.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LogsUnmaskAuthorizationTests : EnforcedStratusTest
{
    [Fact]
    public async Task Unmask_is_refused_without_logs_Unmask_and_served_with_it()
    {
        var result = await Clients.Boto3Async(Server.Url, $$"""
            ROOT = dict(key="{{RootKey}}", secret="{{RootSecret}}")
            iam, logs = client("iam", **ROOT), client("logs", **ROOT)
            logs.create_log_group(logGroupName="/secure/app")
            logs.create_log_stream(logGroupName="/secure/app", logStreamName="s")
            ids = ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"]
            logs.put_data_protection_policy(logGroupIdentifier="/secure/app", policyDocument=json.dumps({"Statement": [
                {"DataIdentifier": ids, "Operation": {"Audit": {"FindingsDestination": {} } } },
                {"DataIdentifier": ids, "Operation": {"Deidentify": {"MaskConfig": {} } } } ] }))
            logs.put_log_events(logGroupName="/secure/app", logStreamName="s", logEvents=[{"timestamp": int(time.time() * 1000), "message": "to ann@example.com"}])
            def reader(name, actions):
                iam.create_user(UserName=name)
                iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=json.dumps({"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"} ] }))
                k = iam.create_access_key(UserName=name)["AccessKey"]
                return client("logs", key=k["AccessKeyId"], secret=k["SecretAccessKey"])
            plain = reader("plain", ["logs:GetLogEvents"])
            out["masked"] = plain.get_log_events(logGroupName="/secure/app", logStreamName="s")["events"][0]["message"]
            out["refused"] = error(plain.get_log_events, logGroupName="/secure/app", logStreamName="s", unmask=True)
            trusted = reader("trusted", ["logs:GetLogEvents", "logs:Unmask", "logs:StartQuery", "logs:GetQueryResults"])
            out["unmasked"] = trusted.get_log_events(logGroupName="/secure/app", logStreamName="s", unmask=True)["events"][0]["message"]
            # Insights' unmask() needs logs:Unmask on the group as the unmask parameter does.
            querier = reader("querier", ["logs:StartQuery", "logs:GetQueryResults"])
            query = dict(logGroupName="/secure/app", startTime=int(time.time()) - 60, endTime=int(time.time()) + 60)
            out["query_masked"] = querier.start_query(queryString="fields @message", **query)["queryId"] != ""
            out["query_refused"] = error(querier.start_query, queryString="fields unmask(@message) as raw", **query)
            qid = trusted.start_query(queryString="fields unmask(@message) as raw", **query)["queryId"]
            deadline = time.time() + 30
            while True:
                r = trusted.get_query_results(queryId=qid)
                if r["status"] not in ("Scheduled", "Running") or time.time() > deadline: break
                time.sleep(0.1)
            out["query_unmasked"] = [f["value"] for row in r["results"] for f in row if f["field"] == "raw"]
            # An account data protection policy also needs logs:PutDataProtectionPolicy, as AWS documents.
            admin = reader("admin", ["logs:PutAccountPolicy"])
            out["account_policy_refused"] = error(admin.put_account_policy, policyName="p", policyType="DATA_PROTECTION_POLICY", policyDocument="{}")
            """);

        Assert.Equal("to ***************", (string)result["masked"]!);
        Assert.Equal("AccessDeniedException", (string)result["refused"]!["code"]!);
        Assert.Contains("logs:Unmask", (string)result["refused"]!["message"]!);
        Assert.Equal("to ann@example.com", (string)result["unmasked"]!);
        Assert.True((bool)result["query_masked"]!);
        Assert.Equal("AccessDeniedException", (string)result["query_refused"]!["code"]!);
        Assert.Contains("logs:Unmask", (string)result["query_refused"]!["message"]!);
        Assert.Equal("""["to ann@example.com"]""", result["query_unmasked"]!.ToJsonString());
        Assert.Equal("AccessDeniedException", (string)result["account_policy_refused"]!["code"]!);
        Assert.Contains("logs:PutDataProtectionPolicy", (string)result["account_policy_refused"]!["message"]!);
    }
}
