using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Persistence;
using Stratus.Services.Logs;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Logs;

/// <summary>Walks botocore's logs model: each operation is served, or refused by name with a reason README lists.</summary>
public sealed class LogsModelCoverageTests
{
    [Fact]
    public void Every_operation_of_the_model_is_served_or_listed_as_not_served_in_README()
    {
        using var store = StateStore.Ephemeral();
        using var metrics = new Stratus.Services.CloudWatch.CloudWatchService(store, TimeProvider.System, new RefusingLambda(), NullLogger.Instance);
        using var api = new LogsApi(new LogsService(store, TimeProvider.System, metrics, NullLogger.Instance, new RefusingLambda(), () => null), NullLogger.Instance);
        ModelCoverage.AssertServedOrListed("logs", api.Endpoint.Operations.Names, LogsNotServed.Operations);
    }
}
