using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>Anomaly detectors, bands and anomaly detection alarms through boto3 (CBOR), and as CloudFormation resources.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class AnomalyDetectorWireTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Detectors_bands_and_alarms_answer_in_AWS_shapes()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            import datetime
            cw = client("cloudwatch")
            now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
            metric = {"Namespace": "Wire", "MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "orders"}]}
            cw.put_metric_data(Namespace="Wire", MetricData=[{"MetricName": "Latency", "Dimensions": metric["Dimensions"], "Value": 10 + (k % 2) * 2 - 1,
                "Timestamp": now - datetime.timedelta(minutes=5 * k)} for k in range(2, 26)])
            cw.put_anomaly_detector(SingleMetricAnomalyDetector=dict(metric, Stat="Average"),
                Configuration={"MetricTimezone": "Europe/Paris", "ExcludedTimeRanges": [{"StartTime": now - datetime.timedelta(days=3), "EndTime": now - datetime.timedelta(days=2)}]},
                MetricCharacteristics={"PeriodicSpikes": True})
            detector = cw.describe_anomaly_detectors(Namespace="Wire")["AnomalyDetectors"][0]
            out["detector"] = [detector["StateValue"], detector["Stat"], detector["SingleMetricAnomalyDetector"]["MetricName"],
                detector["Configuration"]["MetricTimezone"], len(detector["Configuration"]["ExcludedTimeRanges"]), detector["MetricCharacteristics"]]
            queries = [{"Id": "m1", "MetricStat": {"Metric": metric, "Period": 300, "Stat": "Average"}},
                       {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "Label": "expected"}]
            data = cw.get_metric_data(MetricDataQueries=queries, StartTime=now - datetime.timedelta(hours=3), EndTime=now)["MetricDataResults"]
            out["results"] = [(r["Id"], r["Label"], len(r["Values"]) > 0) for r in data]
            out["math_types"] = [len(cw.describe_anomaly_detectors(AnomalyDetectorTypes=["METRIC_MATH"])["AnomalyDetectors"])]
            cw.put_metric_alarm(AlarmName="latency-anomaly", EvaluationPeriods=1, ComparisonOperator="GreaterThanUpperThreshold", ThresholdMetricId="ad1",
                Metrics=[dict(queries[0], ReturnData=True), dict(queries[1], ReturnData=True)])
            alarm = cw.describe_alarms(AlarmNames=["latency-anomaly"])["MetricAlarms"][0]
            out["alarm"] = [alarm["ThresholdMetricId"], "Threshold" in alarm, alarm["ComparisonOperator"], [m["Id"] for m in alarm["Metrics"]]]
            out["both_forms"] = error(cw.put_anomaly_detector, Namespace="Wire", MetricName="Latency", Stat="Average",
                SingleMetricAnomalyDetector=dict(metric, Stat="Average"))
            out["threshold_too"] = error(cw.put_metric_alarm, AlarmName="x", EvaluationPeriods=1, ComparisonOperator="GreaterThanUpperThreshold",
                ThresholdMetricId="ad1", Threshold=3, Metrics=[dict(queries[0], ReturnData=True), dict(queries[1], ReturnData=True)])
            cw.delete_anomaly_detector(SingleMetricAnomalyDetector=dict(metric, Stat="Average"))
            out["deleted_again"] = error(cw.delete_anomaly_detector, SingleMetricAnomalyDetector=dict(metric, Stat="Average"))
            """);

        Assert.Equal("""["TRAINED","Average","Latency","Europe/Paris",1,{"PeriodicSpikes":true}]""", result["detector"]!.ToJsonString());
        Assert.Equal("""[["m1","Latency",true],["ad1","expected Lower",true],["ad1","expected Upper",true]]""", result["results"]!.ToJsonString());
        Assert.Equal("[0]", result["math_types"]!.ToJsonString());
        Assert.Equal("""["ad1",false,"GreaterThanUpperThreshold",["m1","ad1"]]""", result["alarm"]!.ToJsonString());
        Assert.Equal("InvalidParameterCombination", (string)result["both_forms"]!["code"]!);
        Assert.Equal("InvalidParameterCombination", (string)result["threshold_too"]!["code"]!);
        Assert.Equal("ResourceNotFoundException", (string)result["deleted_again"]!["code"]!);
    }

    [Fact]
    public async Task A_template_makes_a_detector_and_an_anomaly_alarm()
    {
        var result = await Clients.Boto3Async(stratus.Url, """
            cw, cfn = client("cloudwatch"), client("cloudformation")
            metric = {"Namespace": "Cfn", "MetricName": "Queue", "Dimensions": [{"Name": "Queue", "Value": "jobs"}]}
            template = {"Resources": {
                "Detector": {"Type": "AWS::CloudWatch::AnomalyDetector", "Properties": {"SingleMetricAnomalyDetector": dict(metric, Stat="Maximum"),
                    "Configuration": {"MetricTimeZone": "Asia/Tokyo"}}},
                "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"AlarmName": "queue-anomaly", "EvaluationPeriods": 2,
                    "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold", "ThresholdMetricId": "band",
                    "Metrics": [{"Id": "queue", "ReturnData": True, "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Maximum"}},
                                {"Id": "band", "ReturnData": True, "Expression": "ANOMALY_DETECTION_BAND(queue, 3)"}]}}}}
            cfn.create_stack(StackName="anomalies", TemplateBody=json.dumps(template))
            cfn.get_waiter("stack_create_complete").wait(StackName="anomalies", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            detectors = cw.describe_anomaly_detectors(Namespace="Cfn")["AnomalyDetectors"]
            out["detector"] = [(d["Stat"], d["Configuration"]["MetricTimezone"], d["StateValue"]) for d in detectors]
            alarm = cw.describe_alarms(AlarmNames=["queue-anomaly"])["MetricAlarms"][0]
            out["alarm"] = [alarm["ThresholdMetricId"], alarm["Metrics"][1]["Expression"]]
            cfn.delete_stack(StackName="anomalies")
            cfn.get_waiter("stack_delete_complete").wait(StackName="anomalies", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            out["after_delete"] = [len(cw.describe_anomaly_detectors(Namespace="Cfn")["AnomalyDetectors"]), len(cw.describe_alarms(AlarmNames=["queue-anomaly"])["MetricAlarms"])]
            """);

        Assert.Equal("""[["Maximum","Asia/Tokyo","PENDING_TRAINING"]]""", result["detector"]!.ToJsonString());
        Assert.Equal("""["band","ANOMALY_DETECTION_BAND(queue, 3)"]""", result["alarm"]!.ToJsonString());
        Assert.Equal("[0,0]", result["after_delete"]!.ToJsonString());
    }
}
