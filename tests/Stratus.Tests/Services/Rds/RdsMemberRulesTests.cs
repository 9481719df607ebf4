using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.Rds;

namespace Stratus.Tests.Services.Rds;

/// <summary>RDS's declared member rules: InvalidParameterValue, a missing parameter in RDS's own sentence, the rest in the "N validation errors detected" wording.</summary>
public sealed class RdsMemberRulesTests
{
    private static AwsException Refusal(string operation, JsonObject input) =>
        Assert.Throws<AwsException>(() => RdsRules.Members.Check(operation, input, RdsErrors.Validation));

    [Fact]
    public void A_missing_parameter_is_named_alone_in_RDSs_own_sentence()
    {
        var error = Refusal("CreateDBInstance", new JsonObject { ["DBInstanceIdentifier"] = "orders" });
        Assert.Equal("InvalidParameterValue", error.Code);
        Assert.Equal("The parameter DBInstanceClass must be provided and must not be blank.", error.Message);
        // A number or a flag cannot be blank: RDS says null.
        Assert.Equal("The parameter MaxACU must be provided and must not be null.",
            Refusal("CreateDBShardGroup", new JsonObject { ["DBShardGroupIdentifier"] = "shards", ["DBClusterIdentifier"] = "orders" }).Message);
    }

    [Fact]
    public void A_missing_member_inside_a_list_keeps_the_validation_wording()
    {
        var error = Refusal("DescribeDBInstances", new JsonObject { ["Filters"] = new JsonArray(new JsonObject { ["Values"] = new JsonArray("a") }) });
        Assert.Equal("InvalidParameterValue", error.Code);
        Assert.Equal("1 validation error detected: Value null at 'filters.1.member.name' failed to satisfy constraint: Member must not be null", error.Message);
    }

    [Fact]
    public void An_unknown_event_source_type_is_refused_and_a_known_one_passes()
    {
        Assert.StartsWith("1 validation error detected: Value 'db-table' at 'sourceType' failed to satisfy constraint: Member must satisfy enum value set: [db-instance, ",
            Refusal("DescribeEvents", new JsonObject { ["SourceType"] = "db-table" }).Message);
        RdsRules.Members.Check("DescribeEvents", new JsonObject { ["SourceType"] = "db-instance" }, RdsErrors.Validation);
    }

    [Fact]
    public void Asking_for_write_forwarding_is_refused_by_name_and_leaving_it_off_passes()
    {
        var error = Assert.Throws<AwsException>(() => RdsRules.NoWriteForwarding(
            new Stratus.Services.CloudFormation.Resources.ResourceProperties("Cluster", new JsonObject { ["EnableGlobalWriteForwarding"] = true })));
        Assert.Equal("InvalidParameterCombination", error.Code);
        Assert.Contains("EnableGlobalWriteForwarding", error.Message);
        RdsRules.NoWriteForwarding(new Stratus.Services.CloudFormation.Resources.ResourceProperties("Cluster", new JsonObject { ["EnableLocalWriteForwarding"] = false }));
    }
}
