using System.Net;
using Accounts.Functions;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Accounts;

/// <summary>examples/accounts/stack.yml through `aws cloudformation package` and `deploy`, as a user would deploy it, on Stratus as on AWS.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class AccountsStackTests
{
    [Fact]
    public async Task Stack_deploys_serves_the_page_reports_no_changes_again_and_deletes_everything()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        // The same commands as on AWS: package uploads the functions' folder to a bucket and rewrites their Code, deploy deploys the result.
        await AccountsExample.PrepareAsync(server.Url, "accounts-artifacts");
        var packaged = Path.Combine(Path.GetTempPath(), $"stratus-accounts-{Guid.NewGuid():N}.yml");
        string[] deploy = ["cloudformation", "deploy", "--template-file", packaged, "--stack-name", "accounts",
            "--capabilities", "CAPABILITY_IAM", "--parameter-overrides", "DatabasePassword=demo-cct-password"];

        await AccountsExample.PackageAsync(server.Url, "stack.yml", "accounts-artifacts", packaged);
        Assert.Contains("S3Bucket: accounts-artifacts", await File.ReadAllTextAsync(packaged));
        var first = await Clients.AwsAsync(server.Url, deploy);
        Assert.True(first.ExitCode == 0, first.ToString());

        var outputs = await Clients.Boto3Async(server.Url, """
            stack = client("cloudformation").describe_stacks(StackName="accounts")["Stacks"][0]
            out.update({o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]})
            out["seeded"] = json.loads(client("lambda").invoke(FunctionName=out["SeedFunctionName"])["Payload"].read())
            """);
        Assert.Equal(12, outputs["seeded"]!["rowsPresent"]!.GetValue<int>());
        var url = outputs["AccountsUrl"]!.GetValue<string>();
        Assert.Matches(@"^https://[a-z0-9]{10}\.execute-api\.us-east-1\.localhost:\d+/demo-cct/$", url);

        using var http = new HttpClient(new SocketsHttpHandler
        {
            // The URL's *.localhost name is the loopback address, served with Stratus's self-signed certificate.
            ConnectCallback = async (context, cancellation) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, cancellation);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        });
        var html = await http.GetStringAsync(url);
        foreach (var account in AccountsSchema.SampleAccounts) Assert.Contains(WebUtility.HtmlEncode(account.FullName), html);

        await AccountsExample.PackageAsync(server.Url, "stack.yml", "accounts-artifacts", packaged);
        var second = await Clients.AwsAsync(server.Url, [.. deploy, "--no-fail-on-empty-changeset"]);
        File.Delete(packaged);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("No changes to deploy", second.Stdout + second.Stderr);

        var deleted = await Clients.AwsAsync(server.Url, "cloudformation", "delete-stack", "--stack-name", "accounts");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        var waited = await Clients.AwsAsync(server.Url, "cloudformation", "wait", "stack-delete-complete", "--stack-name", "accounts");
        Assert.True(waited.ExitCode == 0, waited.ToString());
        var left = await Clients.Boto3Async(server.Url, """
            out["functions"] = len(client("lambda").list_functions()["Functions"])
            out["databases"] = len(client("rds").describe_db_instances()["DBInstances"])
            out["apis"] = len(client("apigateway").get_rest_apis()["items"])
            out["alarms"] = len(client("cloudwatch").describe_alarms()["MetricAlarms"])
            """);
        Assert.Equal("""{"functions":0,"databases":0,"apis":0,"alarms":0}""", left.ToJsonString());
    }
}
