using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>CloudFormation's declared member rules: ValidationError in the "N validation errors detected" wording.</summary>
public sealed class CloudFormationMemberRulesTests
{
    private static readonly ValidationStyle Style = new("ValidationError");

    private static AwsException Refusal(string operation, JsonObject input) =>
        Assert.Throws<AwsException>(() => CloudFormationRules.Members.Check(operation, input, Style));

    [Fact]
    public void A_change_set_name_must_start_with_a_letter()
    {
        var error = Refusal("DescribeChangeSet", new JsonObject { ["ChangeSetName"] = "1-change" });
        Assert.Equal("ValidationError", error.Code);
        Assert.Equal("1 validation error detected: Value '1-change' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/]*",
            error.Message);
    }

    [Fact]
    public void An_empty_template_body_and_an_unknown_on_failure_are_named_together()
    {
        Assert.Equal("2 validation errors detected: Value '' at 'templateBody' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
            "Value 'EXPLODE' at 'onFailure' failed to satisfy constraint: Member must satisfy enum value set: [DO_NOTHING, ROLLBACK, DELETE]",
            Refusal("CreateStack", new JsonObject { ["StackName"] = "s", ["TemplateBody"] = "", ["OnFailure"] = "EXPLODE" }).Message);
    }

    [Fact]
    public void A_stack_arn_is_a_valid_stack_name()
    {
        CloudFormationRules.Members.Check("ListChangeSets",
            new JsonObject { ["StackName"] = "arn:aws:cloudformation:us-east-1:000000000000:stack/app/0f1e2d3c-0000-1111-2222-333344445555" }, Style);
    }
}
