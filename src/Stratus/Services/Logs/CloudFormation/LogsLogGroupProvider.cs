using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Logs.CloudFormation;

/// <summary>
/// AWS::Logs::LogGroup through LogsService: the group, its retention, tags, class and deletion protection (a protected group's
/// stack cannot delete it, as on AWS, until the template turns DeletionProtectionEnabled off). Ref is the group name.
/// </summary>
public sealed class LogsLogGroupProvider(LogsService logs) : IResourceProvider, ILiveStateReader, IResourceImporter
{
    public string Type => "AWS::Logs::LogGroup";

    public string ImportIdentifier => "LogGroupName";

    public ProvisionedResource? FindExisting(Scope scope, string identifier) =>
        logs.DescribeLogGroups(scope, identifier, null).FirstOrDefault(g => g.Name == identifier) is { } group ? Provisioned(group) : null;

    public IEnumerable<ExistingResource> ListExisting(Scope scope) =>
        logs.DescribeLogGroups(scope, null, null).Select(g => new ExistingResource(g.Name, Provisioned(g), g.Tags));

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "LogGroupName", "LogGroupClass" };

    public async Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var scope = request.Scope;
        var group = logs.CreateLogGroup(scope, p.String("LogGroupName") ?? request.GeneratedName(512), Tags(p),
            new LogGroupSettings(false, p.String("LogGroupClass"), p.String("KmsKeyId")));
        try
        {
            if (p.Int("RetentionInDays") is { } days) logs.PutRetentionPolicy(scope, group.Name, days);
            // Protection goes on last, so a failure before it can still remove the group.
            if (p.Bool("DeletionProtectionEnabled") == true) logs.PutLogGroupDeletionProtection(scope, group.Name, true);
        }
        catch
        {
            await logs.DeleteLogGroupAsync(scope, group.Name);
            throw;
        }
        return Provisioned(group);
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var scope = request.Scope;
        if (p.Int("RetentionInDays") is { } days) logs.PutRetentionPolicy(scope, current.PhysicalId, days);
        else logs.DeleteRetentionPolicy(scope, current.PhysicalId);
        var tags = Tags(p);
        var removed = Tags(new ResourceProperties(request.LogicalId, previousProperties)).Keys.Except(tags.Keys).ToList();
        if (removed.Count > 0) logs.UntagLogGroup(scope, current.PhysicalId, removed);
        if (tags.Count > 0) logs.TagLogGroup(scope, current.PhysicalId, tags);
        // KmsKeyId is mutable: AWS associates the new key or disassociates the old one in place.
        var kmsKeyId = p.String("KmsKeyId");
        if (kmsKeyId != new ResourceProperties(request.LogicalId, previousProperties).String("KmsKeyId"))
        {
            if (kmsKeyId is null) logs.DisassociateKmsKey(scope, current.PhysicalId, null);
            else logs.AssociateKmsKey(scope, current.PhysicalId, null, kmsKeyId);
        }
        logs.PutLogGroupDeletionProtection(scope, current.PhysicalId, p.Bool("DeletionProtectionEnabled") ?? false);
        return Task.FromResult(current);
    }

    public async Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        try
        {
            await logs.DeleteLogGroupAsync(request.Scope, current.PhysicalId);
        }
        catch (AwsException e) when (e.Code == "ResourceNotFoundException")
        {
            // Already gone: nothing left to delete.
        }
    }

    private static Dictionary<string, string> Tags(ResourceProperties p) => p.TagMap() ?? [];

    /// <summary>The log group as Logs holds it, for drift detection.</summary>
    public JsonObject? ReadLive(ResourceRequest request, ProvisionedResource current) =>
        logs.DescribeLogGroups(request.Scope, current.PhysicalId, null).FirstOrDefault(g => g.Name == current.PhysicalId) is { } group
            ? new JsonObject
            {
                ["LogGroupName"] = group.Name,
                ["RetentionInDays"] = group.RetentionInDays,
                ["DeletionProtectionEnabled"] = group.DeletionProtectionEnabled,
                ["LogGroupClass"] = group.LogGroupClass,
                ["KmsKeyId"] = group.KmsKeyId,
                ["Tags"] = LiveState.TagList(request.Properties.Values["Tags"], group.Tags),
            }
            : null;

    private static ProvisionedResource Provisioned(LogGroup group) =>
        new(group.Name, new Dictionary<string, string> { ["Arn"] = group.Arn + ":*" });
}
