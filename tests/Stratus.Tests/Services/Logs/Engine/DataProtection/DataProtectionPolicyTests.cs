using System.Text.Json.Nodes;
using Stratus.Services.Logs.Engine.DataProtection;

namespace Stratus.Tests.Services.Logs.Engine.DataProtection;

public sealed class DataProtectionPolicyTests
{
    private const string Arn = DataProtectionPolicy.ManagedArnPrefix;

    private static string Document(string[] identifiers, string? custom = null, string mask = "{}", string? destination = null) =>
        new JsonObject
        {
            ["Name"] = "protect",
            ["Version"] = "2021-06-01",
            ["Configuration"] = custom is null ? null : JsonNode.Parse(custom),
            ["Statement"] = new JsonArray(
                new JsonObject
                {
                    ["Sid"] = "audit",
                    ["DataIdentifier"] = new JsonArray(identifiers.Select(i => (JsonNode)i).ToArray()),
                    ["Operation"] = new JsonObject { ["Audit"] = new JsonObject { ["FindingsDestination"] = destination is null ? new JsonObject() : JsonNode.Parse(destination) } },
                },
                new JsonObject
                {
                    ["Sid"] = "redact",
                    ["DataIdentifier"] = new JsonArray(identifiers.Select(i => (JsonNode)i).ToArray()),
                    ["Operation"] = new JsonObject { ["Deidentify"] = new JsonObject { ["MaskConfig"] = JsonNode.Parse(mask) } },
                }),
        }.ToJsonString();

    private static string Refused(string document) => Assert.Throws<DataProtectionPolicyException>(() => DataProtectionPolicy.Parse(document)).Message;

    [Fact]
    public void Managed_identifiers_mask_what_they_detect_and_nothing_else()
    {
        var policy = DataProtectionPolicy.Parse(Document([Arn + "EmailAddress", Arn + "IpAddress", Arn + "CreditCardNumber", Arn + "Ssn-US", Arn + "AwsSecretKey"]));
        Assert.Equal("mail *************** from ******** card ******************* ok",
            policy.Mask("mail ann@example.com from 10.0.0.7 card 4111 1111 1111 1111 ok"));
        // A number failing Luhn, an IP part over 255, an SSN with area 000 and a lowercase hex hash are not sensitive.
        Assert.Equal("card 4111 1111 1111 1112 ip 10.0.0.256 ssn 000-12-3456 sha da39a3ee5e6b4b0d3255bfef95601890afd80709",
            policy.Mask("card 4111 1111 1111 1112 ip 10.0.0.256 ssn 000-12-3456 sha da39a3ee5e6b4b0d3255bfef95601890afd80709"));
        Assert.Equal("key=**************************************** ssn ***********",
            policy.Mask("key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ssn 123-45-6789"));
    }

    [Fact]
    public void Custom_identifiers_are_bounded_regular_expressions()
    {
        var policy = DataProtectionPolicy.Parse(Document(["EmployeeId"], """{"CustomDataIdentifier": [{"Name": "EmployeeId", "Regex": "EmployeeId-\\d{9}"}]}"""));
        Assert.Equal("by ******************** today", policy.Mask("by EmployeeId-123456789 today"));
        var detections = policy.Detect("EmployeeId-123456789");
        Assert.Equal([new Detection("EmployeeId", 0, 20)], detections);
        Assert.Contains("not a regular expression Stratus can run",
            Refused(Document(["Back"], """{"CustomDataIdentifier": [{"Name": "Back", "Regex": "(a)\\1"}]}""")));
        Assert.Contains("1 to 200 characters", Refused(Document(["Long"], $$"""{"CustomDataIdentifier": [{"Name": "Long", "Regex": "{{new string('a', 201)}}"}]}""")));
    }

    [Fact]
    public void Documents_outside_the_grammar_are_refused()
    {
        Assert.Contains("Invalid data identifier: Unknown", Refused(Document(["Unknown"])));
        Assert.Contains("does not detect the data identifier " + Arn + "Name", Refused(Document([Arn + "Name"])));
        Assert.Contains("MaskConfig", Refused(Document([Arn + "EmailAddress"], mask: """{"MaskWith": "#"}""")));
        Assert.Contains("Firehose and S3", Refused(Document([Arn + "EmailAddress"], destination: """{"S3": {"Bucket": "b"}}""")));
        Assert.Equal("FindingsDestination.CloudWatchLogs must be {\"LogGroup\": NAME}.",
            Refused(Document([Arn + "EmailAddress"], destination: """{"CloudWatchLogs": {}}""")));
        var mismatched = JsonNode.Parse(Document([Arn + "EmailAddress"]))!;
        mismatched["Statement"]![1]!["DataIdentifier"] = new JsonArray(Arn + "IpAddress");
        Assert.Contains("must match exactly", Refused(mismatched.ToJsonString()));
        Assert.Contains("Version", Refused(Document([Arn + "EmailAddress"]).Replace("2021-06-01", "2012-10-17")));
        Assert.Contains("not valid JSON", Refused("{"));
    }
}
