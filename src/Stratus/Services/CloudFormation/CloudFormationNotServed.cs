using Stratus.Protocols;

namespace Stratus.Services.CloudFormation;

/// <summary>The operations of botocore's cloudformation model that Stratus does not serve, with README's reasons.</summary>
public static class CloudFormationNotServed
{
    public static readonly IReadOnlyList<(string Operation, string Reason)> Operations = NotServedOperations.Group(
        ("stack sets' organization features need AWS Organizations, which Stratus does not serve (it serves SELF_MANAGED stack sets in its one account)",
            ["ActivateOrganizationsAccess", "DeactivateOrganizationsAccess", "DescribeOrganizationsAccess", "ListStackSetAutoDeploymentTargets"]),
        ("the extension registry (private and third-party resource types, modules, hooks) is not built, nor type schemas (Stratus has no true schema to give); ListTypes lists the resource types Stratus provisions",
            ["ActivateType", "BatchDescribeTypeConfigurations", "DeactivateType", "DeregisterType", "DescribePublisher", "DescribeType", "DescribeTypeRegistration", "ListTypeRegistrations", "ListTypeVersions", "PublishType", "RecordHandlerProgress", "RegisterPublisher", "RegisterType", "SetTypeConfiguration", "SetTypeDefaultVersion", "TestType"]));
}
