using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Rds.CloudFormation;

/// <summary>What the DB instance and DB cluster providers do alike: a template's tags kept on the resource, and a deletion awaited until RDS no longer knows it.</summary>
internal static class RdsStackResources
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>The template's Tags become the resource's: keys it no longer names are removed, the others set.</summary>
    public static void SyncTags(RdsService rds, Scope scope, string arn, ResourceProperties now, ResourceProperties before)
    {
        var tags = RdsTag.List(now);
        var removed = RdsTag.List(before).Select(t => t.Key).Except(tags.Select(t => t.Key)).ToList();
        if (removed.Count > 0) rds.RemoveTags(scope, arn, removed);
        if (tags.Count > 0) rds.AddTags(scope, arn, tags);
    }

    /// <summary>
    /// Starts the deletion unless it has begun (<paramref name="delete"/>), then polls <paramref name="lookUp"/> until it
    /// throws RDS's <paramref name="notFoundCode"/>: gone is what deleting waits for, as CloudFormation does.
    /// </summary>
    public static async Task DeleteAndWaitAsync(Action delete, Action lookUp, string notFoundCode, CancellationToken cancellation)
    {
        try
        {
            delete();
            while (true)
            {
                await Task.Delay(PollInterval, cancellation);
                lookUp();
            }
        }
        catch (AwsException e) when (e.Code == notFoundCode)
        {
        }
    }

    /// <summary>Polls <paramref name="lookUp"/> until the resource is available; one whose creation failed is gone, and RDS's not-found error says so.</summary>
    public static async Task<T> AvailableAsync<T>(Func<T> lookUp, Func<T, string> status, CancellationToken cancellation)
    {
        while (true)
        {
            var resource = lookUp();
            if (status(resource) == "available") return resource;
            await Task.Delay(PollInterval, cancellation);
        }
    }
}
