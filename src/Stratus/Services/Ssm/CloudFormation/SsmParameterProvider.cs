using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Ssm.CloudFormation;

/// <summary>
/// AWS::SSM::Parameter through Parameter Store's domain. As on AWS, a template makes String and
/// StringList parameters only (SecureString is not a type the resource accepts); Ref is the name,
/// Fn::GetAtt gives Type and Value.
/// </summary>
public sealed class SsmParameterProvider(SsmService ssm) : IResourceProvider, ILiveStateReader, IResourceImporter
{
    public string ImportIdentifier => "Name";

    public ProvisionedResource? FindExisting(Scope scope, string identifier) =>
        ssm.Find(scope, identifier) is { } latest ? Provisioned(identifier, latest) : null;

    public IEnumerable<ExistingResource> ListExisting(Scope scope) =>
        ssm.List(scope).Select(p => new ExistingResource(p.Name, Provisioned(p.Name, p.Versions[^1]), p.Tags));

    private const string NameSuffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public string Type => "AWS::SSM::Parameter";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "Name" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        // CloudFormation names an unnamed parameter CFN-logicalId-suffix.
        var name = p.String("Name") ?? $"CFN-{request.LogicalId}-{RandomNumberGenerator.GetString(NameSuffixAlphabet, 12)}";
        var version = ssm.Put(request.Scope, Read(p, name, overwrite: false, p.StringMap("Tags") ?? []));
        return Task.FromResult(Provisioned(name, version));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        var name = current.PhysicalId;
        var version = ssm.Put(request.Scope, Read(p, name, overwrite: true, new Dictionary<string, string>()));
        var tags = p.StringMap("Tags") ?? [];
        var previousTags = new ResourceProperties(request.LogicalId, previousProperties).StringMap("Tags") ?? [];
        ssm.Untag(request.Scope, name, previousTags.Keys.Except(tags.Keys).ToList());
        if (tags.Count > 0) ssm.Tag(request.Scope, name, tags);
        return Task.FromResult(Provisioned(name, version));
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => ssm.Delete(request.Scope, current.PhysicalId), "ParameterNotFound");
        return Task.CompletedTask;
    }

    /// <summary>The parameter's latest version as Parameter Store holds it, for drift detection.</summary>
    public JsonObject? ReadLive(ResourceRequest request, ProvisionedResource current) =>
        ssm.Find(request.Scope, current.PhysicalId) is { } latest
            ? new JsonObject
            {
                ["Name"] = current.PhysicalId,
                ["Type"] = latest.Type,
                ["Value"] = latest.Value,
                ["Description"] = latest.Description,
                ["AllowedPattern"] = latest.AllowedPattern,
                ["Tier"] = latest.Tier,
                ["Tags"] = LiveState.TagMap(ssm.Tags(request.Scope, current.PhysicalId)),
            }
            : null;

    private static PutParameterRequest Read(ResourceProperties p, string name, bool overwrite, IReadOnlyDictionary<string, string> tags)
    {
        var type = p.Required("Type");
        if (type is not ("String" or "StringList")) throw p.Invalid("Type", "failed validation constraint for keyword [enum]");
        if (p.String("DataType") is { } dataType && dataType != "text")
            throw p.Invalid("DataType", $"Stratus's Parameter Store keeps text parameters only, not {dataType}");
        return new PutParameterRequest(name, p.Required("Value"), type, p.String("Description"), null, overwrite,
            p.String("AllowedPattern"), p.String("Tier"), tags);
    }

    private static ProvisionedResource Provisioned(string name, SsmParameterVersion version) =>
        new(name, new Dictionary<string, string> { ["Type"] = version.Type, ["Value"] = version.Value });
}
