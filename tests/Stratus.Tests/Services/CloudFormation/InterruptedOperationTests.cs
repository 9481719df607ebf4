using Stratus.Tests.Infrastructure;
using Stratus.Services.Kms;
using Stratus.Services.S3;
using Stratus.Services.Ssm;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudFormation;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.SecretsManager;
using Stratus.Services.SecretsManager.CloudFormation;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>A stop in the middle of a stack operation leaves the stack failed, not forever in progress.</summary>
public sealed class InterruptedOperationTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("stratus-cfn-").FullName;

    public void Dispose() => Directory.Delete(_dataDir, recursive: true);

    [Theory]
    [InlineData(StackStatus.CreateInProgress, StackStatus.CreateFailed)]
    [InlineData(StackStatus.UpdateInProgress, StackStatus.UpdateRollbackFailed)]
    [InlineData(StackStatus.DeleteInProgress, StackStatus.DeleteFailed)]
    [InlineData(StackStatus.RollbackInProgress, StackStatus.RollbackFailed)]
    [InlineData(StackStatus.CreateComplete, StackStatus.CreateComplete)]
    public void An_operation_cut_short_by_a_stop_is_failed_on_the_next_start(string statusAtStop, string statusAfterStart)
    {
        using (var store = StateStore.Open(_dataDir))
        {
            var stacks = new StackStore(store, TimeProvider.System);
            stacks.Stacks.Put("arn:stack", new StackRecord
            {
                StackId = "arn:stack",
                StackName = "cut-short",
                AccountId = "000000000000",
                Region = "us-east-1",
                Status = statusAtStop,
                CreationTime = DateTimeOffset.UtcNow,
                Resources = new Dictionary<string, StackResourceRecord>
                {
                    ["Role"] = new() { LogicalId = "Role", Type = "AWS::IAM::Role", Status = StackStatus.CreateInProgress, Timestamp = DateTimeOffset.UtcNow },
                },
            });
        }

        using (var store = StateStore.Open(_dataDir))
        using (var s3 = new S3Service(store, TimeProvider.System, Path.Combine(_dataDir, "s3"), TimeSpan.FromHours(1)))
        using (var cfn = NewCloudFormation(store, s3, new SsmService(store, TimeProvider.System, new KmsService(store, TimeProvider.System, null))))
        {
            var stack = cfn.Find(Scope.Of("000000000000", "us-east-1"), "cut-short");
            Assert.Equal(statusAfterStart, stack.Status);
            if (statusAtStop != statusAfterStart)
            {
                Assert.Equal("Stratus stopped while this stack operation was in progress.", stack.StatusReason);
                Assert.Equal(StackStatus.CreateFailed, stack.Resources["Role"].Status);
                Assert.Equal(statusAfterStart, cfn.Events(Scope.Of("000000000000", "us-east-1"), "cut-short")[0].ResourceStatus);
            }
        }
    }

    private static CloudFormationService NewCloudFormation(StateStore store, S3Service s3, SsmService ssm) =>
        new(store, TimeProvider.System, new ResourceProviders([]), new DynamicReferenceValues(ssm, new SecretsManagerService(store, TimeProvider.System, null)),
            StratusAddress.Known(new Uri("http://localhost:1/")), NullLogger.Instance, ssm, s3, new RefusingLambda(), new RefusingLambda(), null);
}
