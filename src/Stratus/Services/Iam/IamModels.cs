using Stratus.Protocols;
namespace Stratus.Services.Iam;

public sealed record IamTag(string Key, string Value)
{
    /// <summary>A request's Tags, or a template's.</summary>
    public static IReadOnlyList<IamTag> List(IInputReader input) => input.Tags().Select(t => new IamTag(t.Key, t.Value)).ToList();
}

/// <summary>A role with everything attached to it, stored as one document so changes to it are atomic.</summary>
public sealed record IamRole
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

    public string Arn => $"arn:aws:iam::{AccountId}:role{Path}{RoleName}";
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

public sealed record IamUser
{
    public required string AccountId { get; init; }
    public required string UserName { get; init; }
    public required string UserId { get; init; }
    public required string Path { get; init; }
    public required DateTimeOffset CreateDate { get; init; }
    public IReadOnlyList<IamTag> Tags { get; init; } = [];
    public IReadOnlyList<IamAccessKey> AccessKeys { get; init; } = [];

    public string Arn => $"arn:aws:iam::{AccountId}:user{Path}{UserName}";
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
