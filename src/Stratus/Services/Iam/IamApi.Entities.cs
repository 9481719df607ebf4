using System.Text;
using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.Iam;

/// <summary>IAM's wire operations for groups, login profiles, boundaries, instance profiles, identity providers and the account.</summary>
public sealed partial class IamApi
{
    private void AddEntityOperations(OperationTable table)
    {
        // users beyond create/get/list/delete
        table.Add("UpdateUser", i => Done(() => _iam.UpdateUser(i.Scope, i.Required("UserName"), i.String("NewUserName"), i.String("NewPath"))));
        table.Add("TagUser", i => Done(() => _iam.TagUser(i.Scope, i.Required("UserName"), IamTag.List(i))));
        table.Add("UntagUser", i => Done(() => _iam.UntagUser(i.Scope, i.Required("UserName"), i.Strings("TagKeys").ToHashSet(StringComparer.Ordinal))));
        table.Add("ListUserTags", i => Tags(_iam.GetUser(i.Scope, i.Required("UserName")).Tags, i));
        table.Add("GetAccessKeyLastUsed", i =>
        {
            var (userName, when, service, region) = _iam.GetAccessKeyLastUsed(i.Scope, i.Required("AccessKeyId"));
            var used = new JsonObject { ["ServiceName"] = service, ["Region"] = region };
            if (when is { } date) used["LastUsedDate"] = date;
            return new JsonObject { ["UserName"] = userName, ["AccessKeyLastUsed"] = used };
        });

        // permissions boundaries
        table.Add("PutUserPermissionsBoundary", i => Done(() => _iam.PutPermissionsBoundary(i.Scope, IamEntityKind.User, i.Required("UserName"), i.Required("PermissionsBoundary"))));
        table.Add("DeleteUserPermissionsBoundary", i => Done(() => _iam.PutPermissionsBoundary(i.Scope, IamEntityKind.User, i.Required("UserName"), null)));
        table.Add("PutRolePermissionsBoundary", i => Done(() => _iam.PutPermissionsBoundary(i.Scope, IamEntityKind.Role, i.Required("RoleName"), i.Required("PermissionsBoundary"))));
        table.Add("DeleteRolePermissionsBoundary", i => Done(() => _iam.PutPermissionsBoundary(i.Scope, IamEntityKind.Role, i.Required("RoleName"), null)));

        // groups
        table.Add("CreateGroup", i => new JsonObject { ["Group"] = Group(_iam.CreateGroup(i.Scope, i.Required("GroupName"), i.String("Path"))) });
        table.Add("GetGroup", i =>
        {
            var group = _iam.GetGroup(i.Scope, i.Required("GroupName"));
            var body = Paged(IamService.Paginate(_iam.GroupMembers(group), u => u.UserName, i.String("Marker"), i.Int("MaxItems")), "Users", u => User(u, withTags: false));
            body["Group"] = Group(group);
            return body;
        });
        table.Add("ListGroups", i => Paged(_iam.ListGroups(i.Scope, i.String("PathPrefix"), i.String("Marker"), i.Int("MaxItems")), "Groups", g => Group(g)));
        table.Add("ListGroupsForUser", i => Paged(_iam.ListGroupsForUser(i.Scope, i.Required("UserName"), i.String("Marker"), i.Int("MaxItems")), "Groups", g => Group(g)));
        table.Add("UpdateGroup", i => Done(() => _iam.UpdateGroup(i.Scope, i.Required("GroupName"), i.String("NewGroupName"), i.String("NewPath"))));
        table.Add("DeleteGroup", i => Done(() => _iam.DeleteGroup(i.Scope, i.Required("GroupName"))));
        table.Add("AddUserToGroup", i => Done(() => _iam.AddUserToGroup(i.Scope, i.Required("GroupName"), i.Required("UserName"))));
        table.Add("RemoveUserFromGroup", i => Done(() => _iam.RemoveUserFromGroup(i.Scope, i.Required("GroupName"), i.Required("UserName"))));

        // login profiles
        table.Add("CreateLoginProfile", i =>
        {
            var userName = i.String("UserName") ?? CallerUserName(i);
            return new JsonObject { ["LoginProfile"] = LoginProfile(userName, _iam.CreateLoginProfile(i.Scope, userName, i.Required("Password"), i.Bool("PasswordResetRequired") ?? false)) };
        });
        table.Add("GetLoginProfile", i =>
        {
            var userName = i.String("UserName") ?? CallerUserName(i);
            return new JsonObject { ["LoginProfile"] = LoginProfile(userName, _iam.GetLoginProfile(i.Scope, userName)) };
        });
        table.Add("UpdateLoginProfile", i => Done(() => _iam.UpdateLoginProfile(i.Scope, i.String("UserName") ?? CallerUserName(i), i.String("Password"), i.Bool("PasswordResetRequired"))));
        table.Add("DeleteLoginProfile", i => Done(() => _iam.DeleteLoginProfile(i.Scope, i.String("UserName") ?? CallerUserName(i))));

        // managed policy tags
        table.Add("TagPolicy", i => Done(() => _iam.TagPolicy(i.Scope, i.Required("PolicyArn"), IamTag.List(i))));
        table.Add("UntagPolicy", i => Done(() => _iam.UntagPolicy(i.Scope, i.Required("PolicyArn"), i.Strings("TagKeys").ToHashSet(StringComparer.Ordinal))));
        table.Add("ListPolicyTags", i => Tags(_iam.GetPolicy(i.Scope, i.Required("PolicyArn")).Tags, i));
        table.Add("ListEntitiesForPolicy", i =>
        {
            var found = _iam.EntitiesForPolicy(i.Scope, i.Required("PolicyArn"), i.String("EntityFilter"), i.String("PathPrefix"), i.String("PolicyUsageFilter"), i.String("Marker"), i.Int("MaxItems"));
            var body = new JsonObject
            {
                ["PolicyGroups"] = new JsonArray(found.Groups.Select(g => (JsonNode)new JsonObject { ["GroupName"] = g.GroupName, ["GroupId"] = g.GroupId }).ToArray()),
                ["PolicyUsers"] = new JsonArray(found.Users.Select(u => (JsonNode)new JsonObject { ["UserName"] = u.UserName, ["UserId"] = u.UserId }).ToArray()),
                ["PolicyRoles"] = new JsonArray(found.Roles.Select(r => (JsonNode)new JsonObject { ["RoleName"] = r.RoleName, ["RoleId"] = r.RoleId }).ToArray()),
                ["IsTruncated"] = found.NextMarker is not null,
            };
            if (found.NextMarker is not null) body["Marker"] = found.NextMarker;
            return body;
        });

        // instance profiles
        table.Add("CreateInstanceProfile", i => new JsonObject { ["InstanceProfile"] = InstanceProfile(_iam.CreateInstanceProfile(i.Scope, i.Required("InstanceProfileName"), i.String("Path"), IamTag.List(i)), i.Scope) });
        table.Add("GetInstanceProfile", i => new JsonObject { ["InstanceProfile"] = InstanceProfile(_iam.GetInstanceProfile(i.Scope, i.Required("InstanceProfileName")), i.Scope) });
        table.Add("ListInstanceProfiles", i => Paged(_iam.ListInstanceProfiles(i.Scope, i.String("PathPrefix"), i.String("Marker"), i.Int("MaxItems")), "InstanceProfiles", p => InstanceProfile(p, i.Scope)));
        table.Add("ListInstanceProfilesForRole", i => Paged(_iam.ListInstanceProfilesForRole(i.Scope, i.Required("RoleName"), i.String("Marker"), i.Int("MaxItems")), "InstanceProfiles", p => InstanceProfile(p, i.Scope)));
        table.Add("DeleteInstanceProfile", i => Done(() => _iam.DeleteInstanceProfile(i.Scope, i.Required("InstanceProfileName"))));
        table.Add("AddRoleToInstanceProfile", i => Done(() => _iam.AddRoleToInstanceProfile(i.Scope, i.Required("InstanceProfileName"), i.Required("RoleName"))));
        table.Add("RemoveRoleFromInstanceProfile", i => Done(() => _iam.RemoveRoleFromInstanceProfile(i.Scope, i.Required("InstanceProfileName"), i.Required("RoleName"))));
        table.Add("TagInstanceProfile", i => Done(() => _iam.TagInstanceProfile(i.Scope, i.Required("InstanceProfileName"), IamTag.List(i))));
        table.Add("UntagInstanceProfile", i => Done(() => _iam.UntagInstanceProfile(i.Scope, i.Required("InstanceProfileName"), i.Strings("TagKeys").ToHashSet(StringComparer.Ordinal))));
        table.Add("ListInstanceProfileTags", i => Tags(_iam.GetInstanceProfile(i.Scope, i.Required("InstanceProfileName")).Tags, i));

        // OpenID Connect providers
        table.Add("CreateOpenIDConnectProvider", i =>
        {
            var provider = _iam.CreateOidcProvider(i.Scope, i.Required("Url"), i.Strings("ClientIDList"), i.Strings("ThumbprintList"), IamTag.List(i));
            return new JsonObject { ["OpenIDConnectProviderArn"] = provider.Arn, ["Tags"] = TagList(provider.Tags) };
        });
        table.Add("GetOpenIDConnectProvider", i =>
        {
            var provider = _iam.GetOidcProvider(i.Scope, i.Required("OpenIDConnectProviderArn"));
            return new JsonObject
            {
                ["Url"] = provider.Url,
                ["ClientIDList"] = new JsonArray(provider.ClientIds.Select(c => (JsonNode)JsonValue.Create(c)).ToArray()),
                ["ThumbprintList"] = new JsonArray(provider.Thumbprints.Select(t => (JsonNode)JsonValue.Create(t)).ToArray()),
                ["CreateDate"] = provider.CreateDate,
                ["Tags"] = TagList(provider.Tags),
            };
        });
        table.Add("ListOpenIDConnectProviders", i => new JsonObject
        {
            ["OpenIDConnectProviderList"] = new JsonArray(_iam.ListOidcProviders(i.Scope).Select(p => (JsonNode)new JsonObject { ["Arn"] = p.Arn }).ToArray()),
        });
        table.Add("DeleteOpenIDConnectProvider", i => Done(() => _iam.DeleteOidcProvider(i.Scope, i.Required("OpenIDConnectProviderArn"))));
        table.Add("AddClientIDToOpenIDConnectProvider", i => Done(() => _iam.AddClientIdToOidcProvider(i.Scope, i.Required("OpenIDConnectProviderArn"), i.Required("ClientID"))));
        table.Add("RemoveClientIDFromOpenIDConnectProvider", i => Done(() => _iam.RemoveClientIdFromOidcProvider(i.Scope, i.Required("OpenIDConnectProviderArn"), i.Required("ClientID"))));
        table.Add("UpdateOpenIDConnectProviderThumbprint", i => Done(() => _iam.UpdateOidcThumbprints(i.Scope, i.Required("OpenIDConnectProviderArn"), i.Strings("ThumbprintList"))));
        table.Add("TagOpenIDConnectProvider", i => Done(() => _iam.TagOidcProvider(i.Scope, i.Required("OpenIDConnectProviderArn"), IamTag.List(i))));
        table.Add("UntagOpenIDConnectProvider", i => Done(() => _iam.UntagOidcProvider(i.Scope, i.Required("OpenIDConnectProviderArn"), i.Strings("TagKeys").ToHashSet(StringComparer.Ordinal))));
        table.Add("ListOpenIDConnectProviderTags", i => Tags(_iam.GetOidcProvider(i.Scope, i.Required("OpenIDConnectProviderArn")).Tags, i));

        // SAML providers
        table.Add("CreateSAMLProvider", i =>
        {
            var provider = _iam.CreateSamlProvider(i.Scope, i.Required("Name"), i.Required("SAMLMetadataDocument"), IamTag.List(i));
            return new JsonObject { ["SAMLProviderArn"] = provider.Arn, ["Tags"] = TagList(provider.Tags) };
        });
        table.Add("GetSAMLProvider", i =>
        {
            var provider = _iam.GetSamlProvider(i.Scope, i.Required("SAMLProviderArn"));
            return new JsonObject
            {
                ["SAMLMetadataDocument"] = provider.MetadataDocument,
                ["CreateDate"] = provider.CreateDate,
                ["ValidUntil"] = provider.ValidUntil,
                ["Tags"] = TagList(provider.Tags),
            };
        });
        table.Add("ListSAMLProviders", i => new JsonObject
        {
            ["SAMLProviderList"] = new JsonArray(_iam.ListSamlProviders(i.Scope).Select(p => (JsonNode)new JsonObject
            {
                ["Arn"] = p.Arn,
                ["ValidUntil"] = p.ValidUntil,
                ["CreateDate"] = p.CreateDate,
            }).ToArray()),
        });
        table.Add("UpdateSAMLProvider", i => new JsonObject { ["SAMLProviderArn"] = _iam.UpdateSamlProvider(i.Scope, i.Required("SAMLProviderArn"), i.Required("SAMLMetadataDocument")).Arn });
        table.Add("TagSAMLProvider", i => Done(() => _iam.TagSamlProvider(i.Scope, i.Required("SAMLProviderArn"), IamTag.List(i))));
        table.Add("UntagSAMLProvider", i => Done(() => _iam.UntagSamlProvider(i.Scope, i.Required("SAMLProviderArn"), i.Strings("TagKeys").ToHashSet(StringComparer.Ordinal))));
        table.Add("ListSAMLProviderTags", i => Tags(_iam.GetSamlProvider(i.Scope, i.Required("SAMLProviderArn")).Tags, i));
        table.Add("DeleteSAMLProvider", i => Done(() => _iam.DeleteSamlProvider(i.Scope, i.Required("SAMLProviderArn"))));

        // the account
        table.Add("CreateAccountAlias", i => Done(() => _iam.CreateAccountAlias(i.Scope, i.Required("AccountAlias"))));
        table.Add("DeleteAccountAlias", i => Done(() => _iam.DeleteAccountAlias(i.Scope, i.Required("AccountAlias"))));
        table.Add("ListAccountAliases", i => Paged(_iam.ListAccountAliases(i.Scope, i.String("Marker"), i.Int("MaxItems")), "AccountAliases", a => JsonValue.Create(a)));
        table.Add("GenerateCredentialReport", i =>
        {
            var (state, description) = _iam.GenerateCredentialReport(i.Scope);
            var body = new JsonObject { ["State"] = state };
            if (description.Length > 0) body["Description"] = description;
            return body;
        });
        table.Add("GetCredentialReport", i =>
        {
            var report = _iam.GetCredentialReport(i.Scope);
            return new JsonObject
            {
                ["Content"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(report.Content)),
                ["ReportFormat"] = "text/csv",
                ["GeneratedTime"] = report.GeneratedTime,
            };
        });
        table.Add("UpdateAccountPasswordPolicy", i => Done(() => _iam.UpdatePasswordPolicy(i.Scope, IamPasswordPolicy.Read(i))));
        table.Add("GetAccountPasswordPolicy", i =>
        {
            var policy = _iam.GetPasswordPolicy(i.Scope);
            return new JsonObject
            {
                ["PasswordPolicy"] = new JsonObject
                {
                    ["MinimumPasswordLength"] = policy.MinimumPasswordLength,
                    ["RequireSymbols"] = policy.RequireSymbols,
                    ["RequireNumbers"] = policy.RequireNumbers,
                    ["RequireUppercaseCharacters"] = policy.RequireUppercaseCharacters,
                    ["RequireLowercaseCharacters"] = policy.RequireLowercaseCharacters,
                    ["AllowUsersToChangePassword"] = policy.AllowUsersToChangePassword,
                    ["ExpirePasswords"] = policy.MaxPasswordAge is not null,
                    ["MaxPasswordAge"] = policy.MaxPasswordAge,
                    ["PasswordReusePrevention"] = policy.PasswordReusePrevention,
                    ["HardExpiry"] = policy.HardExpiry,
                },
            };
        });
        table.Add("DeleteAccountPasswordPolicy", i => Done(() => _iam.DeletePasswordPolicy(i.Scope)));
        table.Add("SetSecurityTokenServicePreferences", i => Done(() => _iam.SetSecurityTokenServicePreferences(i.Scope, i.Required("GlobalEndpointTokenVersion"))));
        table.Add("EnableOutboundWebIdentityFederation", i => new JsonObject { ["IssuerIdentifier"] = _outboundFederation.Enable(i.Scope) });
        table.Add("DisableOutboundWebIdentityFederation", i => Done(() => _outboundFederation.Disable(i.Scope)));
        table.Add("GetOutboundWebIdentityFederationInfo", i =>
        {
            var (issuer, vending) = _outboundFederation.Info(i.Scope);
            return new JsonObject { ["IssuerIdentifier"] = issuer, ["JwtVendingEnabled"] = vending };
        });
        table.Add("GetAccountSummary", i =>
        {
            var map = new JsonObject();
            foreach (var (key, value) in _iam.AccountSummary(i.Scope)) map[key] = value;
            return new JsonObject { ["SummaryMap"] = map };
        });
        table.Add("GetAccountAuthorizationDetails", i => AuthorizationDetails(i));
    }

    private JsonObject AuthorizationDetails(OperationInput i)
    {
        var details = _iam.AuthorizationDetailsOf(i.Scope, i.Strings("Filter").ToHashSet(StringComparer.Ordinal), i.String("Marker"), i.Int("MaxItems"));
        JsonArray Inline(IReadOnlyDictionary<string, string> policies) =>
            new(policies.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (JsonNode)new JsonObject { ["PolicyName"] = p.Key, ["PolicyDocument"] = Encode(p.Value) }).ToArray());
        JsonArray Attached(IReadOnlyList<string> arns) =>
            new(arns.Select(a => (JsonNode)new JsonObject { ["PolicyName"] = a[(a.LastIndexOf('/') + 1)..], ["PolicyArn"] = a }).ToArray());
        var body = new JsonObject
        {
            ["UserDetailList"] = new JsonArray(details.Users.Select(u =>
            {
                var user = User(u);
                user["UserPolicyList"] = Inline(u.InlinePolicies);
                user["GroupList"] = new JsonArray(u.GroupNames.Select(g => (JsonNode)JsonValue.Create(g)).ToArray());
                user["AttachedManagedPolicies"] = Attached(u.AttachedPolicyArns);
                return (JsonNode)user;
            }).ToArray()),
            ["GroupDetailList"] = new JsonArray(details.Groups.Select(g =>
            {
                var group = Group(g);
                group["GroupPolicyList"] = Inline(g.InlinePolicies);
                group["AttachedManagedPolicies"] = Attached(g.AttachedPolicyArns);
                return (JsonNode)group;
            }).ToArray()),
            ["RoleDetailList"] = new JsonArray(details.Roles.Select(r =>
            {
                var role = Role(r);
                role["InstanceProfileList"] = new JsonArray(_iam.ProfilesOf(r).Select(p => (JsonNode)InstanceProfile(p, i.Scope)).ToArray());
                role["RolePolicyList"] = Inline(r.InlinePolicies);
                role["AttachedManagedPolicies"] = Attached(r.AttachedPolicyArns);
                return (JsonNode)role;
            }).ToArray()),
            ["Policies"] = new JsonArray(details.Policies.Select(p =>
            {
                var policy = Policy(p, withDetails: true);
                policy["PolicyVersionList"] = new JsonArray(p.Versions.Select(v => (JsonNode)Version(v, p, withDocument: true)).ToArray());
                return (JsonNode)policy;
            }).ToArray()),
            ["IsTruncated"] = details.NextMarker is not null,
        };
        if (details.NextMarker is not null) body["Marker"] = details.NextMarker;
        return body;
    }

    private static JsonObject Group(IamGroup group) => new()
    {
        ["Path"] = group.Path,
        ["GroupName"] = group.GroupName,
        ["GroupId"] = group.GroupId,
        ["Arn"] = group.Arn,
        ["CreateDate"] = group.CreateDate,
    };

    private static JsonObject LoginProfile(string userName, IamLoginProfile profile) => new()
    {
        ["UserName"] = userName,
        ["CreateDate"] = profile.CreateDate,
        ["PasswordResetRequired"] = profile.PasswordResetRequired,
    };

    private JsonObject InstanceProfile(IamInstanceProfile profile, Scope scope)
    {
        var body = new JsonObject
        {
            ["Path"] = profile.Path,
            ["InstanceProfileName"] = profile.InstanceProfileName,
            ["InstanceProfileId"] = profile.InstanceProfileId,
            ["Arn"] = profile.Arn,
            ["CreateDate"] = profile.CreateDate,
            ["Roles"] = new JsonArray(profile.RoleNames.Select(n => (JsonNode)Role(_iam.GetRole(scope, n), withTags: false)).ToArray()),
        };
        if (profile.Tags.Count > 0) body["Tags"] = TagList(profile.Tags);
        return body;
    }
}
