using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.Rds;

namespace Stratus.Services.SecretsManager.CloudFormation;

/// <summary>
/// AWS::SecretsManager::SecretTargetAttachment for an AWS::RDS::DBInstance: as AWS does, a new AWSCURRENT
/// version of the secret's JSON with the instance's connection details (engine, host, port,
/// dbInstanceIdentifier, and dbname when the instance has one) added, its username and password kept.
/// Ref is the secret's ARN.
/// </summary>
public sealed class SecretsManagerTargetAttachmentProvider(SecretsManagerService secrets, RdsService rds) : IResourceProvider
{
    public string Type => "AWS::SecretsManager::SecretTargetAttachment";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "SecretId" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        var targetType = p.Required("TargetType");
        if (targetType != "AWS::RDS::DBInstance")
            throw new ResourcePropertyException($"Stratus attaches secrets to AWS::RDS::DBInstance targets; {targetType} is not built.");
        var instance = rds.GetInstance(request.Scope, p.Required("TargetId"));
        var secretId = p.Required("SecretId");
        var current = secrets.CurrentString(request.Scope, secretId);
        JsonNode? document;
        try { document = JsonNode.Parse(current, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException) { document = null; }
        if (document is not JsonObject fields)
            throw new ResourcePropertyException("The secret's SecretString must be a JSON object to attach it to a database.");
        fields["engine"] = instance.Engine;
        fields["host"] = instance.Address ?? "";
        fields["port"] = instance.Port;
        fields["dbInstanceIdentifier"] = instance.Identifier;
        if (instance.DbName is not null) fields["dbname"] = instance.DbName;
        var (secret, _) = secrets.PutValue(request.Scope, secretId, null, new SecretValue(fields.ToJsonString(), null), null);
        return Task.FromResult(new ProvisionedResource(secret.Arn, new Dictionary<string, string>()));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation) =>
        CreateAsync(request, cancellation);

    // The secret keeps its connection details, as it does on AWS when the attachment goes.
    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation) => Task.CompletedTask;
}
