using Stratus.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudFormation;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.Kms;
using Stratus.Services.S3;
using Stratus.Services.SecretsManager;
using Stratus.Services.SecretsManager.CloudFormation;
using Stratus.Services.Ssm;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>
/// The stack quota at the service: 2,000 stacks (recorded in the state store, as RDS's quota tests record their instances)
/// take no 2,001st, by CreateStack or by a CREATE change set; a deleted stack frees its place; another Region has its own.
/// </summary>
public sealed class StackLimitTests : IDisposable
{
    private const string Account = "000000000000";
    private const string Region = "us-east-1";
    private const string Template = """{"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v"}}}}""";

    private readonly string _dataDir = Directory.CreateTempSubdirectory("stratus-cfn-limit-").FullName;

    public void Dispose()
    {
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task Two_thousand_stacks_take_no_more_until_one_is_deleted()
    {
        // A store on disk: the service's tables load what is already there, as after a restart (an ephemeral store loads nothing).
        using var store = StateStore.Open(_dataDir);
        var stacks = new ResourceTable<StackRecord>(store, "cloudformation.stacks");
        for (var n = 0; n < CloudFormationService.StackLimit; n++)
        {
            var id = $"arn:aws:cloudformation:{Region}:{Account}:stack/s{n}/{Guid.NewGuid()}";
            stacks.Put(id, new StackRecord
            {
                StackId = id, StackName = $"s{n}", AccountId = Account, Region = Region, Status = StackStatus.CreateComplete,
                CreationTime = DateTimeOffset.UtcNow, TemplateBody = Template,
            });
        }
        using var s3 = new S3Service(store, TimeProvider.System, _dataDir, TimeSpan.FromHours(1));
        var ssm = new SsmService(store, TimeProvider.System, new KmsService(store, TimeProvider.System, null));
        using var cfn = new CloudFormationService(store, TimeProvider.System, new ResourceProviders([]),
            new DynamicReferenceValues(ssm, new SecretsManagerService(store, TimeProvider.System, null)),
            StratusAddress.Known(new Uri("http://localhost:1/")), NullLogger.Instance, ssm, s3, new RefusingLambda(), new RefusingLambda(), null);
        var scope = Scope.Of(Account, Region);
        var request = new StackRequest("one-too-many", Template, [], [], []);

        var refused = Assert.Throws<AwsException>(() => cfn.CreateStack(scope, request));
        Assert.Equal(("LimitExceededException", "Limit for stack has been exceeded", 400), (refused.Code, refused.Message, refused.StatusCode));
        var viaChangeSet = Assert.Throws<AwsException>(() => cfn.CreateChangeSet(scope, new ChangeSetRequest(request, "cs", "CREATE", null)));
        Assert.Equal("LimitExceededException", viaChangeSet.Code);
        Assert.Null(cfn.FindOrNull(scope, "one-too-many"));

        // Another Region of the account has its own quota, as on AWS.
        Assert.Equal(StackStatus.ReviewInProgress,
            cfn.FindOrNull(Scope.Of(Account, "us-west-2"), cfn.CreateChangeSet(Scope.Of(Account, "us-west-2"), new ChangeSetRequest(request, "cs", "CREATE", null)).StackId)!.Status);

        // A deleted stack no longer counts (these have no resources, so their deletes complete at once).
        var deleted = cfn.DeleteStack(scope, "s0")!;
        Assert.Equal(StackStatus.DeleteComplete, (await cfn.SettledAsync(deleted, CancellationToken.None)).Status);
        Assert.Equal(StackStatus.ReviewInProgress,
            cfn.FindOrNull(scope, cfn.CreateChangeSet(scope, new ChangeSetRequest(request, "cs", "CREATE", null)).StackId)!.Status);
    }
}
