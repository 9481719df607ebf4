using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Protocols;

/// <summary>
/// Declared member rules on the wire, through boto3 with its own client-side checks turned off, so the
/// request reaches Stratus as a careless client sends it: every violation comes back in one AWS message.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class MemberRulesWireTests
{
    [Fact]
    public async Task Json_and_rest_json_services_answer_every_violation_at_once()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        var result = await Clients.Boto3Async(server.Url, """
            def unchecked(name):
                return boto3.client(name, endpoint_url=URL, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                                    config=Config(retries={"max_attempts": 1}, parameter_validation=False))
            out["ssm"] = error(unchecked("ssm").put_parameter, Name="", Value="v", Type="Number", Tier="Gold")
            out["lambda"] = error(unchecked("lambda").create_function, FunctionName="orders", Role="arn:aws:iam::000000000000:role/r",
                                  Code={"ZipFile": b"x"}, Timeout=901, MemorySize=64)
            """);

        Assert.Equal("ValidationException", (string?)result["ssm"]!["code"]);
        Assert.Equal("3 validation errors detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
            "Value 'Number' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]; " +
            "Value 'Gold' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]",
            (string?)result["ssm"]!["message"]);
        Assert.Equal(400, (int?)result["lambda"]!["status"]);
        Assert.Equal("2 validation errors detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900; " +
            "Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128",
            (string?)result["lambda"]!["message"]);
    }

    [Fact]
    public async Task Query_and_json_services_answer_their_declared_rules_in_their_own_codes()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        var result = await Clients.Boto3Async(server.Url, """
            def unchecked(name):
                return boto3.client(name, endpoint_url=URL, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                                    config=Config(retries={"max_attempts": 1}, parameter_validation=False))
            out["iam"] = error(unchecked("iam").list_roles, MaxItems=0)
            out["sts"] = error(unchecked("sts").assume_role, RoleArn="arn:aws:iam::000000000000:role/ops", RoleSessionName="s")
            out["cloudformation"] = error(unchecked("cloudformation").describe_change_set, ChangeSetName="1-change", StackName="app")
            out["secretsmanager"] = error(unchecked("secretsmanager").list_secrets, SortOrder="sideways")
            out["secret_value"] = error(unchecked("secretsmanager").create_secret, Name="app/empty", SecretString="")
            out["kms"] = error(unchecked("kms").generate_random, NumberOfBytes=1025)
            """);

        void Expect(string key, string code, string message)
        {
            Assert.Equal(code, (string?)result[key]!["code"]);
            Assert.Equal(400, (int?)result[key]!["status"]);
            Assert.Equal(message, (string?)result[key]!["message"]);
        }
        Expect("iam", "ValidationError",
            "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1");
        Expect("sts", "ValidationError",
            "1 validation error detected: Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2");
        Expect("cloudformation", "ValidationError",
            "1 validation error detected: Value '1-change' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/]*");
        Expect("secretsmanager", "ValidationException",
            "1 validation error detected: Value 'sideways' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]");
        Expect("secret_value", "ValidationException",
            "1 validation error detected: Value at 'secretString' failed to satisfy constraint: Member must have length greater than or equal to 1");
        Expect("kms", "ValidationException",
            "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024");
    }

    [Fact]
    public async Task Services_with_their_own_wording_answer_their_declared_rules_in_it()
    {
        await using var server = await StratusProcess.StartEphemeralAsync();
        var result = await Clients.Boto3Async(server.Url, """
            def unchecked(name):
                return boto3.client(name, endpoint_url=URL, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                                    config=Config(retries={"max_attempts": 1}, parameter_validation=False))
            out["cloudwatch"] = error(unchecked("cloudwatch").describe_alarms, MaxRecords=101)
            out["ecr"] = error(unchecked("ecr").create_repository, repositoryName="Orders")
            out["rds"] = error(unchecked("rds").describe_events, SourceType="db-table")
            out["ec2"] = error(unchecked("ec2").describe_vpcs, MaxResults=3)
            out["apigateway"] = error(unchecked("apigateway").create_rest_api)
            """);

        void Expect(string key, string code, string message)
        {
            Assert.Equal(code, (string?)result[key]!["code"]);
            Assert.Equal(400, (int?)result[key]!["status"]);
            Assert.StartsWith(message, (string?)result[key]!["message"]);
        }
        Expect("cloudwatch", "ValidationError",
            "1 validation error detected: Value '101' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100");
        Expect("ecr", "InvalidParameterException", "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '");
        Expect("rds", "InvalidParameterValue", "1 validation error detected: Value 'db-table' at 'sourceType' failed to satisfy constraint: Member must satisfy enum value set: [");
        Expect("ec2", "InvalidParameterValue", "Value ( 3 ) for parameter maxResults is invalid. Expecting a value greater than 5.");
        Expect("apigateway", "ValidationException",
            "1 validation error detected: Value null at 'createRestApiInput.name' failed to satisfy constraint: Member must not be null");
    }
}
