using System.Collections.Concurrent;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.Iam;

/// <summary>
/// Service last accessed data: each IAM user's and role's latest attempt at each action, kept as Stratus serves requests,
/// and the reports and policy listings IAM's access advisor answers from it.
/// </summary>
public sealed partial class IamService : IDisposable
{
    /// <summary>AWS's tracking period: attempts older than 400 days are not reported.</summary>
    public static readonly TimeSpan TrackingPeriod = TimeSpan.FromDays(400);

    /// <summary>How often the attempts recorded since are written to the store: off the request path, riding the store's WAL syncs.</summary>
    private static readonly TimeSpan AccessFlushInterval = TimeSpan.FromSeconds(5);

    private ResourceTable<IamActionAccess> _accessTable = null!;
    private ResourceTable<IamAccessReportJob> _accessJobs = null!;
    private readonly ConcurrentDictionary<string, IamActionAccess> _accessLast = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IamActionAccess> _accessPending = new(StringComparer.Ordinal);
    private readonly Lock _accessFlushGate = new();
    private Timer? _accessFlusher;
    private bool _disposed;

    private void LoadAccessHistory(StateStore store)
    {
        _accessTable = new ResourceTable<IamActionAccess>(store, "iam.last-accessed");
        _accessJobs = new ResourceTable<IamAccessReportJob>(store, "iam.last-accessed-jobs");
        var since = Now - TrackingPeriod;
        foreach (var (key, access) in _accessTable.Entries.ToList())
        {
            if (access.When < since) _accessTable.Remove(key);
            else _accessLast[key] = access;
        }
        using (ExecutionContext.SuppressFlow())
            _accessFlusher = new Timer(_ => FlushAccess(), null, AccessFlushInterval, AccessFlushInterval);
    }

    /// <summary>
    /// Called for each operation a caller behind an IAM or STS key attempts (allowed or not, as AWS counts attempts): the
    /// user, or the role behind a role session, is remembered to have tried the action now, in memory; the store gets it
    /// within <see cref="AccessFlushInterval"/>, so no request waits for a disk write of its own.
    /// </summary>
    public void RecordAccess(string principalArn, string action, string region)
    {
        if (AccessingEntity(principalArn) is not { } entity) return;
        var now = Now;
        var key = ResourceTable<IamActionAccess>.Key(entity.Id, action.ToLowerInvariant());
        if (_accessLast.TryGetValue(key, out var last) && last.When == now && last.Region == region) return;
        var access = new IamActionAccess(entity.AccountId, entity.Id, entity.Arn, action, now, region);
        _accessLast[key] = access;
        _accessPending[key] = access;
    }

    /// <summary>The user, or the role of a role session, a principal ARN stands for; null for the root and federated users, which reports do not cover.</summary>
    private (string AccountId, string Id, string Arn)? AccessingEntity(string principalArn)
    {
        var parts = principalArn.Split(':', 6);
        if (parts.Length != 6) return null;
        var (account, resource) = (parts[4], parts[5]);
        if (parts[2] == "sts" && resource.StartsWith("assumed-role/", StringComparison.Ordinal))
            return _roles.Get(Key(account, resource.Split('/')[1])) is { } role ? (account, role.RoleId, role.Arn) : null;
        if (parts[2] == "iam" && resource.StartsWith("user/", StringComparison.Ordinal)
            && _users.Get(Key(account, resource[(resource.LastIndexOf('/') + 1)..])) is { } user && user.Arn == principalArn)
            return (account, user.UserId, user.Arn);
        return null;
    }

    private void FlushAccess()
    {
        lock (_accessFlushGate)
        {
            if (_disposed) return;
            foreach (var key in _accessPending.Keys)
                if (_accessPending.TryRemove(key, out var access)) _accessTable.Put(key, access);
        }
    }

    /// <summary>Writes what is still pending, before the store closes.</summary>
    public void Dispose()
    {
        _accessFlusher?.Dispose();
        FlushAccess();
        lock (_accessFlushGate) _disposed = true;
    }

    // ---- reports ----

    public string GenerateServiceLastAccessedDetails(Scope scope, string arn, string? granularity)
    {
        granularity ??= "SERVICE_LEVEL";
        var (entities, policies) = ReportSubject(scope, arn);
        var since = Now - TrackingPeriod;
        var ids = entities.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        var uses = _accessLast.Values.Where(a => a.AccountId == scope.AccountId && a.When >= since && ids.Contains(a.EntityId)).ToList();
        var services = ServiceNamespaces.Names.Keys.Where(ns => policies.Any(p => ServiceNamespaces.Allows(p, ns))).Select(ns =>
        {
            var inService = uses.Where(u => NamespaceOf(u.Action) == ns).ToList();
            var used = entities.Select(e => inService.Where(u => u.EntityId == e.Id).MaxBy(u => u.When) is { } last
                ? e with { LastAuthenticated = last.When, Region = last.Region }
                : e).ToList();
            var actions = granularity == "ACTION_LEVEL" && ServiceNamespaces.ActionTracked.Contains(ns)
                ? inService.GroupBy(u => u.Action, StringComparer.OrdinalIgnoreCase).Select(g => g.MaxBy(u => u.When)!)
                    .Select(u => new IamTrackedAction(u.Action[(u.Action.IndexOf(':') + 1)..], u.EntityArn, u.When, u.Region))
                    .OrderBy(a => a.ActionName, StringComparer.Ordinal).ToList()
                : null;
            return new IamServiceAccess(ns, used, actions);
        }).ToList();
        var job = new IamAccessReportJob(scope.AccountId, Guid.NewGuid().ToString(), arn, granularity, Now, services);
        _accessJobs.Put(Key(scope.AccountId, job.JobId), job);
        return job.JobId;
    }

    public IamAccessReportJob GetServiceLastAccessedDetails(Scope scope, string jobId) =>
        _accessJobs.Get(Key(scope.AccountId, jobId)) ?? throw IamErrors.NoSuchAccessReportJob(jobId);

    private static string NamespaceOf(string action) => action[..Math.Max(0, action.IndexOf(':'))].ToLowerInvariant();

    /// <summary>
    /// Whom a report covers and which policies say what services it lists: a user or role itself and its policies (a user's
    /// groups' too); a group's members and its policies; a managed policy's users and roles, and its groups' members.
    /// </summary>
    private (IReadOnlyList<IamEntityAccess> Entities, IReadOnlyList<Policy> Policies) ReportSubject(Scope scope, string arn)
    {
        var (kind, name) = EntityOfArn(scope, arn, allowPolicy: true);
        if (kind == "policy")
        {
            var policy = GetPolicy(scope, arn);
            var groups = _groups.Values.Where(g => g.AccountId == scope.AccountId && g.AttachedPolicyArns.Contains(arn)).ToList();
            var users = _users.Values.Where(u => u.AccountId == scope.AccountId
                && (u.AttachedPolicyArns.Contains(arn) || groups.Any(g => u.GroupNames.Contains(g.GroupName, StringComparer.OrdinalIgnoreCase))));
            var roles = _roles.Values.Where(r => r.AccountId == scope.AccountId && r.AttachedPolicyArns.Contains(arn));
            return ([.. users.OrderBy(u => u.UserName, StringComparer.OrdinalIgnoreCase).Select(Entity), .. roles.OrderBy(r => r.RoleName, StringComparer.OrdinalIgnoreCase).Select(Entity)],
                [Policy.Parse(policy.DefaultVersion.Document)]);
        }
        var holder = Holder(scope, kind, name, arn);
        IReadOnlyList<IamEntityAccess> covered = holder switch
        {
            IamUser user => [Entity(user)],
            IamRole role => [Entity(role)],
            _ => GroupMembers((IamGroup)holder).Select(Entity).ToList(),
        };
        return (covered, PoliciesOf(holder.Arn)?.Identity.Select(p => p.Policy).ToList() ?? []);
    }

    private static IamEntityAccess Entity(IamUser user) => new(user.Arn, user.UserName, "USER", user.UserId, user.Path);
    private static IamEntityAccess Entity(IamRole role) => new(role.Arn, role.RoleName, "ROLE", role.RoleId, role.Path);

    /// <summary>What an ARN of the caller's account names: "user", "group", "role" (or "policy" where taken) and the name.</summary>
    private static (string Kind, string Name) EntityOfArn(Scope scope, string arn, bool allowPolicy)
    {
        var parts = arn.Split(':', 6);
        var kind = parts.Length == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[5].IndexOf('/') is var slash and > 0 ? parts[5][..slash] : "";
        if (kind is not ("user" or "group" or "role") && !(allowPolicy && kind == "policy"))
            throw IamErrors.NotAnIdentityArn(arn, allowPolicy);
        if (kind != "policy" && parts[4] != scope.AccountId) throw IamErrors.NoSuchEntityArn(arn);
        return (kind, parts[5][(parts[5].LastIndexOf('/') + 1)..]);
    }

    /// <summary>The user, group or role an ARN names, with exactly that ARN (its path included).</summary>
    private IPolicyHolder<object> Holder(Scope scope, string kind, string name, string arn)
    {
        IPolicyHolder<object>? holder = kind switch
        {
            "user" => _users.Get(Key(scope.AccountId, name)),
            "group" => _groups.Get(Key(scope.AccountId, name)),
            _ => _roles.Get(Key(scope.AccountId, name)),
        };
        return holder is not null && holder.Arn == arn ? holder : throw IamErrors.NoSuchEntityArn(arn);
    }

    // ---- policies granting service access ----

    /// <summary>
    /// For each namespace, the identity's policies with an Allow reaching some action of the service: inline and managed, for
    /// a user its groups' too. As AWS documents, permissions boundaries, resource policies and denies are not weighed.
    /// </summary>
    public Page<(string Namespace, IReadOnlyList<IamGrantingPolicy> Policies)> ListPoliciesGrantingServiceAccess(
        Scope scope, string arn, IReadOnlyList<string> namespaces, string? marker)
    {
        var (kind, name) = EntityOfArn(scope, arn, allowPolicy: false);
        var holder = Holder(scope, kind, name, arn);
        var held = new List<(IamGrantingPolicy Policy, Policy Document)>();
        void Add(IPolicyHolder<object> h, string entityType, string entityName)
        {
            held.AddRange(h.InlinePolicies.OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => (new IamGrantingPolicy(p.Key, "INLINE", null, entityType, entityName), Policy.Parse(p.Value))));
            held.AddRange(h.AttachedPolicyArns.Select(FindPolicy).OfType<IamManagedPolicy>()
                .Select(p => (new IamGrantingPolicy(p.PolicyName, "MANAGED", p.Arn, null, null), Policy.Parse(p.DefaultVersion.Document))));
        }
        switch (holder)
        {
            case IamUser user:
                Add(user, "USER", user.UserName);
                foreach (var group in user.GroupNames.Select(g => _groups.Get(Key(scope.AccountId, g))).OfType<IamGroup>()) Add(group, "GROUP", group.GroupName);
                break;
            case IamGroup group:
                Add(group, "GROUP", group.GroupName);
                break;
            case IamRole role:
                Add(role, "ROLE", role.RoleName);
                break;
        }
        var entries = namespaces.Distinct(StringComparer.Ordinal).Select((ns, n) => (Key: n.ToString("D8"), Namespace: ns,
            Policies: (IReadOnlyList<IamGrantingPolicy>)held.Where(p => ServiceNamespaces.Allows(p.Document, ns)).Select(p => p.Policy).DistinctBy(p => p.PolicyArn ?? p.EntityType + "/" + p.EntityName + "/" + p.PolicyName).ToList()));
        var page = Paginate(entries, e => e.Key, marker, null);
        return new Page<(string, IReadOnlyList<IamGrantingPolicy>)>(page.Items.Select(e => (e.Namespace, e.Policies)).ToList(), page.NextMarker);
    }
}
