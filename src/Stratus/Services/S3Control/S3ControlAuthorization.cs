using Stratus.Services.Iam.Engine;

namespace Stratus.Services.S3Control;

/// <summary>
/// What `--auth enforce` authorizes S3 Control's account-level Block Public Access against (Service Authorization Reference,
/// Amazon S3): s3:GetAccountPublicAccessBlock and s3:PutAccountPublicAccessBlock (which DeletePublicAccessBlock needs too), on
/// "*" as AWS names no resource for them. Registered under the signing name "s3": S3 itself authorizes its own operations.
/// </summary>
public static class S3ControlAuthorization
{
    public static AuthorizationTable Table() => new("s3")
    {
        { "GetPublicAccessBlock", "GetAccountPublicAccessBlock", _ => "*" },
        { "PutPublicAccessBlock", "PutAccountPublicAccessBlock", _ => "*" },
        { "DeletePublicAccessBlock", "PutAccountPublicAccessBlock", _ => "*" },
    };
}
