using System.Collections.Concurrent;
using System.Text;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;

namespace Stratus.Services.Iam;

/// <summary>What other services ask of IAM: whether a role exists and whom it trusts.</summary>
public interface IIamRoles
{
    IamRole? FindRoleByArn(string roleArn);

    /// <summary>The OpenID Connect provider an ARN names, in whichever account.</summary>
    IamOidcProvider? FindOidcProvider(string arn);

    /// <summary>The SAML provider an ARN names, in whichever account: what STS verifies a SAML response against.</summary>
    IamSamlProvider? FindSamlProvider(string arn);

    /// <summary>A user's or role's tags, which policies see as aws:PrincipalTag.</summary>
    Dictionary<string, string> PrincipalTags(string principalArn);

    /// <summary>The role an assumed-role session belongs to; null for other principals.</summary>
    string? RoleOfSession(string principalArn);

    /// <summary>A managed policy's default document (AssumeRole's PolicyArns); null when no such policy exists.</summary>
    string? ManagedPolicyDocument(string policyArn);

    /// <summary>
    /// Whether the code is the current one of an MFA device enabled for the user (GetSessionToken's and AssumeRole's
    /// SerialNumber and TokenCode); an accepted code's time step is spent, so the same code is not accepted again.
    /// </summary>
    MfaCheck CheckMfaCode(string userArn, string serialNumber, string tokenCode);
}

/// <summary>IAM's domain: roles, managed and inline policies, users and their access keys, per account.</summary>
public sealed partial class IamService : IIamRoles, ICredentialSource, IKeyUseRecorder
{
    public const int MaxAccessKeysPerUser = 2;
    public const int MaxPolicyVersions = 5;

    private readonly TimeProvider _clock;
    private readonly ResourceTable<IamRole> _roles;
    private readonly ResourceTable<IamManagedPolicy> _policies;
    private readonly ResourceTable<IamUser> _users;
    private readonly ResourceTable<IamGroup> _groups;
    private readonly ResourceTable<IamInstanceProfile> _instanceProfiles;
    private readonly ResourceTable<IamOidcProvider> _oidcProviders;
    private readonly ResourceTable<IamSamlProvider> _samlProviders;
    private readonly ResourceTable<IamPasswordPolicy> _passwordPolicies;
    private readonly ResourceTable<IamStsPreferences> _stsPreferences;
    private readonly ResourceTable<IamAccountAlias> _accountAliases;
    private readonly ResourceTable<IamCredentialReport> _credentialReports;
    private readonly ResourceTable<IamKeyUse> _keyUses;
    private readonly ResourceTable<IamRoleDeletionTask> _deletionTasks;
    private readonly ResourceTable<IamVirtualMfaDevice> _mfaDevices;
    private readonly SealingKey _sealing;
    private readonly Dictionary<string, IamManagedPolicy> _awsPolicies;
    private readonly ConcurrentDictionary<string, (string AccountId, string UserName)> _keyOwners = new(StringComparer.Ordinal);

    /// <param name="sealing">The key MFA seeds are sealed under at rest; null keeps a fresh key in memory only (an ephemeral Stratus).</param>
    public IamService(StateStore store, TimeProvider clock, SealingKey? sealing = null)
    {
        _clock = clock;
        _sealing = sealing ?? SealingKey.FromFile(null);
        _mfaDevices = new ResourceTable<IamVirtualMfaDevice>(store, "iam.virtual-mfa-devices");
        _roles = new ResourceTable<IamRole>(store, "iam.roles");
        _policies = new ResourceTable<IamManagedPolicy>(store, "iam.policies");
        _users = new ResourceTable<IamUser>(store, "iam.users");
        _groups = new ResourceTable<IamGroup>(store, "iam.groups");
        _instanceProfiles = new ResourceTable<IamInstanceProfile>(store, "iam.instance-profiles");
        _oidcProviders = new ResourceTable<IamOidcProvider>(store, "iam.oidc-providers");
        _samlProviders = new ResourceTable<IamSamlProvider>(store, "iam.saml-providers");
        _passwordPolicies = new ResourceTable<IamPasswordPolicy>(store, "iam.password-policies");
        _stsPreferences = new ResourceTable<IamStsPreferences>(store, "iam.sts-preferences");
        _accountAliases = new ResourceTable<IamAccountAlias>(store, "iam.account-aliases");
        _credentialReports = new ResourceTable<IamCredentialReport>(store, "iam.credential-reports");
        _keyUses = new ResourceTable<IamKeyUse>(store, "iam.key-last-used");
        _deletionTasks = new ResourceTable<IamRoleDeletionTask>(store, "iam.role-deletion-tasks");
        LoadAccessHistory(store);
        foreach (var (accessKeyId, use) in _keyUses.Entries)
        {
            _keyLastUsed[accessKeyId] = use;
            _keyUseWritten[accessKeyId] = use.When;
        }
        _awsPolicies = AwsManagedPolicies.All.ToDictionary(p => p.Arn, StringComparer.Ordinal);
        foreach (var user in _users.Values)
            foreach (var key in user.AccessKeys) _keyOwners[key.AccessKeyId] = (user.AccountId, user.UserName);
    }

    private DateTimeOffset Now => DateTimeOffset.FromUnixTimeSeconds(_clock.GetUtcNow().ToUnixTimeSeconds());

    // IAM names are unique without regard to case, and found without regard to case.
    private static string Key(string accountId, string name) => ResourceTable<IamRole>.Key(accountId, name.ToLowerInvariant());

    // ---- roles ----

    public IamRole CreateRole(Scope scope, string roleName, RoleSettings settings, IReadOnlyList<IamTag> tags)
    {
        var (path, trustPolicy, description, maxSessionDuration) = settings;
        IamNames.CheckName("RoleName", roleName, 64);
        path = IamNames.CheckPath(path);
        PolicyDocument.Validate(trustPolicy, PolicyDocument.Kind.Trust);
        if (description?.Length > 1000) throw IamNames.Errors.Constraint("Description", description, "Member must have length less than or equal to 1000");
        var session = maxSessionDuration ?? 3600;
        if (session is < 3600 or > 43200)
            throw IamNames.Errors.Constraint("MaxSessionDuration", session.ToString(), "Member must have value between 3600 and 43200");
        var role = new IamRole
        {
            AccountId = scope.AccountId,
            RoleName = roleName,
            RoleId = IamNames.NewId("AROA"),
            Path = path,
            AssumeRolePolicyDocument = trustPolicy,
            Description = description,
            MaxSessionDuration = session,
            CreateDate = Now,
            Tags = IamNames.CheckTags(tags),
        };
        if (!_roles.TryAdd(Key(scope.AccountId, roleName), role))
            throw IamErrors.RoleExists(roleName);
        return role;
    }

    public IamRole GetRole(Scope scope, string roleName) =>
        _roles.Get(Key(scope.AccountId, roleName)) ?? throw IamErrors.NoSuchRole(roleName);

    public Page<IamRole> ListRoles(Scope scope, string? pathPrefix, string? marker, int? maxItems) =>
        Paginate(_roles.Values.Where(r => r.AccountId == scope.AccountId && r.Path.StartsWith(pathPrefix ?? "/", StringComparison.Ordinal)),
            r => r.RoleName, marker, maxItems);

    public void DeleteRole(Scope scope, string roleName)
    {
        var role = GetRole(scope, roleName);
        CheckModifiable(scope, roleName);
        if (role.AttachedPolicyArns.Count > 0)
            throw IamErrors.DeleteConflict("Cannot delete entity, must detach all policies first.");
        if (role.InlinePolicies.Count > 0)
            throw IamErrors.DeleteConflict("Cannot delete entity, must delete policies first.");
        if (ProfilesOf(role).Any())
            throw IamErrors.DeleteConflict("Cannot delete entity, must remove roles from instance profile first.");
        _roles.Remove(Key(scope.AccountId, roleName));
    }

    public IamRole UpdateAssumeRolePolicy(Scope scope, string roleName, string trustPolicy)
    {
        CheckModifiable(scope, roleName);
        PolicyDocument.Validate(trustPolicy, PolicyDocument.Kind.Trust);
        return UpdateRole(scope, roleName, r => r with { AssumeRolePolicyDocument = trustPolicy });
    }

    public IamRole UpdateRoleDescription(Scope scope, string roleName, string? description, int? maxSessionDuration) =>
        UpdateRole(scope, roleName, r => r with
        {
            Description = description ?? r.Description,
            MaxSessionDuration = maxSessionDuration ?? r.MaxSessionDuration,
        });

    public IamRole TagRole(Scope scope, string roleName, IReadOnlyList<IamTag> tags) =>
        UpdateRole(scope, roleName, r => r with { Tags = IamNames.CheckTags(MergeTags(r.Tags, tags)) });

    public IamRole UntagRole(Scope scope, string roleName, IReadOnlyCollection<string> keys) =>
        UpdateRole(scope, roleName, r => r with { Tags = r.Tags.Where(t => !keys.Contains(t.Key)).ToList() });

    public IamRole? FindRoleByArn(string roleArn)
    {
        var parts = roleArn.Split(':', 6);
        if (parts.Length != 6 || parts[0] != "arn" || parts[2] != "iam" || !parts[5].StartsWith("role/", StringComparison.Ordinal)) return null;
        var name = parts[5][(parts[5].LastIndexOf('/') + 1)..];
        var role = _roles.Get(Key(parts[4], name));
        return role is not null && string.Equals(role.Arn, roleArn, StringComparison.OrdinalIgnoreCase) ? role : null;
    }

    private IamRole UpdateRole(Scope scope, string roleName, Func<IamRole, IamRole> change) =>
        _roles.Update(Key(scope.AccountId, roleName), change) ?? throw IamErrors.NoSuchRole(roleName);


    // ---- managed policies ----

    public IamManagedPolicy CreatePolicy(Scope scope, string policyName, ManagedPolicySettings settings)
    {
        IamNames.CheckName("PolicyName", policyName, 128);
        var path = IamNames.CheckPath(settings.Path);
        var document = settings.PolicyDocument;
        PolicyDocument.Validate(document, PolicyDocument.Kind.Identity);
        var now = Now;
        var policy = new IamManagedPolicy
        {
            Owner = scope.AccountId,
            PolicyName = policyName,
            PolicyId = IamNames.NewId("ANPA"),
            Path = path,
            CreateDate = now,
            UpdateDate = now,
            DefaultVersionId = "v1",
            Versions = [new IamPolicyVersion("v1", document, now)],
            Description = settings.Description,
            Tags = IamNames.CheckTags(settings.Tags),
        };
        if (!_policies.TryAdd(Key(scope.AccountId, policyName), policy))
            throw IamErrors.PolicyExists(policyName);
        return policy;
    }

    public IamManagedPolicy GetPolicy(Scope scope, string policyArn) =>
        FindPolicy(policyArn) is { } policy && (policy.Owner == "aws" || policy.Owner == scope.AccountId)
            ? policy
            : throw IamErrors.NoSuchPolicy(policyArn);

    public int AttachmentCount(string policyArn) => Holders().Count(h => h.AttachedPolicyArns.Contains(policyArn));

    public int BoundaryUsageCount(string policyArn) =>
        _roles.Values.Count(r => r.PermissionsBoundaryArn == policyArn) + _users.Values.Count(u => u.PermissionsBoundaryArn == policyArn);

    public Page<IamManagedPolicy> ListPolicies(Scope scope, string? policyScope, bool onlyAttached, string? pathPrefix, string? marker, int? maxItems)
    {
        IEnumerable<IamManagedPolicy> local = _policies.Values.Where(p => p.Owner == scope.AccountId);
        var all = (policyScope ?? "All") switch
        {
            "All" => _awsPolicies.Values.Concat(local),
            "AWS" => _awsPolicies.Values,
            "Local" => local,
            _ => throw IamNames.Errors.Constraint("Scope", policyScope, "Member must satisfy enum value set: [All, AWS, Local]"),
        };
        var attached = onlyAttached
            ? Holders().Where(h => h.AccountId == scope.AccountId).SelectMany(h => h.AttachedPolicyArns).ToHashSet()
            : null;
        return Paginate(all.Where(p => p.Path.StartsWith(pathPrefix ?? "/", StringComparison.Ordinal) && (attached is null || attached.Contains(p.Arn))),
            p => p.PolicyName, marker, maxItems);
    }

    public void DeletePolicy(Scope scope, string policyArn)
    {
        var policy = GetLocalPolicy(scope, policyArn);
        if (AttachmentCount(policyArn) > 0 || BoundaryUsageCount(policyArn) > 0)
            throw IamErrors.DeleteConflict("Cannot delete a policy attached to entities.");
        if (policy.Versions.Count > 1)
            throw IamErrors.DeleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.");
        _policies.Remove(Key(scope.AccountId, policy.PolicyName));
    }

    public IamPolicyVersion CreatePolicyVersion(Scope scope, string policyArn, string document, bool setAsDefault)
    {
        PolicyDocument.Validate(document, PolicyDocument.Kind.Identity);
        var policy = GetLocalPolicy(scope, policyArn);
        IamPolicyVersion? created = null;
        _policies.Update(Key(scope.AccountId, policy.PolicyName), p =>
        {
            if (p.Versions.Count >= MaxPolicyVersions)
                throw IamErrors.TooManyPolicyVersions();
            var next = p.Versions.Max(v => int.Parse(v.VersionId[1..])) + 1;
            created = new IamPolicyVersion($"v{next}", document, Now);
            return p with
            {
                Versions = [.. p.Versions, created],
                DefaultVersionId = setAsDefault ? created.VersionId : p.DefaultVersionId,
                UpdateDate = Now,
            };
        });
        return created!;
    }

    public IamPolicyVersion GetPolicyVersion(Scope scope, string policyArn, string versionId) =>
        GetPolicy(scope, policyArn).Versions.FirstOrDefault(v => v.VersionId == versionId) ?? throw IamErrors.NoSuchVersion(policyArn, versionId);

    public void DeletePolicyVersion(Scope scope, string policyArn, string versionId)
    {
        var policy = GetLocalPolicy(scope, policyArn);
        if (policy.Versions.All(v => v.VersionId != versionId)) throw IamErrors.NoSuchVersion(policyArn, versionId);
        if (policy.DefaultVersionId == versionId)
            throw IamErrors.DeleteConflict("Cannot delete the default version of a policy.");
        _policies.Update(Key(scope.AccountId, policy.PolicyName), p => p with { Versions = p.Versions.Where(v => v.VersionId != versionId).ToList() });
    }

    public void SetDefaultPolicyVersion(Scope scope, string policyArn, string versionId)
    {
        var policy = GetLocalPolicy(scope, policyArn);
        if (policy.Versions.All(v => v.VersionId != versionId)) throw IamErrors.NoSuchVersion(policyArn, versionId);
        _policies.Update(Key(scope.AccountId, policy.PolicyName), p => p with { DefaultVersionId = versionId, UpdateDate = Now });
    }

    private IamManagedPolicy? FindPolicy(string policyArn)
    {
        if (_awsPolicies.TryGetValue(policyArn, out var aws)) return aws;
        var parts = policyArn.Split(':', 6);
        if (parts.Length != 6 || parts[2] != "iam" || !parts[5].StartsWith("policy/", StringComparison.Ordinal)) return null;
        var policy = _policies.Get(Key(parts[4], parts[5][(parts[5].LastIndexOf('/') + 1)..]));
        return policy?.Arn == policyArn ? policy : null;
    }

    private IamManagedPolicy GetLocalPolicy(Scope scope, string policyArn)
    {
        var policy = GetPolicy(scope, policyArn);
        if (policy.Owner == "aws")
            throw IamErrors.AwsManagedPolicy(policyArn);
        return policy;
    }


    // ---- users and access keys ----

    public IamUser CreateUser(Scope scope, string userName, string? path, IReadOnlyList<IamTag> tags)
    {
        IamNames.CheckName("UserName", userName, 64);
        var user = new IamUser
        {
            AccountId = scope.AccountId,
            UserName = userName,
            UserId = IamNames.NewId("AIDA"),
            Path = IamNames.CheckPath(path),
            CreateDate = Now,
            Tags = IamNames.CheckTags(tags),
        };
        if (!_users.TryAdd(Key(scope.AccountId, userName), user))
            throw IamErrors.UserExists(userName);
        return user;
    }

    public IamUser GetUser(Scope scope, string userName) =>
        _users.Get(Key(scope.AccountId, userName)) ?? throw IamErrors.NoSuchUser(userName);

    public Page<IamUser> ListUsers(Scope scope, string? pathPrefix, string? marker, int? maxItems) =>
        Paginate(_users.Values.Where(u => u.AccountId == scope.AccountId && u.Path.StartsWith(pathPrefix ?? "/", StringComparison.Ordinal)),
            u => u.UserName, marker, maxItems);

    public void DeleteUser(Scope scope, string userName)
    {
        var user = GetUser(scope, userName);
        if (user.AccessKeys.Count > 0)
            throw IamErrors.DeleteConflict("Cannot delete entity, must delete access keys first.");
        if (user.LoginProfile is not null)
            throw IamErrors.DeleteConflict("Cannot delete entity, must delete login profile first.");
        if (MfaDevicesOf(user).Any())
            throw IamErrors.DeleteConflict("Cannot delete entity, must delete MFA device first.");
        if (user.GroupNames.Count > 0)
            throw IamErrors.DeleteConflict("Cannot delete entity, must remove users from group first.");
        if (user.AttachedPolicyArns.Count > 0)
            throw IamErrors.DeleteConflict("Cannot delete entity, must detach all policies first.");
        if (user.InlinePolicies.Count > 0)
            throw IamErrors.DeleteConflict("Cannot delete entity, must delete policies first.");
        _users.Remove(Key(scope.AccountId, userName));
    }

    public IamUser UpdateUser(Scope scope, string userName, string? newUserName, string? newPath)
    {
        var user = GetUser(scope, userName);
        var path = newPath is null ? user.Path : IamNames.CheckPath(newPath, "NewPath");
        if (newUserName is null || string.Equals(newUserName, user.UserName, StringComparison.Ordinal))
            return _users.Update(Key(scope.AccountId, userName), u => u with { Path = path })!;
        IamNames.CheckName("NewUserName", newUserName, 64);
        var renamed = user with { UserName = newUserName, Path = path };
        if (!string.Equals(newUserName, userName, StringComparison.OrdinalIgnoreCase) && !_users.TryAdd(Key(scope.AccountId, newUserName), renamed))
            throw IamErrors.UserExists(newUserName);
        if (string.Equals(newUserName, userName, StringComparison.OrdinalIgnoreCase)) _users.Put(Key(scope.AccountId, newUserName), renamed);
        else _users.Remove(Key(scope.AccountId, userName));
        foreach (var key in renamed.AccessKeys) _keyOwners[key.AccessKeyId] = (scope.AccountId, newUserName);
        foreach (var device in MfaDevicesOf(user)) _mfaDevices.Update(MfaKey(device), d => d with { UserName = newUserName });
        return renamed;
    }

    public IamUser TagUser(Scope scope, string userName, IReadOnlyList<IamTag> tags) =>
        _users.Update(Key(scope.AccountId, userName), u => u with { Tags = IamNames.CheckTags(MergeTags(u.Tags, tags)) }) ?? throw IamErrors.NoSuchUser(userName);

    public IamUser UntagUser(Scope scope, string userName, IReadOnlyCollection<string> keys) =>
        _users.Update(Key(scope.AccountId, userName), u => u with { Tags = u.Tags.Where(t => !keys.Contains(t.Key)).ToList() }) ?? throw IamErrors.NoSuchUser(userName);

    public IamAccessKey CreateAccessKey(Scope scope, string userName)
    {
        var key = new IamAccessKey(IamNames.NewId("AKIA", 16), IamNames.NewSecret(), "Active", Now);
        _users.Update(Key(scope.AccountId, userName), u => u.AccessKeys.Count >= MaxAccessKeysPerUser
            ? throw IamErrors.QuotaExceeded("AccessKeysPerUser", MaxAccessKeysPerUser)
            : u with { AccessKeys = [.. u.AccessKeys, key] });
        if (_users.Get(Key(scope.AccountId, userName)) is not { } owner) throw IamErrors.NoSuchUser(userName);
        _keyOwners[key.AccessKeyId] = (scope.AccountId, owner.UserName);
        return key;
    }

    public IReadOnlyList<IamAccessKey> ListAccessKeys(Scope scope, string userName) => GetUser(scope, userName).AccessKeys;

    public void DeleteAccessKey(Scope scope, string userName, string accessKeyId)
    {
        if (GetUser(scope, userName).AccessKeys.All(k => k.AccessKeyId != accessKeyId))
            throw IamErrors.NoSuchAccessKey(accessKeyId);
        _users.Update(Key(scope.AccountId, userName), u => u with { AccessKeys = u.AccessKeys.Where(k => k.AccessKeyId != accessKeyId).ToList() });
        _keyOwners.TryRemove(accessKeyId, out _);
        ForgetKeyUse(accessKeyId);
    }

    public void UpdateAccessKey(Scope scope, string userName, string accessKeyId, string status)
    {
        if (status is not ("Active" or "Inactive"))
            throw IamNames.Errors.Constraint("Status", status, "Member must satisfy enum value set: [Active, Inactive]");
        if (GetUser(scope, userName).AccessKeys.All(k => k.AccessKeyId != accessKeyId))
            throw IamErrors.NoSuchAccessKey(accessKeyId);
        _users.Update(Key(scope.AccountId, userName), u => u with
        {
            AccessKeys = u.AccessKeys.Select(k => k.AccessKeyId == accessKeyId ? k with { Status = status } : k).ToList(),
        });
    }

    public KnownCredential? Find(string accessKeyId)
    {
        if (!_keyOwners.TryGetValue(accessKeyId, out var owner)) return null;
        var user = _users.Get(Key(owner.AccountId, owner.UserName));
        var key = user?.AccessKeys.FirstOrDefault(k => k.AccessKeyId == accessKeyId && k.Status == "Active");
        return user is null || key is null ? null : new KnownCredential(accessKeyId, key.SecretAccessKey, user.AccountId, user.Arn, PrincipalId: user.UserId);
    }


    private static IReadOnlyList<IamTag> MergeTags(IReadOnlyList<IamTag> current, IReadOnlyList<IamTag> added) =>
        current.Where(t => added.All(a => !string.Equals(a.Key, t.Key, StringComparison.OrdinalIgnoreCase))).Concat(added).ToList();

    /// <summary>IAM's Marker/MaxItems paging over items sorted by name; the marker is the next item's name.</summary>
    public static Page<T> Paginate<T>(IEnumerable<T> items, Func<T, string> name, string? marker, int? maxItems)
    {
        var size = maxItems ?? 100;
        if (size is < 1 or > 1000) throw IamNames.Errors.Constraint("MaxItems", size.ToString(), "Member must have value between 1 and 1000");
        var sorted = items.OrderBy(name, StringComparer.OrdinalIgnoreCase);
        var start = marker is null ? sorted : sorted.SkipWhile(i => StringComparer.OrdinalIgnoreCase.Compare(name(i), DecodeMarker(marker)) < 0);
        var page = start.Take(size + 1).ToList();
        return page.Count > size
            ? new Page<T>(page.Take(size).ToList(), Convert.ToBase64String(Encoding.UTF8.GetBytes(name(page[size]))))
            : new Page<T>(page, null);
    }

    private static string DecodeMarker(string marker)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(marker));
        }
        catch (FormatException)
        {
            throw IamNames.Errors.Constraint("Marker", marker, "Member must be a marker returned by a previous call");
        }
    }
}
