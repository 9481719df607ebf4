using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.CloudFormation.Templates;

/// <summary>Where dynamic references' values come from: Parameter Store and Secrets Manager.</summary>
public interface IDynamicReferenceSource
{
    /// <summary>A parameter's value (its latest version, or <paramref name="version"/>); a SecureString's plain text only when <paramref name="secure"/>.</summary>
    string Parameter(Scope scope, string name, long? version, bool secure);

    /// <summary>A secret's SecretString, AWSCURRENT unless a stage or version id is given.</summary>
    string SecretString(Scope scope, string secretId, string? versionStage, string? versionId);
}

/// <summary>
/// CloudFormation's dynamic references, <c>{{resolve:ssm:...}}</c>, <c>{{resolve:ssm-secure:...}}</c> and
/// <c>{{resolve:secretsmanager:...}}</c>, resolved in a resource's properties just before its provider is
/// called. The stack keeps the properties as written, so a value never reaches stack events, GetTemplate or
/// DescribeStacks; and, as on AWS, a changed secret value alone does not update a resource.
/// </summary>
public sealed partial class DynamicReferences(IDynamicReferenceSource source)
{
    /// <summary>AWS's limit of dynamic references in one stack template; applied per resource here.</summary>
    public const int MaxReferences = 60;

    [GeneratedRegex(@"\{\{resolve:(ssm|ssm-secure|secretsmanager):([^{}]*)\}\}")]
    private static partial Regex Reference();

    /// <summary>The properties where AWS accepts ssm-secure references (its documented list of resources that support them).</summary>
    private static readonly HashSet<string> SecureLocations = new(StringComparer.Ordinal)
    {
        "AWS::DirectoryService::MicrosoftAD/Properties/Password",
        "AWS::DirectoryService::SimpleAD/Properties/Password",
        "AWS::ElastiCache::ReplicationGroup/Properties/AuthToken",
        "AWS::IAM::User/Properties/LoginProfile/Password",
        "AWS::KinesisFirehose::DeliveryStream/Properties/RedshiftDestinationConfiguration/Password",
        "AWS::OpsWorks::App/Properties/AppSource/Password",
        "AWS::OpsWorks::Stack/Properties/CustomCookbooksSource/Password",
        "AWS::OpsWorks::Stack/Properties/RdsDbInstances/DbPassword",
        "AWS::RDS::DBCluster/Properties/MasterUserPassword",
        "AWS::RDS::DBInstance/Properties/MasterUserPassword",
        "AWS::Redshift::Cluster/Properties/MasterUserPassword",
    };

    /// <summary>A copy of <paramref name="properties"/> with every dynamic reference replaced by its value.</summary>
    public JsonObject Resolve(Scope scope, string resourceType, JsonObject properties)
    {
        var count = 0;
        var root = $"{resourceType}/Properties";
        // The secure-location key leaves out list indexes (RdsDbInstances/0/DbPassword is RdsDbInstances/DbPassword).
        return (JsonObject)ResolveNode(properties, root, root, ref count)!;

        JsonNode? ResolveNode(JsonNode? node, string path, string secureKey, ref int seen)
        {
            switch (node)
            {
                case JsonObject obj:
                    var copy = new JsonObject();
                    foreach (var (key, child) in obj) copy[key] = ResolveNode(child, $"{path}/{key}", $"{secureKey}/{key}", ref seen);
                    return copy;
                case JsonArray list:
                    var items = new JsonArray();
                    for (var i = 0; i < list.Count; i++) items.Add(ResolveNode(list[i], $"{path}/{i}", secureKey, ref seen));
                    return items;
                case JsonValue value when value.GetValueKind() == JsonValueKind.String && value.GetValue<string>().Contains("{{resolve:", StringComparison.Ordinal):
                    var text = value.GetValue<string>();
                    var references = Reference().Matches(text);
                    seen += references.Count;
                    if (seen > MaxReferences) throw new ResourcePropertyException($"Template error: a resource may use at most {MaxReferences} dynamic references.");
                    var location = path;
                    var secureLocation = secureKey;
                    return JsonValue.Create(Reference().Replace(text, m => Value(scope, m.Groups[1].Value, m.Groups[2].Value, location, secureLocation)));
                default:
                    return node?.DeepClone();
            }
        }
    }

    private string Value(Scope scope, string service, string reference, string location, string secureKey)
    {
        try
        {
            return service switch
            {
                "ssm" => Ssm(scope, reference, secure: false),
                "ssm-secure" => SecureLocations.Contains(secureKey)
                    ? Ssm(scope, reference, secure: true)
                    : throw new ResourcePropertyException($"SSM Secure reference is not supported in: [{location}]"),
                _ => Secret(scope, reference),
            };
        }
        catch (AwsException e)
        {
            var serviceName = service == "secretsmanager" ? "AWSSecretsManager" : "AWSSimpleSystemsManagement";
            throw new ResourcePropertyException($"{e.Message} (Service: {serviceName}; Status Code: {e.StatusCode}; Error Code: {e.Code})");
        }
    }

    /// <summary>ssm:NAME or ssm:NAME:VERSION (ssm-secure alike).</summary>
    private string Ssm(Scope scope, string reference, bool secure)
    {
        var colon = reference.LastIndexOf(':');
        if (colon > 0 && long.TryParse(reference[(colon + 1)..], out var version))
            return source.Parameter(scope, reference[..colon], version, secure);
        if (reference.Length == 0) throw new ResourcePropertyException("Template error: an ssm dynamic reference must name a parameter.");
        return source.Parameter(scope, reference, null, secure);
    }

    /// <summary>secretsmanager:SECRET-ID[:SecretString[:JSON-KEY[:VERSION-STAGE[:VERSION-ID]]]], the secret id a name or a full ARN.</summary>
    private string Secret(Scope scope, string reference)
    {
        var parts = reference.Split(':');
        var idParts = parts[0] == "arn" ? 7 : 1;
        if (parts.Length < idParts || parts.Length > idParts + 4 || parts[0].Length == 0)
            throw new ResourcePropertyException($"Template error: the secretsmanager dynamic reference {{{{resolve:secretsmanager:{reference}}}}} is not well formed.");
        var secretId = string.Join(':', parts[..idParts]);
        string? Part(int index) => parts.Length > idParts + index && parts[idParts + index].Length > 0 ? parts[idParts + index] : null;
        if (Part(0) is { } field && field != "SecretString")
            throw new ResourcePropertyException($"Template error: dynamic references to Secrets Manager read only SecretString, not {field}.");
        var (jsonKey, stage, versionId) = (Part(1), Part(2), Part(3));
        if (stage is not null && versionId is not null)
            throw new ResourcePropertyException("Template error: a secretsmanager dynamic reference may give a version stage or a version id, not both.");
        var secretString = source.SecretString(scope, secretId, stage, versionId);
        if (jsonKey is null) return secretString;
        JsonNode? document;
        try { document = JsonNode.Parse(secretString, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException) { document = null; }
        if (document is not JsonObject fields) throw new ResourcePropertyException($"The SecretString of secret {secretId} is not a JSON object, so it has no key {jsonKey}.");
        return fields[jsonKey] switch
        {
            null => throw new ResourcePropertyException($"The SecretString of secret {secretId} has no key {jsonKey}."),
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            var other => other.ToJsonString(),
        };
    }
}
