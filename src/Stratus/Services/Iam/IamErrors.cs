using Stratus.Protocols;

namespace Stratus.Services.Iam;

/// <summary>IAM's errors, named for what went wrong and worded as AWS words them.</summary>
public static class IamErrors
{
    public static AwsException RoleExists(string roleName) => new("EntityAlreadyExists", $"Role with name {roleName} already exists.", 409);

    /// <summary>CreateServiceLinkedRole for a role the account already has: AWS answers InvalidInput, not EntityAlreadyExists.</summary>
    public static AwsException ServiceRoleNameTaken(string roleName) =>
        InvalidInput($"Service role name {roleName} has been taken in this account, please try a different suffix.");

    /// <summary>Any change to a service-linked role but its description, as AWS refuses it.</summary>
    public static AwsException UnmodifiableRole(string roleName) =>
        new("UnmodifiableEntity", $"Cannot perform the operation on the protected role '{roleName}' - this role is only modifiable by AWS");

    /// <summary>Our wording: a service whose linked role's name Stratus does not know (it gives no guessed name).</summary>
    public static AwsException UnknownLinkedService(string serviceName) =>
        InvalidInput($"Stratus does not know the service-linked role of the service {serviceName}.");

    /// <summary>Our wording: AWS refuses a CustomSuffix for most services.</summary>
    public static AwsException CustomSuffixNotTaken(string serviceName) =>
        InvalidInput($"Custom suffix is not allowed for the service {serviceName}.");

    /// <summary>Our wording: the service's role name and the CustomSuffix together exceed IAM's 64-character role names.</summary>
    public static AwsException SuffixMakesNameTooLong(string roleName) =>
        InvalidInput($"The role name {roleName} made with the custom suffix is longer than 64 characters; use a shorter suffix.");

    /// <summary>An operation of IAM's model Stratus does not serve (<see cref="IamNotServed"/>): named, with why.</summary>
    public static AwsException NotServed(string operation, string reason) =>
        new("InvalidAction", $"Stratus does not serve the IAM operation {operation}: {reason}");

    /// <summary>Our wording: DeleteServiceLinkedRole names a role no service is linked to.</summary>
    public static AwsException NotServiceLinked(string roleName) => InvalidInput($"The role {roleName} is not a service-linked role.");

    /// <summary>Our wording: a deletion task id no DeleteServiceLinkedRole answered.</summary>
    public static AwsException NoSuchDeletionTask(string taskId) => new("NoSuchEntity", $"The deletion task {taskId} cannot be found.", 404);

    /// <summary>EnableOutboundWebIdentityFederation when it is on already (409); the wording is ours, after the model's description.</summary>
    public static AwsException FeatureEnabled() =>
        new("FeatureEnabled", "Outbound identity federation is already enabled for this account. To get its issuer URL, use GetOutboundWebIdentityFederationInfo.", 409);

    /// <summary>DisableOutboundWebIdentityFederation when it is off already, or GetOutboundWebIdentityFederationInfo before it was ever enabled (404); the wording is ours.</summary>
    public static AwsException FeatureDisabled() =>
        new("FeatureDisabled", "Outbound identity federation is not enabled for this account.", 404);

    public static AwsException UserExists(string userName) => new("EntityAlreadyExists", $"User with name {userName} already exists.", 409);

    public static AwsException PolicyExists(string policyName) =>
        new("EntityAlreadyExists", $"A policy called {policyName} already exists. Duplicate names are not allowed.", 409);

    public static AwsException NoSuchRole(string roleName) => new("NoSuchEntity", $"The role with name {roleName} cannot be found.", 404);

    public static AwsException NoSuchUser(string userName) => new("NoSuchEntity", $"The user with name {userName} cannot be found.", 404);

    public static AwsException NoSuchRolePolicy(string policyName) => new("NoSuchEntity", $"The role policy with name {policyName} cannot be found.", 404);

    public static AwsException PolicyNotAttached(string policyArn) => new("NoSuchEntity", $"Policy {policyArn} was not found.", 404);

    public static AwsException NoSuchPolicy(string policyArn) => new("NoSuchEntity", $"Policy {policyArn} does not exist or is not attachable.", 404);

    public static AwsException NoSuchVersion(string policyArn, string versionId) =>
        new("NoSuchEntity", $"Policy {policyArn} version {versionId} does not exist or is not attachable.", 404);

    public static AwsException NoSuchAccessKey(string accessKeyId) => new("NoSuchEntity", $"The Access Key with id {accessKeyId} cannot be found.", 404);

    /// <summary>A delete IAM refuses while something still hangs off the entity.</summary>
    public static AwsException DeleteConflict(string message) => new("DeleteConflict", message, 409);

    /// <summary>An IAM quota: "Cannot exceed quota for {quota}: {limit}".</summary>
    public static AwsException QuotaExceeded(string quota, int limit) => new("LimitExceeded", $"Cannot exceed quota for {quota}: {limit}", 409);

    public static AwsException TooManyPolicyVersions() =>
        new("LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.", 409);

    public static AwsException AwsManagedPolicy(string policyArn) => new("AccessDenied", $"Policy {policyArn} is an AWS managed policy and cannot be changed.", 403);

    public static AwsException DuplicateTagKeys() => new("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.");

    public static AwsException UserNameRequired() => new("ValidationError", "Must specify userName when calling with non-User credentials");

    public static AwsException MalformedPolicy(string message) => new("MalformedPolicyDocument", message);

    public static AwsException NoSuchEntity(IamEntityKind kind, string name) => new("NoSuchEntity", $"The {kind.Noun} with name {name} cannot be found.", 404);

    public static AwsException NoSuchInlinePolicy(IamEntityKind kind, string policyName) =>
        new("NoSuchEntity", $"The {kind.Noun} policy with name {policyName} cannot be found.", 404);

    public static AwsException GroupExists(string groupName) => new("EntityAlreadyExists", $"Group with name {groupName} already exists.", 409);

    public static AwsException InstanceProfileExists(string name) => new("EntityAlreadyExists", $"Instance Profile {name} already exists.", 409);

    public static AwsException NoSuchInstanceProfile(string name) => new("NoSuchEntity", $"Instance Profile {name} cannot be found.", 404);

    public static AwsException OidcProviderExists(string url) => new("EntityAlreadyExists", $"Provider with url https://{url} already exists.", 409);

    public static AwsException NoSuchOidcProvider(string arn) => new("NoSuchEntity", $"OpenIDConnect Provider not found for arn {arn}", 404);

    public static AwsException SamlProviderExists(string name) => new("EntityAlreadyExists", $"SAMLProvider {name} already exists", 409);

    public static AwsException NoSuchSamlProvider(string arn) => new("NoSuchEntity", $"Manifest not found for arn {arn}", 404);

    public static AwsException NoPasswordPolicy(string accountId) =>
        new("NoSuchEntity", $"The Password Policy with domain name {accountId} cannot be found.", 404);

    public static AwsException NoSuchLoginProfile(string userName) => new("NoSuchEntity", $"Login Profile for User {userName} cannot be found.", 404);

    public static AwsException LoginProfileExists(string userName) => new("EntityAlreadyExists", $"Login Profile for user {userName} already exists.", 409);

    public static AwsException PasswordPolicyViolation(string message) => new("PasswordPolicyViolation", message);

    public static AwsException InvalidInput(string message) => new("InvalidInput", message);

    /// <summary>An alias any account holds already: AWS's aliases are unique across a partition.</summary>
    public static AwsException AccountAliasExists(string alias) => new("EntityAlreadyExists", $"The account alias {alias} already exists.", 409);

    public static AwsException NoSuchAccountAlias(string alias) => new("NoSuchEntity", $"The account alias {alias} cannot be found.", 404);

    public static AwsException CredentialReportNotPresent() =>
        new("ReportNotPresent", "Credential report not present. Use GenerateCredentialReport to generate a credential report.", 410);

    public static AwsException CredentialReportExpired() =>
        new("ReportExpired", "The most recent credential report has expired. Use GenerateCredentialReport to generate a new credential report.", 410);

    // Service last accessed reports: AWS publishes the codes, not these messages; the wording is ours.
    public static AwsException NoSuchAccessReportJob(string jobId) => new("NoSuchEntity", $"No service last accessed report with job id {jobId} exists.", 404);

    public static AwsException NoSuchEntityArn(string arn) => new("NoSuchEntity", $"The entity with ARN {arn} cannot be found.", 404);

    public static AwsException NotAnIdentityArn(string arn, bool policyTaken) =>
        InvalidInput($"ARN {arn} is not the ARN of an IAM user, group{(policyTaken ? ", role or policy" : " or role")}.");

    /// <summary>The wording is ours: AWS's own is not published.</summary>
    public static AwsException NoSuchMfaDevice(string serialNumber) => new("NoSuchEntity", $"MFA device with serial number {serialNumber} cannot be found.", 404);

    public static AwsException VirtualMfaDeviceExists() => new("EntityAlreadyExists", "MFADevice entity at the same path and name already exists.", 409);

    /// <summary>EnableMFADevice for a device another user (or this one) already has; the wording is ours.</summary>
    public static AwsException MfaDeviceInUse(string serialNumber) => new("EntityAlreadyExists", $"MFA device {serialNumber} is already in use.", 409);

    public static AwsException InvalidAuthenticationCode() => new("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403);

    /// <summary>DeleteVirtualMFADevice while the device is enabled for a user; the wording is ours.</summary>
    public static AwsException MfaDeviceStillEnabled() => DeleteConflict("MFA Device is still in use. Deactivate it before deleting it.");
}
