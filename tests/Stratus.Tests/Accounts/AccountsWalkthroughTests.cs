using System.Net;
using Accounts.Functions;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Accounts;

/// <summary>The seed's walkthrough (examples/accounts/deploy.sh) against a fresh Stratus, then teardown.sh.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class AccountsWalkthroughTests
{
    private static readonly string Example = Path.Combine(RepoPaths.Root, "examples", "accounts");

    [Fact]
    public async Task Deploy_serves_the_accounts_page_reports_metrics_and_teardown_leaves_nothing()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();

        var deploy = await Clients.RunAsync("bash", [Path.Combine(Example, "deploy.sh"), server.Url], server.Url, TimeSpan.FromMinutes(10));
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        var stageUrl = deploy.Stdout.Trim().Split('\n')[^1];
        Assert.Matches(@"^http://[a-z0-9]{10}\.execute-api\.localhost:\d+/demo-cct/$", stageUrl);
        Assert.Contains("\"rowsInserted\":12", deploy.Stderr);
        var database = System.Text.RegularExpressions.Regex.Match(deploy.Stderr, @"RDS: endpoint (127\.[\d.]+):(\d+)");
        Assert.True(database.Success, deploy.Stderr);

        using var http = new HttpClient(new SocketsHttpHandler { ConnectCallback = LoopbackForLocalhostNames });
        for (var i = 0; i < 3; i++)
        {
            using var page = await http.GetAsync(stageUrl);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            var html = await page.Content.ReadAsStringAsync();
            foreach (var account in AccountsSchema.SampleAccounts) Assert.Contains(WebUtility.HtmlEncode(account.FullName), html);
        }

        var observed = await Clients.Boto3Async(server.Url, """
            import datetime
            now = datetime.datetime.now(datetime.timezone.utc)
            cw = client("cloudwatch")
            def total(name):
                for _ in range(50):
                    points = cw.get_metric_statistics(Namespace="AWS/Lambda", MetricName=name, Statistics=["Sum"], Period=60,
                        Dimensions=[{"Name": "FunctionName", "Value": "demo-cct-lambda-retrieve-accounts"}],
                        StartTime=now - datetime.timedelta(minutes=15), EndTime=now + datetime.timedelta(minutes=5))["Datapoints"]
                    if sum(p["Sum"] for p in points) >= 3: break
                    time.sleep(0.2)
                return sum(p["Sum"] for p in points)
            out["invocations"] = total("Invocations")
            events = client("logs").filter_log_events(logGroupName="/aws/lambda/demo-cct-lambda-retrieve-accounts")["events"]
            out["reports"] = len([e for e in events if e["message"].startswith("REPORT RequestId")])
            """);
        Assert.Equal(3, observed["invocations"]!.GetValue<double>());
        Assert.Equal(3, observed["reports"]!.GetValue<int>());

        var teardown = await Clients.RunAsync("bash", [Path.Combine(Example, "teardown.sh"), server.Url], server.Url, TimeSpan.FromMinutes(5));
        Assert.True(teardown.ExitCode == 0, teardown.ToString());
        var left = await Clients.Boto3Async(server.Url, """
            out["functions"] = len(client("lambda").list_functions()["Functions"])
            out["apis"] = len(client("apigateway").get_rest_apis()["items"])
            out["roles"] = len(client("iam").list_roles()["Roles"])
            out["databases"] = len(client("rds").describe_db_instances()["DBInstances"])
            """);
        Assert.Equal("""{"functions":0,"apis":0,"roles":0,"databases":0}""", left.ToJsonString());
        using var probe = new System.Net.Sockets.TcpClient();
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() =>
            probe.ConnectAsync(IPAddress.Parse(database.Groups[1].Value), int.Parse(database.Groups[2].Value)));
    }

    /// <summary>*.localhost names are the loopback address, as browsers and curl treat them.</summary>
    private static async ValueTask<Stream> LoopbackForLocalhostNames(SocketsHttpConnectionContext context, CancellationToken cancellation)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, cancellation);
        return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
    }
}
