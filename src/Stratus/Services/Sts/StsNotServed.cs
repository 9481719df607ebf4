using Stratus.Protocols;

namespace Stratus.Services.Sts;

/// <summary>
/// The operations of botocore's sts model that Stratus does not serve, each with the reason README's STS section
/// gives. They answer InvalidAction naming the operation and the reason, never a fake credential.
/// </summary>
public static class StsNotServed
{
    public static readonly IReadOnlyList<(string Operation, string Reason)> Operations = NotServedOperations.Group(
        ("it hands out root sessions of an organization's member accounts, and AWS Organizations is not served", ["AssumeRoot"]),
        ("trade-in tokens come only from IAM's delegation requests, which AWS partners' consoles make and Stratus does not serve", ["GetDelegatedAccessToken"]));
}
