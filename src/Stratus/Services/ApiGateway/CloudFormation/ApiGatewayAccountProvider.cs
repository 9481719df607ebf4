using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.ApiGateway.CloudFormation;

/// <summary>
/// AWS::ApiGateway::Account: the region's CloudWatch role for API Gateway, stored as UpdateAccount stores
/// it. As on AWS, deleting the resource leaves the account setting as it was (it belongs to the account, not the stack).
/// </summary>
public sealed class ApiGatewayAccountProvider(ApiGatewayService gateway) : IResourceProvider
{
    public string Type => "AWS::ApiGateway::Account";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string>();

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        SetRole(request);
        // The resource's id names the setting, not an account: CloudFormation makes one up, as it does here.
        return Task.FromResult(new ProvisionedResource(request.GeneratedName(64), new Dictionary<string, string>()));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        SetRole(request);
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation) => Task.CompletedTask;

    private void SetRole(ResourceRequest request) =>
        gateway.UpdateAccount(request.Scope, [new PatchOperation("replace", "/cloudwatchRoleArn", request.Properties.String("CloudWatchRoleArn"), null)]);
}
