using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Stratus.Protocols;
using Stratus.Services.Iam.Engine;
using Stratus.Services.RdsData;

namespace Stratus.Tests.Services.RdsData;

/// <summary>Under --auth enforce each Data API call is rds-data:ACTION on the cluster its resourceArn names, and secretsmanager:GetSecretValue on its secret.</summary>
public sealed class RdsDataAuthorizationTests
{
    private const string Cluster = "arn:aws:rds:eu-west-1:123456789012:cluster:shop";

    private static OperationInput Input(JsonObject body) => new(body,
        new CallContext { AccountId = "123456789012", Region = "eu-west-1", RequestId = "r", Http = new DefaultHttpContext() }, ValidationStyle.Smithy);

    [Theory]
    [InlineData("ExecuteStatement")]
    [InlineData("BatchExecuteStatement")]
    [InlineData("BeginTransaction")]
    [InlineData("CommitTransaction")]
    [InlineData("RollbackTransaction")]
    public void Each_call_is_its_action_on_the_cluster_it_names(string operation)
    {
        var table = RdsDataAuthorization.Table();
        var input = Input(new JsonObject { ["resourceArn"] = Cluster, ["secretArn"] = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbCdEf", ["sql"] = "SELECT 1" });
        Assert.Equal($"rds-data:{operation}", table.Action(operation, input));
        Assert.Equal([Cluster], table.Resources(operation, input));
        Assert.Equal([new RequiredElsewhere("secretsmanager", "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbCdEf")],
            table.RequiredElsewhere(operation, input));
    }
}
