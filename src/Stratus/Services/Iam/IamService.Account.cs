using System.Xml;
using Stratus.Protocols;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.Iam;

/// <summary>Instance profiles, identity providers, the account's password policy, summary and authorization details, and the policies that apply to a principal.</summary>
public sealed partial class IamService
{
    public const int MaxClientIdsPerOidcProvider = 100;
    public const int MaxThumbprintsPerOidcProvider = 5;
    public const int MaxSamlMetadataLength = 10_000_000;

    // ---- instance profiles ----

    public IamInstanceProfile CreateInstanceProfile(Scope scope, string name, string? path, IReadOnlyList<IamTag> tags)
    {
        IamNames.CheckName("InstanceProfileName", name, 128);
        var profile = new IamInstanceProfile
        {
            AccountId = scope.AccountId,
            InstanceProfileName = name,
            InstanceProfileId = IamNames.NewId("AIPA"),
            Path = IamNames.CheckPath(path),
            CreateDate = Now,
            Tags = IamNames.CheckTags(tags),
        };
        if (!_instanceProfiles.TryAdd(Key(scope.AccountId, name), profile)) throw IamErrors.InstanceProfileExists(name);
        return profile;
    }

    public IamInstanceProfile GetInstanceProfile(Scope scope, string name) =>
        _instanceProfiles.Get(Key(scope.AccountId, name)) ?? throw IamErrors.NoSuchInstanceProfile(name);

    public Page<IamInstanceProfile> ListInstanceProfiles(Scope scope, string? pathPrefix, string? marker, int? maxItems) =>
        Paginate(_instanceProfiles.Values.Where(p => p.AccountId == scope.AccountId && p.Path.StartsWith(pathPrefix ?? "/", StringComparison.Ordinal)),
            p => p.InstanceProfileName, marker, maxItems);

    public Page<IamInstanceProfile> ListInstanceProfilesForRole(Scope scope, string roleName, string? marker, int? maxItems)
    {
        var role = GetRole(scope, roleName);
        return Paginate(ProfilesOf(role), p => p.InstanceProfileName, marker, maxItems);
    }

    public IEnumerable<IamInstanceProfile> ProfilesOf(IamRole role) =>
        _instanceProfiles.Values.Where(p => p.AccountId == role.AccountId && p.RoleNames.Contains(role.RoleName, StringComparer.OrdinalIgnoreCase));

    public void DeleteInstanceProfile(Scope scope, string name)
    {
        if (GetInstanceProfile(scope, name).RoleNames.Count > 0)
            throw IamErrors.DeleteConflict("Cannot delete entity, must remove roles from instance profile first.");
        _instanceProfiles.Remove(Key(scope.AccountId, name));
    }

    public void AddRoleToInstanceProfile(Scope scope, string name, string roleName)
    {
        var role = GetRole(scope, roleName);
        var profile = GetInstanceProfile(scope, name);
        if (profile.RoleNames.Contains(role.RoleName, StringComparer.OrdinalIgnoreCase))
            throw new AwsException("EntityAlreadyExists", $"Role {role.RoleName} already exists in instance profile {name}.", 409);
        if (profile.RoleNames.Count >= 1) throw IamErrors.QuotaExceeded("InstanceSessionsPerInstanceProfile", 1);
        _instanceProfiles.Update(Key(scope.AccountId, name), p => p with { RoleNames = [.. p.RoleNames, role.RoleName] });
    }

    public void RemoveRoleFromInstanceProfile(Scope scope, string name, string roleName)
    {
        var profile = GetInstanceProfile(scope, name);
        if (!profile.RoleNames.Contains(roleName, StringComparer.OrdinalIgnoreCase)) throw IamErrors.NoSuchRole(roleName);
        _instanceProfiles.Update(Key(scope.AccountId, name), p => p with
        {
            RoleNames = p.RoleNames.Where(r => !string.Equals(r, roleName, StringComparison.OrdinalIgnoreCase)).ToList(),
        });
    }

    public void TagInstanceProfile(Scope scope, string name, IReadOnlyList<IamTag> tags) =>
        _ = _instanceProfiles.Update(Key(scope.AccountId, name), p => p with { Tags = IamNames.CheckTags(MergeTags(p.Tags, tags)) })
            ?? throw IamErrors.NoSuchInstanceProfile(name);

    public void UntagInstanceProfile(Scope scope, string name, IReadOnlyCollection<string> keys) =>
        _ = _instanceProfiles.Update(Key(scope.AccountId, name), p => p with { Tags = p.Tags.Where(t => !keys.Contains(t.Key)).ToList() })
            ?? throw IamErrors.NoSuchInstanceProfile(name);

    // ---- OpenID Connect providers ----

    public IamOidcProvider CreateOidcProvider(Scope scope, string url, IReadOnlyList<string> clientIds, IReadOnlyList<string> thumbprints, IReadOnlyList<IamTag> tags)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "https" || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            throw IamErrors.InvalidInput("Invalid Open ID Connect Provider URL");
        if (clientIds.Count > MaxClientIdsPerOidcProvider) throw IamErrors.QuotaExceeded("ClientIdsPerOpenIdConnectProvider", MaxClientIdsPerOidcProvider);
        CheckThumbprints(thumbprints);
        var provider = new IamOidcProvider
        {
            AccountId = scope.AccountId,
            Url = url["https://".Length..].TrimEnd('/'),
            ClientIds = clientIds.Distinct(StringComparer.Ordinal).ToList(),
            Thumbprints = thumbprints.Select(t => t.ToLowerInvariant()).ToList(),
            CreateDate = Now,
            Tags = IamNames.CheckTags(tags),
        };
        if (!_oidcProviders.TryAdd(Key(scope.AccountId, provider.Url), provider)) throw IamErrors.OidcProviderExists(provider.Url);
        return provider;
    }

    private static void CheckThumbprints(IReadOnlyList<string> thumbprints)
    {
        if (thumbprints.Count > MaxThumbprintsPerOidcProvider) throw IamErrors.QuotaExceeded("ThumbprintsPerOpenIdConnectProvider", MaxThumbprintsPerOidcProvider);
        foreach (var thumbprint in thumbprints)
            if (thumbprint.Length != 40)
                throw IamNames.Errors.Constraint("thumbprintList.member", thumbprint, "Member must have length greater than or equal to 40");
    }

    public IamOidcProvider GetOidcProvider(Scope scope, string arn) =>
        FindOidcProvider(arn) is { } p && p.AccountId == scope.AccountId ? p : throw IamErrors.NoSuchOidcProvider(arn);

    /// <summary>The provider an ARN names, in whichever account: what STS checks a web identity token against.</summary>
    public IamOidcProvider? FindOidcProvider(string arn)
    {
        var parts = arn.Split(':', 6);
        if (parts.Length != 6 || parts[2] != "iam" || !parts[5].StartsWith("oidc-provider/", StringComparison.Ordinal)) return null;
        return _oidcProviders.Get(Key(parts[4], parts[5]["oidc-provider/".Length..]));
    }

    public IReadOnlyList<IamOidcProvider> ListOidcProviders(Scope scope) =>
        _oidcProviders.Values.Where(p => p.AccountId == scope.AccountId).OrderBy(p => p.Url, StringComparer.Ordinal).ToList();

    public void DeleteOidcProvider(Scope scope, string arn)
    {
        var provider = GetOidcProvider(scope, arn);
        _oidcProviders.Remove(Key(scope.AccountId, provider.Url));
    }

    private void ChangeOidcProvider(Scope scope, string arn, Func<IamOidcProvider, IamOidcProvider> change)
    {
        var provider = GetOidcProvider(scope, arn);
        _oidcProviders.Update(Key(scope.AccountId, provider.Url), change);
    }

    public void AddClientIdToOidcProvider(Scope scope, string arn, string clientId) =>
        ChangeOidcProvider(scope, arn, p => p.ClientIds.Contains(clientId) ? p
            : p.ClientIds.Count >= MaxClientIdsPerOidcProvider ? throw IamErrors.QuotaExceeded("ClientIdsPerOpenIdConnectProvider", MaxClientIdsPerOidcProvider)
            : p with { ClientIds = [.. p.ClientIds, clientId] });

    public void RemoveClientIdFromOidcProvider(Scope scope, string arn, string clientId) =>
        ChangeOidcProvider(scope, arn, p => p with { ClientIds = p.ClientIds.Where(c => c != clientId).ToList() });

    public void UpdateOidcThumbprints(Scope scope, string arn, IReadOnlyList<string> thumbprints)
    {
        CheckThumbprints(thumbprints);
        ChangeOidcProvider(scope, arn, p => p with { Thumbprints = thumbprints.Select(t => t.ToLowerInvariant()).ToList() });
    }

    public void TagOidcProvider(Scope scope, string arn, IReadOnlyList<IamTag> tags) =>
        ChangeOidcProvider(scope, arn, p => p with { Tags = IamNames.CheckTags(MergeTags(p.Tags, tags)) });

    public void UntagOidcProvider(Scope scope, string arn, IReadOnlyCollection<string> keys) =>
        ChangeOidcProvider(scope, arn, p => p with { Tags = p.Tags.Where(t => !keys.Contains(t.Key)).ToList() });

    // ---- SAML providers ----

    public IamSamlProvider CreateSamlProvider(Scope scope, string name, string metadata, IReadOnlyList<IamTag> tags)
    {
        IamNames.CheckName("Name", name, 128);
        var provider = new IamSamlProvider
        {
            AccountId = scope.AccountId,
            Name = name,
            MetadataDocument = metadata,
            ValidUntil = MetadataValidUntil(metadata),
            CreateDate = Now,
            Tags = IamNames.CheckTags(tags),
        };
        if (!_samlProviders.TryAdd(Key(scope.AccountId, name), provider)) throw IamErrors.SamlProviderExists(name);
        return provider;
    }

    /// <summary>
    /// The metadata must be a SAML EntityDescriptor, as IAM requires; its validUntil attribute, when
    /// present, is the provider's ValidUntil. The signing keys are kept in the document for STS.
    /// </summary>
    private static DateTimeOffset? MetadataValidUntil(string metadata)
    {
        if (metadata.Length is < 1000 or > MaxSamlMetadataLength)
            throw IamNames.Errors.Constraint("SAMLMetadataDocument", "...", "Member must have length between 1000 and 10000000");
        var document = new XmlDocument { XmlResolver = null };
        try
        {
            using var reader = XmlReader.Create(new StringReader(metadata), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            document.Load(reader);
        }
        catch (XmlException)
        {
            throw IamErrors.InvalidInput("Could not parse metadata");
        }
        if (document.DocumentElement is not { LocalName: "EntityDescriptor" } root)
            throw IamErrors.InvalidInput("Could not parse metadata");
        return root.GetAttribute("validUntil") is { Length: > 0 } until && DateTimeOffset.TryParse(until, out var date) ? date : null;
    }

    public IamSamlProvider GetSamlProvider(Scope scope, string arn)
    {
        var parts = arn.Split(':', 6);
        var provider = parts.Length == 6 && parts[4] == scope.AccountId && parts[5].StartsWith("saml-provider/", StringComparison.Ordinal)
            ? _samlProviders.Get(Key(scope.AccountId, parts[5]["saml-provider/".Length..]))
            : null;
        return provider ?? throw IamErrors.NoSuchSamlProvider(arn);
    }

    public IamSamlProvider? FindSamlProvider(string arn) =>
        arn.Split(':', 6) is ["arn", _, "iam", _, var account, var resource] && resource.StartsWith("saml-provider/", StringComparison.Ordinal)
            ? _samlProviders.Get(Key(account, resource["saml-provider/".Length..]))
            : null;

    public IReadOnlyList<IamSamlProvider> ListSamlProviders(Scope scope) =>
        _samlProviders.Values.Where(p => p.AccountId == scope.AccountId).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();

    public IamSamlProvider UpdateSamlProvider(Scope scope, string arn, string metadata)
    {
        var provider = GetSamlProvider(scope, arn);
        var validUntil = MetadataValidUntil(metadata);
        return _samlProviders.Update(Key(scope.AccountId, provider.Name), p => p with { MetadataDocument = metadata, ValidUntil = validUntil })!;
    }

    public void TagSamlProvider(Scope scope, string arn, IReadOnlyList<IamTag> tags)
    {
        var provider = GetSamlProvider(scope, arn);
        _samlProviders.Update(Key(scope.AccountId, provider.Name), p => p with { Tags = IamNames.CheckTags(MergeTags(p.Tags, tags)) });
    }

    public void UntagSamlProvider(Scope scope, string arn, IReadOnlyCollection<string> keys)
    {
        var provider = GetSamlProvider(scope, arn);
        _samlProviders.Update(Key(scope.AccountId, provider.Name), p => p with { Tags = p.Tags.Where(t => !keys.Contains(t.Key)).ToList() });
    }

    public void DeleteSamlProvider(Scope scope, string arn) => _samlProviders.Remove(Key(scope.AccountId, GetSamlProvider(scope, arn).Name));

    // ---- the account ----

    public void UpdatePasswordPolicy(Scope scope, IamPasswordPolicy policy)
    {
        IamNames.Errors.CheckRange("minimumPasswordLength", policy.MinimumPasswordLength, 6, 128);
        if (policy.MaxPasswordAge is { } age) IamNames.Errors.CheckRange("maxPasswordAge", age, 1, 1095);
        if (policy.PasswordReusePrevention is { } reuse) IamNames.Errors.CheckRange("passwordReusePrevention", reuse, 1, 24);
        _passwordPolicies.Put(scope.AccountId, policy);
    }

    public IamPasswordPolicy GetPasswordPolicy(Scope scope) =>
        _passwordPolicies.Get(scope.AccountId) ?? throw IamErrors.NoPasswordPolicy(scope.AccountId);

    public void DeletePasswordPolicy(Scope scope)
    {
        GetPasswordPolicy(scope);
        _passwordPolicies.Remove(scope.AccountId);
    }

    public void SetSecurityTokenServicePreferences(Scope scope, string globalEndpointTokenVersion)
    {
        var version = globalEndpointTokenVersion switch
        {
            "v1Token" => 1,
            "v2Token" => 2,
            _ => throw IamNames.Errors.Constraint("GlobalEndpointTokenVersion", globalEndpointTokenVersion, "Member must satisfy enum value set: [v1Token, v2Token]"),
        };
        _stsPreferences.Put(scope.AccountId, new IamStsPreferences(scope.AccountId, version));
    }

    /// <summary>GetAccountSummary: what exists in the account, and IAM's default quotas. Stratus has no MFA devices or server certificates, so those count zero.</summary>
    public IReadOnlyDictionary<string, int> AccountSummary(Scope scope)
    {
        bool Mine(IPolicyHolder<object> h) => h.AccountId == scope.AccountId;
        var users = _users.Values.Where(u => u.AccountId == scope.AccountId).ToList();
        return new SortedDictionary<string, int>(StringComparer.Ordinal)
        {
            ["Users"] = users.Count,
            ["UsersQuota"] = 5000,
            ["Groups"] = _groups.Values.Count(g => g.AccountId == scope.AccountId),
            ["GroupsQuota"] = 300,
            ["Roles"] = _roles.Values.Count(r => r.AccountId == scope.AccountId),
            ["RolesQuota"] = 1000,
            ["Policies"] = _policies.Values.Count(p => p.Owner == scope.AccountId),
            ["PoliciesQuota"] = 1500,
            ["InstanceProfiles"] = _instanceProfiles.Values.Count(p => p.AccountId == scope.AccountId),
            ["InstanceProfilesQuota"] = 1000,
            ["Providers"] = _oidcProviders.Values.Count(p => p.AccountId == scope.AccountId) + _samlProviders.Values.Count(p => p.AccountId == scope.AccountId),
            ["PolicyVersionsInUse"] = Holders().Where(Mine).Sum(h => h.AttachedPolicyArns.Count),
            ["PolicyVersionsInUseQuota"] = 10000,
            ["VersionsPerPolicyQuota"] = MaxPolicyVersions,
            ["PolicySizeQuota"] = PolicyDocument.MaxManagedPolicyLength,
            ["AccessKeysPerUserQuota"] = MaxAccessKeysPerUser,
            ["GroupsPerUserQuota"] = MaxGroupsPerUser,
            ["AttachedPoliciesPerUserQuota"] = 10,
            ["AttachedPoliciesPerGroupQuota"] = 10,
            ["AttachedPoliciesPerRoleQuota"] = 10,
            ["UserPolicySizeQuota"] = 2048,
            ["GroupPolicySizeQuota"] = 5120,
            ["RolePolicySizeQuota"] = 10240,
            ["AssumeRolePolicySizeQuota"] = PolicyDocument.MaxTrustPolicyLength,
            ["SigningCertificatesPerUserQuota"] = 2,
            ["ServerCertificates"] = 0,
            ["ServerCertificatesQuota"] = 20,
            ["MFADevices"] = MfaDeviceCount(scope.AccountId, inUseOnly: false),
            ["MFADevicesInUse"] = MfaDeviceCount(scope.AccountId, inUseOnly: true),
            ["AccountMFAEnabled"] = 0,
            ["AccountAccessKeysPresent"] = 0,
            ["AccountSigningCertificatesPresent"] = 0,
            // AWS's default for an account that never set it is version 1.
            ["GlobalEndpointTokenVersion"] = _stsPreferences.Get(scope.AccountId)?.GlobalEndpointTokenVersion ?? 1,
        };
    }

    public sealed record AuthorizationDetails(IReadOnlyList<IamUser> Users, IReadOnlyList<IamGroup> Groups, IReadOnlyList<IamRole> Roles, IReadOnlyList<IamManagedPolicy> Policies, string? NextMarker);

    /// <summary>GetAccountAuthorizationDetails: users, groups, roles and managed policies (those in use, for AWS's), one page across all four.</summary>
    public AuthorizationDetails AuthorizationDetailsOf(Scope scope, IReadOnlyCollection<string> filter, string? marker, int? maxItems)
    {
        bool Wanted(string kind) => filter.Count == 0 || filter.Contains(kind);
        var attached = Holders().Where(h => h.AccountId == scope.AccountId).SelectMany(h => h.AttachedPolicyArns).ToHashSet();
        var entities = new List<(string Key, object Item)>();
        if (Wanted("User")) entities.AddRange(_users.Values.Where(u => u.AccountId == scope.AccountId).OrderBy(u => u.UserName, StringComparer.OrdinalIgnoreCase).Select(u => ("1" + u.UserName, (object)u)));
        if (Wanted("Group")) entities.AddRange(_groups.Values.Where(g => g.AccountId == scope.AccountId).OrderBy(g => g.GroupName, StringComparer.OrdinalIgnoreCase).Select(g => ("2" + g.GroupName, (object)g)));
        if (Wanted("Role")) entities.AddRange(_roles.Values.Where(r => r.AccountId == scope.AccountId).OrderBy(r => r.RoleName, StringComparer.OrdinalIgnoreCase).Select(r => ("3" + r.RoleName, (object)r)));
        if (Wanted("LocalManagedPolicy")) entities.AddRange(_policies.Values.Where(p => p.Owner == scope.AccountId).OrderBy(p => p.PolicyName, StringComparer.OrdinalIgnoreCase).Select(p => ("4" + p.PolicyName, (object)p)));
        if (Wanted("AWSManagedPolicy")) entities.AddRange(_awsPolicies.Values.Where(p => attached.Contains(p.Arn)).OrderBy(p => p.PolicyName, StringComparer.OrdinalIgnoreCase).Select(p => ("5" + p.PolicyName, (object)p)));
        var page = Paginate(entities.Select((e, i) => (Key: i.ToString("D8"), e.Item)), e => e.Key, marker, maxItems);
        var items = page.Items.Select(e => e.Item).ToList();
        return new AuthorizationDetails(items.OfType<IamUser>().ToList(), items.OfType<IamGroup>().ToList(), items.OfType<IamRole>().ToList(),
            items.OfType<IamManagedPolicy>().ToList(), page.NextMarker);
    }

    public sealed record PolicyEntities(IReadOnlyList<IamUser> Users, IReadOnlyList<IamGroup> Groups, IReadOnlyList<IamRole> Roles, string? NextMarker);

    /// <summary>ListEntitiesForPolicy: who has the policy attached (PermissionsPolicy) or as boundary (PermissionsBoundary).</summary>
    public PolicyEntities EntitiesForPolicy(Scope scope, string policyArn, string? entityFilter, string? pathPrefix, string? usage, string? marker, int? maxItems)
    {
        GetPolicy(scope, policyArn);
        if (usage is not (null or "PermissionsPolicy" or "PermissionsBoundary"))
            throw IamNames.Errors.Constraint("PolicyUsageFilter", usage, "Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]");
        if (entityFilter is not (null or "User" or "Role" or "Group" or "LocalManagedPolicy" or "AWSManagedPolicy"))
            throw IamNames.Errors.Constraint("EntityFilter", entityFilter, "Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]");
        bool Uses(IPolicyHolder<object> h, string? boundary) =>
            h.AccountId == scope.AccountId
            && ((usage != "PermissionsBoundary" && h.AttachedPolicyArns.Contains(policyArn)) || (usage != "PermissionsPolicy" && boundary == policyArn));
        bool Under(string path) => path.StartsWith(pathPrefix ?? "/", StringComparison.Ordinal);
        var entities = new List<(string Key, object Item)>();
        if (entityFilter is null or "User") entities.AddRange(_users.Values.Where(u => Uses(u, u.PermissionsBoundaryArn) && Under(u.Path)).OrderBy(u => u.UserName, StringComparer.OrdinalIgnoreCase).Select(u => ("1" + u.UserName, (object)u)));
        if (entityFilter is null or "Group") entities.AddRange(_groups.Values.Where(g => Uses(g, null) && Under(g.Path)).OrderBy(g => g.GroupName, StringComparer.OrdinalIgnoreCase).Select(g => ("2" + g.GroupName, (object)g)));
        if (entityFilter is null or "Role") entities.AddRange(_roles.Values.Where(r => Uses(r, r.PermissionsBoundaryArn) && Under(r.Path)).OrderBy(r => r.RoleName, StringComparer.OrdinalIgnoreCase).Select(r => ("3" + r.RoleName, (object)r)));
        var page = Paginate(entities.Select((e, i) => (Key: i.ToString("D8"), e.Item)), e => e.Key, marker, maxItems);
        var items = page.Items.Select(e => e.Item).ToList();
        return new PolicyEntities(items.OfType<IamUser>().ToList(), items.OfType<IamGroup>().ToList(), items.OfType<IamRole>().ToList(), page.NextMarker);
    }

    // ---- the policies that apply to a principal ----

    /// <summary>
    /// The identity policies and permissions boundary of a user (with its groups' policies), a role, or
    /// a role's session (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION), none for a federated user; null when the ARN names none
    /// of them (the account's root, which policies do not limit).
    /// </summary>
    public PolicySet? PoliciesOf(string principalArn)
    {
        var parts = principalArn.Split(':', 6);
        if (parts.Length != 6) return null;
        var (account, resource) = (parts[4], parts[5]);
        if (parts[2] == "sts" && resource.StartsWith("assumed-role/", StringComparison.Ordinal))
            return _roles.Get(Key(account, resource.Split('/')[1])) is { } sessionRole ? PoliciesOf(sessionRole, IamEntityKind.Role, sessionRole.PermissionsBoundaryArn, []) : null;
        // A federated user (GetFederationToken) holds the intersection of its user's policies and its session
        // policy; that is not evaluated yet, so it is granted nothing rather than everything.
        if (parts[2] == "sts" && resource.StartsWith("federated-user/", StringComparison.Ordinal))
            return new PolicySet();
        if (parts[2] != "iam") return null;
        var name = resource[(resource.LastIndexOf('/') + 1)..];
        if (resource.StartsWith("user/", StringComparison.Ordinal) && _users.Get(Key(account, name)) is { } user && user.Arn == principalArn)
            return PoliciesOf(user, IamEntityKind.User, user.PermissionsBoundaryArn,
                user.GroupNames.Select(g => _groups.Get(Key(account, g))).OfType<IamGroup>().ToList());
        if (resource.StartsWith("role/", StringComparison.Ordinal) && _roles.Get(Key(account, name)) is { } role && role.Arn == principalArn)
            return PoliciesOf(role, IamEntityKind.Role, role.PermissionsBoundaryArn, []);
        if (resource.StartsWith("group/", StringComparison.Ordinal) && _groups.Get(Key(account, name)) is { } group && group.Arn == principalArn)
            return PoliciesOf(group, IamEntityKind.Group, null, []);
        return null;
    }

    private PolicySet PoliciesOf(IPolicyHolder<object> holder, IamEntityKind kind, string? boundaryArn, IReadOnlyList<IamGroup> groups)
    {
        var sourceKind = kind == IamEntityKind.User ? PolicySourceKind.User : kind == IamEntityKind.Group ? PolicySourceKind.Group : PolicySourceKind.Role;
        var identity = new List<SourcedPolicy>();
        void Add(IPolicyHolder<object> h, PolicySourceKind k)
        {
            identity.AddRange(h.InlinePolicies.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new SourcedPolicy(p.Key, k, Policy.Parse(p.Value))));
            identity.AddRange(h.AttachedPolicyArns.Select(FindPolicy).OfType<IamManagedPolicy>().Select(Sourced));
        }
        Add(holder, sourceKind);
        foreach (var group in groups) Add(group, PolicySourceKind.Group);
        var boundary = boundaryArn is not null && FindPolicy(boundaryArn) is { } b
            ? [Sourced(b)]
            : (IReadOnlyList<SourcedPolicy>?)null;
        return new PolicySet { Identity = identity, Boundary = boundary };
    }

    private static SourcedPolicy Sourced(IamManagedPolicy policy) =>
        new(policy.PolicyName, policy.Owner == "aws" ? PolicySourceKind.AwsManaged : PolicySourceKind.UserManaged, Policy.Parse(policy.DefaultVersion.Document));

    /// <summary>A managed policy's default document by ARN, for SimulatePrincipalPolicy's boundary inputs and the like.</summary>
    public string ManagedPolicyDocument(Scope scope, string policyArn) => GetPolicy(scope, policyArn).DefaultVersion.Document;
}
