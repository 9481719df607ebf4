using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Templates.Serverless;

namespace Stratus.Services.CloudFormation.Templates;

public sealed record ResourceDefinition(
    string LogicalId,
    string Type,
    JsonObject Properties,
    IReadOnlyList<string> DependsOn,
    string? Condition,
    string? DeletionPolicy,
    JsonObject Raw)
{
    /// <summary>Retain keeps the old physical resource when an update replaces it.</summary>
    public string? UpdateReplacePolicy => Raw["UpdateReplacePolicy"] is { } policy ? Template.Text(policy) : null;
}

public sealed record OutputDefinition(string Key, JsonNode? Value, string? Description, JsonNode? ExportName, string? Condition);

/// <summary>
/// A parsed and statically checked template: its sections, every intrinsic function known, every
/// Ref/GetAtt/DependsOn pointing at something declared, and no dependency cycle.
/// </summary>
public sealed class Template
{
    private static readonly HashSet<string> Sections =
        ["AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings", "Conditions", "Transform", "Resources", "Outputs"];

    private Template(string body, JsonObject root)
    {
        Body = body;
        Root = root;
    }

    /// <summary>The template as submitted (GetTemplate's Original stage).</summary>
    public string Body { get; }
    /// <summary>The processed template: after its transforms, if it declares any.</summary>
    public JsonObject Root { get; }
    /// <summary>The transforms the template declares (Transform), all applied to <see cref="Root"/>.</summary>
    public IReadOnlyList<string> Transforms { get; private init; } = [];
    /// <summary>GetTemplate's Processed stage: the expanded template as JSON, or the body itself when nothing was transformed.</summary>
    public string ProcessedBody => Transforms.Count > 0 ? Root.ToJsonString() : Body;
    public string? Description { get; private init; }
    public IReadOnlyList<ParameterDefinition> Parameters { get; private init; } = [];
    public JsonObject Mappings { get; private init; } = [];
    public JsonObject Conditions { get; private init; } = [];
    public IReadOnlyDictionary<string, ResourceDefinition> Resources { get; private init; } = new Dictionary<string, ResourceDefinition>();
    public IReadOnlyList<OutputDefinition> Outputs { get; private init; } = [];
    public DependencyGraph Dependencies { get; private set; } = null!;

    public static Template Parse(string body)
    {
        var root = TemplateReader.Parse(body);
        var transforms = TemplateTransforms.Declared(root);
        // Transforms run before anything is checked, as CloudFormation processes them first: what is
        // validated and deployed is the processed template (a SAM template's Globals included).
        if (transforms.Count > 0) root = TemplateTransforms.Apply(root, transforms);
        var unknown = root.Select(p => p.Key).Where(k => !Sections.Contains(k)).ToList();
        if (unknown.Count > 0) throw TemplateError.Format($"Invalid template property or properties [{string.Join(", ", unknown)}]");
        if (root["AWSTemplateFormatVersion"] is { } version && Text(version) != "2010-09-09")
            throw TemplateError.Format($"Unsupported AWSTemplateFormatVersion {Text(version)}");

        var template = new Template(body, root)
        {
            Transforms = transforms,
            Description = root["Description"] is { } d ? Text(d) : null,
            Parameters = ParameterDefinition.ReadAll(Section(root, "Parameters")),
            Mappings = Section(root, "Mappings"),
            Conditions = Section(root, "Conditions"),
            Resources = ReadResources(Section(root, "Resources")),
            Outputs = ReadOutputs(Section(root, "Outputs")),
        };
        if (template.Resources.Count == 0) throw TemplateError.Format("At least one Resources member must be defined.");
        template.CheckReferences();
        TemplateRules.CheckShape(root);
        template.Dependencies = DependencyGraph.Build(template.Resources.Values);
        return template;
    }

    public ParameterDefinition? Parameter(string name) => Parameters.FirstOrDefault(p => p.Name == name);

    public static string Text(JsonNode node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node.ToJsonString();

    private static JsonObject Section(JsonObject root, string name) => root[name] switch
    {
        null => [],
        JsonObject o => o,
        _ => throw TemplateError.Format($"{name} section must be an object"),
    };

    private static Dictionary<string, ResourceDefinition> ReadResources(JsonObject section)
    {
        var resources = new Dictionary<string, ResourceDefinition>(StringComparer.Ordinal);
        foreach (var (id, node) in section)
        {
            if (!IsAlphanumeric(id)) throw TemplateError.Format($"Resource name {id} is non alphanumeric.");
            if (node is not JsonObject raw) throw TemplateError.Format($"[/Resources/{id}] resource definition is malformed");
            if (raw["Type"] is not JsonValue typeNode || typeNode.GetValueKind() != JsonValueKind.String)
                throw TemplateError.Format($"[/Resources/{id}] Every Resources object must contain a Type member.");
            var properties = raw["Properties"] switch
            {
                null => new JsonObject(),
                JsonObject o => o,
                _ => throw TemplateError.Format($"[/Resources/{id}/Properties] Properties must be an object"),
            };
            var dependsOn = raw["DependsOn"] switch
            {
                null => [],
                JsonArray a => a.Select(n => n is null ? "" : Text(n)).ToList(),
                JsonNode n => [Text(n)],
            };
            var deletionPolicy = raw["DeletionPolicy"] is { } p ? Text(p) : null;
            if (deletionPolicy is not (null or "Delete" or "Retain" or "RetainExceptOnCreate" or "Snapshot"))
                throw TemplateError.Format($"[/Resources/{id}/DeletionPolicy] Unrecognized DeletionPolicy {deletionPolicy}");
            resources[id] = new ResourceDefinition(id, typeNode.GetValue<string>(), properties, dependsOn,
                raw["Condition"] is { } c ? Text(c) : null, deletionPolicy, raw);
        }
        return resources;
    }

    /// <summary>CloudFormation's quota of outputs a template declares (DescribeAccountLimits' StackOutputsLimit).</summary>
    public const int MaxOutputs = 200;

    private static List<OutputDefinition> ReadOutputs(JsonObject section)
    {
        // Checked as the template is read, so ValidateTemplate refuses it as CreateStack does, in AWS's words.
        if (section.Count > MaxOutputs) throw TemplateError.Format($"Outputs count {section.Count} is greater than max allowed {MaxOutputs}");
        var outputs = new List<OutputDefinition>();
        foreach (var (key, node) in section)
        {
            if (!IsAlphanumeric(key)) throw TemplateError.Format($"Output name {key} is non alphanumeric.");
            if (node is not JsonObject output || !output.ContainsKey("Value"))
                throw TemplateError.Format($"Every Outputs member must contain a Value object ({key}).");
            var export = output["Export"] switch
            {
                null => null,
                JsonObject e when e["Name"] is { } name => name,
                _ => throw TemplateError.Format($"[/Outputs/{key}/Export] Export must contain a Name"),
            };
            outputs.Add(new OutputDefinition(key, output["Value"], output["Description"] is { } d ? Text(d) : null, export,
                output["Condition"] is { } c ? Text(c) : null));
        }
        return outputs;
    }

    private static bool IsAlphanumeric(string name) => name.Length > 0 && name.All(char.IsAsciiLetterOrDigit);

    private bool IsRefTarget(string name) => PseudoParameters.IsPseudo(name) || Parameter(name) is not null || Resources.ContainsKey(name);

    /// <summary>What CloudFormation refuses before it creates anything: dangling names and unknown functions.</summary>
    private void CheckReferences()
    {
        foreach (var (name, condition) in Conditions)
        {
            foreach (var reference in Intrinsics.References(condition))
                if (reference.Kind == ReferenceKind.Ref && !PseudoParameters.IsPseudo(reference.Target) && Parameter(reference.Target) is null)
                    throw TemplateError.Format($"Unresolved dependencies [{reference.Target}]. Cannot reference resources in the Conditions block of the template");
            CheckConditionNames(condition, $"condition {name}");
        }
        var unresolved = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var resource in Resources.Values)
        {
            foreach (var reference in Intrinsics.References(resource.Raw))
                CheckReference(reference, unresolved);
            foreach (var dependency in resource.DependsOn.Where(d => !Resources.ContainsKey(d))) unresolved.Add(dependency);
            if (resource.Condition is { } c && !Conditions.ContainsKey(c))
                throw TemplateError.Format($"Unresolved dependencies [{c}]. Cannot reference resources in the Conditions block of the template");
            CheckConditionNames(resource.Raw, $"resource {resource.LogicalId}");
        }
        if (unresolved.Count > 0)
            throw TemplateError.Format($"Unresolved resource dependencies [{string.Join(", ", unresolved)}] in the Resources block of the template");
        foreach (var output in Outputs)
        {
            foreach (var reference in Intrinsics.References(output.Value).Concat(Intrinsics.References(output.ExportName)))
                CheckReference(reference, unresolved);
            if (unresolved.Count > 0)
                throw TemplateError.Format($"Unresolved resource dependencies [{string.Join(", ", unresolved)}] in the Outputs block of the template");
            if (output.Condition is { } c && !Conditions.ContainsKey(c))
                throw TemplateError.Format($"Unresolved condition dependency {c} in Outputs.{output.Key}");
        }
    }

    private void CheckReference(Reference reference, ISet<string> unresolved)
    {
        switch (reference.Kind)
        {
            case ReferenceKind.Ref when !IsRefTarget(reference.Target):
                unresolved.Add(reference.Target);
                break;
            case ReferenceKind.GetAtt when !Resources.ContainsKey(reference.Target):
                throw TemplateError.Evaluation($"instance of Fn::GetAtt references undefined resource {reference.Target}");
            case ReferenceKind.Sub when !IsRefTarget(reference.Target):
                throw TemplateError.Format($"Unresolved resource dependencies [{reference.Target}] in the Resources block of the template");
        }
    }

    private void CheckConditionNames(JsonNode? node, string where)
    {
        foreach (var name in Intrinsics.ConditionNames(node))
            if (!Conditions.ContainsKey(name))
                throw TemplateError.Format($"Unresolved condition dependency {name} in {where}");
    }
}
