using Stratus.Host;
using Stratus.Protocols;
using Stratus.Services.S3;

namespace Stratus.Services.Iam.Engine;

/// <summary>
/// Tells IAM which action each operation an IAM user or role session attempts stands for, in every --auth mode, for its
/// service last accessed reports. Operations AWS does not authorize (sts:GetCallerIdentity) are no IAM action and are not kept.
/// </summary>
public sealed class AccessRecorder(IamService iam, ResourceAuthorizations authorizations) : IAccessRecorder
{
    public void RecordAttempt(KnownCredential caller, ServiceEndpoint service, string region, string operation, OperationInput input)
    {
        var table = authorizations.For(service.SigningName);
        if (table?.IsUnauthorized(operation) == true) return;
        // S3 decides its requests itself, by its own table of operations to actions (ListBuckets is s3:ListAllMyBuckets).
        var action = (service.SigningName == "s3" ? S3Authorization.Required(operation, null, "", namesVersion: false)?.Action : null)
            ?? RequestAuthorizer.ActionOf(table, service.SigningName, operation, input);
        iam.RecordAccess(caller.PrincipalArn, action, region);
    }
}
