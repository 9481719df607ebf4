// Tails a log group with the AWS SDK for JavaScript v3 (StartLiveTail's event stream) against the Stratus at STRATUS_URL
// while writing to it; the SDK's "stream-" host prefix is turned off (disableHostPrefix), as against any local endpoint.
// Prints the session start and the messages the updates carried as one JSON line.
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand, StartLiveTailCommand } from "@aws-sdk/client-cloudwatch-logs";

const options = { endpoint: process.env.STRATUS_URL, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
const logs = new CloudWatchLogsClient(options);
const tail = new CloudWatchLogsClient({ ...options, disableHostPrefix: true });
await logs.send(new CreateLogGroupCommand({ logGroupName: "/js/tail" }));
await logs.send(new CreateLogStreamCommand({ logGroupName: "/js/tail", logStreamName: "s" }));

const abort = new AbortController();
const response = await tail.send(new StartLiveTailCommand({ logGroupIdentifiers: ["/js/tail"], logEventFilterPattern: "ERROR" }), { abortSignal: abort.signal });
let start = null;
const messages = [];
const deadline = Date.now() + 90_000;
try {
  for await (const event of response.responseStream) {
    if (event.sessionStart) {
      start = event.sessionStart;
      const now = Date.now();
      await logs.send(new PutLogEventsCommand({ logGroupName: "/js/tail", logStreamName: "s",
        logEvents: [{ timestamp: now, message: "INFO from js" }, { timestamp: now + 1, message: "ERROR from js" }] }));
    } else if (event.sessionUpdate) {
      messages.push(...event.sessionUpdate.sessionResults.map((e) => e.message));
      if (messages.length > 0 || Date.now() > deadline) break;
    }
  }
} finally {
  abort.abort();
}
console.log(JSON.stringify({ start, messages }));
process.exit(0);
