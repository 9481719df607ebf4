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

    /// <summary>DescribeEvents' OperationId naming no operation of the caller's stacks (AWS publishes no wording; this is Stratus's).</summary>
    public static AwsException OperationNotFound(string operationId) => TemplateError.Validation($"Operation with id {operationId} does not exist");

    /// <summary>SignalResource to a stack no operation of which waits for signals, as CloudFormation (and cfn-signal) report it.</summary>
    public static AwsException StackNotSignalable(string stackId, string status) =>
        TemplateError.Validation($"Stack {stackId} is in {status} state and cannot be signaled");

    /// <summary>SignalResource to a resource of a stack in progress that is not waiting for signals (Stratus's words, patterned on the stack's).</summary>
    public static AwsException ResourceNotSignalable(string logicalId, string status) =>
        TemplateError.Validation($"Resource {logicalId} is in {status} state and cannot be signaled");

    // ---- the IaC generator (the model's exception shapes; AWS publishes the in-progress wording, the others are Stratus's) ----

    public static AwsException ResourceScanInProgress() =>
        new("ResourceScanInProgress", "A resource scan is currently in progress. Only one can be run at a time for an account in a Region.");

    public static AwsException ResourceScanNotFound(string scanId) => new("ResourceScanNotFound", $"Resource scan {scanId} not found");

    public static AwsException NotInScan(string type, string identifier) =>
        TemplateError.Validation($"Resource {identifier} of type {type} is not among the resource scan's resources");

    public static AwsException GeneratedTemplateExists(string name) => new("AlreadyExistsException", $"Generated template with name {name} already exists");

    public static AwsException GeneratedTemplateNotFound(string nameOrId) => new("GeneratedTemplateNotFound", $"Generated template {nameOrId} not found", 404);

    public static AwsException TooManyTemplateResources(int limit) =>
        new("LimitExceededException", $"A generated template can hold at most {limit} resources");

    public static AwsException GeneratedTemplateFromStack() =>
        TemplateError.Validation("Stratus does not generate templates from an existing stack (StackName): name the resources to describe instead");

    // ---- stack refactors (the model's StackRefactorNotFoundException, 404; AWS publishes no wording, these are Stratus's) ----

    public static AwsException StackRefactorNotFound(string id) => new("StackRefactorNotFoundException", $"Stack refactor {id} does not exist", 404);

    public static AwsException StackRefactorNotExecutable(string id, string executionStatus) =>
        TemplateError.Validation($"Stack refactor {id} cannot be executed in its current execution status of [{executionStatus}]");

    public static AwsException StackRefactorObsolete(string id, string reason) =>
        TemplateError.Validation($"Stack refactor {id} is obsolete: {reason}; create a new one");

    /// <summary>A hook result Stratus never recorded: it runs no hooks (the model's HookResultNotFoundException, 404; the wording is Stratus's).</summary>
    public static AwsException HookResultNotFound(string id) =>
        new("HookResultNotFound", $"Hook result {id} does not exist: Stratus registers and runs no hooks", 404);

    /// <summary>An operation of botocore's model that Stratus does not serve, with the reason README gives for it.</summary>
    public static AwsException NotServed(string operation, string reason) =>
        new("InvalidAction", $"Stratus does not serve the CloudFormation operation {operation}: {reason}");

    /// <summary>A ClientRequestToken a different operation on the stack was already started with (the model's TokenAlreadyExistsException, 400).</summary>
    public static AwsException TokenAlreadyExists(string token, string stackName, string operation) =>
        new("TokenAlreadyExistsException", $"A client request token already exists: {token} was used by {operation} on stack {stackName}.");

    /// <summary>A new stack past the account's and Region's stack quota (DescribeAccountLimits' StackLimit), as AWS words it.</summary>
    public static AwsException StackLimitExceeded() => new("LimitExceededException", "Limit for stack has been exceeded");

    public static AwsException InsufficientCapabilities(string? required) => new("InsufficientCapabilitiesException", $"Requires capabilities : [{required}]");

    // ---- stack sets (the model's exception shapes, with their codes and HTTP statuses) ----

    public static AwsException StackSetNotFound(string nameOrId) => new("StackSetNotFoundException", $"StackSet {nameOrId} not found", 404);

    public static AwsException StackSetExists(string name) => new("NameAlreadyExistsException", $"StackSet {name} already exists", 409);

    public static AwsException StackSetNotEmpty(string name) =>
        new("StackSetNotEmptyException", $"StackSet {name} is not empty: delete its stack instances first (DeleteStackInstances)", 409);

    public static AwsException StackSetOperationInProgress(string stackSetArn, string operationId) =>
        new("OperationInProgressException", $"Another Operation on StackSet {stackSetArn} is in progress: {operationId}", 409);

    public static AwsException StackSetOperationIdExists(string operationId) =>
        new("OperationIdAlreadyExistsException", $"The operation id {operationId} already exists on this stack set", 409);

    public static AwsException StackSetOperationNotFound(string operationId) => new("OperationNotFoundException", $"Operation {operationId} not found", 404);

    public static AwsException StackInstanceNotFound(string stackSetName, string account, string region) =>
        new("StackInstanceNotFoundException", $"Account {account} should have '{stackSetName}' stack instance in region {region}", 404);

    public static AwsException StackSetOperationNotStoppable(string operationId, string status) =>
        new("InvalidOperationException", $"Operation {operationId} is {status} and cannot be stopped", 400);

    /// <summary>What needs AWS Organizations (service-managed permissions, automatic deployment, organizational units, delegated administrators).</summary>
    public static AwsException NeedsOrganizations(string what) =>
        new("InvalidOperationException", $"{what} needs AWS Organizations, which Stratus does not serve: Stratus serves stack sets with the SELF_MANAGED permission model in its one account", 400);

    /// <summary>A stack instance asked for in an account other than the caller's: Stratus is one account.</summary>
    public static AwsException OtherAccount(string account, string callerAccount) =>
        TemplateError.Validation($"Account {account} is not served: Stratus is one account ({callerAccount}), so stack instances can only be deployed to the caller's own account");

    /// <summary>ImportStacksToStackSet's StackIds naming a stack that does not exist (the model's StackNotFoundException, 404).</summary>
    public static AwsException StackNotFound(string stackId) => new("StackNotFoundException", $"Stack with id {stackId} does not exist", 404);

    public static AwsException TooManyStacksToImport(int limit) =>
        new("LimitExceededException", $"You can import up to {limit} stacks into a stack set at a time", 400);

    /// <summary>A stack set operation that cannot be done as asked (the model's InvalidOperationException, 400).</summary>
    public static AwsException InvalidStackSetOperation(string message) => new("InvalidOperationException", message, 400);

    public static AwsException RegionNotServed(string region) =>
        TemplateError.Validation($"Region {region} is not a Region Stratus serves");
    // ---- the extension registry ----

    /// <summary>A type (or version) the registry does not hold, in AWS's words ("The type 'X' cannot be found."; TypeNotFoundException, 404).</summary>
    public static AwsException TypeNotFound(string typeName) => new("TypeNotFoundException", $"The type '{typeName}' cannot be found.", 404);

    /// <summary>A version of a type the registry does not hold, or one deregistered (Stratus's words, patterned on the type's).</summary>
    public static AwsException TypeVersionNotFound(string typeName, string versionId) =>
        new("TypeNotFoundException", $"The type '{typeName}' version '{versionId}' cannot be found.", 404);

    /// <summary>A registry call the registry refuses (the model's CFNRegistryException, 400); each message is Stratus's, AWS publishes none.</summary>
    public static AwsException RegistryRefused(string message) => new("CFNRegistryException", message);

    /// <summary>A registration token no RegisterType of the account answered (CFNRegistryException; Stratus's words).</summary>
    public static AwsException RegistrationNotFound(string token) => RegistryRefused($"Registration token {token} does not exist");

    /// <summary>A configuration SetTypeConfiguration never set (TypeConfigurationNotFoundException, 404; Stratus's words).</summary>
    public static AwsException TypeConfigurationNotFound(string what) =>
        new("TypeConfigurationNotFoundException", $"No configuration is set for {what}", 404);

    /// <summary>RecordHandlerProgress with a bearer token no handler operation in flight was given (the model's ConditionalCheckFailed; Stratus's words).</summary>
    public static AwsException HandlerOperationNotFound() =>
        new("ConditionalCheckFailed", "No resource handler operation in progress has this bearer token");

    /// <summary>RecordHandlerProgress whose CurrentOperationStatus is not the operation's (ConditionalCheckFailed; Stratus's words).</summary>
    public static AwsException HandlerStatusMismatch(string expected, string actual) =>
        new("ConditionalCheckFailed", $"The operation's status is {actual}, not {expected}");

    /// <summary>RecordHandlerProgress leaving a finished status (the model's InvalidStateTransition; Stratus's words).</summary>
    public static AwsException InvalidHandlerTransition(string from, string to) =>
        new("InvalidStateTransition", $"The operation's status cannot change from {from} to {to}");
}
