using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Services.CloudFormation;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.Kms;
using Stratus.Services.S3;
using Stratus.Services.SecretsManager;
using Stratus.Services.SecretsManager.CloudFormation;
using Stratus.Services.Ssm;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>Walks botocore's cloudformation model: each operation is served, or refused by name with a reason README lists.</summary>
public sealed class CloudFormationModelCoverageTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "stratus-cfn-model-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dataDir, recursive: true);

    [Fact]
    public void Every_operation_of_the_model_is_served_or_listed_as_not_served_in_README()
    {
        using var store = StateStore.Ephemeral();
        using var s3 = new S3Service(store, TimeProvider.System, _dataDir, TimeSpan.FromHours(1));
        var ssm = new SsmService(store, TimeProvider.System, new KmsService(store, TimeProvider.System, null));
        using var api = new CloudFormationApi(new CloudFormationService(store, TimeProvider.System, new ResourceProviders([]),
            new DynamicReferenceValues(ssm, new SecretsManagerService(store, TimeProvider.System, null)),
            StratusAddress.Known(new Uri("http://localhost:1/")), NullLogger.Instance, ssm, s3, new RefusingLambda(), new RefusingLambda(), null), NullLogger.Instance);
        ModelCoverage.AssertServedOrListed("cloudformation", api.Endpoint.Operations.Names, CloudFormationNotServed.Operations);
    }
}
