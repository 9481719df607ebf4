using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.SecretsManager;

namespace Stratus.Services.Rds;

/// <summary>What describe-db-instances reports of a master user secret RDS manages (ManageMasterUserPassword).</summary>
public sealed record MasterUserSecret(string SecretArn, string SecretStatus, string KmsKeyId);

/// <summary>How AWS names a master user secret of one kind of owner: rds!<paramref name="Kind"/>-UUID, described and tagged with the owner's ARN.</summary>
public sealed record MasterUserSecretNaming(string Kind, string Described, string ArnTag);

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

    /// <summary>The secret of a DB instance (rds!db-UUID) or an Aurora cluster (rds!cluster-UUID), tagged with its ARN, as AWS makes it.</summary>
    public MasterUserSecret Create<TOwner>(Scope scope, TOwner owner, string password, string? kmsKeyId) where TOwner : IRdsDatabase
    {
        var naming = TOwner.SecretNaming;
        var (secret, _) = secrets.Create(scope, new CreateSecretRequest($"rds!{naming.Kind}-{Guid.NewGuid()}", null,
            $"Secret associated with primary RDS {naming.Described}: {owner.Arn}", kmsKeyId,
            new SecretValue(SecretString(owner.MasterUsername, password), null),
            [new SecretTag("aws:rds:" + naming.ArnTag, owner.Arn), new SecretTag("aws:secretsmanager:owningService", OwningService)],
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
