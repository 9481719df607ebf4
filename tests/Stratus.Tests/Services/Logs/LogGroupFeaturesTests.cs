using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Logs;

/// <summary>
/// Log group deletion protection (the API and AWS::Logs::LogGroup), ListLogGroups' filters, GetLogGroupFields and
/// GetLogRecord with Insights' @ptr, through boto3.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LogGroupFeaturesTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task A_protected_group_is_not_deleted_until_protection_is_turned_off()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            logs = client("logs")
            logs.create_log_group(logGroupName="/protect/created-on", deletionProtectionEnabled=True)
            logs.create_log_group(logGroupName="/protect/later")
            def protection(name):
                return [g.get("deletionProtectionEnabled") for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]]
            out["created_on"] = protection("/protect/created-on")
            out["refused"] = error(logs.delete_log_group, logGroupName="/protect/created-on")
            arn = logs.describe_log_groups(logGroupNamePrefix="/protect/later")["logGroups"][0]["logGroupArn"]
            logs.put_log_group_deletion_protection(logGroupIdentifier=arn, deletionProtectionEnabled=True)
            out["by_arn"] = protection("/protect/later")
            out["refused_later"] = error(logs.delete_log_group, logGroupName="/protect/later")
            logs.put_log_group_deletion_protection(logGroupIdentifier="/protect/created-on", deletionProtectionEnabled=False)
            logs.delete_log_group(logGroupName="/protect/created-on")
            out["left"] = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/protect/")["logGroups"]]
            out["missing"] = error(logs.put_log_group_deletion_protection, logGroupIdentifier="/protect/none", deletionProtectionEnabled=True)

            template = {"Resources": {"Group": {"Type": "AWS::Logs::LogGroup", "Properties": {
                "LogGroupName": "/protect/stack", "DeletionProtectionEnabled": True, "LogGroupClass": "INFREQUENT_ACCESS"}}}}
            cfn = client("cloudformation")
            cfn.create_stack(StackName="protected-group", TemplateBody=json.dumps(template))
            cfn.get_waiter("stack_create_complete").wait(StackName="protected-group", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            group = logs.describe_log_groups(logGroupNamePrefix="/protect/stack")["logGroups"][0]
            out["stack_group"] = [group["deletionProtectionEnabled"], group["logGroupClass"]]
            cfn.delete_stack(StackName="protected-group")
            for _ in range(60):
                status = cfn.describe_stacks(StackName="protected-group")["Stacks"][0]["StackStatus"]
                if not status.endswith("IN_PROGRESS"): break
                time.sleep(1)
            out["stack_delete"] = status
            out["still_there"] = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/protect/stack")["logGroups"]]
            logs.put_log_group_deletion_protection(logGroupIdentifier="/protect/stack", deletionProtectionEnabled=False)
            cfn.delete_stack(StackName="protected-group")
            cfn.get_waiter("stack_delete_complete").wait(StackName="protected-group", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["stack_gone"] = logs.describe_log_groups(logGroupNamePrefix="/protect/stack")["logGroups"]
            logs.put_log_group_deletion_protection(logGroupIdentifier="/protect/later", deletionProtectionEnabled=False)
            logs.delete_log_group(logGroupName="/protect/later")
            """);

        Assert.Equal("[true]", result["created_on"]!.ToJsonString());
        Assert.Equal("ValidationException", (string)result["refused"]!["code"]!);
        Assert.Equal("Cannot delete log group with deletion protection enabled. Disable deletion protection first.", (string)result["refused"]!["message"]!);
        Assert.Equal("[true]", result["by_arn"]!.ToJsonString());
        Assert.Equal("ValidationException", (string)result["refused_later"]!["code"]!);
        Assert.Equal("""["/protect/later"]""", result["left"]!.ToJsonString());
        Assert.Equal("ResourceNotFoundException", (string)result["missing"]!["code"]!);
        Assert.Equal("""[true,"INFREQUENT_ACCESS"]""", result["stack_group"]!.ToJsonString());
        Assert.Equal("DELETE_FAILED", (string)result["stack_delete"]!);
        Assert.Equal("""["/protect/stack"]""", result["still_there"]!.ToJsonString());
        Assert.Empty(result["stack_gone"]!.AsArray());
    }

    [Fact]
    public async Task ListLogGroups_matches_name_patterns_classes_and_tags_and_pages()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            logs = client("logs")
            names = ["/list/aws/lambda/orders", "/list/aws/lambda/users", "/list/app/discovery", "/list/app/Discovery", "/other/discovery-x"]
            for name in names: logs.create_log_group(logGroupName=name, tags={"team": "a" if "lambda" in name else "b"})
            logs.create_log_group(logGroupName="/list/cold", logGroupClass="INFREQUENT_ACCESS")
            def listed(**kw):
                return [g["logGroupName"] for g in logs.list_log_groups(**kw)["logGroups"] if g["logGroupName"].startswith(("/list", "/other"))]
            out["prefix_or_substring"] = listed(logGroupNamePattern="^/list/aws|discovery")
            out["case_sensitive"] = listed(logGroupNamePattern="Discovery")
            out["wildcard"] = listed(logGroupNamePattern="lambda/.sers")
            out["class"] = [(g["logGroupName"], g["logGroupClass"]) for g in logs.list_log_groups(logGroupClass="INFREQUENT_ACCESS")["logGroups"]]
            out["tags"] = listed(logGroupTags=[{"key": "team", "values": ["a"]}])
            out["field_index"] = listed(fieldIndexNames=["requestId"])
            out["arn"] = logs.list_log_groups(logGroupNamePattern="^/list/cold")["logGroups"][0]["logGroupArn"].split(":", 5)[5]
            out["pages"], token = [], None
            while True:
                page = logs.list_log_groups(logGroupNamePattern="^/list/", limit=2, **({"nextToken": token} if token else {}))
                out["pages"].append(len(page["logGroups"]))
                token = page.get("nextToken")
                if not token: break
            out["bad_pattern"] = error(logs.list_log_groups, logGroupNamePattern="(a+)+$")
            out["too_many"] = error(logs.list_log_groups, logGroupNamePattern="abc|def|ghi|jkl|mno|pqr")
            out["data_sources"] = error(logs.list_log_groups, dataSources=[{"name": "aws/lambda"}])
            """);

        Assert.Equal("""["/list/app/discovery","/list/aws/lambda/orders","/list/aws/lambda/users","/other/discovery-x"]""", result["prefix_or_substring"]!.ToJsonString());
        Assert.Equal("""["/list/app/Discovery"]""", result["case_sensitive"]!.ToJsonString());
        Assert.Equal("""["/list/aws/lambda/users"]""", result["wildcard"]!.ToJsonString());
        Assert.Equal("""[["/list/cold","INFREQUENT_ACCESS"]]""", result["class"]!.ToJsonString());
        Assert.Equal("""["/list/aws/lambda/orders","/list/aws/lambda/users"]""", result["tags"]!.ToJsonString());
        Assert.Empty(result["field_index"]!.AsArray());
        Assert.Equal("log-group:/list/cold", (string)result["arn"]!);
        Assert.Equal("[2,2,1]", result["pages"]!.ToJsonString());
        Assert.Equal("InvalidParameterException", (string)result["bad_pattern"]!["code"]!);
        Assert.Equal("InvalidParameterException", (string)result["too_many"]!["code"]!);
        Assert.Equal("InvalidParameterException", (string)result["data_sources"]!["code"]!);
    }

    [Fact]
    public async Task Fields_are_discovered_with_their_share_of_events_and_a_ptr_leads_back_to_its_event()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            logs = client("logs")
            logs.create_log_group(logGroupName="/fields/app")
            logs.create_log_stream(logGroupName="/fields/app", logStreamName="s")
            now = int(time.time() * 1000)
            messages = [json.dumps({"level": "INFO", "http": {"status": 200}, "tags": ["a", "b"]}),
                        json.dumps({"level": "ERROR", "http": {"status": 500}}),
                        json.dumps({"level": "INFO"}),
                        "plain text line"]
            logs.put_log_events(logGroupName="/fields/app", logStreamName="s",
                logEvents=[{"timestamp": now - 60000 + i, "message": m} for i, m in enumerate(messages)])
            out["fields"] = [(f["name"], f["percent"]) for f in logs.get_log_group_fields(logGroupName="/fields/app")["logGroupFields"]]
            out["around_old_time"] = logs.get_log_group_fields(logGroupIdentifier="/fields/app", time=now - 3600000)["logGroupFields"]
            out["both_names"] = error(logs.get_log_group_fields, logGroupName="/fields/app", logGroupIdentifier="/fields/app")
            qid = logs.start_query(logGroupName="/fields/app", startTime=now // 1000 - 300, endTime=now // 1000 + 60,
                queryString='filter level = "ERROR" | fields level')["queryId"]
            for _ in range(300):
                r = logs.get_query_results(queryId=qid)
                if r["status"] not in ("Scheduled", "Running"): break
                time.sleep(0.1)
            out["row"] = [f["field"] for f in r["results"][0]]
            ptr = [f["value"] for f in r["results"][0] if f["field"] == "@ptr"][0]
            record = logs.get_log_record(logRecordPointer=ptr)["logRecord"]
            out["record"] = {k: v for k, v in record.items() if k != "@ptr"}
            out["record_ptr"] = record["@ptr"] == ptr
            out["expected_timestamp"] = str(now - 60000 + 1)
            qid = logs.start_query(logGroupName="/fields/app", startTime=now // 1000 - 300, endTime=now // 1000 + 60, queryString="stats count(*) as n")["queryId"]
            for _ in range(300):
                r = logs.get_query_results(queryId=qid)
                if r["status"] not in ("Scheduled", "Running"): break
                time.sleep(0.1)
            out["stats_row"] = [f["field"] for f in r["results"][0]]
            out["bad_ptr"] = error(logs.get_log_record, logRecordPointer="not-a-pointer")
            other = client("logs", region="eu-west-1")
            out["other_region"] = error(other.get_log_record, logRecordPointer=ptr)
            logs.delete_log_stream(logGroupName="/fields/app", logStreamName="s")
            out["deleted"] = error(logs.get_log_record, logRecordPointer=ptr)
            """);

        Assert.Equal("""[["@timestamp",100],["@message",100],["@logStream",100],["@log",100],["@ingestionTime",100],["level",75],["http.status",50],["tags.0",25],["tags.1",25]]""",
            result["fields"]!.ToJsonString());
        Assert.Empty(result["around_old_time"]!.AsArray());
        Assert.Equal("InvalidParameterException", (string)result["both_names"]!["code"]!);
        Assert.Equal("""["level","@ptr"]""", result["row"]!.ToJsonString());
        var record = result["record"]!.AsObject();
        Assert.Equal((string)result["expected_timestamp"]!, (string)record["@timestamp"]!);
        Assert.Equal("""{"level": "ERROR", "http": {"status": 500}}""", (string)record["@message"]!);
        Assert.Equal("s", (string)record["@logStream"]!);
        Assert.EndsWith(":/fields/app", (string)record["@log"]!);
        Assert.Equal("ERROR", (string)record["level"]!);
        Assert.Equal("500", (string)record["http.status"]!);
        Assert.True((bool)result["record_ptr"]!);
        Assert.Equal("""["n"]""", result["stats_row"]!.ToJsonString());
        Assert.Equal("InvalidParameterException", (string)result["bad_ptr"]!["code"]!);
        Assert.Equal("ResourceNotFoundException", (string)result["other_region"]!["code"]!);
        Assert.Equal("ResourceNotFoundException", (string)result["deleted"]!["code"]!);
    }

    [Fact]
    public async Task A_transformer_reshapes_events_at_ingestion_and_queries_see_the_result()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            logs = client("logs")
            logs.create_log_group(logGroupName="/transform/app")
            logs.create_log_stream(logGroupName="/transform/app", logStreamName="s")
            config = [{"parseKeyValue": {"fieldDelimiter": " "}},
                      {"copyValue": {"entries": [{"source": "@logGroupStream", "target": "stream"}]}},
                      {"typeConverter": {"entries": [{"key": "ms", "type": "integer"}]}}]
            def parsed(text):
                try: return json.loads(text)
                except (TypeError, ValueError): return text
            out["tested"] = [(t["eventNumber"], parsed(t.get("transformedEventMessage"))) for t in
                logs.test_transformer(transformerConfig=config, logEventMessages=["user=ann ms=12", "user=bob ms=lots"])["transformedLogs"]]
            logs.put_transformer(logGroupIdentifier="/transform/app", transformerConfig=config)
            got = logs.get_transformer(logGroupIdentifier="/transform/app")
            out["got"] = [got["logGroupIdentifier"].split(":", 5)[5], got["transformerConfig"] == config, got["creationTime"] <= got["lastModifiedTime"]]
            now = int(time.time() * 1000)
            logs.put_log_events(logGroupName="/transform/app", logStreamName="s", logEvents=[
                {"timestamp": now - 2000, "message": "user=ann ms=12"}, {"timestamp": now - 1000, "message": "user=bob ms=lots"}])
            out["stored"] = [parsed(e["message"]) for e in logs.get_log_events(logGroupName="/transform/app", logStreamName="s", startFromHead=True)["events"]]
            out["filtered"] = [parsed(e["message"]) for e in logs.filter_log_events(logGroupName="/transform/app", filterPattern="{ $.ms > 10 }")["events"]]
            qid = logs.start_query(logGroupName="/transform/app", startTime=now // 1000 - 60, endTime=now // 1000 + 60, queryString="stats sum(ms) as total")["queryId"]
            for _ in range(300):
                r = logs.get_query_results(queryId=qid)
                if r["status"] not in ("Scheduled", "Running"): break
                time.sleep(0.1)
            out["total"] = r["results"][0][0]["value"]
            out["not_parser_first"] = error(logs.put_transformer, logGroupIdentifier="/transform/app",
                transformerConfig=[{"addKeys": {"entries": [{"key": "a", "value": "b"}]}}])
            out["not_built"] = error(logs.test_transformer, transformerConfig=[{"grok": {"match": "%{WORD:w}"}}], logEventMessages=["x"])
            logs.delete_transformer(logGroupIdentifier="/transform/app")
            out["after_delete"] = error(logs.get_transformer, logGroupIdentifier="/transform/app")
            logs.put_log_events(logGroupName="/transform/app", logStreamName="s", logEvents=[{"timestamp": now, "message": "user=cid ms=1"}])
            out["untransformed"] = logs.get_log_events(logGroupName="/transform/app", logStreamName="s")["events"][-1]["message"]
            """);

        Assert.Equal("""[[1,{"user":"ann","ms":12,"stream":""}],[2,null]]""", result["tested"]!.ToJsonString());
        Assert.Equal("""["log-group:/transform/app",true,true]""", result["got"]!.ToJsonString());
        Assert.Equal("""[{"user":"ann","ms":12,"stream":"s"},"user=bob ms=lots"]""", result["stored"]!.ToJsonString());
        Assert.Equal("""[{"user":"ann","ms":12,"stream":"s"}]""", result["filtered"]!.ToJsonString());
        Assert.Equal("12", (string)result["total"]!);
        Assert.Equal("InvalidParameterException", (string)result["not_parser_first"]!["code"]!);
        Assert.Contains("first processor", (string)result["not_parser_first"]!["message"]!);
        Assert.Contains("grok", (string)result["not_built"]!["message"]!);
        Assert.Equal("ResourceNotFoundException", (string)result["after_delete"]!["code"]!);
        Assert.Equal("user=cid ms=1", (string)result["untransformed"]!);
    }

    [Fact]
    public async Task A_data_protection_policy_masks_what_it_detects_in_events_ingested_under_it_and_audits_them()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            logs = client("logs")
            for name in ("/dp/app", "/dp/findings"): logs.create_log_group(logGroupName=name)
            logs.create_log_stream(logGroupName="/dp/app", logStreamName="s")
            ids = ["arn:aws:dataprotection::aws:data-identifier/EmailAddress", "arn:aws:dataprotection::aws:data-identifier/CreditCardNumber", "EmployeeId"]
            def policy(identifiers, mask={}):
                return json.dumps({"Name": "protect", "Version": "2021-06-01",
                    "Configuration": {"CustomDataIdentifier": [{"Name": "EmployeeId", "Regex": "EmployeeId-\\d{9}"}]},
                    "Statement": [
                        {"Sid": "audit", "DataIdentifier": identifiers, "Operation": {"Audit": {"FindingsDestination": {"CloudWatchLogs": {"LogGroup": "/dp/findings"}}}}},
                        {"Sid": "redact", "DataIdentifier": identifiers, "Operation": {"Deidentify": {"MaskConfig": mask}}}]})
            now = int(time.time() * 1000)
            logs.put_log_events(logGroupName="/dp/app", logStreamName="s", logEvents=[{"timestamp": now - 5000, "message": "before ann@example.com"}])
            put = logs.put_data_protection_policy(logGroupIdentifier="/dp/app", policyDocument=policy(ids))
            out["put"] = [put["logGroupIdentifier"], json.loads(put["policyDocument"])["Name"]]
            out["get"] = json.loads(logs.get_data_protection_policy(logGroupIdentifier="/dp/app")["policyDocument"])["Statement"][0]["DataIdentifier"]
            out["status"] = logs.describe_log_groups(logGroupNamePrefix="/dp/app")["logGroups"][0].get("dataProtectionStatus")
            logs.put_log_events(logGroupName="/dp/app", logStreamName="s", logEvents=[
                {"timestamp": now - 4000, "message": '{"user": "bob@example.com", "card": "4111 1111 1111 1111", "by": "EmployeeId-123456789"}'},
                {"timestamp": now - 3000, "message": "nothing sensitive"}])
            out["masked"] = [e["message"] for e in logs.get_log_events(logGroupName="/dp/app", logStreamName="s", startFromHead=True)["events"]]
            out["unmasked"] = [e["message"] for e in logs.get_log_events(logGroupName="/dp/app", logStreamName="s", startFromHead=True, unmask=True)["events"]]
            out["filter_hides"] = [e["message"] for e in logs.filter_log_events(logGroupName="/dp/app", filterPattern='"bob@example.com"')["events"]]
            out["filter_unmasked"] = len(logs.filter_log_events(logGroupName="/dp/app", filterPattern='"bob@example.com"', unmask=True)["events"])
            qid = logs.start_query(logGroupName="/dp/app", startTime=now // 1000 - 60, endTime=now // 1000 + 60, queryString="filter ispresent(user) | fields user, card")["queryId"]
            for _ in range(300):
                r = logs.get_query_results(queryId=qid)
                if r["status"] not in ("Scheduled", "Running"): break
                time.sleep(0.1)
            row = {f["field"]: f["value"] for f in r["results"][0]}
            out["insights"] = [row["user"], row["card"]]
            out["record"] = logs.get_log_record(logRecordPointer=row["@ptr"])["logRecord"]["user"]
            out["record_unmasked"] = logs.get_log_record(logRecordPointer=row["@ptr"], unmask=True)["logRecord"]["user"]
            for _ in range(50):
                findings = logs.filter_log_events(logGroupName="/dp/findings")["events"]
                if findings: break
                time.sleep(0.2)
            finding = json.loads(findings[0]["message"])
            out["finding"] = [finding["resourceArn"].split(":", 5)[5], sorted((d["name"], d["count"]) for d in finding["dataIdentifiers"]), len(findings)]
            out["unknown"] = error(logs.put_data_protection_policy, logGroupIdentifier="/dp/app", policyDocument=policy(["Nope"]))
            out["mask_config"] = error(logs.put_data_protection_policy, logGroupIdentifier="/dp/app", policyDocument=policy(ids, {"x": 1}))
            logs.delete_data_protection_policy(logGroupIdentifier="/dp/app")
            out["after_delete"] = logs.get_data_protection_policy(logGroupIdentifier="/dp/app").get("policyDocument")
            out["deleted_status"] = logs.describe_log_groups(logGroupNamePrefix="/dp/app")["logGroups"][0].get("dataProtectionStatus")
            logs.put_log_events(logGroupName="/dp/app", logStreamName="s", logEvents=[{"timestamp": now - 1000, "message": "after cid@example.com"}])
            out["still_masked"] = [e["message"] for e in logs.get_log_events(logGroupName="/dp/app", logStreamName="s", startFromHead=True)["events"]]
            out["delete_again"] = error(logs.delete_data_protection_policy, logGroupIdentifier="/dp/app")
            """);

        Assert.Equal("""["/dp/app","protect"]""", result["put"]!.ToJsonString());
        Assert.Equal(3, result["get"]!.AsArray().Count);
        Assert.Equal("ACTIVATED", (string)result["status"]!);
        var masked = result["masked"]!.AsArray().Select(m => (string)m!).ToList();
        Assert.Equal("before ann@example.com", masked[0]);
        Assert.Equal("""{"user": "***************", "card": "*******************", "by": "********************"}""", masked[1]);
        Assert.Equal("nothing sensitive", masked[2]);
        Assert.Contains("bob@example.com", (string)result["unmasked"]![1]!);
        Assert.Empty(result["filter_hides"]!.AsArray());
        Assert.Equal(1, (int)result["filter_unmasked"]!);
        Assert.Equal("""["***************","*******************"]""", result["insights"]!.ToJsonString());
        Assert.Equal("***************", (string)result["record"]!);
        Assert.Equal("bob@example.com", (string)result["record_unmasked"]!);
        Assert.Equal("""["log-group:/dp/app",[["CreditCardNumber",1],["EmailAddress",1],["EmployeeId",1]],1]""", result["finding"]!.ToJsonString());
        Assert.Equal("InvalidParameterException", (string)result["unknown"]!["code"]!);
        Assert.Equal("InvalidParameterException", (string)result["mask_config"]!["code"]!);
        Assert.Null(result["after_delete"]);
        Assert.Equal("DELETED", (string)result["deleted_status"]!);
        var after = result["still_masked"]!.AsArray().Select(m => (string)m!).ToList();
        Assert.Contains("***************", after[1]);
        Assert.Equal("after cid@example.com", after[3]);
        Assert.Equal("ResourceNotFoundException", (string)result["delete_again"]!["code"]!);
    }
}
