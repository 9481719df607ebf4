using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Rds.CloudFormation;

/// <summary>
/// AWS::RDS::OptionGroup through RdsService: a record, and OptionConfigurations must be empty, as Stratus offers no
/// options (DescribeOptionGroupOptions lists none). Ref is the group name.
/// </summary>
public sealed class RdsOptionGroupProvider(RdsService rds) : IResourceProvider
{
    public string Type => "AWS::RDS::OptionGroup";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "OptionGroupName", "EngineName", "MajorEngineVersion", "OptionGroupDescription" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var options = Options(p);
        var group = rds.CreateOptionGroup(request.Scope, p.String("OptionGroupName") ?? request.GeneratedName(255).ToLowerInvariant(),
            p.Required("EngineName"), p.Required("MajorEngineVersion"), p.Required("OptionGroupDescription"), RdsTag.List(p));
        try
        {
            rds.ModifyOptionGroup(request.Scope, group.Name, options);
        }
        catch
        {
            rds.DeleteOptionGroup(request.Scope, group.Name);
            throw;
        }
        return Task.FromResult(new ProvisionedResource(group.Name, new Dictionary<string, string>()));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        rds.ModifyOptionGroup(request.Scope, current.PhysicalId, Options(request.Properties));
        return Task.FromResult(current);
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => rds.DeleteOptionGroup(request.Scope, current.PhysicalId), "OptionGroupNotFoundFault");
        return Task.CompletedTask;
    }

    private static List<string> Options(Stratus.Protocols.IInputReader p) => p.Objects("OptionConfigurations").Select(o => o.Required("OptionName")).ToList();
}
