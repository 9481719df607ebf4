using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.SecretsManager;

namespace Stratus.Services.Rds;

/// <summary>What describe-db-instances reports of a master user secret RDS manages (ManageMasterUserPassword).</summary>
public sealed record MasterUserSecret(string SecretArn, string SecretStatus, string KmsKeyId);

/// <summary>
/// The master user secrets RDS keeps in Secrets Manager for ManageMasterUserPassword: named rds!db-UUID
/// as AWS names them, owned by "rds" (so only RDS changes them), holding {"username","password"}.
/// </summary>
public sealed class RdsMasterUserSecrets(SecretsManagerService secrets)
{
    public const string OwningService = "rds";
    /// <summary>AWS's managed key for Secrets Manager, which encrypts the secret unless MasterUserSecretKmsKeyId names another.</summary>
    public const string DefaultKmsKeyId = "alias/aws/secretsmanager";

    /// <summary>A password RDS accepts (RdsRules.MasterPassword: printable ASCII but '/', '@', '"' and space; at most 41 characters).</summary>
    public static string NewPassword() =>
        SecretsManagerRules.Password(new PasswordOptions { Length = 32, ExcludeCharacters = "/@\"' \\" });

    public static string SecretString(string username, string password) =>
        new JsonObject { ["username"] = username, ["password"] = password }.ToJsonString();

    public MasterUserSecret Create(Scope scope, DbInstance instance, string password, string? kmsKeyId) =>
        Create(scope, "db", "DB instance", "primaryDBInstanceArn", instance.Arn, instance.MasterUsername, password, kmsKeyId);

    /// <summary>An Aurora cluster's secret: rds!cluster-UUID, tagged with the cluster's ARN, as AWS makes it.</summary>
    public MasterUserSecret Create(Scope scope, DbCluster cluster, string password, string? kmsKeyId) =>
        Create(scope, "cluster", "DB cluster", "primaryDBClusterArn", cluster.Arn, cluster.MasterUsername, password, kmsKeyId);

    private MasterUserSecret Create(Scope scope, string kind, string described, string arnTag, string arn, string username, string password, string? kmsKeyId)
    {
        var (secret, _) = secrets.Create(scope, new CreateSecretRequest($"rds!{kind}-{Guid.NewGuid()}", null,
            $"Secret associated with primary RDS {described}: {arn}", kmsKeyId,
            new SecretValue(SecretString(username, password), null),
            [new SecretTag("aws:rds:" + arnTag, arn), new SecretTag("aws:secretsmanager:owningService", OwningService)],
            OwningService));
        return new MasterUserSecret(secret.Arn, "active", kmsKeyId ?? DefaultKmsKeyId);
    }

    /// <summary>Deletes the secret at once, as RDS does when the instance goes or stops managing its password.</summary>
    public void Delete(Scope scope, MasterUserSecret secret)
    {
        try { secrets.Delete(scope, secret.SecretArn, null, forceDeleteWithoutRecovery: true); }
        catch (AwsException e) when (e.Code == "ResourceNotFoundException") { }
    }

    public Task RotateAsync(Scope scope, MasterUserSecret secret, CancellationToken cancellation) =>
        secrets.RotateAsync(scope, new RotateSecretRequest(secret.SecretArn, null, null, null, RotateImmediately: true), cancellation);

    /// <summary>The secret's password, read anew: after a rotation it is the new one.</summary>
    public static string Password(string secretString) =>
        JsonNode.Parse(secretString, documentOptions: new JsonDocumentOptions { MaxDepth = 8 })?["password"]?.GetValue<string>()
            ?? throw RdsErrors.MasterUserSecretLacks("password");
}
