using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Iam;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Iam;

/// <summary>Walks botocore's iam model: each operation is served, or refused by name with a reason README lists.</summary>
public sealed class IamModelCoverageTests
{
    private static IamApi Api(StateStore store) =>
        new(new IamService(store, TimeProvider.System),
            new OutboundWebIdentityFederation(store, SealingKey.FromFile(null), StratusAddress.Known(new Uri("http://localhost:4566/"))), NullLogger.Instance);

    [Fact]
    public void Every_operation_of_the_model_is_served_or_listed_as_not_served_in_README()
    {
        using var store = StateStore.Ephemeral();
        ModelCoverage.AssertServedOrListed("iam", Api(store).Endpoint.Operations.Names, IamNotServed.Operations);
    }

    [Fact]
    public async Task An_operation_not_served_is_refused_by_name_with_its_reason()
    {
        using var store = StateStore.Ephemeral();
        var changePassword = Api(store).Endpoint.Operations.Find("ChangePassword")!;
        var call = new CallContext { AccountId = "000000000000", Region = "us-east-1", RequestId = "r", Http = new Microsoft.AspNetCore.Http.DefaultHttpContext() };
        var refusal = await Assert.ThrowsAsync<AwsException>(() =>
            changePassword(new OperationInput(new JsonObject { ["OldPassword"] = "a", ["NewPassword"] = "b" }, call, IamNames.Errors)));
        Assert.Equal("InvalidAction", refusal.Code);
        Assert.Equal("Stratus does not serve the IAM operation ChangePassword: passwords of login profiles are never stored, so the old one cannot be checked",
            refusal.Message);
    }
}
