using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Stratus.Host;
using Stratus.Protocols;
using Stratus.Protocols.Query;

namespace Stratus.Services.Iam;

/// <summary>IAM's wire operations (Query protocol, 2010-05-08): request members in, domain call, response shape out.</summary>
public sealed class IamApi : IStratusService
{
    private readonly IamService _iam;

    public IamApi(IamService iam, ILogger logger)
    {
        _iam = iam;
        Endpoint = new ServiceEndpoint("iam", Operations(), new AwsQueryProtocol("2010-05-08", "https://iam.amazonaws.com/doc/2010-05-08/"))
        {
            Logger = logger,
            Validation = IamNames.Errors,
            Rules = IamRules.Members,
        };
    }

    public string Name => "iam";
    public ServiceEndpoint Endpoint { get; }

    private OperationTable Operations() => new()
    {
        { "CreateRole", i => new JsonObject { ["Role"] = Role(_iam.CreateRole(i.Scope, i.Required("RoleName"), RoleSettings.Read(i), IamTag.List(i))) } },
        { "GetRole", i => new JsonObject { ["Role"] = Role(_iam.GetRole(i.Scope, i.Required("RoleName"))) } },
        { "ListRoles", i => Paged(_iam.ListRoles(i.Scope, i.String("PathPrefix"), i.String("Marker"), i.Int("MaxItems")), "Roles", r => Role(r, withTags: false)) },
        { "DeleteRole", i => Done(() => _iam.DeleteRole(i.Scope, i.Required("RoleName"))) },
        { "UpdateAssumeRolePolicy", i => Done(() => _iam.UpdateAssumeRolePolicy(i.Scope, i.Required("RoleName"), i.Required("PolicyDocument"))) },
        { "UpdateRole", i => Done(() => _iam.UpdateRoleDescription(i.Scope, i.Required("RoleName"), i.String("Description"), i.Int("MaxSessionDuration"))) },
        { "UpdateRoleDescription", i => new JsonObject { ["Role"] = Role(_iam.UpdateRoleDescription(i.Scope, i.Required("RoleName"), i.Required("Description"), null)) } },
        { "TagRole", i => Done(() => _iam.TagRole(i.Scope, i.Required("RoleName"), IamTag.List(i))) },
        { "UntagRole", i => Done(() => _iam.UntagRole(i.Scope, i.Required("RoleName"), i.Strings("TagKeys").ToHashSet(StringComparer.Ordinal))) },
        { "ListRoleTags", i => new JsonObject
            {
                ["Tags"] = TagList(_iam.GetRole(i.Scope, i.Required("RoleName")).Tags),
                ["IsTruncated"] = false,
            } },

        { "AttachRolePolicy", i => Done(() => _iam.AttachRolePolicy(i.Scope, i.Required("RoleName"), i.Required("PolicyArn"))) },
        { "DetachRolePolicy", i => Done(() => _iam.DetachRolePolicy(i.Scope, i.Required("RoleName"), i.Required("PolicyArn"))) },
        { "ListAttachedRolePolicies", i => Paged(_iam.ListAttachedRolePolicies(i.Scope, i.Required("RoleName"), i.String("PathPrefix"), i.String("Marker"), i.Int("MaxItems")),
            "AttachedPolicies", p => new JsonObject { ["PolicyName"] = p.PolicyName, ["PolicyArn"] = p.Arn }) },
        { "PutRolePolicy", i => Done(() => _iam.PutRolePolicy(i.Scope, i.Required("RoleName"), InlinePolicy.Read(i))) },
        { "GetRolePolicy", i => new JsonObject
            {
                ["RoleName"] = _iam.GetRole(i.Scope, i.Required("RoleName")).RoleName,
                ["PolicyName"] = i.Required("PolicyName"),
                ["PolicyDocument"] = Encode(_iam.GetRolePolicy(i.Scope, i.Required("RoleName"), i.Required("PolicyName"))),
            } },
        { "DeleteRolePolicy", i => Done(() => _iam.DeleteRolePolicy(i.Scope, i.Required("RoleName"), i.Required("PolicyName"))) },
        { "ListRolePolicies", i => Paged(_iam.ListRolePolicies(i.Scope, i.Required("RoleName"), i.String("Marker"), i.Int("MaxItems")), "PolicyNames", n => JsonValue.Create(n)) },

        { "CreatePolicy", i => new JsonObject { ["Policy"] = Policy(_iam.CreatePolicy(i.Scope, i.Required("PolicyName"), ManagedPolicySettings.Read(i))) } },
        { "GetPolicy", i => new JsonObject { ["Policy"] = Policy(_iam.GetPolicy(i.Scope, i.Required("PolicyArn"))) } },
        { "ListPolicies", i => Paged(_iam.ListPolicies(i.Scope, i.String("Scope"), i.Bool("OnlyAttached") ?? false, i.String("PathPrefix"), i.String("Marker"), i.Int("MaxItems")),
            "Policies", p => Policy(p, withDetails: false)) },
        { "DeletePolicy", i => Done(() => _iam.DeletePolicy(i.Scope, i.Required("PolicyArn"))) },
        { "CreatePolicyVersion", i => new JsonObject { ["PolicyVersion"] = Version(_iam.CreatePolicyVersion(i.Scope, i.Required("PolicyArn"),
            i.Required("PolicyDocument"), i.Bool("SetAsDefault") ?? false), _iam.GetPolicy(i.Scope, i.Required("PolicyArn")), withDocument: false) } },
        { "GetPolicyVersion", i => new JsonObject { ["PolicyVersion"] = Version(_iam.GetPolicyVersion(i.Scope, i.Required("PolicyArn"), i.Required("VersionId")),
            _iam.GetPolicy(i.Scope, i.Required("PolicyArn")), withDocument: true) } },
        { "ListPolicyVersions", i =>
            {
                var policy = _iam.GetPolicy(i.Scope, i.Required("PolicyArn"));
                return new JsonObject
                {
                    ["Versions"] = new JsonArray(policy.Versions.OrderByDescending(v => v.CreateDate).Select(v => (JsonNode)Version(v, policy, withDocument: false)).ToArray()),
                    ["IsTruncated"] = false,
                };
            } },
        { "DeletePolicyVersion", i => Done(() => _iam.DeletePolicyVersion(i.Scope, i.Required("PolicyArn"), i.Required("VersionId"))) },
        { "SetDefaultPolicyVersion", i => Done(() => _iam.SetDefaultPolicyVersion(i.Scope, i.Required("PolicyArn"), i.Required("VersionId"))) },

        { "CreateUser", i => new JsonObject { ["User"] = User(_iam.CreateUser(i.Scope, i.Required("UserName"), i.String("Path"), IamTag.List(i))) } },
        { "GetUser", i => new JsonObject { ["User"] = User(_iam.GetUser(i.Scope, i.String("UserName") ?? CallerUserName(i))) } },
        { "ListUsers", i => Paged(_iam.ListUsers(i.Scope, i.String("PathPrefix"), i.String("Marker"), i.Int("MaxItems")), "Users", u => User(u, withTags: false)) },
        { "DeleteUser", i => Done(() => _iam.DeleteUser(i.Scope, i.Required("UserName"))) },
        { "CreateAccessKey", i =>
            {
                var userName = i.String("UserName") ?? CallerUserName(i);
                var key = _iam.CreateAccessKey(i.Scope, userName);
                return new JsonObject
                {
                    ["AccessKey"] = new JsonObject
                    {
                        ["UserName"] = userName,
                        ["AccessKeyId"] = key.AccessKeyId,
                        ["Status"] = key.Status,
                        ["SecretAccessKey"] = key.SecretAccessKey,
                        ["CreateDate"] = key.CreateDate,
                    },
                };
            } },
        { "ListAccessKeys", i =>
            {
                var userName = i.String("UserName") ?? CallerUserName(i);
                return new JsonObject
                {
                    ["AccessKeyMetadata"] = new JsonArray(_iam.ListAccessKeys(i.Scope, userName).Select(k => (JsonNode)new JsonObject
                    {
                        ["UserName"] = userName,
                        ["AccessKeyId"] = k.AccessKeyId,
                        ["Status"] = k.Status,
                        ["CreateDate"] = k.CreateDate,
                    }).ToArray()),
                    ["IsTruncated"] = false,
                };
            } },
        { "DeleteAccessKey", i => Done(() => _iam.DeleteAccessKey(i.Scope, i.String("UserName") ?? CallerUserName(i), i.Required("AccessKeyId"))) },
        { "UpdateAccessKey", i => Done(() => _iam.UpdateAccessKey(i.Scope, i.String("UserName") ?? CallerUserName(i), i.Required("AccessKeyId"), i.Required("Status"))) },
    };

    /// <summary>IAM answers for "the calling user" when UserName is omitted; only callers signing with a user's key have one.</summary>
    private static string CallerUserName(OperationInput input) =>
        input.Call.PrincipalArn is { } arn && arn.Contains(":user/", StringComparison.Ordinal)
            ? arn[(arn.LastIndexOf('/') + 1)..]
            : throw IamErrors.UserNameRequired();

    private static JsonObject? Done(Action action)
    {
        action();
        return null;
    }

    private static JsonObject? Done<T>(Func<T> action)
    {
        action();
        return null;
    }

    private static JsonArray TagList(IReadOnlyList<IamTag> tags) =>
        new(tags.Select(t => (JsonNode)new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value }).ToArray());

    private static JsonObject Paged<T>(Page<T> page, string listName, Func<T, JsonNode> render)
    {
        var body = new JsonObject
        {
            [listName] = new JsonArray(page.Items.Select(render).ToArray()),
            ["IsTruncated"] = page.NextMarker is not null,
        };
        if (page.NextMarker is not null) body["Marker"] = page.NextMarker;
        return body;
    }

    /// <summary>IAM returns policy documents URL-encoded; SDKs decode them.</summary>
    private static string Encode(string document) => Uri.EscapeDataString(document);

    private static JsonObject Role(IamRole role) => Role(role, withTags: true);

    private static JsonObject Role(IamRole role, bool withTags)
    {
        var body = new JsonObject
        {
            ["Path"] = role.Path,
            ["RoleName"] = role.RoleName,
            ["RoleId"] = role.RoleId,
            ["Arn"] = role.Arn,
            ["CreateDate"] = role.CreateDate,
            ["AssumeRolePolicyDocument"] = Encode(role.AssumeRolePolicyDocument),
            ["Description"] = role.Description,
            ["MaxSessionDuration"] = role.MaxSessionDuration,
        };
        if (withTags && role.Tags.Count > 0) body["Tags"] = TagList(role.Tags);
        if (withTags) body["RoleLastUsed"] = new JsonObject();
        return body;
    }

    private JsonObject Policy(IamManagedPolicy policy) => Policy(policy, withDetails: true);

    private JsonObject Policy(IamManagedPolicy policy, bool withDetails)
    {
        var body = new JsonObject
        {
            ["PolicyName"] = policy.PolicyName,
            ["PolicyId"] = policy.PolicyId,
            ["Arn"] = policy.Arn,
            ["Path"] = policy.Path,
            ["DefaultVersionId"] = policy.DefaultVersionId,
            ["AttachmentCount"] = _iam.AttachmentCount(policy.Arn),
            ["PermissionsBoundaryUsageCount"] = 0,
            ["IsAttachable"] = true,
            ["Description"] = withDetails ? policy.Description : null,
            ["CreateDate"] = policy.CreateDate,
            ["UpdateDate"] = policy.UpdateDate,
        };
        if (withDetails && policy.Tags.Count > 0) body["Tags"] = TagList(policy.Tags);
        return body;
    }

    private static JsonObject Version(IamPolicyVersion version, IamManagedPolicy policy, bool withDocument) => new()
    {
        ["Document"] = withDocument ? Encode(version.Document) : null,
        ["VersionId"] = version.VersionId,
        ["IsDefaultVersion"] = version.VersionId == policy.DefaultVersionId,
        ["CreateDate"] = version.CreateDate,
    };

    private static JsonObject User(IamUser user) => User(user, withTags: true);

    private static JsonObject User(IamUser user, bool withTags)
    {
        var body = new JsonObject
        {
            ["Path"] = user.Path,
            ["UserName"] = user.UserName,
            ["UserId"] = user.UserId,
            ["Arn"] = user.Arn,
            ["CreateDate"] = user.CreateDate,
        };
        if (withTags && user.Tags.Count > 0) body["Tags"] = TagList(user.Tags);
        return body;
    }
}
