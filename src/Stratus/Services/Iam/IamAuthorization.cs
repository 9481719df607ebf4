using Stratus.Protocols;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.Iam;

/// <summary>
/// What `--auth enforce` authorizes IAM's operations against (Service Authorization Reference, IAM):
/// the entity an operation acts on, by the member that names it. Where an operation names several, AWS
/// authorizes the container: AddUserToGroup the group, AddRoleToInstanceProfile the instance profile,
/// AttachRolePolicy the role. Stored entities are named by their ARN with its path; new ones by the
/// request's Path. GetUser without UserName reads the caller itself.
/// </summary>
public static class IamAuthorization
{
    public static AuthorizationTable Table(IamService iam) => new("iam", unlisted: i => Entity(iam, i) is { } arn ? [arn] : [])
    {
        { "CreatePolicy", i => $"arn:aws:iam::{i.Scope.AccountId}:policy{i.String("Path") ?? "/"}{i.String("PolicyName")}" },
        // The role it would make, at the service's path (iam:AWSServiceName narrows it further on AWS; not a key Stratus evaluates).
        { "CreateServiceLinkedRole", i => ServiceLinkedRoles.Of(i.String("AWSServiceName") ?? "") is { } kind
            ? $"arn:aws:iam::{i.Scope.AccountId}:role{kind.Path}{kind.NameWith(i.String("CustomSuffix"))}" : "*" },
        { "GetUser", i => i.String("UserName") is null ? i.Scope.PrincipalArn ?? "*" : iam.EntityArn(i, "user", i.String("UserName")!) },
    };

    private static string? Entity(IamService iam, OperationInput i)
    {
        if (i.String("InstanceProfileName") is { } profile) return iam.EntityArn(i, "instance-profile", profile);
        if (i.String("GroupName") is { } group) return iam.EntityArn(i, "group", group);
        if (i.String("RoleName") is { } role) return iam.EntityArn(i, "role", role);
        if (i.String("UserName") is { } user) return iam.EntityArn(i, "user", user);
        return i.String("PolicyArn") ?? i.String("OpenIDConnectProviderArn") ?? i.String("SAMLProviderArn") ?? i.String("PolicySourceArn");
    }
}

public sealed partial class IamService
{
    /// <summary>A user's, group's, role's or instance profile's ARN with its stored path, else with the request's Path (a new entity).</summary>
    public string EntityArn(OperationInput input, string kind, string name)
    {
        var key = Key(input.Scope.AccountId, name);
        var stored = kind switch
        {
            "user" => _users.Get(key)?.Arn,
            "group" => _groups.Get(key)?.Arn,
            "role" => _roles.Get(key)?.Arn,
            _ => _instanceProfiles.Get(key)?.Arn,
        };
        return stored ?? $"arn:aws:iam::{input.Scope.AccountId}:{kind}{input.String("Path") ?? "/"}{name}";
    }

    public string? ManagedPolicyDocument(string policyArn) => FindPolicy(policyArn)?.DefaultVersion.Document;

    /// <summary>The role (its ARN with its path) an assumed-role session ARN belongs to; null for other principals.</summary>
    public string? RoleOfSession(string principalArn) =>
        principalArn.Split(':', 6) is ["arn", _, "sts", _, var account, var resource] && resource.Split('/') is ["assumed-role", var role, ..]
            ? _roles.Get(Key(account, role))?.Arn
            : null;

    /// <summary>A user's or role's tags, which policies see as aws:PrincipalTag (a role's sessions carry their role's).</summary>
    public Dictionary<string, string> PrincipalTags(string principalArn)
    {
        var tags = principalArn.Split(':', 6) is ["arn", _, "iam", _, var account, var resource]
            ? resource.StartsWith("user/", StringComparison.Ordinal) ? _users.Get(Key(account, resource[(resource.LastIndexOf('/') + 1)..]))?.Tags
            : resource.StartsWith("role/", StringComparison.Ordinal) ? _roles.Get(Key(account, resource[(resource.LastIndexOf('/') + 1)..]))?.Tags
            : null
            : null;
        return (tags ?? []).GroupBy(t => t.Key, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.OrdinalIgnoreCase);
    }
}
