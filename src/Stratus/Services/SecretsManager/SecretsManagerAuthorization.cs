using Stratus.Protocols;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.SecretsManager;

/// <summary>
/// What `--auth enforce` authorizes Secrets Manager's operations against (Service Authorization
/// Reference): the secret's full ARN, with its random suffix, whichever way SecretId names it; a new
/// secret's ARN ends in "-??????", as AWS matches it before the suffix exists. Resource policies
/// (PutResourcePolicy) are consulted; a secret's tags are its aws:ResourceTag and secretsmanager:ResourceTag keys.
/// </summary>
public static class SecretsManagerAuthorization
{
    public static AuthorizationTable Table(SecretsManagerService secrets) => new("secretsmanager",
        arn => Secret(secrets, Scope.Of(Field(arn, 4), Field(arn, 3)), arn)?.ResourcePolicy,
        unlisted: i => i.String("SecretId") is { } id ? [Secret(secrets, i.Scope, id)?.Arn ?? AuthorizationTable.ArnOrBuild(id, name => AuthorizationTable.Arn(i, "secretsmanager", $"secret:{name}"))] : [],
        context: AddConditionKeys,
        resourceTags: arn => Secret(secrets, Scope.Of(Field(arn, 4), Field(arn, 3)), arn)?.Tags.ToDictionary(t => t.Key, t => t.Value),
        serviceResourceTagKey: "secretsmanager:ResourceTag")
    {
        { "CreateSecret", i => AuthorizationTable.Arn(i, "secretsmanager", $"secret:{i.String("Name")}-??????") },
        { "BatchGetSecretValue", i => AuthorizationTable.Strings(i, "SecretIdList").Select(id => Secret(secrets, i.Scope, id)?.Arn ?? id) },
    };

    /// <summary>Secrets Manager's request keys (Service Authorization Reference): secretsmanager:Name, SecretId, Description, KmsKeyId.</summary>
    private static void AddConditionKeys(OperationInput input, RequestContext request)
    {
        foreach (var (member, key) in ConditionMembers)
            if (input.Body[member] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var value)) request.With(key, value);
    }

    private static readonly (string Member, string Key)[] ConditionMembers =
    [
        ("Name", "secretsmanager:Name"), ("SecretId", "secretsmanager:SecretId"), ("Description", "secretsmanager:Description"), ("KmsKeyId", "secretsmanager:KmsKeyId"),
    ];

    private static Secret? Secret(SecretsManagerService secrets, Scope scope, string id)
    {
        try
        {
            return secrets.Find(scope, id);
        }
        catch (AwsException)
        {
            return null;
        }
    }

    private static string Field(string arn, int index) => arn.Split(':') is { } parts && parts.Length > index ? parts[index] : "";
}
