using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// A CDK app with rds.DatabaseInstance (MySQL in an ec2.Vpc's isolated subnets, credentials from a generated Secrets
/// Manager secret) and a Lambda function in the VPC that reads the secret and queries the database, behind an API
/// Gateway REST API (CdkRdsApp/), deployed and destroyed by the unmodified CDK CLI against Stratus.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CdkRdsAppTests(StratusFixture stratus) : IClassFixture<StratusFixture>, IDisposable
{
    private readonly CdkCli _cdk = new(stratus.Url, "CdkRdsApp");

    public void Dispose() => _cdk.Dispose();

    [Fact]
    public async Task A_database_instance_and_a_function_in_its_vpc_reading_its_secret_answer_through_the_api_and_destroy()
    {
        Assert.True(CdkCli.IsInstalled, CdkCli.InstallHint);
        await _cdk.RunAsync("bootstrap", "aws://000000000000/us-east-1");
        var outputsFile = Path.Combine(_cdk.WorkDir, "outputs.json");
        await _cdk.RunAsync("deploy", "--require-approval", "never", "--outputs-file", outputsFile);
        var outputs = JsonNode.Parse(await File.ReadAllTextAsync(outputsFile))!["StratusCdkRdsApp"]!.AsObject();

        var result = await Clients.Boto3Async(stratus.Url, $$"""
            import urllib.request
            with urllib.request.urlopen(f"{URL}/_aws/execute-api/{{outputs["ApiId"]!.GetValue<string>()}}/{{outputs["StageName"]!.GetValue<string>()}}/version", timeout=60) as response:
                out["status"] = response.status
                out["answer"] = json.loads(response.read())
            out["address"] = client("rds").describe_db_instances()["DBInstances"][0]["Endpoint"]["Address"]
            secret = json.loads(client("secretsmanager").get_secret_value(SecretId="{{outputs["SecretArn"]!.GetValue<string>()}}")["SecretString"])
            out["secret"] = sorted(secret)
            """);
        Assert.Equal(200, result["status"]!.GetValue<int>());
        Assert.Equal(result["address"]!.GetValue<string>(), result["answer"]!["host"]!.GetValue<string>());
        Assert.Equal("app", result["answer"]!["database"]!.GetValue<string>());
        Assert.Contains("MariaDB", result["answer"]!["version"]!.GetValue<string>());
        Assert.Equal("""["dbInstanceIdentifier","dbname","engine","host","password","port","username"]""", result["secret"]!.ToJsonString());

        Assert.Contains("StratusCdkRdsApp: destroyed", await _cdk.RunAsync("destroy", "--force"));
        var left = await Clients.Boto3Async(stratus.Url, """
            out["instances"] = [i["DBInstanceIdentifier"] for i in client("rds").describe_db_instances()["DBInstances"]]
            out["functions"] = [f["FunctionName"] for f in client("lambda").list_functions()["Functions"]]
            out["apis"] = [a["name"] for a in client("apigateway").get_rest_apis()["items"]]
            """);
        Assert.Empty(left["instances"]!.AsArray());
        Assert.Empty(left["functions"]!.AsArray());
        Assert.Empty(left["apis"]!.AsArray());
    }
}
