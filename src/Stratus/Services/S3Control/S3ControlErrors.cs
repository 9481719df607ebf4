using Stratus.Protocols;
using Stratus.Services.S3;

namespace Stratus.Services.S3Control;

/// <summary>S3 Control's errors beyond S3's own (which it shares: AccessDenied, MalformedXml, NoSuchPublicAccessBlockConfiguration).</summary>
public static class S3ControlErrors
{
    public static AwsException MissingAccountId() => S3Errors.InvalidRequest("Missing required header for this request: x-amz-account-id");

    public static AwsException HostAccountMismatch(string inHost, string inHeader) =>
        S3Errors.InvalidRequest($"The account ID in the host name ({inHost}) does not match the x-amz-account-id header ({inHeader}).");

    public static AwsException NotServed(string operation) =>
        new("NotImplemented", $"Stratus does not serve the S3 Control operation {operation}: only account-level Block Public Access (Get/Put/DeletePublicAccessBlock) is built.", 501);

    public static AwsException NoSuchRoute(string method, string path) =>
        new("NotImplemented", $"Stratus's S3 Control has no operation at {method} {path}.", 501);
}
