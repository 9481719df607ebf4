using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.Rds;

namespace Stratus.Tests.Services.Rds;

/// <summary>RDS's declared member rules: InvalidParameterValue in the "N validation errors detected" wording.</summary>
public sealed class RdsMemberRulesTests
{
    private static AwsException Refusal(string operation, JsonObject input) =>
        Assert.Throws<AwsException>(() => RdsRules.Members.Check(operation, input, RdsErrors.Validation));

    [Fact]
    public void Missing_members_of_a_create_are_named_together()
    {
        var error = Refusal("CreateDBInstance", new JsonObject { ["DBInstanceIdentifier"] = "orders" });
        Assert.Equal("InvalidParameterValue", error.Code);
        Assert.Equal("2 validation errors detected: Value null at 'dBInstanceClass' failed to satisfy constraint: Member must not be null; " +
            "Value null at 'engine' failed to satisfy constraint: Member must not be null", error.Message);
    }

    [Fact]
    public void An_unknown_event_source_type_is_refused_and_a_known_one_passes()
    {
        Assert.StartsWith("1 validation error detected: Value 'db-table' at 'sourceType' failed to satisfy constraint: Member must satisfy enum value set: [db-instance, ",
            Refusal("DescribeEvents", new JsonObject { ["SourceType"] = "db-table" }).Message);
        RdsRules.Members.Check("DescribeEvents", new JsonObject { ["SourceType"] = "db-instance" }, RdsErrors.Validation);
    }
}
