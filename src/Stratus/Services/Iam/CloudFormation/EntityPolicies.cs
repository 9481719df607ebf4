using Stratus.Protocols;

namespace Stratus.Services.Iam.CloudFormation;

/// <summary>
/// What AWS::IAM::Role, User and Group share: the ManagedPolicyArns and Policies properties, applied and removed the same
/// way for each; a creation undone when its policies fail; Tags brought to the template's; and deletion of an entity
/// that may already be gone.
/// </summary>
internal static class EntityPolicies
{
    /// <summary>Sets up a just-created entity; when that fails, takes the entity away again so the failed create leaves nothing.</summary>
    public static void SetUpOrRemove(Action setUp, Action remove)
    {
        try
        {
            setUp();
        }
        catch
        {
            remove();
            throw;
        }
    }

    /// <summary>Makes the entity's tags the template's: untags the keys the template dropped, then tags with the rest.</summary>
    public static void Retag(IInputReader properties, IInputReader before, Action<IReadOnlyCollection<string>> untag, Action<IReadOnlyList<IamTag>> tag)
    {
        var tags = IamTag.List(properties);
        var removedKeys = IamTag.List(before).Select(t => t.Key).Except(tags.Select(t => t.Key)).ToHashSet();
        if (removedKeys.Count > 0) untag(removedKeys);
        if (tags.Count > 0) tag(tags);
    }

    /// <summary>
    /// Deletes an entity after what IAM requires gone first: its policies, and whatever <paramref name="removeRest"/> takes
    /// (a user's groups and login profile). An entity already gone is done (a stack's delete goes on).
    /// </summary>
    public static void Remove<T>(IamService iam, Scope scope, IamEntityKind kind, string name, Func<T> get, Action<T> removeRest) where T : IPolicyHolder<object>
    {
        T entity;
        try
        {
            entity = get();
        }
        catch (AwsException e) when (e.Code == "NoSuchEntity")
        {
            return;
        }
        Clear(iam, scope, kind, name, entity);
        removeRest(entity);
    }

    /// <summary>Makes the entity's policies what the template says; with the previous properties, detaches and deletes what the template dropped.</summary>
    public static void Apply(IamService iam, Scope scope, IamEntityKind kind, string name, IInputReader properties, IInputReader? before)
    {
        var attach = properties.Strings("ManagedPolicyArns");
        if (before is not null)
            foreach (var arn in before.Strings("ManagedPolicyArns").Except(attach)) iam.DetachPolicy(scope, kind, name, arn);
        foreach (var arn in attach) iam.AttachPolicy(scope, kind, name, arn);

        var inline = Inline(properties);
        if (before is not null)
            foreach (var old in Inline(before).Where(old => inline.All(policy => policy.PolicyName != old.PolicyName)))
                iam.DeleteInlinePolicy(scope, kind, name, old.PolicyName);
        foreach (var policy in inline) iam.PutInlinePolicy(scope, kind, name, policy);
    }

    /// <summary>Detaches and deletes every policy, as IAM requires before the entity itself can go.</summary>
    public static void Clear(IamService iam, Scope scope, IamEntityKind kind, string name, IPolicyHolder<object> holder)
    {
        foreach (var arn in holder.AttachedPolicyArns) iam.DetachPolicy(scope, kind, name, arn);
        foreach (var policyName in holder.InlinePolicies.Keys) iam.DeleteInlinePolicy(scope, kind, name, policyName);
    }

    /// <summary>The entities an AWS::IAM::Policy or ManagedPolicy goes on: its Roles, Users and Groups.</summary>
    public static List<(IamEntityKind Kind, string Name)> Targets(IInputReader p) =>
        [.. p.Strings("Roles").Select(n => (IamEntityKind.Role, n)), .. p.Strings("Users").Select(n => (IamEntityKind.User, n)),
         .. p.Strings("Groups").Select(n => (IamEntityKind.Group, n))];

    /// <summary>The Policies list, each read as Put*Policy reads one; a name given twice keeps its last document.</summary>
    public static List<InlinePolicy> Inline(IInputReader p) =>
        p.Objects("Policies").Select(InlinePolicy.Read).GroupBy(policy => policy.PolicyName, StringComparer.Ordinal).Select(g => g.Last()).ToList();
}
