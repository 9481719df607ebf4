using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.ApiGateway.CloudFormation;

/// <summary>
/// AWS::ApiGateway::ClientCertificate: Ref is the certificate's id. A new Description is patched in place, keeping the key pair, as
/// AWS updates it without interruption; new Tags replace the resource (Stratus's certificates take tags only when generated).
/// </summary>
public sealed class ApiGatewayClientCertificateProvider(ApiGatewayService gateway) : IResourceProvider
{
    public string Type => "AWS::ApiGateway::ClientCertificate";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "Tags" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var certificate = gateway.GenerateClientCertificate(request.Scope, ClientCertificateSettings.Read(request.Properties));
        return Task.FromResult(new ProvisionedResource(certificate.ClientCertificateId, new Dictionary<string, string>()));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var description = request.Properties.String("Description");
        gateway.UpdateClientCertificate(request.Scope, current.PhysicalId,
            [description is null ? new PatchOperation("remove", "/description", null, null) : new PatchOperation("replace", "/description", description, null)]);
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => gateway.DeleteClientCertificate(request.Scope, current.PhysicalId), "NotFoundException");
        return Task.CompletedTask;
    }
}
