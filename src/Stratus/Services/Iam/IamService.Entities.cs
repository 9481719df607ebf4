using System.Collections.Concurrent;
using Stratus.Host;
using Stratus.Protocols;

namespace Stratus.Services.Iam;

/// <summary>What users, groups and roles share (inline and attached policies, permissions boundaries), and groups, login profiles and policy tags.</summary>
public sealed partial class IamService
{
    public const int MaxGroupsPerUser = 10;

    /// <summary>
    /// When and where each access key last signed a request: exact in memory, and written to the store (iam.key-last-used)
    /// at most once per <see cref="KeyUseWriteInterval"/> per key, so signing stays off the disk and a restart forgets at
    /// most that last stretch of a key's use, never that it was used.
    /// </summary>
    private readonly ConcurrentDictionary<string, IamKeyUse> _keyLastUsed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _keyUseWritten = new(StringComparer.Ordinal);
    private static readonly TimeSpan KeyUseWriteInterval = TimeSpan.FromMinutes(1);

    private IEnumerable<IPolicyHolder<object>> Holders() =>
        _users.Values.Cast<IPolicyHolder<object>>().Concat(_groups.Values).Concat(_roles.Values);

    private IPolicyHolder<object> GetHolder(Scope scope, IamEntityKind kind, string name) => kind.Name switch
    {
        "User" => GetUser(scope, name),
        "Group" => GetGroup(scope, name),
        _ => GetRole(scope, name),
    };

    private void ChangeHolder(Scope scope, IamEntityKind kind, string name, Func<IPolicyHolder<object>, object> change)
    {
        if (kind == IamEntityKind.Role) CheckModifiable(scope, name);
        var key = Key(scope.AccountId, name);
        var changed = kind.Name switch
        {
            "User" => (object?)_users.Update(key, u => (IamUser)change(u)),
            "Group" => _groups.Update(key, g => (IamGroup)change(g)),
            _ => _roles.Update(key, r => (IamRole)change(r)),
        };
        if (changed is null) throw IamErrors.NoSuchEntity(kind, name);
    }

    // ---- inline and attached policies of users, groups and roles ----

    public void AttachPolicy(Scope scope, IamEntityKind kind, string name, string policyArn)
    {
        GetPolicy(scope, policyArn);
        ChangeHolder(scope, kind, name, h => h.AttachedPolicyArns.Contains(policyArn) ? h : h.WithPolicies([.. h.AttachedPolicyArns, policyArn], h.InlinePolicies));
    }

    public void DetachPolicy(Scope scope, IamEntityKind kind, string name, string policyArn)
    {
        if (!GetHolder(scope, kind, name).AttachedPolicyArns.Contains(policyArn))
            throw IamErrors.PolicyNotAttached(policyArn);
        ChangeHolder(scope, kind, name, h => h.WithPolicies(h.AttachedPolicyArns.Where(a => a != policyArn).ToList(), h.InlinePolicies));
    }

    public Page<IamManagedPolicy> ListAttachedPolicies(Scope scope, IamEntityKind kind, string name, string? pathPrefix, string? marker, int? maxItems)
    {
        var attached = GetHolder(scope, kind, name).AttachedPolicyArns.Select(FindPolicy).OfType<IamManagedPolicy>()
            .Where(p => p.Path.StartsWith(pathPrefix ?? "/", StringComparison.Ordinal));
        return Paginate(attached, p => p.PolicyName, marker, maxItems);
    }

    public void PutInlinePolicy(Scope scope, IamEntityKind kind, string name, InlinePolicy policy)
    {
        IamNames.CheckName("PolicyName", policy.PolicyName, 128);
        PolicyDocument.Validate(policy.PolicyDocument, PolicyDocument.Kind.Identity);
        ChangeHolder(scope, kind, name, h => h.WithPolicies(h.AttachedPolicyArns,
            new Dictionary<string, string>(h.InlinePolicies) { [policy.PolicyName] = policy.PolicyDocument }));
    }

    public string GetInlinePolicy(Scope scope, IamEntityKind kind, string name, string policyName) =>
        GetHolder(scope, kind, name).InlinePolicies.GetValueOrDefault(policyName) ?? throw IamErrors.NoSuchInlinePolicy(kind, policyName);

    public void DeleteInlinePolicy(Scope scope, IamEntityKind kind, string name, string policyName)
    {
        if (!GetHolder(scope, kind, name).InlinePolicies.ContainsKey(policyName)) throw IamErrors.NoSuchInlinePolicy(kind, policyName);
        ChangeHolder(scope, kind, name, h => h.WithPolicies(h.AttachedPolicyArns,
            h.InlinePolicies.Where(p => p.Key != policyName).ToDictionary(p => p.Key, p => p.Value)));
    }

    public Page<string> ListInlinePolicies(Scope scope, IamEntityKind kind, string name, string? marker, int? maxItems) =>
        Paginate(GetHolder(scope, kind, name).InlinePolicies.Keys, n => n, marker, maxItems);

    // ---- permissions boundaries (users and roles) ----

    public void PutPermissionsBoundary(Scope scope, IamEntityKind kind, string name, string? policyArn)
    {
        if (policyArn is not null) GetPolicy(scope, policyArn);
        if (kind == IamEntityKind.Role) CheckModifiable(scope, name);
        var key = Key(scope.AccountId, name);
        var changed = kind == IamEntityKind.User
            ? (object?)_users.Update(key, u => u with { PermissionsBoundaryArn = policyArn })
            : _roles.Update(key, r => r with { PermissionsBoundaryArn = policyArn });
        if (changed is null) throw IamErrors.NoSuchEntity(kind, name);
    }

    // ---- groups ----

    public IamGroup CreateGroup(Scope scope, string groupName, string? path)
    {
        IamNames.CheckName("GroupName", groupName, 128);
        var group = new IamGroup
        {
            AccountId = scope.AccountId,
            GroupName = groupName,
            GroupId = IamNames.NewId("AGPA"),
            Path = IamNames.CheckPath(path),
            CreateDate = Now,
        };
        if (!_groups.TryAdd(Key(scope.AccountId, groupName), group)) throw IamErrors.GroupExists(groupName);
        return group;
    }

    public IamGroup GetGroup(Scope scope, string groupName) =>
        _groups.Get(Key(scope.AccountId, groupName)) ?? throw IamErrors.NoSuchEntity(IamEntityKind.Group, groupName);

    public IReadOnlyList<IamUser> GroupMembers(IamGroup group) =>
        _users.Values.Where(u => u.AccountId == group.AccountId && u.GroupNames.Contains(group.GroupName, StringComparer.OrdinalIgnoreCase))
            .OrderBy(u => u.UserName, StringComparer.OrdinalIgnoreCase).ToList();

    public Page<IamGroup> ListGroups(Scope scope, string? pathPrefix, string? marker, int? maxItems) =>
        Paginate(_groups.Values.Where(g => g.AccountId == scope.AccountId && g.Path.StartsWith(pathPrefix ?? "/", StringComparison.Ordinal)),
            g => g.GroupName, marker, maxItems);

    public Page<IamGroup> ListGroupsForUser(Scope scope, string userName, string? marker, int? maxItems) =>
        Paginate(GetUser(scope, userName).GroupNames.Select(g => _groups.Get(Key(scope.AccountId, g))).OfType<IamGroup>(), g => g.GroupName, marker, maxItems);

    public IamGroup UpdateGroup(Scope scope, string groupName, string? newGroupName, string? newPath)
    {
        var group = GetGroup(scope, groupName);
        var path = newPath is null ? group.Path : IamNames.CheckPath(newPath, "NewPath");
        if (newGroupName is null || string.Equals(newGroupName, groupName, StringComparison.OrdinalIgnoreCase))
            return _groups.Update(Key(scope.AccountId, groupName), g => g with { GroupName = newGroupName ?? g.GroupName, Path = path })!;
        IamNames.CheckName("NewGroupName", newGroupName, 128);
        var renamed = group with { GroupName = newGroupName, Path = path };
        if (!_groups.TryAdd(Key(scope.AccountId, newGroupName), renamed)) throw IamErrors.GroupExists(newGroupName);
        _groups.Remove(Key(scope.AccountId, groupName));
        foreach (var member in GroupMembers(group))
            _users.Update(Key(scope.AccountId, member.UserName), u => u with
            {
                GroupNames = u.GroupNames.Select(g => string.Equals(g, groupName, StringComparison.OrdinalIgnoreCase) ? newGroupName : g).ToList(),
            });
        return renamed;
    }

    public void DeleteGroup(Scope scope, string groupName)
    {
        var group = GetGroup(scope, groupName);
        if (GroupMembers(group).Count > 0) throw IamErrors.DeleteConflict("Cannot delete entity, must remove users from group first.");
        if (group.AttachedPolicyArns.Count > 0) throw IamErrors.DeleteConflict("Cannot delete entity, must detach all policies first.");
        if (group.InlinePolicies.Count > 0) throw IamErrors.DeleteConflict("Cannot delete entity, must delete policies first.");
        _groups.Remove(Key(scope.AccountId, groupName));
    }

    public void AddUserToGroup(Scope scope, string groupName, string userName)
    {
        var group = GetGroup(scope, groupName);
        var user = GetUser(scope, userName);
        if (user.GroupNames.Contains(group.GroupName, StringComparer.OrdinalIgnoreCase)) return;
        if (user.GroupNames.Count >= MaxGroupsPerUser) throw IamErrors.QuotaExceeded("GroupsPerUser", MaxGroupsPerUser);
        _users.Update(Key(scope.AccountId, userName), u => u with { GroupNames = [.. u.GroupNames, group.GroupName] });
    }

    public void RemoveUserFromGroup(Scope scope, string groupName, string userName)
    {
        var group = GetGroup(scope, groupName);
        var user = GetUser(scope, userName);
        if (!user.GroupNames.Contains(group.GroupName, StringComparer.OrdinalIgnoreCase))
            throw IamErrors.NoSuchEntity(IamEntityKind.User, userName);
        _users.Update(Key(scope.AccountId, userName), u => u with
        {
            GroupNames = u.GroupNames.Where(g => !string.Equals(g, groupName, StringComparison.OrdinalIgnoreCase)).ToList(),
        });
    }

    // ---- login profiles ----

    public IamLoginProfile CreateLoginProfile(Scope scope, string userName, string password, bool resetRequired)
    {
        CheckPassword(scope, password);
        var profile = new IamLoginProfile(Now, resetRequired);
        if (GetUser(scope, userName).LoginProfile is not null) throw IamErrors.LoginProfileExists(userName);
        _users.Update(Key(scope.AccountId, userName), u => u with { LoginProfile = profile });
        return profile;
    }

    public IamLoginProfile GetLoginProfile(Scope scope, string userName) =>
        GetUser(scope, userName).LoginProfile ?? throw IamErrors.NoSuchLoginProfile(userName);

    public void UpdateLoginProfile(Scope scope, string userName, string? password, bool? resetRequired)
    {
        var current = GetLoginProfile(scope, userName);
        if (password is not null)
        {
            CheckPassword(scope, password);
            current = current with { PasswordLastChanged = Now };
        }
        _users.Update(Key(scope.AccountId, userName), u => u with { LoginProfile = current with { PasswordResetRequired = resetRequired ?? current.PasswordResetRequired } });
    }

    public void DeleteLoginProfile(Scope scope, string userName)
    {
        GetLoginProfile(scope, userName);
        _users.Update(Key(scope.AccountId, userName), u => u with { LoginProfile = null });
    }

    /// <summary>A new password against the account's password policy, refused with IAM's PasswordPolicyViolation.</summary>
    private void CheckPassword(Scope scope, string password)
    {
        var policy = _passwordPolicies.Get(scope.AccountId) ?? new IamPasswordPolicy();
        var unmet = new List<string>();
        if (password.Length < policy.MinimumPasswordLength) unmet.Add($"Password should have at least {policy.MinimumPasswordLength} characters");
        if (policy.RequireSymbols && password.All(char.IsLetterOrDigit)) unmet.Add("Password should have at least one symbol");
        if (policy.RequireNumbers && !password.Any(char.IsDigit)) unmet.Add("Password should have at least one number");
        if (policy.RequireUppercaseCharacters && !password.Any(char.IsUpper)) unmet.Add("Password should have at least one uppercase letter");
        if (policy.RequireLowercaseCharacters && !password.Any(char.IsLower)) unmet.Add("Password should have at least one lowercase letter");
        if (unmet.Count > 0) throw IamErrors.PasswordPolicyViolation(string.Join("\n", unmet));
    }

    // ---- access key use ----

    /// <summary>Called for each request signed with one of this service's keys.</summary>
    public void RecordKeyUse(string accessKeyId, string service, string region)
    {
        if (!_keyOwners.ContainsKey(accessKeyId)) return;
        var use = new IamKeyUse(Now, service, region);
        _keyLastUsed[accessKeyId] = use;
        if (_keyUseWritten.TryGetValue(accessKeyId, out var written) && use.When - written < KeyUseWriteInterval) return;
        _keyUseWritten[accessKeyId] = use.When;
        _keyUses.Put(accessKeyId, use);
    }

    /// <summary>A deleted key's use goes with it.</summary>
    private void ForgetKeyUse(string accessKeyId)
    {
        _keyLastUsed.TryRemove(accessKeyId, out _);
        _keyUseWritten.TryRemove(accessKeyId, out _);
        _keyUses.Remove(accessKeyId);
    }

    public (string UserName, DateTimeOffset? When, string Service, string Region) GetAccessKeyLastUsed(Scope scope, string accessKeyId)
    {
        if (!_keyOwners.TryGetValue(accessKeyId, out var owner) || owner.AccountId != scope.AccountId) throw IamErrors.NoSuchAccessKey(accessKeyId);
        // IAM answers "N/A" for the service and region of a key never used.
        return _keyLastUsed.TryGetValue(accessKeyId, out var used)
            ? (owner.UserName, used.When, used.Service, used.Region)
            : (owner.UserName, null, "N/A", "N/A");
    }

    // ---- policy tags ----

    public void TagPolicy(Scope scope, string policyArn, IReadOnlyList<IamTag> tags)
    {
        var policy = GetLocalPolicy(scope, policyArn);
        _policies.Update(Key(scope.AccountId, policy.PolicyName), p => p with { Tags = IamNames.CheckTags(MergeTags(p.Tags, tags)) });
    }

    public void UntagPolicy(Scope scope, string policyArn, IReadOnlyCollection<string> keys)
    {
        var policy = GetLocalPolicy(scope, policyArn);
        _policies.Update(Key(scope.AccountId, policy.PolicyName), p => p with { Tags = p.Tags.Where(t => !keys.Contains(t.Key)).ToList() });
    }
}
