using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.ApiGateway.CloudFormation;

/// <summary>
/// An API Gateway resource type Stratus replaces on any property change: the engine creates the new resource and deletes the old,
/// so an in-place update has nothing to change. Used by the API key, usage plan, usage plan key, request validator, model and
/// gateway response types, whose services have no in-place update from a template yet.
/// </summary>
public abstract class ReplacedOnAnyChangeProvider(params string[] properties) : IResourceProvider
{
    public abstract string Type { get; }

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>(properties);

    public abstract Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation);

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        Task.FromResult(current);

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => Delete(request, current), "NotFoundException");
        return Task.CompletedTask;
    }

    protected abstract void Delete(ResourceRequest request, ProvisionedResource current);

    protected static Task<ProvisionedResource> Created(string physicalId, Dictionary<string, string>? attributes = null) =>
        Task.FromResult(new ProvisionedResource(physicalId, attributes ?? []));

    /// <summary>A name CloudFormation makes when the template gives none: the stack and logical id, letters and digits only where AWS asks for them.</summary>
    internal static string GeneratedName(ResourceRequest request, bool alphanumeric = false)
    {
        var name = $"{request.StackName}-{request.LogicalId}-{ApiGatewayErrors.NewId()}";
        return alphanumeric ? new string(name.Where(char.IsAsciiLetterOrDigit).ToArray()) : name;
    }
}
