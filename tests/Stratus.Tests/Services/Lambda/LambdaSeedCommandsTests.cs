using System.IO.Compression;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

using Stratus.Tests.Services.Ecr;

namespace Stratus.Tests.Services.Lambda;

/// <summary>The seed's Lambda commands through the aws CLI: create (image and zip), wait, invoke, add-permission, get-function.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaSeedCommandsTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string TrustPolicy = """
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        """;

    private async Task<string> AwsOkAsync(params string[] args)
    {
        var result = await Clients.AwsAsync(stratus.Url, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }

    private async Task<string> SeedRoleAsync()
    {
        await Clients.AwsAsync(stratus.Url, "iam", "create-role", "--role-name", "role-demo-cct",
            "--tags", "Key=Environment,Value=demo-cct-paas", "--assume-role-policy-document", TrustPolicy);
        return (await AwsOkAsync("iam", "list-roles", "--query", "Roles[?RoleName==`role-demo-cct`].Arn", "--output", "text")).Trim();
    }

    [Fact]
    public async Task Seed_image_function_is_created_waited_for_and_authorized_for_API_Gateway()
    {
        var roleArn = await SeedRoleAsync();
        const string name = "demo-cct-lambda-retrieve-accounts";
        var environment = """
            {
                "Variables": {
                    "MYSQL_HOST": "127.0.0.1",
                    "MYSQL_USER": "democct",
                    "MYSQL_PASSWORD": "demo-cct-password",
                    "MYSQL_DATABASE": "accounts",
                    "MYSQL_PORT": "3306"
                }
            }
            """;
        // The seed hands VpcConfig the subnets and security group describe-db-instances reports: the default VPC's, which EC2 describes too.
        var subnetIds = (await AwsOkAsync("ec2", "describe-subnets", "--filters", "Name=default-for-az,Values=true",
            "--query", "sort(Subnets[*].SubnetId)[:2]", "--output", "json")).Trim();
        var groupIds = (await AwsOkAsync("ec2", "describe-security-groups", "--group-names", "default",
            "--query", "SecurityGroups[*].GroupId", "--output", "json")).Trim();
        var vpc = $$"""{"SubnetIds": {{subnetIds}}, "SecurityGroupIds": {{groupIds}}}""";
        // The seed's image, pushed as the seed pushes it (a repository of the function's name, tag latest); the function names it
        // in AWS's form, as the seed's $REPOSITORY_ID does.
        await AwsOkAsync("ecr", "create-repository", "--repository-name", name);
        var repository = await EcrRegistryTests.RepositoryUriAsync(stratus.Url, name);
        await LambdaTestImage.AwsBaseLayout().PushAsync(stratus.Url, repository, "latest");
        var created = JsonNode.Parse(await AwsOkAsync("lambda", "create-function", "--function-name", name, "--package-type", "Image",
            "--environment", environment, "--vpc-config", vpc, "--timeout", "30", "--tags", "Key=Environment,Value=demo-cct-paas",
            "--code", $"ImageUri=000000000000.dkr.ecr.us-east-1.amazonaws.com/{name}:latest", "--role", roleArn))!;
        Assert.Equal("Image", created["PackageType"]!.GetValue<string>());
        Assert.Equal(30, created["Timeout"]!.GetValue<int>());
        Assert.Equal(JsonNode.Parse(subnetIds)!.ToJsonString(), created["VpcConfig"]!["SubnetIds"]!.ToJsonString());
        Assert.Equal(JsonNode.Parse(groupIds)!.ToJsonString(), created["VpcConfig"]!["SecurityGroupIds"]!.ToJsonString());
        Assert.StartsWith("vpc-", created["VpcConfig"]!["VpcId"]!.GetValue<string>());

        await AwsOkAsync("lambda", "wait", "function-active", "--function-name", name);

        var response = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.json");
        try
        {
            var invoked = JsonNode.Parse(await AwsOkAsync("lambda", "invoke", "--function-name", name, response))!;
            Assert.Null(invoked["FunctionError"]);
            // The image's runtime client answers what it saw (the seed invokes without a payload, so its echo of the event is
            // empty): it ran as the sandbox user, not root.
            Assert.Contains("\"uid\":993,", await File.ReadAllTextAsync(response));
        }
        finally
        {
            File.Delete(response);
        }

        var permission = JsonNode.Parse(await AwsOkAsync("lambda", "add-permission", "--function-name", name, "--statement-id", "authorize-apigateway",
            "--action", "lambda:InvokeFunction", "--principal", "apigateway.amazonaws.com"))!;
        var statement = JsonNode.Parse(permission["Statement"]!.GetValue<string>())!;
        Assert.Equal("apigateway.amazonaws.com", statement["Principal"]!["Service"]!.GetValue<string>());
        Assert.Equal("lambda:InvokeFunction", statement["Action"]!.GetValue<string>());

        var arn = await AwsOkAsync("lambda", "get-function", "--function-name", name, "--query", "Configuration.FunctionArn", "--output", "text");
        Assert.Equal($"arn:aws:lambda:us-east-1:000000000000:function:{name}", arn.Trim());
    }

    [Fact]
    public async Task Seed_zip_function_waits_active_and_invokes_into_response_json()
    {
        var roleArn = await SeedRoleAsync();
        var work = Directory.CreateTempSubdirectory("stratus-seed-lambda-").FullName;
        try
        {
            var zipPath = Path.Combine(work, "function.zip");
            using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create))
            using (var writer = new StreamWriter(zip.CreateEntry("lambda_seed_db.py").Open()))
                await writer.WriteAsync("import os\ndef lambda_handler(event, context):\n    return {'statusCode': 200, 'database': os.environ['MYSQL_DATABASE']}\n");

            await AwsOkAsync("lambda", "create-function", "--function-name", "demo-cct-lambda-seed-db", "--runtime", "python3.12",
                "--handler", "lambda_seed_db.lambda_handler", "--zip-file", $"fileb://{zipPath}", "--timeout", "30",
                "--environment", """{"Variables": {"MYSQL_DATABASE": "accounts"}}""", "--role", roleArn);
            await AwsOkAsync("lambda", "wait", "function-active-v2", "--function-name", "demo-cct-lambda-seed-db");

            var responsePath = Path.Combine(work, "response.json");
            var invoked = JsonNode.Parse(await AwsOkAsync("lambda", "invoke", "--function-name", "demo-cct-lambda-seed-db", responsePath))!;
            Assert.Equal(200, invoked["StatusCode"]!.GetValue<int>());
            Assert.Equal("$LATEST", invoked["ExecutedVersion"]!.GetValue<string>());
            Assert.Equal("""{"statusCode": 200, "database": "accounts"}""", await File.ReadAllTextAsync(responsePath));

            await AwsOkAsync("lambda", "update-function-configuration", "--function-name", "demo-cct-lambda-seed-db", "--timeout", "60");
            await AwsOkAsync("lambda", "wait", "function-updated", "--function-name", "demo-cct-lambda-seed-db");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
