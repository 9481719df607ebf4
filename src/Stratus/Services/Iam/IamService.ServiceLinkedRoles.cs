using Stratus.Protocols;

namespace Stratus.Services.Iam;

public sealed partial class IamService
{
    /// <summary>
    /// CreateServiceLinkedRole: the role AWS would make for the service, at <c>/aws-service-role/SERVICE/</c>, trusting only
    /// that service. AWS also attaches the service's own managed policy; Stratus has no copy of those documents and no
    /// service of Stratus's assumes the role, so none is attached.
    /// </summary>
    public IamRole CreateServiceLinkedRole(Scope scope, string serviceName, string? description, string? customSuffix)
    {
        var kind = ServiceLinkedRoles.Of(serviceName) ?? throw IamErrors.UnknownLinkedService(serviceName);
        if (customSuffix is not null)
        {
            IamNames.CheckName("CustomSuffix", customSuffix, 64);
            if (!kind.TakesCustomSuffix) throw IamErrors.CustomSuffixNotTaken(serviceName);
        }
        var roleName = kind.NameWith(customSuffix);
        // A suffix within its own 64 characters can still push the role's name past IAM's 64 for any role name.
        if (roleName.Length > 64) throw IamErrors.SuffixMakesNameTooLong(roleName);
        if (description?.Length > 1000) throw IamNames.Errors.Constraint("Description", description, "Member must have length less than or equal to 1000");
        var role = new IamRole
        {
            AccountId = scope.AccountId,
            RoleName = roleName,
            RoleId = IamNames.NewId("AROA"),
            Path = kind.Path,
            AssumeRolePolicyDocument = kind.TrustPolicy,
            Description = description,
            CreateDate = Now,
            LinkedService = serviceName,
        };
        if (!_roles.TryAdd(Key(scope.AccountId, roleName), role)) throw IamErrors.ServiceRoleNameTaken(roleName);
        return role;
    }

    /// <summary>
    /// DeleteServiceLinkedRole: AWS first asks the service whether a resource still uses the role; no service of Stratus's
    /// uses one, so the deletion always succeeds, at once, and its task reports SUCCEEDED.
    /// </summary>
    public string DeleteServiceLinkedRole(Scope scope, string roleName)
    {
        var role = GetRole(scope, roleName);
        if (role.LinkedService is null) throw IamErrors.NotServiceLinked(roleName);
        var taskId = $"task{role.Path}{role.RoleName}/{Guid.NewGuid()}";
        _deletionTasks.Put(Key(scope.AccountId, taskId), new IamRoleDeletionTask(scope.AccountId, taskId, "SUCCEEDED"));
        _roles.Remove(Key(scope.AccountId, roleName));
        return taskId;
    }

    public IamRoleDeletionTask GetServiceLinkedRoleDeletionStatus(Scope scope, string deletionTaskId) =>
        _deletionTasks.Get(Key(scope.AccountId, deletionTaskId)) ?? throw IamErrors.NoSuchDeletionTask(deletionTaskId);

    /// <summary>A service-linked role changes only through its service (its description excepted), as AWS protects it.</summary>
    private void CheckModifiable(Scope scope, string roleName)
    {
        if (_roles.Get(Key(scope.AccountId, roleName)) is { LinkedService: not null } role) throw IamErrors.UnmodifiableRole(role.RoleName);
    }
}
