using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Registry;

namespace Stratus.Services.CloudFormation;

/// <summary>
/// The extension registry on the wire: private resource types registered from a handler package, their registrations,
/// versions and configurations, RecordHandlerProgress for their handlers, and ListTypes and DescribeType over both the
/// private types and the public AWS types Stratus provisions.
/// </summary>
public sealed partial class CloudFormationApi
{
    private const string ResourceCategory = "RESOURCE";

    private void AddRegistryOperations(OperationTable operations)
    {
        var registry = _cfn.Registry;
        operations.Add("RegisterType", i =>
        {
            var logging = i.Object("LoggingConfig") is { } l ? i.Nested(l) : null;
            return new JsonObject
            {
                ["RegistrationToken"] = registry.Register(i.Scope, new TypeRegistrationRequest(i.String("Type"), i.Required("TypeName"),
                    i.Required("SchemaHandlerPackage"), logging?.Required("LogGroupName"), logging?.Required("LogRoleArn"), i.String("ExecutionRoleArn"),
                    i.String("ClientRequestToken"))),
            };
        });
        operations.Add("DescribeTypeRegistration", i =>
        {
            var registration = registry.Registration(i.Scope, i.Required("RegistrationToken"));
            var result = new JsonObject { ["ProgressStatus"] = registration.Status, ["Description"] = registration.Description };
            if (registration.Status == RegistryStatus.Complete)
            {
                var typeArn = TypeRegistry.TypeArn(registration.Region, registration.AccountId, registration.TypeName);
                result["TypeArn"] = typeArn;
                result["TypeVersionArn"] = $"{typeArn}/{registration.VersionId}";
            }
            return result;
        });
        operations.Add("ListTypeRegistrations", i => Paged(i, "RegistrationTokenList",
            registry.Registrations(i.Scope, i.String("TypeName"), i.String("TypeArn"), i.String("RegistrationStatusFilter")),
            r => JsonValue.Create(r.Token), i.Int("MaxResults") ?? PageSize));
        operations.Add("ListTypeVersions", i =>
        {
            var (type, versions) = registry.Versions(i.Scope, Reference(i), i.String("DeprecatedStatus") ?? RegistryStatus.Live);
            return Paged(i, "TypeVersionSummaries", versions, v =>
            {
                var summary = new JsonObject
                {
                    ["Type"] = ResourceCategory,
                    ["TypeName"] = type!.TypeName,
                    ["VersionId"] = v.VersionId,
                    ["IsDefaultVersion"] = v.VersionId == type.DefaultVersionId,
                    ["Arn"] = TypeRegistry.VersionArn(type, v.VersionId),
                    ["TimeCreated"] = v.TimeCreated,
                };
                if (v.Description is not null) summary["Description"] = v.Description;
                return summary;
            }, i.Int("MaxResults") ?? PageSize);
        });
        operations.Add("SetTypeDefaultVersion", i => Empty(() => registry.SetDefaultVersion(i.Scope, Reference(i))));
        operations.Add("DeregisterType", i => Empty(() => registry.Deregister(i.Scope, Reference(i))));
        operations.Add("DescribeType", DescribeType);
        operations.Add("ListTypes", ListTypes);
        operations.Add("SetTypeConfiguration", i =>
        {
            var (_, arn) = registry.SetConfiguration(i.Scope, new TypeReference(i.String("TypeArn"), i.String("Type"), i.String("TypeName"), null),
                i.Required("Configuration"), i.String("ConfigurationAlias"));
            return new JsonObject { ["ConfigurationArn"] = arn };
        });
        operations.Add("BatchDescribeTypeConfigurations", i =>
        {
            var found = new JsonArray();
            var errors = new JsonArray();
            foreach (var item in i.List("TypeConfigurationIdentifiers"))
            {
                var identifier = i.Nested(item as JsonObject ?? []);
                try
                {
                    var (type, configuration) = registry.Configuration(i.Scope, identifier.String("TypeArn"), identifier.String("Type"),
                        identifier.String("TypeName"), identifier.String("TypeConfigurationAlias"), identifier.String("TypeConfigurationArn"));
                    found.Add(new JsonObject
                    {
                        ["Arn"] = TypeRegistry.ConfigurationArn(type, configuration.Alias),
                        ["Alias"] = configuration.Alias,
                        ["Configuration"] = configuration.Configuration,
                        ["LastUpdated"] = configuration.LastUpdated,
                        ["TypeArn"] = TypeRegistry.TypeArn(type),
                        ["TypeName"] = type.TypeName,
                        ["IsDefaultConfiguration"] = configuration.Alias == RegistryStatus.DefaultAlias,
                    });
                }
                catch (AwsException e) when (e.Code is "TypeConfigurationNotFoundException" or "CFNRegistryException")
                {
                    errors.Add(new JsonObject { ["ErrorCode"] = e.Code, ["ErrorMessage"] = e.Message, ["TypeConfigurationIdentifier"] = item.DeepClone() });
                }
            }
            var result = new JsonObject { ["TypeConfigurations"] = found };
            if (errors.Count > 0) result["Errors"] = errors;
            return result;
        });
        operations.Add("RecordHandlerProgress", i => Empty(() => registry.RecordProgress(i.Required("BearerToken"), i.Required("OperationStatus"),
            i.String("CurrentOperationStatus"), i.String("StatusMessage"), i.String("ErrorCode"), i.String("ResourceModel"))));
    }

    private static TypeReference Reference(OperationInput i) => new(i.String("Arn"), i.String("Type"), i.String("TypeName"), i.String("VersionId"));

    /// <summary>
    /// DescribeType: a private type (or one version) as registered, with its schema; or a public AWS type Stratus provisions,
    /// described by what is true of it (its name, ARN, visibility and status), without a Schema: Stratus has no true resource
    /// schema of AWS's types to give.
    /// </summary>
    private JsonObject DescribeType(OperationInput i)
    {
        var reference = Reference(i);
        var publicName = reference.Arn is { } arn ? TypeRegistry.ParseTypeArn(arn) is { AccountId: "" } parsed ? parsed.TypeName : null
            : reference.TypeName is { } name && name.StartsWith("AWS::", StringComparison.Ordinal) ? name : null;
        if (publicName is not null)
        {
            if ((reference.Type ?? ResourceCategory) != ResourceCategory || !_cfn.Engine.ProvidedTypes.Contains(publicName))
                throw CloudFormationErrors.TypeNotFound(publicName);
            return new JsonObject
            {
                ["Arn"] = PublicTypeArn(i.Scope.Region, publicName),
                ["Type"] = ResourceCategory,
                ["TypeName"] = publicName,
                ["IsDefaultVersion"] = true,
                ["Visibility"] = "PUBLIC",
                ["DeprecatedStatus"] = RegistryStatus.Live,
            };
        }
        var (type, versionId) = _cfn.Registry.Resolve(i.Scope, reference);
        var version = versionId is not null ? type.Version(versionId)! : type.Default ?? type.Versions[^1];
        var schema = _cfn.Registry.Schema(type, version);
        var result = new JsonObject
        {
            ["Arn"] = versionId is null ? TypeRegistry.TypeArn(type) : TypeRegistry.VersionArn(type, versionId),
            ["Type"] = ResourceCategory,
            ["TypeName"] = type.TypeName,
        };
        if (type.DefaultVersionId is { } defaultVersion) result["DefaultVersionId"] = defaultVersion;
        result["IsDefaultVersion"] = version.VersionId == type.DefaultVersionId;
        // Stratus runs no contract tests (TestType is not served), so a private type's tests never ran.
        result["TypeTestsStatus"] = "NOT_TESTED";
        if (version.Description is not null) result["Description"] = version.Description;
        result["Schema"] = version.Schema;
        result["ProvisioningType"] = version.ProvisioningType;
        result["DeprecatedStatus"] = version.Deprecated ? RegistryStatus.Deprecated : RegistryStatus.Live;
        if (version.LogGroupName is not null)
            result["LoggingConfig"] = new JsonObject { ["LogRoleArn"] = version.LogRoleArn, ["LogGroupName"] = version.LogGroupName };
        if (version.ExecutionRoleArn is not null) result["ExecutionRoleArn"] = version.ExecutionRoleArn;
        result["Visibility"] = "PRIVATE";
        result["LastUpdated"] = type.LastUpdated;
        result["TimeCreated"] = version.TimeCreated;
        if (schema.TypeConfiguration is { } configuration) result["ConfigurationSchema"] = configuration.ToJsonString();
        return result;
    }

    /// <summary>
    /// ListTypes: PRIVATE (the default) lists the types registered in the account and Region (Category REGISTERED), LIVE or
    /// DEPRECATED, by ProvisioningType if asked; PUBLIC lists the AWS resource types Stratus provisions (Category AWS_TYPES).
    /// Hooks and modules list nothing: Stratus registers neither.
    /// </summary>
    private JsonObject ListTypes(OperationInput i)
    {
        var filters = i.Object("Filters") is { } f ? i.Nested(f) : null;
        var size = i.Int("MaxResults") ?? PageSize;
        if ((i.String("Visibility") ?? "PRIVATE") == "PRIVATE")
        {
            var category = filters?.String("Category");
            var types = (i.String("Type") ?? ResourceCategory) == ResourceCategory && category is null or "REGISTERED"
                ? _cfn.Registry.Types(i.Scope, filters?.String("TypeNamePrefix"), i.String("DeprecatedStatus") ?? RegistryStatus.Live, i.String("ProvisioningType"))
                : [];
            return Paged(i, "TypeSummaries", types, t =>
            {
                var summary = new JsonObject { ["Type"] = ResourceCategory, ["TypeName"] = t.TypeName };
                if (t.DefaultVersionId is not null) summary["DefaultVersionId"] = t.DefaultVersionId;
                summary["TypeArn"] = TypeRegistry.TypeArn(t);
                summary["LastUpdated"] = t.LastUpdated;
                if (t.Default?.Description is { } description) summary["Description"] = description;
                return summary;
            }, size);
        }
        return Paged(i, "TypeSummaries", _cfn.PublicResourceTypes(i.String("Visibility"), i.String("Type"), filters?.String("Category"),
            filters?.String("TypeNamePrefix"), i.String("DeprecatedStatus"), i.String("ProvisioningType")), name => new JsonObject
        {
            ["Type"] = ResourceCategory,
            ["TypeName"] = name,
            ["TypeArn"] = PublicTypeArn(i.Scope.Region, name),
        }, size);
    }

    /// <summary>AWS's public types carry no account in their ARN: arn:aws:cloudformation:REGION::type/resource/AWS-Lambda-Function.</summary>
    private static string PublicTypeArn(string region, string typeName) =>
        $"arn:aws:cloudformation:{region}::type/resource/{typeName.Replace("::", "-", StringComparison.Ordinal)}";
}
