using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Lambda.CloudFormation;

/// <summary>
/// The ProvisionedConcurrencyConfig property of AWS::Lambda::Alias and AWS::Lambda::Version (and so of SAM's
/// AutoPublishAlias alias), through the same domain calls as PutProvisionedConcurrencyConfig and
/// DeleteProvisionedConcurrencyConfig. As CloudFormation does, a create or a change completes only once the
/// environments are READY, and fails with Lambda's reason when their initialisation fails.
/// </summary>
internal static class ProvisionedConcurrencyProperty
{
    private const string Name = "ProvisionedConcurrencyConfig";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Brings the qualifier's configuration to what the template states: put when stated and new or changed, deleted
    /// when no longer stated. <paramref name="versionChanged"/> (an alias moved to another version) waits for the
    /// environments of the new version too.
    /// </summary>
    public static async Task ApplyAsync(LambdaService lambda, ResourceRequest request, string functionName, string qualifier,
        ResourceProperties? before, bool versionChanged, CancellationToken cancellation)
    {
        var wanted = Requested(request.Properties);
        var had = before is null ? null : Requested(before);
        if (wanted is null)
        {
            if (had is not null) lambda.DeleteProvisionedConcurrency(request.Scope, functionName, qualifier);
            return;
        }
        if (wanted != had) lambda.PutProvisionedConcurrency(request.Scope, functionName, qualifier, wanted.Value);
        else if (!versionChanged) return;
        await ReadyAsync(lambda, request, functionName, qualifier, cancellation);
    }

    private static int? Requested(ResourceProperties properties) =>
        properties.Object(Name) is { } config
            ? config.Int("ProvisionedConcurrentExecutions") ?? throw config.Missing("ProvisionedConcurrentExecutions")
            : null;

    private static async Task ReadyAsync(LambdaService lambda, ResourceRequest request, string functionName, string qualifier, CancellationToken cancellation)
    {
        while (true)
        {
            var state = lambda.GetProvisionedConcurrency(request.Scope, functionName, qualifier);
            if (state.Status == "READY") return;
            // CloudFormation's words for a configuration that Lambda could not allocate.
            if (state.Status == "FAILED")
                throw new ResourcePropertyException($"Provisioned Concurrency configuration failed to be applied. Reason: {state.StatusReason}");
            await Task.Delay(PollInterval, cancellation);
        }
    }
}
