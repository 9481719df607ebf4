using Stratus.Protocols;
namespace Stratus.Services.Iam;

public sealed record IamTag(string Key, string Value)
{
    /// <summary>A request's Tags, or a template's.</summary>
    public static IReadOnlyList<IamTag> List(IInputReader input) => input.Tags().Select(t => new IamTag(t.Key, t.Value)).ToList();
}

/// <summary>A user, group or role: what carries inline and attached policies.</summary>
public interface IPolicyHolder<out T>
{
    string AccountId { get; }
    string Arn { get; }
    IReadOnlyList<string> AttachedPolicyArns { get; }
    IReadOnlyDictionary<string, string> InlinePolicies { get; }
    T WithPolicies(IReadOnlyList<string> attached, IReadOnlyDictionary<string, string> inline);
}

/// <summary>A role with everything attached to it, stored as one document so changes to it are atomic.</summary>
public sealed record IamRole : IPolicyHolder<IamRole>
{
    public required string AccountId { get; init; }
    public required string RoleName { get; init; }
    public required string RoleId { get; init; }
    public required string Path { get; init; }
    public required string AssumeRolePolicyDocument { get; init; }
    public required DateTimeOffset CreateDate { get; init; }
    public string? Description { get; init; }
    public int MaxSessionDuration { get; init; } = 3600;
    public IReadOnlyList<IamTag> Tags { get; init; } = [];
    public IReadOnlyList<string> AttachedPolicyArns { get; init; } = [];
    public IReadOnlyDictionary<string, string> InlinePolicies { get; init; } = new Dictionary<string, string>();
    public string? PermissionsBoundaryArn { get; init; }

    /// <summary>The service principal a service-linked role belongs to (CreateServiceLinkedRole); only that service may change it.</summary>
    public string? LinkedService { get; init; }

    public string Arn => $"arn:aws:iam::{AccountId}:role{Path}{RoleName}";

    public IamRole WithPolicies(IReadOnlyList<string> attached, IReadOnlyDictionary<string, string> inline) => this with { AttachedPolicyArns = attached, InlinePolicies = inline };
}

public sealed record IamPolicyVersion(string VersionId, string Document, DateTimeOffset CreateDate);

public sealed record IamManagedPolicy
{
    /// <summary>"aws" for AWS managed policies, else the owning account.</summary>
    public required string Owner { get; init; }
    public required string PolicyName { get; init; }
    public required string PolicyId { get; init; }
    public required string Path { get; init; }
    public required DateTimeOffset CreateDate { get; init; }
    public required DateTimeOffset UpdateDate { get; init; }
    public required string DefaultVersionId { get; init; }
    public required IReadOnlyList<IamPolicyVersion> Versions { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<IamTag> Tags { get; init; } = [];

    public string Arn => $"arn:aws:iam::{Owner}:policy{Path}{PolicyName}";
    public IamPolicyVersion DefaultVersion => Versions.First(v => v.VersionId == DefaultVersionId);
}

public sealed record IamAccessKey(string AccessKeyId, string SecretAccessKey, string Status, DateTimeOffset CreateDate);

/// <summary>
/// A user's console password exists: IAM never returns a password, and nothing signs in to Stratus with
/// one, so only the fact, its date and the reset flag are kept (never the password itself).
/// </summary>
public sealed record IamLoginProfile(DateTimeOffset CreateDate, bool PasswordResetRequired)
{
    /// <summary>When UpdateLoginProfile last set a new password; null while it is the one the profile was created with.</summary>
    public DateTimeOffset? PasswordLastChanged { get; init; }
}

/// <summary>When and where an access key last signed a request (the service's signing name and the Region).</summary>
public sealed record IamKeyUse(DateTimeOffset When, string Service, string Region);

/// <summary>The account's alias, unique across accounts, as AWS's are across a partition.</summary>
public sealed record IamAccountAlias(string AccountId, string Alias);

/// <summary>A generated credential report: its CSV as it was when generated, kept for <see cref="IamService.CredentialReportLifetime"/>.</summary>
public sealed record IamCredentialReport(string AccountId, DateTimeOffset GeneratedTime, string Content);

public sealed record IamUser : IPolicyHolder<IamUser>
{
    public required string AccountId { get; init; }
    public required string UserName { get; init; }
    public required string UserId { get; init; }
    public required string Path { get; init; }
    public required DateTimeOffset CreateDate { get; init; }
    public IReadOnlyList<IamTag> Tags { get; init; } = [];
    public IReadOnlyList<IamAccessKey> AccessKeys { get; init; } = [];
    public IReadOnlyList<string> AttachedPolicyArns { get; init; } = [];
    public IReadOnlyDictionary<string, string> InlinePolicies { get; init; } = new Dictionary<string, string>();
    public string? PermissionsBoundaryArn { get; init; }
    /// <summary>The groups the user is in, by name, in the order it joined them.</summary>
    public IReadOnlyList<string> GroupNames { get; init; } = [];
    public IamLoginProfile? LoginProfile { get; init; }

    public string Arn => $"arn:aws:iam::{AccountId}:user{Path}{UserName}";

    public IamUser WithPolicies(IReadOnlyList<string> attached, IReadOnlyDictionary<string, string> inline) => this with { AttachedPolicyArns = attached, InlinePolicies = inline };
}

public sealed record IamGroup : IPolicyHolder<IamGroup>
{
    public required string AccountId { get; init; }
    public required string GroupName { get; init; }
    public required string GroupId { get; init; }
    public required string Path { get; init; }
    public required DateTimeOffset CreateDate { get; init; }
    public IReadOnlyList<string> AttachedPolicyArns { get; init; } = [];
    public IReadOnlyDictionary<string, string> InlinePolicies { get; init; } = new Dictionary<string, string>();

    public string Arn => $"arn:aws:iam::{AccountId}:group{Path}{GroupName}";

    public IamGroup WithPolicies(IReadOnlyList<string> attached, IReadOnlyDictionary<string, string> inline) => this with { AttachedPolicyArns = attached, InlinePolicies = inline };
}

public sealed record IamInstanceProfile
{
    public required string AccountId { get; init; }
    public required string InstanceProfileName { get; init; }
    public required string InstanceProfileId { get; init; }
    public required string Path { get; init; }
    public required DateTimeOffset CreateDate { get; init; }
    /// <summary>At most one role, as IAM allows (InstanceSessionsPerInstanceProfile).</summary>
    public IReadOnlyList<string> RoleNames { get; init; } = [];
    public IReadOnlyList<IamTag> Tags { get; init; } = [];

    public string Arn => $"arn:aws:iam::{AccountId}:instance-profile{Path}{InstanceProfileName}";
}

public sealed record IamOidcProvider
{
    public required string AccountId { get; init; }
    /// <summary>The issuer URL without its https:// scheme, as IAM keeps it and names the ARN.</summary>
    public required string Url { get; init; }
    public required DateTimeOffset CreateDate { get; init; }
    public IReadOnlyList<string> ClientIds { get; init; } = [];
    public IReadOnlyList<string> Thumbprints { get; init; } = [];
    public IReadOnlyList<IamTag> Tags { get; init; } = [];

    public string Arn => $"arn:aws:iam::{AccountId}:oidc-provider/{Url}";
}

public sealed record IamSamlProvider
{
    public required string AccountId { get; init; }
    public required string Name { get; init; }
    public required string MetadataDocument { get; init; }
    public required DateTimeOffset CreateDate { get; init; }
    public DateTimeOffset? ValidUntil { get; init; }
    public IReadOnlyList<IamTag> Tags { get; init; } = [];

    public string Arn => $"arn:aws:iam::{AccountId}:saml-provider/{Name}";
}

/// <summary>
/// SetSecurityTokenServicePreferences: the version of the session tokens the global STS endpoint issues (1, valid only in
/// Regions enabled by default; 2, valid in every Region). Stratus has no opt-in Regions, so its tokens are valid in every
/// Region under either version; the preference is kept and reported by GetAccountSummary as AWS reports it.
/// </summary>
public sealed record IamStsPreferences(string AccountId, int GlobalEndpointTokenVersion);

/// <summary>The account's password policy: UpdateAccountPasswordPolicy's members, AWS's defaults where omitted.</summary>
public sealed record IamPasswordPolicy
{
    public int MinimumPasswordLength { get; init; } = 6;
    public bool RequireSymbols { get; init; }
    public bool RequireNumbers { get; init; }
    public bool RequireUppercaseCharacters { get; init; }
    public bool RequireLowercaseCharacters { get; init; }
    public bool AllowUsersToChangePassword { get; init; }
    public int? MaxPasswordAge { get; init; }
    public int? PasswordReusePrevention { get; init; }
    public bool? HardExpiry { get; init; }

    public static IamPasswordPolicy Read(IInputReader input) => new()
    {
        MinimumPasswordLength = input.Int("MinimumPasswordLength") ?? 6,
        RequireSymbols = input.Bool("RequireSymbols") ?? false,
        RequireNumbers = input.Bool("RequireNumbers") ?? false,
        RequireUppercaseCharacters = input.Bool("RequireUppercaseCharacters") ?? false,
        RequireLowercaseCharacters = input.Bool("RequireLowercaseCharacters") ?? false,
        AllowUsersToChangePassword = input.Bool("AllowUsersToChangePassword") ?? false,
        MaxPasswordAge = input.Int("MaxPasswordAge"),
        PasswordReusePrevention = input.Int("PasswordReusePrevention"),
        HardExpiry = input.Bool("HardExpiry"),
    };
}

/// <summary>One page of a listing and the marker for the next, as IAM's Marker/MaxItems pagination works.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextMarker);

/// <summary>An inline policy: PutRolePolicy's members, an AWS::IAM::Policy's, or one of an AWS::IAM::Role's Policies.</summary>
public sealed record InlinePolicy(string PolicyName, string PolicyDocument)
{
    public static InlinePolicy Read(IInputReader input) => new(input.Required("PolicyName"), input.RequiredDocument("PolicyDocument"));
}

/// <summary>What CreatePolicy sets besides the name (CloudFormation's ManagedPolicyName, which it may generate).</summary>
public sealed record ManagedPolicySettings(string? Path, string PolicyDocument, string? Description, IReadOnlyList<IamTag> Tags)
{
    /// <summary>CreatePolicy's members, or an AWS::IAM::ManagedPolicy's.</summary>
    public static ManagedPolicySettings Read(IInputReader input) =>
        new(input.String("Path"), input.RequiredDocument("PolicyDocument"), input.String("Description"), IamTag.List(input));
}

/// <summary>What CreateRole sets besides the name and tags.</summary>
public sealed record RoleSettings(string? Path, string AssumeRolePolicyDocument, string? Description, int? MaxSessionDuration)
{
    /// <summary>CreateRole's members, or an AWS::IAM::Role's.</summary>
    public static RoleSettings Read(IInputReader input) =>
        new(input.String("Path"), input.RequiredDocument("AssumeRolePolicyDocument"), input.String("Description"), input.Int("MaxSessionDuration"));
}

/// <summary>Users, groups and roles: the entities that carry policies, with the words IAM uses for each.</summary>
public sealed record IamEntityKind(string Name, string Noun)
{
    public static readonly IamEntityKind User = new("User", "user");
    public static readonly IamEntityKind Group = new("Group", "group");
    public static readonly IamEntityKind Role = new("Role", "role");

    public static IReadOnlyList<IamEntityKind> All { get; } = [User, Group, Role];

    /// <summary>The request member naming the entity: UserName, GroupName, RoleName.</summary>
    public string NameMember => Name + "Name";
}

/// <summary>A DeleteServiceLinkedRole request, which GetServiceLinkedRoleDeletionStatus reports on by its id.</summary>
public sealed record IamRoleDeletionTask(string AccountId, string DeletionTaskId, string Status);

/// <summary>An IAM user's or role's latest attempt at one action (a role's through its sessions), for service last accessed reports.</summary>
public sealed record IamActionAccess(string AccountId, string EntityId, string EntityArn, string Action, DateTimeOffset When, string Region);

/// <summary>A user or role a service last accessed report covers, and its latest attempt at the report's service (null: none in the tracking period).</summary>
public sealed record IamEntityAccess(string Arn, string Name, string Type, string Id, string Path, DateTimeOffset? LastAuthenticated = null, string? Region = null);

public sealed record IamTrackedAction(string ActionName, string EntityArn, DateTimeOffset When, string Region);

/// <summary>One service of a report: every entity the report covers, and at ACTION_LEVEL the tracked actions they used (null at SERVICE_LEVEL).</summary>
public sealed record IamServiceAccess(string Namespace, IReadOnlyList<IamEntityAccess> Entities, IReadOnlyList<IamTrackedAction>? Actions);

/// <summary>A GenerateServiceLastAccessedDetails job: the report as it was made, kept for GetServiceLastAccessedDetails.</summary>
public sealed record IamAccessReportJob(string AccountId, string JobId, string Arn, string Granularity, DateTimeOffset Created, IReadOnlyList<IamServiceAccess> Services);

/// <summary>A policy ListPoliciesGrantingServiceAccess names: a managed one by ARN, an inline one by the entity that holds it.</summary>
public sealed record IamGrantingPolicy(string PolicyName, string PolicyType, string? PolicyArn, string? EntityType, string? EntityName);

/// <summary>
/// A virtual MFA device: its TOTP seed sealed under IAM's key (bound to the serial number), the user it is enabled
/// for, the last time step a code was accepted at (a code is not accepted twice) and the device clock's drift in
/// steps that ResyncMFADevice measured.
/// </summary>
public sealed record IamVirtualMfaDevice
{
    public required string AccountId { get; init; }
    public required string Name { get; init; }
    public required string Path { get; init; }
    public required string SealedSeed { get; init; }
    public required DateTimeOffset CreateDate { get; init; }
    public IReadOnlyList<IamTag> Tags { get; init; } = [];
    public string? UserName { get; init; }
    public DateTimeOffset? EnableDate { get; init; }
    public long LastUsedStep { get; init; }
    public long DriftSteps { get; init; }

    /// <summary>A virtual device's serial number is its ARN.</summary>
    public string SerialNumber => $"arn:aws:iam::{AccountId}:mfa{Path}{Name}";
}

/// <summary>A new virtual MFA device with what only its creation returns: the seed in base32 and the QR code of its otpauth:// URI.</summary>
public sealed record CreatedVirtualMfaDevice(IamVirtualMfaDevice Device, string Base32Seed, byte[] QrCodePng);

/// <summary>How an MFA code offered to STS fared against the caller's devices.</summary>
public enum MfaCheck { Accepted, UnknownDevice, InvalidCode }
