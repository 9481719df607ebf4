using System.Net.WebSockets;
using System.Text;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.ApiGatewayV2;

/// <summary>
/// A WebSocket stage's metrics and logs, end to end: a real client connects, sends a message that succeeds and one whose function fails,
/// and closes; the stage's access log has a line per connect, message and disconnect in its format, its execution log (LoggingLevel
/// INFO with DataTraceEnabled) has the message body, and AWS/ApiGateway has ConnectCount, MessageCount, IntegrationError and
/// IntegrationLatency per ApiId and Stage.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class WebSocketTelemetryTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Functions = LambdaScripts.Prelude + """
        ECHO = '''
        def handler(event, context):
            if event.get("body") == "fail":
                raise Exception("asked to fail")
            return {"statusCode": 200, "body": "echo:" + (event.get("body") or "")}
        '''
        v2 = client("apigatewayv2")
        def route(api, key, fn, two_way=False):
            integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn)["IntegrationId"]
            created = v2.create_route(ApiId=api, RouteKey=key, Target="integrations/" + integration, **({"RouteResponseSelectionExpression": "$default"} if two_way else {}))
            if two_way:
                v2.create_route_response(ApiId=api, RouteId=created["RouteId"], RouteResponseKey="$default")

        """;

    [Fact]
    public async Task Connect_messages_and_disconnect_are_logged_and_counted()
    {
        var built = await Clients.Boto3Async(stratus.Url, Functions + """
            fn = create("ws-echo", {"app.py": ECHO}, Timeout=30)["FunctionArn"]
            lam.add_permission(FunctionName="ws-echo", StatementId="apigateway", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
            out["api"] = api = v2.create_api(Name="observed", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
            for key in ["$connect", "$disconnect"]:
                route(api, key, fn)
            route(api, "$default", fn, two_way=True)
            stage = v2.create_stage(ApiId=api, StageName="prod", AutoDeploy=True,
                AccessLogSettings={"DestinationArn": "arn:aws:logs:us-east-1:000000000000:log-group:/ws/access",
                                   "Format": '{"eventType":"$context.eventType","routeKey":"$context.routeKey","status":"$context.status","connectionId":"$context.connectionId"}'},
                DefaultRouteSettings={"LoggingLevel": "INFO", "DataTraceEnabled": True})
            out["logging"] = stage["DefaultRouteSettings"]["LoggingLevel"]
            http_api = v2.create_api(Name="http", ProtocolType="HTTP")["ApiId"]
            try:
                v2.create_stage(ApiId=http_api, StageName="x", DefaultRouteSettings={"LoggingLevel": "INFO"})
                out["http_logging"] = None
            except Exception as e:
                out["http_logging"] = e.response["Error"]["Code"]
            """);
        var apiId = built["api"]!.GetValue<string>();
        Assert.Equal("INFO", built["logging"]!.GetValue<string>());
        Assert.Equal("BadRequestException", built["http_logging"]!.GetValue<string>());

        using (var socket = new ClientWebSocket())
        {
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{stratus.Server.Port}/_aws/execute-api/{apiId}/prod"), CancellationToken.None);
            foreach (var text in new[] { "hello", "fail" })
            {
                await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                var buffer = new byte[4096];
                var received = await socket.ReceiveAsync(buffer, timeout.Token);
                Assert.Equal(WebSocketMessageType.Text, received.MessageType);
            }
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        }

        var observed = await Clients.Boto3Async(stratus.Url, $$"""
            import datetime
            logs, cw = client("logs"), client("cloudwatch")
            def total(metric, statistic="Sum"):
                now = datetime.datetime.now(datetime.timezone.utc)
                stats = cw.get_metric_statistics(Namespace="AWS/ApiGateway", MetricName=metric, StartTime=now - datetime.timedelta(minutes=10),
                    EndTime=now + datetime.timedelta(minutes=1), Period=60, Statistics=[statistic],
                    Dimensions=[{"Name": "ApiId", "Value": "{{apiId}}"}, {"Name": "Stage", "Value": "prod"}])
                return sum(p[statistic] for p in stats["Datapoints"])
            lines = []
            for _ in range(120):
                lines = [json.loads(e["message"]) for e in logs.filter_log_events(logGroupName="/ws/access")["events"]]
                if len(lines) >= 4:
                    break
                time.sleep(0.25)
            out["lines"] = lines
            execution = logs.filter_log_events(logGroupName="API-Gateway-Execution-Logs_{{apiId}}/prod")["events"]
            out["execution"] = "\n".join(e["message"] for e in execution)
            out["connects"] = total("ConnectCount")
            out["messages"] = total("MessageCount")
            out["integration_errors"] = total("IntegrationError")
            out["execution_errors"] = total("ExecutionError")
            out["client_errors"] = total("ClientError")
            out["latencies"] = total("IntegrationLatency", "SampleCount")
            """);
        var lines = observed["lines"]!.AsArray();
        Assert.Equal(4, lines.Count);
        Assert.Contains(lines, l => l!["eventType"]!.GetValue<string>() == "CONNECT" && l["routeKey"]!.GetValue<string>() == "$connect" && l["status"]!.GetValue<string>() == "200");
        Assert.Contains(lines, l => l!["eventType"]!.GetValue<string>() == "MESSAGE" && l["status"]!.GetValue<string>() == "500");
        Assert.Contains(lines, l => l!["eventType"]!.GetValue<string>() == "DISCONNECT" && l["routeKey"]!.GetValue<string>() == "$disconnect");
        Assert.Single(lines.Select(l => l!["connectionId"]!.GetValue<string>()).Distinct());
        var execution = observed["execution"]!.GetValue<string>();
        Assert.Contains("Message body: hello", execution);
        Assert.Contains("Execution failed", execution);
        Assert.Equal(1, observed["connects"]!.GetValue<double>());
        // Two messages in and two answers out (the echo and the failure's error message).
        Assert.Equal(4, observed["messages"]!.GetValue<double>());
        Assert.Equal(1, observed["integration_errors"]!.GetValue<double>());
        Assert.Equal(0, observed["execution_errors"]!.GetValue<double>());
        Assert.Equal(0, observed["client_errors"]!.GetValue<double>());
        Assert.Equal(4, observed["latencies"]!.GetValue<double>());
    }
}
