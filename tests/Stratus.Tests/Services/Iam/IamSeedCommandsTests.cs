using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Iam;

/// <summary>The seed's IAM commands, verbatim, through the aws CLI.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class IamSeedCommandsTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string TrustPolicy = """
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Service": "lambda.amazonaws.com"
                    },
                    "Action": "sts:AssumeRole"
                }
            ]
        }
        """;

    [Fact]
    public async Task Seed_role_commands_create_attach_and_find_the_role_by_query()
    {
        var created = await Clients.AwsAsync(stratus.Url, "iam", "create-role", "--role-name", "role-demo-cct",
            "--tags", "Key=Environment,Value=demo-cct-paas", "--assume-role-policy-document", TrustPolicy);
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("\"Service\": \"lambda.amazonaws.com\"", created.Stdout);

        foreach (var policy in new[] { "AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole" })
        {
            var attached = await Clients.AwsAsync(stratus.Url, "iam", "attach-role-policy", "--role-name", "role-demo-cct",
                "--policy-arn", $"arn:aws:iam::aws:policy/service-role/{policy}");
            Assert.True(attached.ExitCode == 0, attached.ToString());
        }

        var arn = await Clients.AwsAsync(stratus.Url, "iam", "list-roles",
            "--query", "Roles[?RoleName==`role-demo-cct`].Arn", "--output", "text");
        Assert.Equal("arn:aws:iam::000000000000:role/role-demo-cct", arn.Stdout.Trim());

        var attachedList = await Clients.AwsAsync(stratus.Url, "iam", "list-attached-role-policies", "--role-name", "role-demo-cct",
            "--query", "AttachedPolicies[].PolicyName", "--output", "text");
        Assert.Equal("AWSLambdaBasicExecutionRole\tAWSLambdaVPCAccessExecutionRole", attachedList.Stdout.Trim());
    }

    [Fact]
    public async Task Deleting_a_role_with_attached_policies_is_a_DeleteConflict()
    {
        await Clients.AwsAsync(stratus.Url, "iam", "create-role", "--role-name", "busy-role", "--assume-role-policy-document", TrustPolicy);
        await Clients.AwsAsync(stratus.Url, "iam", "attach-role-policy", "--role-name", "busy-role",
            "--policy-arn", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole");

        var refused = await Clients.AwsAsync(stratus.Url, "iam", "delete-role", "--role-name", "busy-role");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("(DeleteConflict)", refused.Stderr);
        Assert.Contains("must detach all policies first", refused.Stderr);
    }
}

/// <summary>The seed's IAM and STS commands through the aws CLI v2 (Debian's awscli at /usr/bin/aws).</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class AwsCliV2Tests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string V2 = "/usr/bin/aws";

    private Task<ProcessResult> Aws(params string[] args) =>
        Clients.RunAsync(V2, ["--endpoint-url", stratus.Url, "--region", "us-east-1", .. args], stratus.Url, TimeSpan.FromMinutes(1));

    [Fact]
    public async Task Cli_v2_creates_and_finds_the_seed_role_and_reads_the_account()
    {
        var version = await Clients.RunAsync(V2, ["--version"], stratus.Url, TimeSpan.FromMinutes(1));
        Assert.StartsWith("aws-cli/2.", version.Stdout);

        var created = await Aws("iam", "create-role", "--role-name", "role-demo-cct-v2", "--assume-role-policy-document",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}""");
        Assert.True(created.ExitCode == 0, created.ToString());

        var arn = await Aws("iam", "list-roles", "--query", "Roles[?RoleName==`role-demo-cct-v2`].Arn", "--output", "text");
        Assert.Equal("arn:aws:iam::000000000000:role/role-demo-cct-v2", arn.Stdout.Trim());

        var account = await Aws("sts", "get-caller-identity", "--query", "Account", "--output", "text");
        Assert.Equal("000000000000", account.Stdout.Trim());
    }
}
