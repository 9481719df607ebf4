using Stratus.Protocols;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Services.CloudFormation;

/// <summary>CloudFormation's API errors beyond template validation (TemplateError), worded as AWS words them.</summary>
public static class CloudFormationErrors
{
    public static AwsException StackExists(string stackName) => new("AlreadyExistsException", $"Stack [{stackName}] already exists");

    public static AwsException StackExistsForChangeSet(string stackName, string changeSetName) =>
        new("AlreadyExistsException", $"Stack [{stackName}] already exists and cannot be created again with the changeSet [{changeSetName}].");

    public static AwsException ChangeSetExists(string changeSetName) => new("AlreadyExistsException", $"ChangeSet [{changeSetName}] already exists");

    public static AwsException ChangeSetNotFound(string nameOrId) => new("ChangeSetNotFound", $"ChangeSet [{nameOrId}] does not exist", 404);

    public static AwsException ChangeSetExecuting(string changeSetId) =>
        new("InvalidChangeSetStatus", $"ChangeSet [{changeSetId}] cannot be deleted while it is being executed.");

    public static AwsException ChangeSetNotAvailable(string changeSetId, string status) =>
        new("InvalidChangeSetStatus", $"ChangeSet [{changeSetId}] cannot be executed in its current status of [{status}]");

    public static AwsException ChangeSetNotExecutable(string changeSetId, string stackName, string stackStatus) =>
        new("InvalidChangeSetStatus", $"ChangeSet [{changeSetId}] cannot be executed because stack {stackName} is in {stackStatus} state.");

    /// <summary>A NextToken this list did not issue, in AWS's words ("... is not a valid NextToken").</summary>
    public static AwsException InvalidNextToken(string token) => TemplateError.Validation($"{token} is not a valid NextToken");

    public static AwsException DriftDetectionNotFound(string detectionId) =>
        TemplateError.Validation($"Drift detection with id {detectionId} does not exist");

    /// <summary>An operation of botocore's model that Stratus does not serve, with the reason README gives for it.</summary>
    public static AwsException NotServed(string operation, string reason) =>
        new("InvalidAction", $"Stratus does not serve the CloudFormation operation {operation}: {reason}");

    /// <summary>A ClientRequestToken a different operation on the stack was already started with (the model's TokenAlreadyExistsException, 400).</summary>
    public static AwsException TokenAlreadyExists(string token, string stackName, string operation) =>
        new("TokenAlreadyExistsException", $"A client request token already exists: {token} was used by {operation} on stack {stackName}.");

    public static AwsException InsufficientCapabilities(string? required) => new("InsufficientCapabilitiesException", $"Requires capabilities : [{required}]");
}
