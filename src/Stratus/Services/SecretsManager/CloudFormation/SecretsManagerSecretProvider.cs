using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.SecretsManager.CloudFormation;

/// <summary>
/// AWS::SecretsManager::Secret: a secret with a SecretString, or one GenerateSecretString makes (a password,
/// alone or as GenerateStringKey in the SecretStringTemplate JSON, as CDK's DatabaseSecret asks). Ref and
/// Id are the ARN. Deleting the stack schedules the secret's deletion with the default recovery window, as
/// CloudFormation does.
/// </summary>
public sealed class SecretsManagerSecretProvider(SecretsManagerService secrets) : IResourceProvider, IResourceImporter, ILiveStateReader
{
    public string ImportIdentifier => "Id";

    // A secret scheduled for deletion is on its way out, not there to adopt.
    public ProvisionedResource? FindExisting(Scope scope, string identifier) =>
        ResourceLookup.IfPresent(() => secrets.Find(scope, identifier), "ResourceNotFoundException") is { IsScheduledForDeletion: false } secret ? Provisioned(secret) : null;

    /// <summary>The secrets not scheduled for deletion, each identified by its ARN (the Id a template's import names it by).</summary>
    public IEnumerable<ExistingResource> ListExisting(Scope scope) =>
        secrets.List(scope, includePlannedDeletion: false)
            .Select(s => new ExistingResource(s.Arn, Provisioned(s), s.Tags.ToDictionary(t => t.Key, t => t.Value)));

    public string Type => "AWS::SecretsManager::Secret";

    public IReadOnlySet<string> ReplacedOnChange { get; } = new HashSet<string> { "Name" };

    public Task<ProvisionedResource> CreateAsync(ResourceRequest request, CancellationToken cancellation)
    {
        var p = request.Properties;
        if (p.Values["ReplicaRegions"] is not null)
            throw new ResourcePropertyException("Stratus serves one region per secret: ReplicaRegions is not built.");
        var name = p.String("Name") ?? $"{request.LogicalId}-{RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 12)}";
        var (secret, _) = secrets.Create(request.Scope, CreateSecretRequest.Read(p, name, Value(p)));
        return Task.FromResult(Provisioned(secret));
    }

    public Task<ProvisionedResource> UpdateAsync(ResourceRequest request, ProvisionedResource current, JsonObject previousProperties, CancellationToken cancellation)
    {
        var p = request.Properties;
        bool Changed(string name) => !ResourceProperties.Same(p.Values[name], previousProperties[name]);
        var value = Changed("SecretString") || Changed("GenerateSecretString") ? Value(p) : new SecretValue(null, null);
        var secret = secrets.Update(request.Scope, current.PhysicalId, null,
            Changed("Description") ? p.String("Description") ?? "" : null, Changed("KmsKeyId") ? p.String("KmsKeyId") : null, value).Secret;
        if (Changed("Tags"))
        {
            var tags = CreateSecretRequest.ReadTags(p);
            var removed = secret.Tags.Select(t => t.Key).Except(tags.Select(t => t.Key)).ToList();
            if (removed.Count > 0) secrets.Untag(request.Scope, secret.Arn, removed);
            if (tags.Count > 0) secrets.Tag(request.Scope, secret.Arn, tags);
        }
        return Task.FromResult(Provisioned(secret));
    }

    /// <summary>
    /// The secret's settings as Secrets Manager holds them (drift detection, the IaC generator). Its value is not read back:
    /// SecretString and GenerateSecretString are write-only in the resource's schema.
    /// </summary>
    public JsonObject? ReadLive(ResourceRequest request, ProvisionedResource current)
    {
        if (ResourceLookup.IfPresent(() => secrets.Find(request.Scope, current.PhysicalId), "ResourceNotFoundException") is not { IsScheduledForDeletion: false } secret)
            return null;
        return new JsonObject
        {
            ["Name"] = secret.Name,
            ["Description"] = secret.Description,
            ["KmsKeyId"] = secret.KmsKeyId,
            ["Tags"] = LiveState.TagList(request.Properties.Values["Tags"], secret.Tags.Select(t => KeyValuePair.Create(t.Key, t.Value))),
        };
    }

    public Task DeleteAsync(ResourceRequest request, ProvisionedResource current, CancellationToken cancellation)
    {
        ResourceDeletion.IfPresent(() => secrets.Delete(request.Scope, current.PhysicalId, null, forceDeleteWithoutRecovery: false),
            "ResourceNotFoundException", "InvalidRequestException");
        return Task.CompletedTask;
    }

    /// <summary>SecretString as written, or a generated one; neither leaves the secret without a value, as CloudFormation allows.</summary>
    private static SecretValue Value(ResourceProperties p)
    {
        var generate = p.Object("GenerateSecretString");
        var secretString = p.String("SecretString");
        if (generate is not null && secretString is not null)
            throw new ResourcePropertyException("You can't specify both SecretString and GenerateSecretString.");
        return new SecretValue(generate is null ? secretString : Generated(generate), null);
    }

    private static string Generated(ResourceProperties generate)
    {
        var password = SecretsManagerRules.Password(PasswordOptions.Read(generate));
        var template = generate.String("SecretStringTemplate");
        var key = generate.String("GenerateStringKey");
        if (template is null && key is null) return password;
        if (template is null || key is null)
            throw new ResourcePropertyException("SecretStringTemplate and GenerateStringKey must be specified together.");
        JsonNode? document;
        try { document = JsonNode.Parse(template, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException) { document = null; }
        if (document is not JsonObject fields) throw new ResourcePropertyException("SecretStringTemplate must be a JSON object.");
        fields[key] = password;
        return fields.ToJsonString();
    }

    private static ProvisionedResource Provisioned(Secret secret) => new(secret.Arn, new Dictionary<string, string> { ["Id"] = secret.Arn });
}
