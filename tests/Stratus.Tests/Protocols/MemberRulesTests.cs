using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.Lambda;
using Stratus.Services.Logs;
using Stratus.Services.Ssm;

namespace Stratus.Tests.Protocols;

/// <summary>Member constraints from the services' declared rules, refused in AWS's Smithy wording, every violation at once.</summary>
public sealed class MemberRulesTests
{
    private static readonly JsonObject ValidFunction = new()
    {
        ["FunctionName"] = "orders",
        ["Role"] = "arn:aws:iam::123456789012:role/lambda-role",
        ["Code"] = new JsonObject(),
    };

    private static string Refusal(MemberRules rules, string operation, JsonObject input, ValidationStyle? style = null) =>
        Assert.Throws<AwsException>(() => rules.Check(operation, input, style ?? ValidationStyle.Smithy)).Message;

    [Fact]
    public void A_valid_input_passes()
    {
        LambdaRules.Members.Check("CreateFunction", ValidFunction.DeepClone().AsObject(), ValidationStyle.Smithy);
    }

    [Fact]
    public void Every_violation_is_named_in_one_message_in_member_order()
    {
        var input = ValidFunction.DeepClone().AsObject();
        input["Timeout"] = 901;
        input["MemorySize"] = 64;
        Assert.Equal("2 validation errors detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900; " +
            "Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128",
            Refusal(LambdaRules.Members, "CreateFunction", input));
    }

    [Fact]
    public void A_missing_required_member_is_a_null_value()
    {
        var input = ValidFunction.DeepClone().AsObject();
        input.Remove("Role");
        Assert.Equal("1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null",
            Refusal(LambdaRules.Members, "CreateFunction", input));
    }

    [Fact]
    public void Nested_members_and_list_items_are_named_by_their_path()
    {
        var function = ValidFunction.DeepClone().AsObject();
        function["EphemeralStorage"] = new JsonObject { ["Size"] = 100 };
        Assert.Contains("Value '100' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value greater than or equal to 512",
            Refusal(LambdaRules.Members, "CreateFunction", function));

        var events = new JsonObject
        {
            ["logGroupName"] = "g",
            ["logStreamName"] = "s",
            ["logEvents"] = new JsonArray(new JsonObject { ["timestamp"] = 1, ["message"] = "" }),
        };
        Assert.Equal("1 validation error detected: Value '' at 'logEvents.1.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1",
            Refusal(LogsRules.Members, "PutLogEvents", events, new ValidationStyle("InvalidParameterException")));
    }

    [Fact]
    public void Patterns_match_the_whole_value()
    {
        var input = ValidFunction.DeepClone().AsObject();
        input["Handler"] = "index handler";
        Assert.Contains("at 'handler' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+",
            Refusal(LambdaRules.Members, "CreateFunction", input));
    }

    [Fact]
    public void A_pattern_judges_alike_before_and_after_it_is_compiled()
    {
        // A pattern is interpreted for its first few hundred uses, then compiled: both must give the same verdicts.
        var valid = ValidFunction.DeepClone().AsObject();
        var invalid = ValidFunction.DeepClone().AsObject();
        invalid["Handler"] = "index handler";
        for (var use = 0; use < 600; use += 2)
        {
            LambdaRules.Members.Check("CreateFunction", valid, ValidationStyle.Smithy);
            Assert.Contains("at 'handler' failed to satisfy constraint", Refusal(LambdaRules.Members, "CreateFunction", invalid));
        }
    }

    [Fact]
    public void A_rules_file_adjustment_states_what_AWS_servers_say()
    {
        var input = new JsonObject { ["Name"] = "p", ["Value"] = "v", ["Type"] = "Number" };
        Assert.Equal("1 validation error detected: Value 'Number' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]",
            Refusal(SsmRules.Members, "PutParameter", input));
        // Lambda answers an unknown runtime itself (InvalidParameterValueException), so its rule has no enum.
        var function = ValidFunction.DeepClone().AsObject();
        function["Runtime"] = "cobol85";
        LambdaRules.Members.Check("CreateFunction", function, ValidationStyle.Smithy);
    }

    [Fact]
    public void Values_of_the_wrong_type_are_left_to_the_reader()
    {
        var input = ValidFunction.DeepClone().AsObject();
        input["Timeout"] = "soon";
        LambdaRules.Members.Check("CreateFunction", input, ValidationStyle.Smithy);
    }
}
