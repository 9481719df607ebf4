using System.Text.Json.Nodes;

namespace Stratus.Services.CloudFormation.Templates.Serverless;

/// <summary>
/// AWS::Serverless::LayerVersion becomes an AWS::Lambda::LayerVersion under the logical id SAM gives it: the SAM id
/// and 10 hex digits of a hash of the layer (MyLayer3f2a9c01b7), so that new content publishes a new version. SAM's
/// default RetentionPolicy, Retain, keeps replaced versions (DeletionPolicy Retain); Delete removes them. Every Ref and
/// GetAtt of the SAM id is pointed at the generated one by <see cref="SamTransform"/>.
/// </summary>
public static class SamLayerVersion
{
    public const string LayerType = "AWS::Serverless::LayerVersion";

    private static readonly HashSet<string> Built =
        ["LayerName", "Description", "ContentUri", "CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo", "RetentionPolicy"];

    /// <summary>Adds the layer version to the output and answers its generated logical id.</summary>
    public static string Expand(string id, JsonObject raw, JsonObject properties, JsonObject output)
    {
        foreach (var (name, _) in properties.Where(p => !Built.Contains(p.Key)))
            throw SamErrors.NotServed(id, $"Stratus does not build the LayerVersion property {name}.");
        var layer = new JsonObject
        {
            ["Content"] = SamFunction.S3Location(id, properties["ContentUri"]
                ?? throw SamErrors.Invalid(id, "Missing required property 'ContentUri'."), "ContentUri"),
            ["LayerName"] = properties["LayerName"]?.DeepClone() ?? id,
        };
        foreach (var name in new[] { "Description", "CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo" })
            if (properties[name] is { } value) layer[name] = value.DeepClone();
        var retention = SamTransform.Text(properties["RetentionPolicy"]) ?? "Retain";
        if (!retention.Equals("Retain", StringComparison.OrdinalIgnoreCase) && !retention.Equals("Delete", StringComparison.OrdinalIgnoreCase))
            throw SamErrors.Invalid(id, "'RetentionPolicy' must be one of the following values: ['Retain', 'Delete'].");
        var generated = id + SamTransform.Hash(layer)[..10];
        var resource = SamTransform.Resource("AWS::Lambda::LayerVersion", layer, raw, copyAttributes: true);
        if (retention.Equals("Retain", StringComparison.OrdinalIgnoreCase)) resource["DeletionPolicy"] = "Retain";
        output[generated] = resource;
        return generated;
    }
}
