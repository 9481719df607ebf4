using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Macros;

namespace Stratus.Services.CloudFormation.Resources;

/// <summary>
/// AWS::CloudFormation::Macro: registers the macro (Name, FunctionName, Description, LogGroupName, LogRoleARN) in the stack's
/// account and Region, so later templates can name it in Transform or Fn::Transform. Ref is the macro's name (the
/// resource's Id in AWS's schema); a new Name replaces the macro, as AWS documents; deleting the resource unregisters it.
/// LogGroupName and LogRoleARN are recorded; Stratus's invocations log to the function's own log group.
/// </summary>
public sealed class MacroProvider(MacroRegistry macros) : IResourceProvider
{
    public string Type => "AWS::CloudFormation::Macro";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "Name" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var macro = Macro(request);
        macros.Register(macro);
        return Task.FromResult(Provisioned(macro));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var macro = Macro(request);
        macros.Replace(macro);
        return Task.FromResult(Provisioned(macro));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        macros.Remove(request.AccountId, request.Region, current.PhysicalId);
        return Task.CompletedTask;
    }

    private static MacroRecord Macro(ResourceRequest request)
    {
        var properties = request.Properties;
        return new MacroRecord(request.AccountId, request.Region, properties.Required("Name"), properties.Required("FunctionName"),
            properties.String("Description"), properties.String("LogGroupName"), properties.String("LogRoleARN"));
    }

    private static ProvisionedResource Provisioned(MacroRecord macro) => new(macro.Name, new Dictionary<string, string>());
}
