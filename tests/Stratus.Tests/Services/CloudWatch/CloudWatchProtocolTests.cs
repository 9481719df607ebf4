using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>
/// CloudWatch through real clients: boto3 (RPC v2 CBOR) for breadth, and the same data put and read
/// through AWS JSON 1.0 and Query with raw requests signed by botocore's SigV4Auth, plus the aws CLI v2
/// (Query) when it is installed.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CloudWatchProtocolTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    /// <summary>Signed raw requests in JSON 1.0 and Query, for the protocols boto3 no longer speaks.</summary>
    private const string RawProtocols = """
        import urllib.request, urllib.parse, xml.etree.ElementTree as ET, datetime
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        def signed(body, headers):
            request = AWSRequest(method="POST", url=URL + "/", data=body, headers=headers)
            SigV4Auth(Credentials("test", "test"), "monitoring", "us-east-1").add_auth(request)
            raw = urllib.request.Request(URL + "/", data=body, headers=dict(request.headers.items()), method="POST")
            try:
                with urllib.request.urlopen(raw) as response:
                    return response.status, response.read(), dict(response.headers)
            except urllib.error.HTTPError as e:
                return e.code, e.read(), dict(e.headers)
        def json10(operation, payload):
            status, body, headers = signed(json.dumps(payload).encode(), {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "GraniteServiceVersion20100801." + operation})
            return status, json.loads(body or b"{}"), headers
        NS = "{http://monitoring.amazonaws.com/doc/2010-08-01/}"
        def query(action, params):
            status, body, headers = signed(urllib.parse.urlencode({"Action": action, "Version": "2010-08-01", **params}).encode(), {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
            return status, ET.fromstring(body), headers
        def iso(t): return t.strftime("%Y-%m-%dT%H:%M:%SZ")

        """;

    [Fact]
    public async Task Boto3_puts_and_reads_metrics_with_statistics_percentiles_and_metric_math()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            import datetime
            cw = client("cloudwatch")
            now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0) - datetime.timedelta(minutes=10)
            dims = [{"Name": "FunctionName", "Value": "orders"}]
            cw.put_metric_data(Namespace="Shop", MetricData=[
                {"MetricName": "Duration", "Dimensions": dims, "Timestamp": now, "Value": 5, "Unit": "Milliseconds"},
                {"MetricName": "Duration", "Dimensions": dims, "Timestamp": now + datetime.timedelta(seconds=30), "Values": [1, 2, 3, 100], "Counts": [1, 1, 1, 2], "Unit": "Milliseconds"},
                {"MetricName": "Duration", "Dimensions": dims, "Timestamp": now + datetime.timedelta(minutes=1), "StatisticValues": {"SampleCount": 2, "Sum": 10, "Minimum": 4, "Maximum": 6}, "Unit": "Milliseconds"},
                {"MetricName": "Invocations", "Dimensions": dims, "Timestamp": now, "Value": 3, "Unit": "Count"},
                {"MetricName": "Invocations", "Dimensions": dims, "Timestamp": now + datetime.timedelta(minutes=1), "Value": 4, "Unit": "Count"},
                {"MetricName": "Errors", "Dimensions": dims, "Timestamp": now, "Value": 1, "Unit": "Count"},
                {"MetricName": "Errors", "Dimensions": dims, "Timestamp": now + datetime.timedelta(minutes=1), "Value": 2, "Unit": "Count"},
                {"MetricName": "Clicks", "Dimensions": [{"Name": "Page", "Value": "home"}], "Timestamp": now, "Value": 1, "StorageResolution": 1},
            ])
            window = dict(StartTime=now, EndTime=now + datetime.timedelta(minutes=5))
            stats = cw.get_metric_statistics(Namespace="Shop", MetricName="Duration", Dimensions=dims, Period=60,
                Statistics=["SampleCount", "Sum", "Average", "Minimum", "Maximum"], **window)
            out["stats"] = sorted([{k: p[k] for k in sorted(p) if k != "Timestamp"} for p in stats["Datapoints"]], key=lambda p: p["SampleCount"])
            whole = cw.get_metric_statistics(Namespace="Shop", MetricName="Duration", Dimensions=dims, Period=300, ExtendedStatistics=["p50", "p99"], **window)
            out["percentiles"] = whole["Datapoints"][0]["ExtendedStatistics"]
            data = cw.get_metric_data(ScanBy="TimestampAscending", MetricDataQueries=[
                {"Id": "inv", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Invocations", "Dimensions": dims}, "Period": 60, "Stat": "Sum"}},
                {"Id": "err", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Errors", "Dimensions": dims}, "Period": 60, "Stat": "Sum"}, "ReturnData": False},
                {"Id": "rate", "Expression": "100 * err / inv", "Label": "Error rate"},
                {"Id": "total", "Expression": "SUM(METRICS())"},
                {"Id": "avg", "Expression": "AVG(inv)"},
            ], **window)
            out["data"] = {r["Id"]: {"label": r["Label"], "values": r["Values"], "status": r["StatusCode"], "count": len(r["Timestamps"])} for r in data["MetricDataResults"]}
            descending = cw.get_metric_data(MetricDataQueries=[{"Id": "inv", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Invocations", "Dimensions": dims}, "Period": 60, "Stat": "Sum"}}], **window)
            out["descending"] = descending["MetricDataResults"][0]["Values"]
            first = cw.get_metric_data(MaxDatapoints=1, ScanBy="TimestampAscending", MetricDataQueries=[{"Id": "inv", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Invocations", "Dimensions": dims}, "Period": 60, "Stat": "Sum"}}], **window)
            second = cw.get_metric_data(MaxDatapoints=1, ScanBy="TimestampAscending", NextToken=first["NextToken"], MetricDataQueries=[{"Id": "inv", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Invocations", "Dimensions": dims}, "Period": 60, "Stat": "Sum"}}], **window)
            out["pages"] = [first["MetricDataResults"][0]["Values"], first["MetricDataResults"][0]["StatusCode"], second["MetricDataResults"][0]["Values"], "NextToken" in second]
            hires = cw.get_metric_statistics(Namespace="Shop", MetricName="Clicks", Dimensions=[{"Name": "Page", "Value": "home"}], Period=1, Statistics=["Sum"],
                StartTime=now - datetime.timedelta(seconds=5), EndTime=now + datetime.timedelta(seconds=5))
            out["hires"] = [p["Sum"] for p in hires["Datapoints"]]
            out["list_all"] = sorted(m["MetricName"] for m in cw.list_metrics(Namespace="Shop")["Metrics"])
            out["list_name"] = len(cw.list_metrics(Namespace="Shop", MetricName="Errors")["Metrics"])
            out["list_dim"] = sorted(m["MetricName"] for m in cw.list_metrics(Dimensions=[{"Name": "Page"}])["Metrics"])
            out["list_dim_value"] = len(cw.list_metrics(Dimensions=[{"Name": "FunctionName", "Value": "other"}])["Metrics"])
            out["list_paginated"] = sum(len(p["Metrics"]) for p in cw.get_paginator("list_metrics").paginate(Namespace="Shop"))
            # boto3 gzips PutMetricData bodies over 10 KB (the model's request compression).
            cw.put_metric_data(Namespace="Bulk", MetricData=[{"MetricName": "M", "Dimensions": [{"Name": "Shard", "Value": str(i)}], "Value": i} for i in range(1000)])
            out["bulk"] = sum(len(p["Metrics"]) for p in cw.get_paginator("list_metrics").paginate(Namespace="Bulk"))
            out["err_aws_namespace"] = error(cw.put_metric_data, Namespace="AWS/Lambda", MetricData=[{"MetricName": "x", "Value": 1}])
            out["err_both"] = error(cw.put_metric_data, Namespace="Shop", MetricData=[{"MetricName": "x", "Value": 1, "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}])
            out["err_stats"] = error(cw.get_metric_statistics, Namespace="Shop", MetricName="Duration", Period=60, StartTime=now, EndTime=now + datetime.timedelta(minutes=1))
            out["err_period"] = error(cw.get_metric_statistics, Namespace="Shop", MetricName="Duration", Period=7, Statistics=["Sum"], StartTime=now, EndTime=now + datetime.timedelta(minutes=1))
            out["err_math"] = error(cw.get_metric_data, MetricDataQueries=[{"Id": "e1", "Expression": "nope * 2"}], **window)
            """);

        Assert.Equal("""[{"Average":5,"Maximum":6,"Minimum":4,"SampleCount":2,"Sum":10,"Unit":"Milliseconds"},{"Average":35.166666666666664,"Maximum":100,"Minimum":1,"SampleCount":6,"Sum":211,"Unit":"Milliseconds"}]""",
            result["stats"]!.ToJsonString());
        Assert.Equal("""{"p50":3,"p99":100}""", result["percentiles"]!.ToJsonString());
        var data = result["data"]!;
        Assert.Equal("[3,4]", data["inv"]!["values"]!.ToJsonString());
        Assert.Null(data["err"]);
        Assert.Equal("Error rate", data["rate"]!["label"]!.GetValue<string>());
        Assert.Equal("[33.333333333333336,50]", data["rate"]!["values"]!.ToJsonString());
        Assert.Equal("[4,6]", data["total"]!["values"]!.ToJsonString());
        Assert.Equal("[3.5,3.5]", data["avg"]!["values"]!.ToJsonString());
        Assert.Equal("Complete", data["inv"]!["status"]!.GetValue<string>());
        Assert.Equal("[4,3]", result["descending"]!.ToJsonString());
        Assert.Equal("""[[3],"PartialData",[4],false]""", result["pages"]!.ToJsonString());
        Assert.Equal("[1]", result["hires"]!.ToJsonString());
        Assert.Equal("""["Clicks","Duration","Errors","Invocations"]""", result["list_all"]!.ToJsonString());
        Assert.Equal(1, result["list_name"]!.GetValue<int>());
        Assert.Equal("""["Clicks"]""", result["list_dim"]!.ToJsonString());
        Assert.Equal(0, result["list_dim_value"]!.GetValue<int>());
        Assert.Equal(4, result["list_paginated"]!.GetValue<int>());
        Assert.Equal(1000, result["bulk"]!.GetValue<int>());
        AssertError(result["err_aws_namespace"], "InvalidParameterValue", "The value AWS/Lambda for parameter Namespace is invalid.");
        AssertError(result["err_both"], "InvalidParameterCombination", "mutually exclusive");
        AssertError(result["err_stats"], "InvalidParameterCombination", "Must specify either Statistics or ExtendedStatistics");
        AssertError(result["err_period"], "InvalidParameterValue", "Period");
        AssertError(result["err_math"], "ValidationError", "nope");
    }

    [Fact]
    public async Task Boto3_manages_alarms_their_state_history_and_actions()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            # Without data and with TreatMissingData=ignore, the evaluator leaves the states this test sets alone.
            cw = client("cloudwatch")
            fn = "arn:aws:lambda:us-east-1:000000000000:function:pager"
            dims = [{"Name": "FunctionName", "Value": "orders"}]
            for name in ["orders-errors", "orders-latency"]:
                cw.put_metric_alarm(AlarmName=name, Namespace="AlarmShop", MetricName="Errors" if name.endswith("errors") else "Duration", Dimensions=dims,
                    Statistic="Sum", Period=60, EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                    TreatMissingData="ignore", AlarmActions=[fn], AlarmDescription="page someone")
            alarm = cw.describe_alarms(AlarmNames=["orders-errors"])["MetricAlarms"][0]
            out["alarm"] = {k: alarm[k] for k in ["AlarmName", "AlarmArn", "StateValue", "StateReason", "Period", "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData", "AlarmActions", "ActionsEnabled", "Dimensions"]}
            out["prefix"] = [a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix="orders-")["MetricAlarms"]]
            out["for_metric"] = [a["AlarmName"] for a in cw.describe_alarms_for_metric(Namespace="AlarmShop", MetricName="Errors", Dimensions=dims)["MetricAlarms"]]
            cw.set_alarm_state(AlarmName="orders-errors", StateValue="ALARM", StateReason="testing", StateReasonData='{"by":"test"}')
            arn = cw.describe_alarms(AlarmNames=["orders-errors"])["MetricAlarms"][0]["AlarmArn"]
            cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "shop"}, {"Key": "tier", "Value": "1"}])
            cw.untag_resource(ResourceARN=arn, TagKeys=["tier"])
            out["tags"] = cw.list_tags_for_resource(ResourceARN=arn)["Tags"]
            out["by_state"] = [a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix="orders-", StateValue="ALARM")["MetricAlarms"]]
            cw.disable_alarm_actions(AlarmNames=["orders-errors"])
            out["actions_disabled"] = cw.describe_alarms(AlarmNames=["orders-errors"])["MetricAlarms"][0]["ActionsEnabled"]
            cw.enable_alarm_actions(AlarmNames=["orders-errors"])
            out["actions_enabled"] = cw.describe_alarms(AlarmNames=["orders-errors"])["MetricAlarms"][0]["ActionsEnabled"]
            history = cw.describe_alarm_history(AlarmName="orders-errors")["AlarmHistoryItems"]
            out["history"] = [(h["HistoryItemType"], h["HistorySummary"]) for h in history]
            out["state_history"] = json.loads(cw.describe_alarm_history(AlarmName="orders-errors", HistoryItemType="StateUpdate")["AlarmHistoryItems"][0]["HistoryData"])["newState"]["stateValue"]
            out["err_state"] = error(cw.set_alarm_state, AlarmName="nope", StateValue="OK", StateReason="x")
            out["err_reason_data"] = error(cw.set_alarm_state, AlarmName="orders-errors", StateValue="OK", StateReason="x", StateReasonData="not json")
            out["err_duplicate_tag"] = error(cw.tag_resource, ResourceARN=arn, Tags=[{"Key": "team", "Value": "a"}, {"Key": "team", "Value": "b"}])
            out["err_operator"] = error(cw.put_metric_alarm, AlarmName="bad", Namespace="A", MetricName="B", Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="Sideways")
            out["err_delete"] = error(cw.delete_alarms, AlarmNames=["orders-errors", "nope"])
            cw.delete_alarms(AlarmNames=["orders-errors", "orders-latency"])
            out["after_delete"] = len(cw.describe_alarms(AlarmNamePrefix="orders-")["MetricAlarms"])
            """);

        Assert.Equal("""{"AlarmName":"orders-errors","AlarmArn":"arn:aws:cloudwatch:us-east-1:000000000000:alarm:orders-errors","StateValue":"INSUFFICIENT_DATA","StateReason":"Unchecked: Initial alarm creation","Period":60,"EvaluationPeriods":3,"DatapointsToAlarm":2,"Threshold":1,"ComparisonOperator":"GreaterThanOrEqualToThreshold","TreatMissingData":"ignore","AlarmActions":["arn:aws:lambda:us-east-1:000000000000:function:pager"],"ActionsEnabled":true,"Dimensions":[{"Name":"FunctionName","Value":"orders"}]}""",
            result["alarm"]!.ToJsonString());
        Assert.Equal("""["orders-errors","orders-latency"]""", result["prefix"]!.ToJsonString());
        Assert.Equal("""["orders-errors"]""", result["for_metric"]!.ToJsonString());
        Assert.Equal("""["orders-errors"]""", result["by_state"]!.ToJsonString());
        Assert.Equal("""[{"Key":"team","Value":"shop"}]""", result["tags"]!.ToJsonString());
        Assert.False(result["actions_disabled"]!.GetValue<bool>());
        Assert.True(result["actions_enabled"]!.GetValue<bool>());
        var history = result["history"]!.AsArray().Select(h => h![0]!.GetValue<string>() + ": " + h[1]!.GetValue<string>()).ToList();
        Assert.Contains("StateUpdate: Alarm updated from INSUFFICIENT_DATA to ALARM", history);
        Assert.Contains("ConfigurationUpdate: Alarm \"orders-errors\" created", history);
        // The ALARM action targets a function Lambda cannot run yet in this build, and says so in the history.
        Assert.Contains(history, h => h.StartsWith("Action: ", StringComparison.Ordinal));
        Assert.Equal("ALARM", result["state_history"]!.GetValue<string>());
        AssertError(result["err_state"], "ResourceNotFound", "Alarm nope not found", 404);
        AssertError(result["err_reason_data"], "InvalidFormat", "JSON");
        AssertError(result["err_duplicate_tag"], "InvalidParameterValue", "INVALID_TAGS");
        // The model's enum, checked before the operation runs: CloudWatch's ValidationError in Smithy's wording.
        AssertError(result["err_operator"], "ValidationError", "Value 'Sideways' at 'comparisonOperator' failed to satisfy constraint");
        AssertError(result["err_delete"], "ResourceNotFound", "nope", 404);
        Assert.Equal(0, result["after_delete"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_alarm_goes_from_OK_to_ALARM_and_back_as_its_metric_breaches_and_recovers()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            import datetime
            cw = client("cloudwatch")
            dims = [{"Name": "FunctionName", "Value": "flaky"}]
            cw.put_metric_alarm(AlarmName="flaky-errors", Namespace="Live", MetricName="Errors", Dimensions=dims, Statistic="Sum", Period=10,
                EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching")
            def wait_for(state, timeout=40):
                deadline = time.time() + timeout
                while time.time() < deadline:
                    alarm = cw.describe_alarms(AlarmNames=["flaky-errors"])["MetricAlarms"][0]
                    if alarm["StateValue"] == state: return alarm
                    time.sleep(0.5)
                raise Exception("alarm never reached " + state + ": " + json.dumps(alarm, default=str))
            out["first"] = wait_for("OK")["StateValue"]
            cw.put_metric_data(Namespace="Live", MetricData=[{"MetricName": "Errors", "Dimensions": dims, "Value": 3, "StorageResolution": 1, "Unit": "Count"}])
            alarmed = wait_for("ALARM")
            out["reason"] = alarmed["StateReason"]
            out["recovered"] = wait_for("OK")["StateValue"]
            out["transitions"] = [h["HistorySummary"] for h in cw.describe_alarm_history(AlarmName="flaky-errors", HistoryItemType="StateUpdate", ScanBy="TimestampAscending")["AlarmHistoryItems"]]
            """);

        Assert.Equal("OK", result["first"]!.GetValue<string>());
        Assert.StartsWith("Threshold Crossed: 1 out of the last 1 datapoints [3 (", result["reason"]!.GetValue<string>());
        Assert.Equal("OK", result["recovered"]!.GetValue<string>());
        Assert.Equal("""["Alarm updated from INSUFFICIENT_DATA to OK","Alarm updated from OK to ALARM","Alarm updated from ALARM to OK"]""",
            result["transitions"]!.ToJsonString());
    }

    [Fact]
    public async Task The_same_data_reads_the_same_through_CBOR_JSON_and_Query()
    {
        var result = await Clients.Boto3Async(stratus.Url, RawProtocols + """
            cw = client("cloudwatch")
            now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0) - datetime.timedelta(minutes=5)
            values, counts = [1, 2, 3, 100], [1, 1, 1, 2]
            cw.put_metric_data(Namespace="Proto/cbor", MetricData=[{"MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "a"}], "Timestamp": now, "Values": values, "Counts": counts, "Unit": "Milliseconds"}])
            status, _, _ = json10("PutMetricData", {"Namespace": "Proto/json", "MetricData": [{"MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "a"}], "Timestamp": now.timestamp(), "Values": values, "Counts": counts, "Unit": "Milliseconds"}]})
            out["json_put"] = status
            form = {"Namespace": "Proto/query", "MetricData.member.1.MetricName": "Latency", "MetricData.member.1.Dimensions.member.1.Name": "Api",
                    "MetricData.member.1.Dimensions.member.1.Value": "a", "MetricData.member.1.Timestamp": iso(now), "MetricData.member.1.Unit": "Milliseconds"}
            for i, (v, c) in enumerate(zip(values, counts), 1):
                form[f"MetricData.member.1.Values.member.{i}"] = str(v)
                form[f"MetricData.member.1.Counts.member.{i}"] = str(c)
            status, _, _ = query("PutMetricData", form)
            out["query_put"] = status
            window = {"StartTime": now, "EndTime": now + datetime.timedelta(minutes=1)}
            answers = {}
            for ns in ["Proto/cbor", "Proto/json", "Proto/query"]:
                p = cw.get_metric_statistics(Namespace=ns, MetricName="Latency", Dimensions=[{"Name": "Api", "Value": "a"}], Period=60, Statistics=["Sum", "SampleCount", "Maximum"], **window)["Datapoints"][0]
                answers["cbor " + ns] = f'{float(p["Sum"]):g}/{float(p["SampleCount"]):g}/{float(p["Maximum"]):g}/{p["Unit"]}'
                _, j, _ = json10("GetMetricStatistics", {"Namespace": ns, "MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "a"}], "Period": 60,
                    "Statistics": ["Sum", "SampleCount", "Maximum"], "StartTime": now.timestamp(), "EndTime": (now + datetime.timedelta(minutes=1)).timestamp()})
                p = j["Datapoints"][0]
                answers["json " + ns] = f'{float(p["Sum"]):g}/{float(p["SampleCount"]):g}/{float(p["Maximum"]):g}/{p["Unit"]}'
                _, x, _ = query("GetMetricStatistics", {"Namespace": ns, "MetricName": "Latency", "Dimensions.member.1.Name": "Api", "Dimensions.member.1.Value": "a",
                    "Period": "60", "Statistics.member.1": "Sum", "Statistics.member.2": "SampleCount", "Statistics.member.3": "Maximum",
                    "StartTime": iso(now), "EndTime": iso(now + datetime.timedelta(minutes=1))})
                p = x.find(f"{NS}GetMetricStatisticsResult/{NS}Datapoints/{NS}member")
                answers["query " + ns] = f'{float(p.find(NS + "Sum").text):g}/{float(p.find(NS + "SampleCount").text):g}/{float(p.find(NS + "Maximum").text):g}/{p.find(NS + "Unit").text}'
            out["answers"] = answers
            _, j, _ = json10("GetMetricStatistics", {"Namespace": "Proto/query", "MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "a"}], "Period": 60,
                "ExtendedStatistics": ["p99"], "StartTime": now.timestamp(), "EndTime": (now + datetime.timedelta(minutes=1)).timestamp()})
            out["json_p99"] = j["Datapoints"][0]["ExtendedStatistics"]["p99"]
            _, x, _ = query("GetMetricStatistics", {"Namespace": "Proto/json", "MetricName": "Latency", "Dimensions.member.1.Name": "Api", "Dimensions.member.1.Value": "a",
                "Period": "60", "ExtendedStatistics.member.1": "p99", "StartTime": iso(now), "EndTime": iso(now + datetime.timedelta(minutes=1))})
            entry = x.find(f"{NS}GetMetricStatisticsResult/{NS}Datapoints/{NS}member/{NS}ExtendedStatistics/{NS}entry")
            out["query_p99"] = [entry.find(NS + "key").text, f'{float(entry.find(NS + "value").text):g}']
            _, x, _ = query("GetMetricData", {"StartTime": iso(now), "EndTime": iso(now + datetime.timedelta(minutes=1)),
                "MetricDataQueries.member.1.Id": "m", "MetricDataQueries.member.1.MetricStat.Metric.Namespace": "Proto/json",
                "MetricDataQueries.member.1.MetricStat.Metric.MetricName": "Latency", "MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name": "Api",
                "MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value": "a", "MetricDataQueries.member.1.MetricStat.Period": "60",
                "MetricDataQueries.member.1.MetricStat.Stat": "Average", "MetricDataQueries.member.2.Id": "double", "MetricDataQueries.member.2.Expression": "m * 2"})
            out["query_data"] = [f"{float(v.text):g}" for values in x.iter(NS + "Values") for v in values]
            status, j, headers = json10("PutMetricData", {"Namespace": "AWS/EC2", "MetricData": [{"MetricName": "x", "Value": 1}]})
            out["json_error"] = [status, j.get("__type"), headers.get("x-amzn-query-error")]
            status, x, _ = query("PutMetricData", {"Namespace": "AWS/EC2", "MetricData.member.1.MetricName": "x", "MetricData.member.1.Value": "1"})
            out["query_error"] = [status, x.find(f"{NS}Error/{NS}Code").text, x.find(f"{NS}Error/{NS}Type").text]
            """);

        Assert.Equal(200, result["json_put"]!.GetValue<int>());
        Assert.Equal(200, result["query_put"]!.GetValue<int>());
        var answers = result["answers"]!.AsObject();
        Assert.Equal(9, answers.Count);
        Assert.All(answers, a => Assert.Equal("206/5/100/Milliseconds", a.Value!.GetValue<string>()));
        Assert.Equal(100, result["json_p99"]!.GetValue<double>());
        Assert.Equal("""["p99","100"]""", result["query_p99"]!.ToJsonString());
        Assert.Equal("""["41.2","82.4"]""", result["query_data"]!.ToJsonString());
        Assert.Equal("""[400,"InvalidParameterValue","InvalidParameterValue;Sender"]""", result["json_error"]!.ToJsonString());
        Assert.Equal("""[400,"InvalidParameterValue","Sender"]""", result["query_error"]!.ToJsonString());
    }

    [Fact]
    public async Task The_aws_CLI_v2_speaks_Query_to_CloudWatch()
    {
        var cli = AwsCliV2.Path;
        var put = await Clients.RunAsync(cli, ["--endpoint-url", stratus.Url, "--region", "us-east-1", "cloudwatch", "put-metric-data",
            "--namespace", "CliV2", "--metric-data", """[{"MetricName":"Latency","Dimensions":[{"Name":"Api","Value":"orders"}],"Unit":"Milliseconds","Values":[10,20,30],"Counts":[1,1,2]}]"""],
            stratus.Url, TimeSpan.FromMinutes(2));
        Assert.True(put.ExitCode == 0, put.ToString());
        var start = DateTime.UtcNow.AddMinutes(-5).ToString("yyyy-MM-ddTHH:mm:ssZ");
        var end = DateTime.UtcNow.AddMinutes(1).ToString("yyyy-MM-ddTHH:mm:ssZ");

        var stats = await Clients.RunAsync(cli, ["--endpoint-url", stratus.Url, "--region", "us-east-1", "cloudwatch", "get-metric-statistics",
            "--namespace", "CliV2", "--metric-name", "Latency", "--dimensions", "Name=Api,Value=orders", "--period", "360",
            "--start-time", start, "--end-time", end, "--statistics", "Sum", "SampleCount", "--output", "json"], stratus.Url, TimeSpan.FromMinutes(2));
        Assert.True(stats.ExitCode == 0, stats.ToString());
        var point = JsonNode.Parse(stats.Stdout)!["Datapoints"]![0]!;
        Assert.Equal(90, point["Sum"]!.GetValue<double>());
        Assert.Equal(4, point["SampleCount"]!.GetValue<double>());

        var listed = await Clients.RunAsync(cli, ["--endpoint-url", stratus.Url, "--region", "us-east-1", "cloudwatch", "list-metrics", "--namespace", "CliV2",
            "--query", "Metrics[].Dimensions[0].Value", "--output", "text"], stratus.Url, TimeSpan.FromMinutes(2));
        Assert.Equal("orders", listed.Stdout.Trim());

        var alarm = await Clients.RunAsync(cli, ["--endpoint-url", stratus.Url, "--region", "us-east-1", "cloudwatch", "put-metric-alarm",
            "--alarm-name", "cli-v2-latency", "--namespace", "CliV2", "--metric-name", "Latency", "--dimensions", "Name=Api,Value=orders",
            "--extended-statistic", "p99", "--period", "60", "--evaluation-periods", "1", "--threshold", "25",
            "--comparison-operator", "GreaterThanThreshold", "--treat-missing-data", "ignore"], stratus.Url, TimeSpan.FromMinutes(2));
        Assert.True(alarm.ExitCode == 0, alarm.ToString());
        var described = await Clients.RunAsync(cli, ["--endpoint-url", stratus.Url, "--region", "us-east-1", "cloudwatch", "describe-alarms",
            "--alarm-names", "cli-v2-latency", "--output", "json"], stratus.Url, TimeSpan.FromMinutes(2));
        var metricAlarm = JsonNode.Parse(described.Stdout)!["MetricAlarms"]![0]!;
        Assert.Equal("p99", metricAlarm["ExtendedStatistic"]!.GetValue<string>());
        Assert.Equal("orders", metricAlarm["Dimensions"]![0]!["Value"]!.GetValue<string>());
        Assert.Equal(25, metricAlarm["Threshold"]!.GetValue<double>());
    }

    private static void AssertError(JsonNode? error, string code, string messagePart, int status = 400)
    {
        Assert.NotNull(error);
        Assert.Equal(code, error["code"]!.GetValue<string>());
        Assert.Contains(messagePart, error["message"]!.GetValue<string>());
        Assert.Equal(status, error["status"]!.GetValue<int>());
    }
}
