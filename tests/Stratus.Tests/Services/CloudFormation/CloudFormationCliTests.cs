using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>The aws CLI's cloudformation commands as users type them: validate, create with parameters, wait, deploy and delete.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CloudFormationCliTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private async Task<ProcessResult> Cfn(params string[] args)
    {
        var result = await Clients.AwsAsync(stratus.Url, ["cloudformation", .. args]);
        return result;
    }

    private async Task<string> Succeeds(params string[] args)
    {
        var result = await Cfn(args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }

    /// <summary>`aws cloudformation deploy` names its change set after the current whole second, and an executed or empty change set
    /// stays behind (on AWS too), so a second deploy in the same second is refused with AlreadyExistsException; Stratus
    /// answers fast enough for that to happen, so the test starts each deploy after another in a fresh second.</summary>
    private static async Task NextWholeSecond()
    {
        var now = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromMilliseconds(1000 - now.Millisecond + 10));
    }

    [Fact]
    public async Task Deploy_creates_then_reports_no_changes_then_updates_with_parameter_overrides()
    {
        var template = CloudFormationTemplates.PathOf("deploy_stack.yml");
        var first = await Succeeds("deploy", "--stack-name", "deployed", "--template-file", template, "--capabilities", "CAPABILITY_IAM");
        Assert.Contains("Successfully created/updated stack - deployed", first);
        var role = (await Succeeds("describe-stack-resource", "--stack-name", "deployed", "--logical-resource-id", "DeployRole",
            "--query", "StackResourceDetail.PhysicalResourceId", "--output", "text")).Trim();

        await NextWholeSecond();
        var second = await Cfn("deploy", "--stack-name", "deployed", "--template-file", template, "--capabilities", "CAPABILITY_IAM");
        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains("No changes to deploy. Stack deployed is up to date", second.Stderr);
        await NextWholeSecond();
        var quiet = await Cfn("deploy", "--stack-name", "deployed", "--template-file", template, "--capabilities", "CAPABILITY_IAM", "--no-fail-on-empty-changeset");
        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.Contains("No changes to deploy", quiet.Stdout + quiet.Stderr);

        await NextWholeSecond();
        var third = await Succeeds("deploy", "--stack-name", "deployed", "--template-file", template, "--capabilities", "CAPABILITY_IAM",
            "--parameter-overrides", "Stage=green");
        Assert.Contains("Successfully created/updated stack - deployed", third);
        var stack = JsonNode.Parse(await Succeeds("describe-stacks", "--stack-name", "deployed"))!["Stacks"]![0]!;
        Assert.Equal("UPDATE_COMPLETE", (string?)stack["StackStatus"]);
        Assert.Contains("""{"OutputKey":"Stage","OutputValue":"green"}""", stack["Outputs"]!.ToJsonString());
        var iamRole = JsonNode.Parse((await Clients.AwsAsync(stratus.Url, "iam", "get-role", "--role-name", role)).Stdout)!["Role"]!;
        Assert.Equal("Role for the green stage", (string?)iamRole["Description"]);
        Assert.Equal("""[{"Key":"Stage","Value":"green"}]""", iamRole["Tags"]!.ToJsonString());

        await NextWholeSecond();
        var refused = await Cfn("deploy", "--stack-name", "deployed", "--template-file", template, "--capabilities", "CAPABILITY_IAM",
            "--parameter-overrides", "Stage=GREEN");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Parameter 'Stage' failed to satisfy constraint: lowercase letters only", refused.Stderr);

        await Succeeds("delete-stack", "--stack-name", "deployed");
        await Succeeds("wait", "stack-delete-complete", "--stack-name", "deployed");
        var gone = await Clients.AwsAsync(stratus.Url, "iam", "get-role", "--role-name", role);
        Assert.Contains("NoSuchEntity", gone.Stderr);
    }

    [Fact]
    public async Task Create_stack_with_parameters_evaluates_every_short_form_into_outputs()
    {
        var template = "file://" + CloudFormationTemplates.PathOf("intrinsics.yml");
        var validated = JsonNode.Parse(await Succeeds("validate-template", "--template-body", template))!;
        Assert.Equal("Every intrinsic function in YAML short form, evaluated into outputs", (string?)validated["Description"]);
        Assert.Equal("""["Names","Size","Tier"]""", new JsonArray(validated["Parameters"]!.AsArray().Select(p => (JsonNode?)JsonValue.Create((string)p!["ParameterKey"]!)).ToArray()).ToJsonString());

        await Succeeds("create-stack", "--stack-name", "shorts", "--template-body", template, "--capabilities", "CAPABILITY_IAM",
            "--parameters", "ParameterKey=Names,ParameterValue='x,y,z'", "ParameterKey=Size,ParameterValue=3");
        await Succeeds("wait", "stack-create-complete", "--stack-name", "shorts");
        var stack = JsonNode.Parse(await Succeeds("describe-stacks", "--stack-name", "shorts"))!["Stacks"]![0]!;
        var outputs = stack["Outputs"]!.AsArray().ToDictionary(o => (string)o!["OutputKey"]!, o => (string)o!["OutputValue"]!);
        var roleArn = outputs["RoleArn"];
        var roleName = roleArn[(roleArn.LastIndexOf('/') + 1)..];
        Assert.StartsWith("shorts-IntrinsicRole-", roleName);
        Assert.Equal(new Dictionary<string, string>
        {
            ["Joined"] = "x-y-z",
            ["Selected"] = "y",
            ["SplitThenSelected"] = "c",
            ["Substituted"] = "shorts:us-east-1:000000000000:aws:3:${Literal}",
            ["SubstitutedWithMap"] = "hello, " + roleName,
            ["RoleArn"] = "arn:aws:iam::000000000000:role/" + roleName,
            ["RoleArnLongForm"] = "arn:aws:iam::000000000000:role/" + roleName,
            ["Chosen"] = "small-three",
            ["Either"] = "modest",
            ["Sessions"] = "7200",
            ["FirstZone"] = "us-east-1a",
            ["Encoded"] = Convert.ToBase64String("hello stratus"u8.ToArray()),
            ["Subnets"] = "10.0.0.0/24,10.0.1.0/24,10.0.2.0/24",
            ["StackIdIsArn"] = "arn",
        }, outputs);
        var role = JsonNode.Parse((await Clients.AwsAsync(stratus.Url, "iam", "get-role", "--role-name", roleName)).Stdout)!["Role"]!;
        Assert.Equal(3600, (int)role["MaxSessionDuration"]!);
        Assert.Equal("lambda.amazonaws.com", (string?)role["AssumeRolePolicyDocument"]!["Statement"]![0]!["Principal"]!["Service"]);
        var resources = await Succeeds("list-stack-resources", "--stack-name", "shorts", "--query", "StackResourceSummaries[].LogicalResourceId", "--output", "text");
        Assert.Equal("IntrinsicRole", resources.Trim());

        await Succeeds("delete-stack", "--stack-name", "shorts");
        await Succeeds("wait", "stack-delete-complete", "--stack-name", "shorts");
    }

    [Fact]
    public async Task Create_without_the_capability_and_with_a_malformed_template_fail_with_AWS_messages()
    {
        var capability = await Cfn("create-stack", "--stack-name", "nocap", "--template-body", "file://" + CloudFormationTemplates.PathOf("exporter.yml"));
        Assert.NotEqual(0, capability.ExitCode);
        Assert.Contains("An error occurred (InsufficientCapabilitiesException) when calling the CreateStack operation: Requires capabilities : [CAPABILITY_IAM]", capability.Stderr);

        var malformed = await Cfn("validate-template", "--template-body", "Resources:\n  R:\n    Type: [AWS::IAM::Role\n");
        Assert.NotEqual(0, malformed.ExitCode);
        Assert.Contains("(ValidationError) when calling the ValidateTemplate operation: Template format error: YAML not well-formed. (line 4, column 1)", malformed.Stderr);
    }
}
