using Stratus.Protocols;

namespace Stratus.Services.CloudFormation;

/// <summary>The operations of botocore's cloudformation model that Stratus does not serve, with README's reasons.</summary>
public static class CloudFormationNotServed
{
    public static readonly IReadOnlyList<(string Operation, string Reason)> Operations = NotServedOperations.Group(
        ("stack sets' organization features need AWS Organizations, which Stratus does not serve (it serves SELF_MANAGED stack sets in its one account)",
            ["ActivateOrganizationsAccess", "DeactivateOrganizationsAccess", "DescribeOrganizationsAccess", "ListStackSetAutoDeploymentTargets"]),
        ("publishing and activating extensions act on AWS's public registry of third-party types, which a local Stratus has no part in (it registers private resource types), and TestType runs AWS's contract-test runner, which Stratus does not have",
            ["ActivateType", "DeactivateType", "DescribePublisher", "PublishType", "RegisterPublisher", "TestType"]));
}
