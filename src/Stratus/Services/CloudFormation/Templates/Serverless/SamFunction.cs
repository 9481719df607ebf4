using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stratus.Services.CloudFormation.Templates.Serverless;

/// <summary>
/// AWS::Serverless::Function: the AWS::Lambda::Function, its execution role &lt;Fn&gt;Role unless Role is
/// given, &lt;Fn&gt;Version&lt;hash&gt; and &lt;Fn&gt;Alias&lt;name&gt; for AutoPublishAlias, and the routes and
/// permissions of its events.
/// </summary>
public static partial class SamFunction
{
    /// <summary>Properties that carry over to AWS::Lambda::Function under the same name.</summary>
    private static readonly string[] PassedThrough =
    [
        "FunctionName", "Description", "Handler", "Runtime", "MemorySize", "Timeout", "Environment", "VpcConfig", "Layers",
        "Architectures", "ReservedConcurrentExecutions", "EphemeralStorage", "KmsKeyArn", "ImageConfig", "PackageType",
        "LoggingConfig", "SnapStart", "RuntimeManagementConfig", "CodeSigningConfigArn", "FileSystemConfigs", "RecursiveLoop",
    ];

    /// <summary>SAM properties that shape the generated resources rather than pass through.</summary>
    private static readonly HashSet<string> Shaping =
    [
        "CodeUri", "InlineCode", "ImageUri", "Role", "Policies", "PermissionsBoundary", "AssumeRolePolicyDocument", "RolePath",
        "Events", "Tags", "AutoPublishAlias", "AutoPublishCodeSha256", "AutoPublishAliasAllProperties", "VersionDescription", "Tracing",
        "PropagateTags", "ProvisionedConcurrencyConfig",
    ];

    [GeneratedRegex("^[A-Za-z0-9]+$")]
    private static partial Regex AliasPattern();

    [GeneratedRegex(@"^s3://(?<bucket>[^/]+)/(?<key>[^?]+)(\?versionId=(?<version>.+))?$")]
    private static partial Regex S3Uri();

    public static void Expand(string id, JsonObject raw, JsonObject p, JsonObject output, List<ApiBinding> bindings, List<S3Binding> buckets)
    {
        foreach (var (name, _) in p)
            if (!Shaping.Contains(name) && !PassedThrough.Contains(name))
                throw SamErrors.NotServed(id, $"Stratus does not build the {SamTransform.FunctionType} property {name}.");

        var function = new JsonObject();
        var packageType = SamTransform.Text(p["PackageType"]) ?? "Zip";
        function["Code"] = Code(id, p, packageType);
        foreach (var name in PassedThrough)
            if (p[name] is { } value) function[name] = value.DeepClone();
        if (p["Tracing"] is { } tracing) function["TracingConfig"] = new JsonObject { ["Mode"] = tracing.DeepClone() };
        if (p["Role"] is { } role) function["Role"] = role.DeepClone();
        else
        {
            output[id + "Role"] = SamRole.Build(id, raw, p);
            function["Role"] = SamTransform.GetAtt(id + "Role", "Arn");
        }
        function["Tags"] = SamTransform.SamTags(Tags(id, p));
        output[id] = SamTransform.Resource("AWS::Lambda::Function", function, raw, copyAttributes: true);

        // What events and the API invoke: the alias when there is one, so traffic follows it.
        var invokeTarget = id + ".Arn";
        var functionRef = SamTransform.Ref(id);
        if (p.ContainsKey("ProvisionedConcurrencyConfig") && !p.ContainsKey("AutoPublishAlias"))
            throw SamErrors.Invalid(id, "To set ProvisionedConcurrencyConfig AutoPublishALias must be defined on the function");
        if (p["AutoPublishAlias"] is { } aliasNode)
        {
            var alias = SamTransform.Text(aliasNode);
            if (alias is null || !AliasPattern().IsMatch(alias))
                throw SamErrors.Invalid(id, "'AutoPublishAlias' must be a string of letters and digits (Stratus does not resolve it from parameters).");
            var versionId = id + "Version" + VersionHash(p, function)[..10];
            var version = new JsonObject { ["FunctionName"] = SamTransform.Ref(id) };
            if (p["VersionDescription"] is { } description) version["Description"] = description.DeepClone();
            var versionResource = SamTransform.Resource("AWS::Lambda::Version", version, raw);
            // Versions outlive the update that replaces them, as SAM marks them, so the alias can still point back.
            versionResource["DeletionPolicy"] = "Retain";
            output[versionId] = versionResource;
            var aliasId = id + "Alias" + alias;
            var aliasProperties = new JsonObject
            {
                ["Name"] = alias,
                ["FunctionName"] = SamTransform.Ref(id),
                ["FunctionVersion"] = SamTransform.GetAtt(versionId, "Version"),
            };
            if (p["ProvisionedConcurrencyConfig"] is { } provisioned) aliasProperties["ProvisionedConcurrencyConfig"] = provisioned.DeepClone();
            output[aliasId] = SamTransform.Resource("AWS::Lambda::Alias", aliasProperties, raw);
            invokeTarget = aliasId;
            functionRef = SamTransform.Ref(aliasId);
        }

        if (p["Events"] is { } events)
            SamEvents.Expand(id, raw, events, invokeTarget, functionRef, bindings, buckets, output);
    }

    /// <summary>
    /// The hash in the version's logical id: of the code (and AutoPublishCodeSha256, VersionDescription), so
    /// new code publishes a new version; of every function property with AutoPublishAliasAllProperties.
    /// </summary>
    private static string VersionHash(JsonObject p, JsonObject function) =>
        p["AutoPublishAliasAllProperties"] is JsonValue all && all.TryGetValue<bool>(out var everything) && everything
            ? SamTransform.Hash(function, p["VersionDescription"])
            : SamTransform.Hash(function["Code"], p["AutoPublishCodeSha256"], p["VersionDescription"]);

    private static JsonObject Code(string id, JsonObject p, string packageType)
    {
        if (packageType == "Image")
        {
            if (p.ContainsKey("CodeUri") || p.ContainsKey("InlineCode"))
                throw SamErrors.Invalid(id, "'CodeUri' and 'InlineCode' cannot be used with PackageType Image; use 'ImageUri'.");
            return p["ImageUri"] is { } image
                ? new JsonObject { ["ImageUri"] = image.DeepClone() }
                : throw SamErrors.Invalid(id, "'ImageUri' must be set when PackageType is Image.");
        }
        if (packageType != "Zip") throw SamErrors.Invalid(id, $"'PackageType' must be Zip or Image, not '{packageType}'.");
        if (p.ContainsKey("ImageUri")) throw SamErrors.Invalid(id, "'ImageUri' can only be used with PackageType Image.");
        return (p["CodeUri"], p["InlineCode"]) switch
        {
            (not null, not null) => throw SamErrors.Invalid(id, "Only one of 'InlineCode' or 'CodeUri' can be set."),
            (null, null) => throw SamErrors.Invalid(id, "Either 'InlineCode' or 'CodeUri' must be set."),
            (null, var inline) => new JsonObject { ["ZipFile"] = inline!.DeepClone() },
            (var uri, null) => S3Location(id, uri!, "CodeUri"),
        };
    }

    /// <summary>
    /// A CodeUri (or a layer's ContentUri) as `aws cloudformation package` leaves it: an s3:// URI (optionally ?versionId=)
    /// or {Bucket, Key, Version}, as Lambda's S3Bucket/S3Key/S3ObjectVersion. A local path means the template was not
    /// packaged, which AWS refuses too.
    /// </summary>
    public static JsonObject S3Location(string id, JsonNode uri, string property)
    {
        if (SamTransform.Text(uri) is { } text)
        {
            var match = S3Uri().Match(text);
            if (!match.Success)
                throw SamErrors.Invalid(id, $"'{property}' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter.");
            var code = new JsonObject { ["S3Bucket"] = match.Groups["bucket"].Value, ["S3Key"] = match.Groups["key"].Value };
            if (match.Groups["version"].Success) code["S3ObjectVersion"] = match.Groups["version"].Value;
            return code;
        }
        if (uri is JsonObject location && !SamTransform.IsIntrinsic(location) && location["Bucket"] is { } bucket && location["Key"] is { } key)
        {
            var code = new JsonObject { ["S3Bucket"] = bucket.DeepClone(), ["S3Key"] = key.DeepClone() };
            if (location["Version"] is { } version) code["S3ObjectVersion"] = version.DeepClone();
            return code;
        }
        throw SamErrors.Invalid(id, $"'{property}' requires Bucket and Key properties to be specified.");
    }

    private static JsonObject? Tags(string id, JsonObject p) => p["Tags"] switch
    {
        null => null,
        JsonObject tags when !SamTransform.IsIntrinsic(tags) => tags,
        _ => throw SamErrors.Invalid(id, "'Tags' must be a map of tag names to values."),
    };
}
