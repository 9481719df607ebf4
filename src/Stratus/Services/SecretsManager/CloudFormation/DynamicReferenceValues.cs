using System.Globalization;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Templates;
using Stratus.Services.Ssm;

namespace Stratus.Services.SecretsManager.CloudFormation;

/// <summary>Dynamic references' values from Parameter Store and Secrets Manager, through their domain code.</summary>
public sealed class DynamicReferenceValues(SsmService ssm, SecretsManagerService secrets) : IDynamicReferenceSource
{
    public string Parameter(Scope scope, string name, long? version, bool secure)
    {
        var (parameter, selected, _) = ssm.Select(scope, version is null ? name : $"{name}:{version.Value.ToString(CultureInfo.InvariantCulture)}");
        // As AWS: a SecureString resolves only through ssm-secure, where CloudFormation allows it.
        if (selected.Type == "SecureString" && !secure)
            throw SecretsManagerErrors.SecureStringNeedsSsmSecure(parameter.Name);
        return ssm.Reveal(scope, parameter, selected, withDecryption: true);
    }

    public string SecretString(Scope scope, string secretId, string? versionStage, string? versionId)
    {
        var (_, _, value) = secrets.GetValue(scope, secretId, versionId, versionId is null ? versionStage ?? SecretsManagerRules.Current : versionStage);
        return value.String ?? throw SecretsManagerErrors.BinaryNotReferenceable();
    }
}
