// Puts and reads CloudWatch metrics with the AWS SDK for JavaScript v3, whose CloudWatch client speaks
// AWS JSON 1.0, against the Stratus at STRATUS_URL; prints what it saw as one JSON line.
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";

const cloudwatch = new CloudWatchClient({
  endpoint: process.env.STRATUS_URL,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
});
const now = new Date();
const dimensions = [{ Name: "Page", Value: "home" }];

await cloudwatch.send(new PutMetricDataCommand({
  Namespace: "Js/Test",
  MetricData: [
    { MetricName: "Hits", Value: 3, Unit: "Count", Timestamp: now, Dimensions: dimensions },
    { MetricName: "Hits", Value: 4, Unit: "Count", Timestamp: now, Dimensions: dimensions },
  ],
}));
const statistics = await cloudwatch.send(new GetMetricStatisticsCommand({
  Namespace: "Js/Test", MetricName: "Hits", Dimensions: dimensions,
  StartTime: new Date(now.getTime() - 600_000), EndTime: new Date(now.getTime() + 600_000),
  Period: 60, Statistics: ["Sum", "SampleCount", "Maximum"],
}));
const metrics = await cloudwatch.send(new ListMetricsCommand({ Namespace: "Js/Test" }));
let error = null;
try {
  await cloudwatch.send(new GetMetricStatisticsCommand({ Namespace: "Js/Test", MetricName: "Hits", StartTime: now, EndTime: now, Period: 7, Statistics: ["Sum"] }));
} catch (e) {
  error = { name: e.name, status: e.$metadata?.httpStatusCode };
}

const total = (key) => statistics.Datapoints.reduce((sum, point) => sum + point[key], 0);
console.log(JSON.stringify({
  sum: total("Sum"),
  samples: total("SampleCount"),
  maximum: Math.max(...statistics.Datapoints.map((point) => point.Maximum)),
  metrics: metrics.Metrics.map((metric) => metric.MetricName),
  error,
}));
