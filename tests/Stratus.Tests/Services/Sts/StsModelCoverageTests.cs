using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Protocols.Jwt;
using Stratus.Services.Iam;
using Stratus.Services.Sts;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Sts;

/// <summary>Walks botocore's sts model: each operation is served, or refused by name with a reason README lists.</summary>
public sealed class StsModelCoverageTests
{
    private static StsApi Api(StateStore store)
    {
        using var http = new HttpClient();
        var sts = new StsService(store, TimeProvider.System, new IamService(store, TimeProvider.System), new JwksKeys(http, TimeProvider.System, new HashSet<string>()),
            new OutboundWebIdentityFederation(store, SealingKey.FromFile(null), StratusAddress.Known(new Uri("http://localhost:4566/"))));
        return new StsApi(sts, new CredentialResolver([]), NullLogger.Instance);
    }

    [Fact]
    public void Every_operation_of_the_model_is_served_or_listed_as_not_served_in_README()
    {
        using var store = StateStore.Ephemeral();
        ModelCoverage.AssertServedOrListed("sts", Api(store).Endpoint.Operations.Names, StsNotServed.Operations);
    }

    [Fact]
    public async Task An_operation_not_served_is_refused_by_name_with_its_reason()
    {
        using var store = StateStore.Ephemeral();
        var assumeRoot = Api(store).Endpoint.Operations.Find("AssumeRoot")!;
        var call = new CallContext { AccountId = "000000000000", Region = "us-east-1", RequestId = "r", Http = new Microsoft.AspNetCore.Http.DefaultHttpContext() };
        var refusal = await Assert.ThrowsAsync<AwsException>(() => assumeRoot(new OperationInput(new JsonObject { ["TargetPrincipal"] = "111111111111" }, call, ValidationStyle.Smithy)));
        Assert.Equal("InvalidAction", refusal.Code);
        Assert.Equal("Stratus does not serve the STS operation AssumeRoot: it hands out root sessions of an organization's member accounts, and AWS Organizations is not served",
            refusal.Message);
    }
}
