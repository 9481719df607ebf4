using Stratus.Protocols;

namespace Stratus.Services.Iam.CloudFormation;

/// <summary>The ManagedPolicyArns and Policies properties AWS::IAM::Role, User and Group share, applied and removed the same way for each.</summary>
internal static class EntityPolicies
{
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
