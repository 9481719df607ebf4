using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Persistence;
using Stratus.Services.Rds;
using Stratus.Services.RdsData;
using Stratus.Services.SecretsManager;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.RdsData;

/// <summary>Walks botocore's rds-data model: each operation is served, or refused by name with a reason README lists.</summary>
public sealed class RdsDataModelCoverageTests
{
    [Fact]
    public void Every_operation_of_the_model_is_served_or_listed_as_not_served_in_README()
    {
        using var store = StateStore.Ephemeral();
        var secrets = new SecretsManagerService(store, TimeProvider.System, null);
        var rds = new RdsService(store, TimeProvider.System, engines: [], dataDir: null, "127.0.0.1", secrets, NullLogger.Instance,
            new Stratus.Services.Ec2.Ec2Service(store, TimeProvider.System));
        using var api = new RdsDataApi(new RdsDataService(rds, secrets, TimeProvider.System), NullLogger.Instance);
        ModelCoverage.AssertServedOrListed("rds-data", api.Endpoint.Operations.Names, RdsDataNotServed.Operations, modelAtLeast: 6);
    }
}
