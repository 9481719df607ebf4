using System.Text.Json.Nodes;

namespace Stratus.Services.CloudFormation.Resources;

/// <summary>
/// AWS::CDK::Metadata: the CDK's record of which constructs a stack uses. As on AWS it provisions
/// nothing; the stack keeps its properties (Analytics) as the resource's definition.
/// </summary>
public sealed class CdkMetadataProvider : IResourceProvider
{
    public string Type => "AWS::CDK::Metadata";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>();

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation) =>
        Task.FromResult(new ProvisionedResource(Guid.NewGuid().ToString(), new Dictionary<string, string>()));

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(current);

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation) => Task.CompletedTask;
}
