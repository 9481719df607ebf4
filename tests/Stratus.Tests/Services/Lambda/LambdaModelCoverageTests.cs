using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Services.CloudWatch;
using Stratus.Services.Ecr;
using Stratus.Services.Iam;
using Stratus.Services.Lambda;
using Stratus.Services.Lambda.Engine;
using Stratus.Services.Logs;
using Stratus.Services.S3;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>Walks botocore's lambda model: each operation is served, or refused by name with a reason README lists.</summary>
public sealed class LambdaModelCoverageTests : IDisposable
{
    private readonly string _workDir = Directory.CreateTempSubdirectory("stratus-lambda-model-").FullName;

    public void Dispose() => Directory.Delete(_workDir, recursive: true);

    [Fact]
    public async Task Every_operation_of_the_model_is_served_or_listed_as_not_served_in_README()
    {
        using var store = StateStore.Ephemeral();
        var clock = TimeProvider.System;
        var address = StratusAddress.Known(new Uri("http://127.0.0.1:1"));
        using var metrics = new CloudWatchService(store, clock, new RefusingLambda(), NullLogger.Instance);
        using var logs = new LogsService(store, clock, metrics, NullLogger.Instance, new RefusingLambda(), () => null);
        using var ecr = new EcrService(store, clock, Path.Combine(_workDir, "ecr"), EcrSettings.FromEnvironment(), address, NullLogger.Instance);
        using var s3 = new S3Service(store, clock, Path.Combine(_workDir, "s3"), TimeSpan.FromHours(1));
        var kms = new Stratus.Services.Kms.KmsService(store, clock, null);
        await using var lambda = LambdaService.Start(store, clock, new IamService(store, clock), null, logs, metrics, ecr,
            Path.Combine(_workDir, "lambda"), new LambdaSettings(), address, new Stratus.Services.Ec2.Ec2Service(store, clock),
            kms, kms);
        var api = new LambdaApi(lambda, new SignedLinks(new byte[32], clock), new S3CodePackages(s3), NullLogger.Instance);
        ModelCoverage.AssertServedOrListed("lambda", api.Endpoint.Operations.Names, LambdaNotServed.Operations);
    }
}
