using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Services.CloudFormation.StackRefactors;

/// <summary>One stack as CreateStackRefactor plans it: the template it is to have, and the stack as it stands (null for a stack the refactor creates).</summary>
public sealed record RefactorSubject(string StackName, Template Target, StackRecord? Current)
{
    public Template? Before { get; } = Current is null ? null : Template.Parse(Current.TemplateBody);
}

/// <summary>A resource the refactor moves (to another stack, or to a new logical id in its own), and how the move was found.</summary>
public sealed record PlannedMove(ResourceLocation Source, ResourceLocation Destination, string ResourceType, string? PhysicalResourceId, string Detection);

/// <summary>Why a refactor cannot be done: CreateStackRefactor records it as the refactor's CREATE_FAILED StatusReason.</summary>
public sealed class StackRefactorRefusal(string reason) : Exception(reason);

/// <summary>
/// Plans a stack refactor as CloudFormation documents it: the templates may only reorganize the stacks' existing resources
/// (move them between stacks, rename their logical ids), never create or delete one or change how one is defined, nor
/// change Parameters, Mappings, Conditions or Rules. A resource that left one stack's template and appears under the same
/// logical id in another's is found without a mapping (AUTO); a rename, or a logical id in several stacks, needs a
/// ResourceMappings entry (MANUAL). Every refusal names what to change; the wording is Stratus's (AWS publishes none).
/// </summary>
public static partial class StackRefactorPlanner
{
    /// <summary>
    /// Types whose resources are part of the stack machinery itself (a nested stack's child stack, a stack set, a wait
    /// condition waiting on its stack's signals), so moving their record would cut them from what they belong to.
    /// </summary>
    public static readonly IReadOnlySet<string> UnmovableTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        StackStore.StackType, "AWS::CloudFormation::StackSet", "AWS::CloudFormation::WaitCondition", "AWS::CloudFormation::WaitConditionHandle",
    };

    /// <summary>Pseudo parameters whose value differs from one stack to another: a resource using them cannot change stacks.</summary>
    private static readonly string[] PerStackPseudoParameters = ["AWS::StackName", "AWS::StackId"];

    private static readonly string[] FixedSections = ["Parameters", "Mappings", "Conditions", "Rules"];

    private const int MaxDepth = 64;

    public static IReadOnlyList<PlannedMove> Plan(IReadOnlyList<RefactorSubject> subjects, IReadOnlyList<ResourceMapping> mappings)
    {
        var byName = subjects.ToDictionary(s => s.StackName, StringComparer.Ordinal);
        foreach (var subject in subjects) CheckSections(subject);

        var destinations = new Dictionary<ResourceLocation, (ResourceLocation Place, string Detection)>();
        var arrivals = new HashSet<ResourceLocation>();
        foreach (var mapping in mappings)
        {
            if (!IsBefore(byName, mapping.Source))
                throw new StackRefactorRefusal($"ResourceMappings source {mapping.Source} is not a resource of the stacks being refactored.");
            if (!byName.TryGetValue(mapping.Destination.StackName, out var target) || !target.Target.Resources.ContainsKey(mapping.Destination.LogicalResourceId))
                throw new StackRefactorRefusal($"ResourceMappings destination {mapping.Destination} is not in the template given for stack {mapping.Destination.StackName}.");
            if (!destinations.TryAdd(mapping.Source, (mapping.Destination, StackRefactorAction.Manual)))
                throw new StackRefactorRefusal($"Resource {mapping.Source} is mapped more than once: a resource can be refactored into one stack only.");
            if (!arrivals.Add(mapping.Destination))
                throw new StackRefactorRefusal($"ResourceMappings map more than one resource to {mapping.Destination}.");
        }

        // Resources that stay where they are, under the same logical id.
        foreach (var subject in subjects.Where(s => s.Before is not null))
            foreach (var logicalId in subject.Before!.Resources.Keys)
            {
                var here = new ResourceLocation(subject.StackName, logicalId);
                if (destinations.ContainsKey(here) || arrivals.Contains(here) || !subject.Target.Resources.ContainsKey(logicalId)) continue;
                destinations[here] = (here, "");
                arrivals.Add(here);
            }

        // What is left of the targets came from another stack under the same logical id (AUTO), or from nowhere.
        foreach (var subject in subjects)
            foreach (var logicalId in subject.Target.Resources.Keys)
            {
                var there = new ResourceLocation(subject.StackName, logicalId);
                if (arrivals.Contains(there)) continue;
                var origins = subjects.Where(s => s.StackName != subject.StackName && s.Before?.Resources.ContainsKey(logicalId) == true)
                    .Select(s => new ResourceLocation(s.StackName, logicalId)).Where(o => !destinations.ContainsKey(o)).ToList();
                if (origins.Count == 0)
                    throw new StackRefactorRefusal($"Resource {there} is not a resource of the stacks being refactored: a stack refactor cannot create resources (create it with an update first, or map the resource it is with ResourceMappings).");
                if (origins.Count > 1)
                    throw new StackRefactorRefusal($"Resource {there} could come from {string.Join(" or ", origins)}: say which with ResourceMappings.");
                destinations[origins[0]] = (there, StackRefactorAction.Auto);
                arrivals.Add(there);
            }

        foreach (var subject in subjects.Where(s => s.Before is not null))
            foreach (var logicalId in subject.Before!.Resources.Keys)
                if (!destinations.ContainsKey(new ResourceLocation(subject.StackName, logicalId)))
                    throw new StackRefactorRefusal($"Resource {subject.StackName}.{logicalId} is in none of the templates: a stack refactor cannot delete resources (delete it with an update first).");

        var moves = new List<PlannedMove>();
        foreach (var (source, (destination, detection)) in destinations)
        {
            var from = byName[source.StackName];
            var to = byName[destination.StackName];
            var before = from.Before!.Resources[source.LogicalResourceId];
            var after = to.Target.Resources[destination.LogicalResourceId];
            if (before.Type != after.Type)
                throw new StackRefactorRefusal($"Resource {source} is a {before.Type} and {destination} a {after.Type}: a stack refactor cannot change a resource's type.");
            if (source != destination) CheckMovable(from, to, before, destinations);
            var renamed = Renamed(before.Raw, from.StackName, destinations, 0);
            if (!JsonNode.DeepEquals(renamed, after.Raw))
                throw new StackRefactorRefusal(source == destination
                    ? $"Resource {source} is defined differently in the template given: a stack refactor cannot change a resource's properties (update the stack before or after it)."
                    : $"Resource {destination} is not defined as {source} is: a stack refactor cannot change a resource's properties (update the stack before or after it).");
            if (source != destination)
                moves.Add(new PlannedMove(source, destination, before.Type,
                    from.Current!.Resources.GetValueOrDefault(source.LogicalResourceId)?.PhysicalId, detection));
        }
        foreach (var subject in subjects) CheckOutputs(subject, destinations);
        if (moves.Count == 0) throw new StackRefactorRefusal("The templates given move and rename no resource: there is nothing to refactor.");
        return moves;
    }

    private static bool IsBefore(Dictionary<string, RefactorSubject> byName, ResourceLocation location) =>
        byName.TryGetValue(location.StackName, out var subject) && subject.Before?.Resources.ContainsKey(location.LogicalResourceId) == true;

    /// <summary>Parameters, Mappings, Conditions and Rules stay as they are (a new stack has none), as CloudFormation requires of a refactor.</summary>
    private static void CheckSections(RefactorSubject subject)
    {
        foreach (var section in FixedSections)
            if (!JsonNode.DeepEquals(subject.Before?.Root[section], subject.Target.Root[section]))
                throw new StackRefactorRefusal(subject.Before is null
                    ? $"The template for new stack {subject.StackName} declares {section}: a stack refactor cannot add {section}."
                    : $"The template for stack {subject.StackName} changes its {section}: a stack refactor cannot change or add {section} (update the stack first).");
    }

    /// <summary>What a resource that changes stacks may use: only what it finds the same in its new stack.</summary>
    private static void CheckMovable(RefactorSubject from, RefactorSubject to, ResourceDefinition resource,
        Dictionary<ResourceLocation, (ResourceLocation Place, string Detection)> destinations)
    {
        var where = $"{from.StackName}.{resource.LogicalId}";
        if (UnmovableTypes.Contains(resource.Type))
            throw new StackRefactorRefusal($"Resource {where} is a {resource.Type}, which a stack refactor cannot move.");
        if (from.StackName == to.StackName) return;
        var template = from.Before!;
        if (resource.Condition is not null)
            throw new StackRefactorRefusal($"Resource {where} has the condition {resource.Condition}: Stratus does not move conditional resources between stacks.");
        var uses = Intrinsics.References(resource.Raw["Properties"]).Select(r => r.Target).Concat(resource.DependsOn).Distinct(StringComparer.Ordinal);
        foreach (var name in uses)
        {
            if (PerStackPseudoParameters.Contains(name))
                throw new StackRefactorRefusal($"Resource {where} uses {name}, whose value differs between stacks {from.StackName} and {to.StackName}: it cannot change stacks.");
            if (template.Resources.ContainsKey(name))
            {
                if (destinations[new ResourceLocation(from.StackName, name)].Place.StackName != to.StackName)
                    throw new StackRefactorRefusal($"Resource {where} depends on {from.StackName}.{name}, which does not move to stack {to.StackName} with it.");
            }
            else if (template.Parameter(name) is not null && ParameterValue(from.Current!, name) != (to.Current is null ? null : ParameterValue(to.Current, name)))
                throw new StackRefactorRefusal($"Resource {where} uses parameter {name}, which stack {to.StackName} does not have with the same value.");
        }
        var text = resource.Raw.ToJsonString();
        if (text.Contains("\"Fn::ImportValue\"", StringComparison.Ordinal))
            throw new StackRefactorRefusal($"Resource {where} imports an export (Fn::ImportValue): Stratus does not move importing resources between stacks.");
        if (text.Contains("\"Fn::FindInMap\"", StringComparison.Ordinal) && !JsonNode.DeepEquals(template.Root["Mappings"], to.Target.Root["Mappings"]))
            throw new StackRefactorRefusal($"Resource {where} uses Mappings that stack {to.StackName} does not have.");
    }

    private static string? ParameterValue(StackRecord stack, string name) =>
        stack.ResolvedParameters.TryGetValue(name, out var resolved) ? resolved : stack.Parameters.GetValueOrDefault(name);

    /// <summary>
    /// A stack that exists keeps its outputs as they were (those naming a moved resource by its new logical id), or drops some
    /// that no other stack imports; a new stack declares none. Outputs are not evaluated again, so none may be added or changed.
    /// </summary>
    private static void CheckOutputs(RefactorSubject subject, Dictionary<ResourceLocation, (ResourceLocation Place, string Detection)> destinations)
    {
        var after = subject.Target.Root["Outputs"] as JsonObject ?? [];
        if (subject.Before is null)
        {
            if (after.Count > 0)
                throw new StackRefactorRefusal($"The template for new stack {subject.StackName} declares Outputs: add them with an update once the refactor is done.");
            return;
        }
        var before = subject.Before.Root["Outputs"] as JsonObject ?? [];
        foreach (var (key, output) in after)
            if (before[key] is not { } old || !JsonNode.DeepEquals(Renamed(old, subject.StackName, destinations, 0), output))
                throw new StackRefactorRefusal($"Output {key} of stack {subject.StackName} is new or changed: a stack refactor keeps outputs as they are (change them with an update).");
    }

    /// <summary>
    /// A definition with its references (Ref, Fn::GetAtt, Fn::Sub variables, DependsOn) to resources of its stack renamed as the
    /// refactor renames them, so a resource moved with the resources it uses compares equal to its new definition.
    /// </summary>
    private static JsonNode? Renamed(JsonNode? node, string stackName, Dictionary<ResourceLocation, (ResourceLocation Place, string Detection)> destinations, int depth)
    {
        if (depth > MaxDepth) throw new StackRefactorRefusal("A resource definition is nested too deeply to compare.");
        string Name(string logicalId) =>
            destinations.TryGetValue(new ResourceLocation(stackName, logicalId), out var to) ? to.Place.LogicalResourceId : logicalId;
        switch (node)
        {
            case JsonArray list:
                return new JsonArray(list.Select(item => Renamed(item, stackName, destinations, depth + 1)).ToArray());
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    copy[key] = (key, value) switch
                    {
                        ("Ref", JsonValue name) => (JsonNode?)Name(Template.Text(name)),
                        ("DependsOn", JsonValue name) when depth == 0 => (JsonNode?)Name(Template.Text(name)),
                        ("DependsOn", JsonArray names) when depth == 0 => new JsonArray(names.Select(n => (JsonNode?)(n is JsonValue v ? Name(Template.Text(v)) : n?.DeepClone())).ToArray()),
                        ("Fn::GetAtt", JsonArray { Count: 2 } pair) when pair[0] is JsonValue target =>
                            new JsonArray(Name(Template.Text(target)), Renamed(pair[1], stackName, destinations, depth + 1)),
                        ("Fn::GetAtt", JsonValue dotted) when Template.Text(dotted).Split('.', 2) is [var target, var attribute] => (JsonNode?)$"{Name(target)}.{attribute}",
                        ("Fn::Sub", JsonValue text) => (JsonNode?)SubRenamed(Template.Text(text), Name),
                        ("Fn::Sub", JsonArray { Count: 2 } pair) when pair[0] is JsonValue text =>
                            new JsonArray(SubRenamed(Template.Text(text), Name), Renamed(pair[1], stackName, destinations, depth + 1)),
                        _ => Renamed(value, stackName, destinations, depth + 1),
                    };
                }
                return copy;
            default:
                return node?.DeepClone();
        }
    }

    private static string SubRenamed(string text, Func<string, string> name) =>
        Intrinsics.SubVariable().Replace(text, match =>
        {
            var variable = match.Groups[1].Value;
            if (variable.StartsWith('!') || variable.StartsWith("AWS::", StringComparison.Ordinal)) return match.Value;
            var parts = variable.Split('.', 2);
            return "${" + name(parts[0]) + (parts.Length == 2 ? "." + parts[1] : "") + "}";
        });
}
