using System.Net;
using Accounts.Functions;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Accounts;

/// <summary>
/// examples/accounts/template.yml, the SAM variant, through `aws cloudformation package` and `deploy` as on AWS:
/// the database's password lives only in the secret RDS manages, which the functions read through MYSQL_SECRET_ARN.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class AccountsSamTests
{
    [Fact]
    public async Task Sam_template_deploys_serves_the_page_from_the_managed_secret_and_deletes_everything()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        await AccountsExample.PrepareAsync(server.Url, "accounts-sam-artifacts");
        var packaged = Path.Combine(Path.GetTempPath(), $"stratus-accounts-sam-{Guid.NewGuid():N}.yml");
        try
        {
            await AccountsExample.PackageAsync(server.Url, "template.yml", "accounts-sam-artifacts", packaged);
            Assert.Contains("CodeUri: s3://accounts-sam-artifacts/", await File.ReadAllTextAsync(packaged));
            var deployed = await Clients.AwsAsync(server.Url, "cloudformation", "deploy", "--template-file", packaged, "--stack-name", "accounts-sam",
                "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND");
            Assert.True(deployed.ExitCode == 0, deployed.ToString());
        }
        finally
        {
            File.Delete(packaged);
        }

        var outputs = await Clients.Boto3Async(server.Url, """
            stack = client("cloudformation").describe_stacks(StackName="accounts-sam")["Stacks"][0]
            out.update({o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]})
            resources = client("cloudformation").describe_stack_resources(StackName="accounts-sam")["StackResources"]
            out["types"] = sorted({r["LogicalResourceId"]: r["ResourceType"] for r in resources}.items())
            lam = client("lambda")
            out["environment"] = lam.get_function_configuration(FunctionName=out["SeedFunctionName"])["Environment"]["Variables"]
            out["seeded"] = json.loads(lam.invoke(FunctionName=out["SeedFunctionName"])["Payload"].read())
            out["secretArnOfDatabase"] = client("rds").describe_db_instances()["DBInstances"][0]["MasterUserSecret"]["SecretArn"]
            out["roles"] = len([r for r in client("iam").list_roles()["Roles"] if r["RoleName"].startswith("accounts-sam")])
            """);
        Assert.Equal(2, outputs["roles"]!.GetValue<int>());
        Assert.Equal(AccountsSchema.SampleAccounts.Count, outputs["seeded"]!["rowsPresent"]!.GetValue<int>());
        // The functions get the secret, never the password; the secret is the one RDS manages for the instance.
        var environment = outputs["environment"]!.AsObject();
        Assert.False(environment.ContainsKey("MYSQL_PASSWORD"));
        Assert.Equal(outputs["secretArnOfDatabase"]!.GetValue<string>(), environment["MYSQL_SECRET_ARN"]!.GetValue<string>());
        Assert.Equal(outputs["DatabaseSecretArn"]!.GetValue<string>(), environment["MYSQL_SECRET_ARN"]!.GetValue<string>());
        // The resources SAM documents as generated: the functions' roles, the API's deployment and its stage.
        var types = outputs["types"]!.AsArray().Select(pair => $"{pair![0]}={pair[1]}").ToList();
        Assert.Contains("SeedFunctionRole=AWS::IAM::Role", types);
        Assert.Contains("AccountsFunctionRole=AWS::IAM::Role", types);
        // demo-cct is not alphanumeric, so SAM names the stage by the start of the name's SHA-1.
        Assert.Contains("AccountsApiStagee81283d498=AWS::ApiGateway::Stage", types);
        Assert.Contains(types, t => t.StartsWith("AccountsApiDeployment", StringComparison.Ordinal) && t.EndsWith("=AWS::ApiGateway::Deployment", StringComparison.Ordinal));

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
        using var page = await http.GetAsync(url);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, html);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        foreach (var account in AccountsSchema.SampleAccounts) Assert.Contains(WebUtility.HtmlEncode(account.FullName), html);

        var deleted = await Clients.AwsAsync(server.Url, "cloudformation", "delete-stack", "--stack-name", "accounts-sam");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        var waited = await Clients.AwsAsync(server.Url, "cloudformation", "wait", "stack-delete-complete", "--stack-name", "accounts-sam");
        Assert.True(waited.ExitCode == 0, waited.ToString());
        var left = await Clients.Boto3Async(server.Url, """
            out["functions"] = len(client("lambda").list_functions()["Functions"])
            out["databases"] = len(client("rds").describe_db_instances()["DBInstances"])
            out["apis"] = len(client("apigateway").get_rest_apis()["items"])
            out["alarms"] = len(client("cloudwatch").describe_alarms()["MetricAlarms"])
            out["roles"] = len([r for r in client("iam").list_roles()["Roles"] if r["RoleName"].startswith("accounts-sam")])
            # The master secret goes with its instance, as RDS deletes it on AWS.
            out["secrets"] = len(client("secretsmanager").list_secrets()["SecretList"])
            """);
        Assert.Equal("""{"functions":0,"databases":0,"apis":0,"alarms":0,"roles":0,"secrets":0}""", left.ToJsonString());
    }
}
