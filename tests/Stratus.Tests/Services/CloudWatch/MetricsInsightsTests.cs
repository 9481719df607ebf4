using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>Metrics Insights queries in GetMetricData and alarms on them, with their contributors, through boto3.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class MetricsInsightsTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Queries_group_order_and_limit_series_as_the_test_computes_them()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            import datetime
            cw = client("cloudwatch")
            minute = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0) - datetime.timedelta(minutes=2)
            observations = {"h1": [70, 90], "h2": [10], "h3": [60, 40], "h4": [5]}
            data = [{"MetricName": "Latency", "Dimensions": [{"Name": "Host", "Value": h}], "Value": v, "Timestamp": minute + datetime.timedelta(seconds=10)}
                    for h, values in observations.items() for v in values]
            data.append({"MetricName": "Latency", "Dimensions": [{"Name": "Host", "Value": "h1"}, {"Name": "Zone", "Value": "z"}], "Value": 1000, "Timestamp": minute})
            data.append({"MetricName": "Latency", "Value": 500, "Timestamp": minute})
            cw.put_metric_data(Namespace="MiWire", MetricData=data)
            span = dict(StartTime=minute - datetime.timedelta(minutes=5), EndTime=minute + datetime.timedelta(minutes=1))

            def query(*queries):
                return cw.get_metric_data(MetricDataQueries=list(queries), **span)["MetricDataResults"]

            grouped = query({"Id": "q1", "Period": 60,
                "Expression": "SELECT AVG(Latency) FROM SCHEMA(MiWire, Host) WHERE Host != 'h4' GROUP BY Host ORDER BY MAX() DESC LIMIT 2"})
            by_max = sorted((h for h in observations if h != "h4"), key=lambda h: -max(observations[h]))[:2]
            out["grouped"] = [(r["Id"], r["Label"], [float(v) for v in r["Values"]], r["Timestamps"][0] == minute) for r in grouped]
            out["expected_grouped"] = [("q1", h, [sum(observations[h]) / len(observations[h])], True) for h in by_max]
            whole = query({"Id": "q1", "Period": 60, "Expression": "SELECT SUM(Latency) FROM MiWire", "ReturnData": False},
                          {"Id": "e1", "Expression": "q1 * 2", "Label": "doubled"})
            out["whole"] = [(r["Id"], r["Label"], [float(v) for v in r["Values"]]) for r in whole]
            out["expected_whole"] = [("e1", "doubled", [2.0 * (sum(sum(v) for v in observations.values()) + 1000 + 500)])]
            counted = query({"Id": "c", "Period": 60, "Expression": "select count(Latency) from SCHEMA(MiWire, Host, Zone) group by Zone"})
            out["counted"] = [(r["Label"], [float(v) for v in r["Values"]]) for r in counted]
            out["expected_counted"] = [("z", [1.0])]
            widget = {"metrics": [[{"expression": "SELECT MAX(Latency) FROM SCHEMA(MiWire, Host) GROUP BY Host", "id": "q1"}]], "period": 60,
                      "start": (minute - datetime.timedelta(minutes=5)).isoformat(), "end": (minute + datetime.timedelta(minutes=1)).isoformat()}
            out["widget_png"] = cw.get_metric_widget_image(MetricWidget=json.dumps(widget))["MetricWidgetImage"][:4] == b"\x89PNG"
            out["two_queries"] = error(query, {"Id": "a", "Period": 60, "Expression": "SELECT SUM(Latency) FROM MiWire"},
                                              {"Id": "b", "Period": 60, "Expression": "SELECT MAX(Latency) FROM MiWire"})
            out["bad_syntax"] = error(query, {"Id": "a", "Period": 60, "Expression": "SELECT SUM(Latency) FROM MiWire WHERE Host LIKE 'h%'"})
            out["no_period"] = error(query, {"Id": "a", "Expression": "SELECT SUM(Latency) FROM MiWire"})
            """);

        Assert.Equal(result["expected_grouped"]!.ToJsonString(), result["grouped"]!.ToJsonString());
        Assert.Equal(result["expected_whole"]!.ToJsonString(), result["whole"]!.ToJsonString());
        Assert.Equal(result["expected_counted"]!.ToJsonString(), result["counted"]!.ToJsonString());
        Assert.True((bool)result["widget_png"]!);
        foreach (var refused in new[] { "two_queries", "bad_syntax", "no_period" })
        {
            Assert.Equal("ValidationError", (string)result[refused]!["code"]!);
            Assert.Equal(400, (int)result[refused]!["status"]!);
        }
        Assert.Contains("only one Metrics Insights query", (string)result["two_queries"]!["message"]!);
        Assert.Equal("Error in expression 'a': Expected = or != after Host but found 'LIKE'.", (string)result["bad_syntax"]!["message"]!);
        Assert.Contains("must specify a Period", (string)result["no_period"]!["message"]!);
    }

    [Fact]
    public async Task An_alarm_on_a_grouped_query_names_its_breaching_series()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            import datetime, time
            cw = client("cloudwatch")
            now = datetime.datetime.now(datetime.timezone.utc)
            observations = {"a1": [70, 90], "a2": [10], "a3": [60, 40], "a4": [5]}
            cw.put_metric_data(Namespace="MiAlarm", MetricData=[{"MetricName": "Latency", "Dimensions": [{"Name": "Host", "Value": h}], "Value": v,
                "Timestamp": now - datetime.timedelta(seconds=70)} for h, values in observations.items() for v in values])
            threshold = 50
            cw.put_metric_alarm(AlarmName="hosts-slow", EvaluationPeriods=3, DatapointsToAlarm=1, Threshold=threshold, ComparisonOperator="GreaterThanThreshold",
                TreatMissingData="notBreaching",
                Metrics=[{"Id": "q1", "Period": 60, "ReturnData": True, "Expression": "SELECT MAX(Latency) FROM SCHEMA(MiAlarm, Host) GROUP BY Host"}])
            for _ in range(60):
                alarm = cw.describe_alarms(AlarmNames=["hosts-slow"])["MetricAlarms"][0]
                if alarm["StateValue"] == "ALARM": break
                time.sleep(1)
            out["state"] = [alarm["StateValue"], alarm["StateReason"]]
            breaching = sorted(h for h, values in observations.items() if max(values) > threshold)
            out["expected_reason"] = f"{len(breaching)} out of {len(observations)} time series evaluated to ALARM"
            contributors = cw.describe_alarm_contributors(AlarmName="hosts-slow")["AlarmContributors"]
            out["contributors"] = sorted(c["ContributorAttributes"]["Host"] for c in contributors)
            out["expected_contributors"] = breaching
            out["contributor_reasons"] = all(c["StateReason"].startswith("Threshold Crossed: 1 out of the last 3 datapoints") for c in contributors)
            out["distinct_ids"] = len({c["ContributorId"] for c in contributors})
            history = cw.describe_alarm_history(AlarmName="hosts-slow", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
            out["history"] = sorted((h.get("AlarmContributorAttributes", {}).get("Host"), h.get("AlarmContributorId") in {c["ContributorId"] for c in contributors}, h["HistorySummary"])
                                    for h in history if "AlarmContributorId" in h)
            out["alarm_history"] = [h["HistorySummary"] for h in history if "AlarmContributorId" not in h]
            out["missing"] = error(cw.describe_alarm_contributors, AlarmName="nope")
            out["too_long"] = error(cw.put_metric_alarm, AlarmName="too-long", EvaluationPeriods=4, Threshold=1, ComparisonOperator="GreaterThanThreshold",
                Metrics=[{"Id": "q1", "Period": 3600, "ReturnData": True, "Expression": "SELECT MAX(Latency) FROM MiAlarm"}])
            cw.delete_alarms(AlarmNames=["hosts-slow"])
            """);

        Assert.Equal("ALARM", (string)result["state"]![0]!);
        Assert.Equal((string)result["expected_reason"]!, (string)result["state"]![1]!);
        Assert.Equal(result["expected_contributors"]!.ToJsonString(), result["contributors"]!.ToJsonString());
        Assert.True((bool)result["contributor_reasons"]!);
        Assert.Equal(2, (int)result["distinct_ids"]!);
        Assert.Equal("""[["a1",true,"Contributor updated from OK to ALARM"],["a3",true,"Contributor updated from OK to ALARM"]]""", result["history"]!.ToJsonString());
        Assert.Equal("""["Alarm updated from INSUFFICIENT_DATA to ALARM"]""", result["alarm_history"]!.ToJsonString());
        Assert.Equal("ResourceNotFoundException", (string)result["missing"]!["code"]!);
        Assert.Equal("ValidationError", (string)result["too_long"]!["code"]!);
    }
}
