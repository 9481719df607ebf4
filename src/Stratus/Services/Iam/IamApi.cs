using Stratus.Host;
using Stratus.Protocols;
using Stratus.Protocols.Query;

namespace Stratus.Services.Iam;

/// <summary>
/// IAM's wire operations (Query protocol, 2010-05-08; signing name iam): request members in, domain call, response
/// shape out.
/// </summary>
public sealed partial class IamApi : IStratusService
{
    private readonly IamService _iam;
    private readonly OutboundWebIdentityFederation _outboundFederation;

    public IamApi(IamService iam, OutboundWebIdentityFederation outboundFederation, ILogger logger)
    {
        _iam = iam;
        _outboundFederation = outboundFederation;
        Endpoint = new ServiceEndpoint("iam", Operations(), new AwsQueryProtocol("2010-05-08", "https://iam.amazonaws.com/doc/2010-05-08/")
        {
            Shape = new XmlShape { MapNames = new HashSet<string> { "SummaryMap" } },
        })
        {
            Logger = logger,
            Validation = IamNames.Errors,
            Rules = IamRules.Members,
        };
    }

    public string Name => "iam";
    public ServiceEndpoint Endpoint { get; }

    private OperationTable Operations()
    {
        var table = new OperationTable
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
        { "ListRoleTags", i => Tags(_iam.GetRole(i.Scope, i.Required("RoleName")).Tags, i) },
        { "CreateServiceLinkedRole", i => new JsonObject { ["Role"] = Role(_iam.CreateServiceLinkedRole(i.Scope, i.Required("AWSServiceName"), i.String("Description"), i.String("CustomSuffix"))) } },
        { "DeleteServiceLinkedRole", i => new JsonObject { ["DeletionTaskId"] = _iam.DeleteServiceLinkedRole(i.Scope, i.Required("RoleName")) } },
        { "GetServiceLinkedRoleDeletionStatus", i => new JsonObject { ["Status"] = _iam.GetServiceLinkedRoleDeletionStatus(i.Scope, i.Required("DeletionTaskId")).Status } },

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
                // Newest first, as IAM lists them: v10 after v9, so by number rather than by name.
                var newestFirst = policy.Versions.OrderByDescending(v => int.Parse(v.VersionId[1..], System.Globalization.CultureInfo.InvariantCulture))
                    .Select((v, n) => (Key: n.ToString("D8"), Version: v));
                return Paged(IamService.Paginate(newestFirst, v => v.Key, i.String("Marker"), i.Int("MaxItems")), "Versions", v => Version(v.Version, policy, withDocument: false));
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
        foreach (var kind in IamEntityKind.All) AddPolicyOperations(table, kind);
        AddEntityOperations(table);
        AddMfaOperations(table);
        AddSimulationOperations(table);
        AddLastAccessedOperations(table);
        // botocore's other operations answer a clear refusal naming the operation and why (README lists them).
        NotServedOperations.AddTo(table, IamNotServed.Operations, IamErrors.NotServed);
        return table;
    }

    /// <summary>Attach/Detach/ListAttached{Kind}Policies and Put/Get/Delete/List{Kind}Policy: the same for users, groups and roles.</summary>
    private void AddPolicyOperations(OperationTable table, IamEntityKind kind)
    {
        string Name(OperationInput i) => i.Required(kind.NameMember);
        table.Add($"Attach{kind.Name}Policy", i => Done(() => _iam.AttachPolicy(i.Scope, kind, Name(i), i.Required("PolicyArn"))));
        table.Add($"Detach{kind.Name}Policy", i => Done(() => _iam.DetachPolicy(i.Scope, kind, Name(i), i.Required("PolicyArn"))));
        table.Add($"ListAttached{kind.Name}Policies", i => Paged(_iam.ListAttachedPolicies(i.Scope, kind, Name(i), i.String("PathPrefix"), i.String("Marker"), i.Int("MaxItems")),
            "AttachedPolicies", p => new JsonObject { ["PolicyName"] = p.PolicyName, ["PolicyArn"] = p.Arn }));
        table.Add($"Put{kind.Name}Policy", i => Done(() => _iam.PutInlinePolicy(i.Scope, kind, Name(i), InlinePolicy.Read(i))));
        table.Add($"Get{kind.Name}Policy", i => new JsonObject
        {
            [kind.NameMember] = Name(i),
            ["PolicyName"] = i.Required("PolicyName"),
            ["PolicyDocument"] = Encode(_iam.GetInlinePolicy(i.Scope, kind, Name(i), i.Required("PolicyName"))),
        });
        table.Add($"Delete{kind.Name}Policy", i => Done(() => _iam.DeleteInlinePolicy(i.Scope, kind, Name(i), i.Required("PolicyName"))));
        table.Add($"List{kind.Name}Policies", i => Paged(_iam.ListInlinePolicies(i.Scope, kind, Name(i), i.String("Marker"), i.Int("MaxItems")), "PolicyNames", n => JsonValue.Create(n)));
    }

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

    /// <summary>List*Tags: a resource's tags, paged by Marker/MaxItems as IAM pages them.</summary>
    private static JsonObject Tags(IReadOnlyList<IamTag> tags, OperationInput input) =>
        Paged(IamService.Paginate(tags.Select((t, n) => (Key: n.ToString("D8"), Tag: t)), t => t.Key, input.String("Marker"), input.Int("MaxItems")),
            "Tags", t => new JsonObject { ["Key"] = t.Tag.Key, ["Value"] = t.Tag.Value });

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
        if (role.PermissionsBoundaryArn is { } boundary) body["PermissionsBoundary"] = Boundary(boundary);
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
            ["PermissionsBoundaryUsageCount"] = _iam.BoundaryUsageCount(policy.Arn),
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
        if (user.PermissionsBoundaryArn is { } boundary) body["PermissionsBoundary"] = Boundary(boundary);
        if (withTags && user.Tags.Count > 0) body["Tags"] = TagList(user.Tags);
        return body;
    }

    private static JsonObject Boundary(string policyArn) => new()
    {
        ["PermissionsBoundaryType"] = "PermissionsBoundaryPolicy",
        ["PermissionsBoundaryArn"] = policyArn,
    };
}
