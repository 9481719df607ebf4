using Stratus.Protocols;

namespace Stratus.Host;

/// <summary>
/// The regions Stratus serves: AWS's commercial partition (the "aws" of every ARN it builds), as botocore's
/// endpoints.json lists them. A request signed for any other region is refused as AWS's endpoints refuse it,
/// rather than quietly getting a region of its own.
/// </summary>
public static class Regions
{
    public static readonly IReadOnlyList<string> Known =
    [
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-west-1",
        "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1", "il-central-1", "me-south-1", "me-central-1",
        "mx-central-1", "sa-east-1",
    ];

    private static readonly HashSet<string> KnownSet = new(Known, StringComparer.Ordinal);

    public static bool IsKnown(string region) => KnownSet.Contains(region);

    /// <summary>
    /// AWS's answer to a credential scope naming a region it does not have: 403, "Credential should be scoped to a valid
    /// region", as SignatureDoesNotMatch from Query services (IAM, STS) and InvalidSignatureException from JSON ones.
    /// </summary>
    public static AwsException Unknown(string region, bool queryProtocol) =>
        new(queryProtocol ? "SignatureDoesNotMatch" : "InvalidSignatureException", $"Credential should be scoped to a valid region, not '{region}'. ", 403);
}
