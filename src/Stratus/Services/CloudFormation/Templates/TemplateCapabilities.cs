namespace Stratus.Services.CloudFormation.Templates;

/// <summary>
/// Which capabilities a template needs acknowledged: IAM resources need CAPABILITY_IAM, and
/// CAPABILITY_NAMED_IAM when they carry custom names, as CloudFormation requires.
/// </summary>
public static class TemplateCapabilities
{
    public const string Iam = "CAPABILITY_IAM";
    public const string NamedIam = "CAPABILITY_NAMED_IAM";
    public const string AutoExpand = "CAPABILITY_AUTO_EXPAND";
    public static readonly IReadOnlySet<string> Known = new HashSet<string> { Iam, NamedIam, AutoExpand };

    private static readonly Dictionary<string, string?> IamTypes = new(StringComparer.Ordinal)
    {
        ["AWS::IAM::Role"] = "RoleName",
        ["AWS::IAM::ManagedPolicy"] = "ManagedPolicyName",
        ["AWS::IAM::User"] = "UserName",
        ["AWS::IAM::Group"] = "GroupName",
        ["AWS::IAM::InstanceProfile"] = "InstanceProfileName",
        ["AWS::IAM::Policy"] = null,
        ["AWS::IAM::AccessKey"] = null,
        ["AWS::IAM::UserToGroupAddition"] = null,
    };

    /// <summary>The capability the template needs (null if none) and the resources that need it.</summary>
    public static (string? Capability, IReadOnlyList<string> Resources) Required(Template template)
    {
        var iam = template.Resources.Values.Where(r => IamTypes.ContainsKey(r.Type)).ToList();
        if (iam.Count == 0) return (null, []);
        var named = iam.Where(r => IamTypes[r.Type] is { } nameProperty && r.Properties.ContainsKey(nameProperty)).ToList();
        return named.Count > 0 ? (NamedIam, named.Select(r => r.LogicalId).ToList()) : (Iam, iam.Select(r => r.LogicalId).ToList());
    }

    public static string? Reason(Template template) => Required(template) switch
    {
        (null, _) => null,
        (_, var resources) => $"The following resource(s) require capabilities: [{string.Join(", ", resources.Select(id => template.Resources[id].Type).Distinct())}]",
    };

    /// <summary>
    /// CreateStack and UpdateStack run a template's transforms (a SAM template's) only when
    /// CAPABILITY_AUTO_EXPAND acknowledges it, as CloudFormation requires; a change set needs no such
    /// acknowledgement, since it shows the processed template for review before anything runs.
    /// </summary>
    public static void CheckAutoExpand(Template template, IReadOnlyCollection<string> acknowledged) =>
        CheckAutoExpand(template.Transforms.Count > 0, acknowledged);

    /// <summary>The same acknowledgement for a template whose macros run before it is parsed (<see cref="Macros.TemplateProcessor"/>).</summary>
    public static void CheckAutoExpand(bool expands, IReadOnlyCollection<string> acknowledged)
    {
        if (expands && !acknowledged.Contains(AutoExpand))
            throw new Protocols.AwsException("InsufficientCapabilitiesException", $"Requires capabilities : [{AutoExpand}]");
    }

    public static void Check(Template template, IReadOnlyCollection<string> acknowledged)
    {
        foreach (var capability in acknowledged.Where(c => !Known.Contains(c)))
            throw TemplateError.Smithy.Rejected("capabilities", $"[{capability}]",
                "Member must satisfy constraint: [Member must satisfy enum value set: [CAPABILITY_AUTO_EXPAND, CAPABILITY_NAMED_IAM, CAPABILITY_IAM]]");
        var (required, _) = Required(template);
        var satisfied = required switch
        {
            null => true,
            Iam => acknowledged.Contains(Iam) || acknowledged.Contains(NamedIam),
            _ => acknowledged.Contains(NamedIam),
        };
        if (!satisfied) throw CloudFormationErrors.InsufficientCapabilities(required);
    }
}
