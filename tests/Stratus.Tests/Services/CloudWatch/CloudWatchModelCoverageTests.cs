using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Persistence;
using Stratus.Services.CloudWatch;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>Walks botocore's cloudwatch model: each operation is served, or refused by name with a reason README lists.</summary>
public sealed class CloudWatchModelCoverageTests
{
    [Fact]
    public void Every_operation_of_the_model_is_served_or_listed_as_not_served_in_README()
    {
        using var store = StateStore.Ephemeral();
        using var api = new CloudWatchApi(new CloudWatchService(store, TimeProvider.System, new RefusingLambda(), NullLogger.Instance), NullLogger.Instance);
        ModelCoverage.AssertServedOrListed("cloudwatch", api.Endpoint.Operations.Names, CloudWatchNotServed.Operations);
    }
}
