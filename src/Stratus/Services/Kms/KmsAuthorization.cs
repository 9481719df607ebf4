using Stratus.Protocols;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.Kms;

/// <summary>
/// What `--auth enforce` authorizes KMS's operations against (Service Authorization Reference, AWS KMS):
/// the key's ARN, whichever way KeyId names it (id, ARN, alias name or alias ARN); alias operations also
/// the alias's ARN. The key policy is the resource policy, and as on AWS it must allow, itself or by
/// naming the account (the default key policy does), which then leaves the decision to IAM policies.
/// </summary>
public static class KmsAuthorization
{
    public static AuthorizationTable Table(KmsService kms) => new("kms",
        arn => Key(kms, Scope.Of(Field(arn, 4), Field(arn, 3)), arn)?.Policy,
        unlisted: i => i.String("KeyId") is { } id ? [KeyArn(kms, i, id)] : [], resourcePolicyRequired: true)
    {
        { "CreateAlias", i => AliasAndTarget(kms, i) },
        { "UpdateAlias", i => AliasAndTarget(kms, i) },
        { "DeleteAlias", i => [AliasArn(i), .. Key(kms, i.Scope, i.String("AliasName") ?? "") is { } key ? [key.Arn] : Array.Empty<string>()] },
        { "ReEncrypt", i => [.. i.String("SourceKeyId") is { } source ? [KeyArn(kms, i, source)] : Array.Empty<string>(), KeyArn(kms, i, i.String("DestinationKeyId") ?? "")] },
    };

    private static string[] AliasAndTarget(KmsService kms, OperationInput i) => [AliasArn(i), KeyArn(kms, i, i.String("TargetKeyId") ?? "")];

    private static string KeyArn(KmsService kms, OperationInput input, string keyId) =>
        Key(kms, input.Scope, keyId)?.Arn ?? AuthorizationTable.ArnOrBuild(keyId, id => AuthorizationTable.Arn(input, "kms", id.StartsWith("alias/", StringComparison.Ordinal) ? id : $"key/{id}"));

    private static string AliasArn(OperationInput input) => AuthorizationTable.ArnOrBuild(input.String("AliasName") ?? "", name => AuthorizationTable.Arn(input, "kms", name));

    private static KmsKey? Key(KmsService kms, Scope scope, string keyId)
    {
        try
        {
            return kms.Describe(scope, keyId);
        }
        catch (AwsException)
        {
            return null;
        }
    }

    private static string Field(string arn, int index) => arn.Split(':') is { } parts && parts.Length > index ? parts[index] : "";
}
