using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Services.CloudFormation;

/// <summary>
/// What an IMPORT change set must satisfy before any resource is looked up, as CloudFormation checks it: each resource
/// to import is declared in the template with its type and a DeletionPolicy, is of a type Stratus imports and is named
/// by that type's identifier; and the import changes nothing else (into an existing stack, every other resource and the
/// outputs stand as they were; a new stack is made of imported resources only).
/// </summary>
public static class ResourceImportRules
{
    /// <param name="template">The change set's template.</param>
    /// <param name="current">The stack's template and resource ids when importing into an existing stack; null for a new stack.</param>
    /// <param name="identifiers">The importable types and the property that identifies a resource of each.</param>
    public static void Check(Template template, (Template Template, IReadOnlyCollection<string> ResourceIds)? current,
        IReadOnlyList<ResourceToImport> imports, IReadOnlyDictionary<string, string> identifiers)
    {
        if (imports.Count == 0) throw TemplateError.Validation("ResourcesToImport must be specified for a change set of type IMPORT.");
        if (imports.GroupBy(i => i.LogicalResourceId).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw TemplateError.Validation($"Resource {twice.Key} is specified more than once in ResourcesToImport.");
        foreach (var import in imports)
        {
            if (!template.Resources.TryGetValue(import.LogicalResourceId, out var declared))
                throw TemplateError.Validation($"Resource {import.LogicalResourceId} in ResourcesToImport is not declared in the template.");
            if (declared.Type != import.ResourceType)
                throw TemplateError.Validation(
                    $"Resource {import.LogicalResourceId} in ResourcesToImport is of type {import.ResourceType}, but the template declares it as {declared.Type}.");
            if (!identifiers.TryGetValue(import.ResourceType, out var identifier))
                throw CloudFormationErrors.NotServed($"resource import of type {import.ResourceType}",
                    $"the types Stratus imports are {string.Join(", ", identifiers.Keys.Order(StringComparer.Ordinal))}");
            if (import.ResourceIdentifier.Count != 1 || !import.ResourceIdentifier.ContainsKey(identifier))
                throw TemplateError.Validation(
                    $"Invalid ResourceIdentifier {import.Printed} for resource {import.LogicalResourceId}: a resource of type {import.ResourceType} is identified by [{identifier}].");
        }
        var withoutPolicy = imports.Where(i => template.Resources[i.LogicalResourceId].DeletionPolicy is null).Select(i => i.LogicalResourceId).ToList();
        if (withoutPolicy.Count > 0)
            throw TemplateError.Validation($"The following resources to import [{string.Join(", ", withoutPolicy)}] must have DeletionPolicy attribute specified in the template.");

        var imported = imports.Select(i => i.LogicalResourceId).ToHashSet(StringComparer.Ordinal);
        if (current is { } stack)
        {
            var inStack = imports.Where(i => stack.ResourceIds.Contains(i.LogicalResourceId)).Select(i => i.LogicalResourceId).ToList();
            if (inStack.Count > 0) throw AlreadyInStack(inStack);
            var old = stack.Template.Resources;
            var modified = template.Resources.Values
                .Where(r => !imported.Contains(r.LogicalId) && (!old.TryGetValue(r.LogicalId, out var before) || !JsonNode.DeepEquals(before.Raw, r.Raw)))
                .Select(r => r.LogicalId)
                .Concat(old.Keys.Where(id => !template.Resources.ContainsKey(id)))
                .ToList();
            if (modified.Count > 0) throw ModifiedDuringImport(modified);
            if (!JsonNode.DeepEquals(stack.Template.Root["Outputs"], template.Root["Outputs"]))
                throw TemplateError.Validation("As part of the import operation, you cannot modify or add [Outputs]");
        }
        else if (template.Resources.Keys.Where(id => !imported.Contains(id)).ToList() is { Count: > 0 } notImported)
            throw ModifiedDuringImport(notImported);
    }

    /// <summary>A resource that already belongs to a stack (this one or another) cannot be imported again.</summary>
    public static AwsException AlreadyInStack(IEnumerable<string> logicalIds) =>
        TemplateError.Validation($"Resources [{string.Join(", ", logicalIds)}] passed in ResourceToImport are already in a stack and cannot be imported.");

    private static AwsException ModifiedDuringImport(IEnumerable<string> logicalIds) =>
        TemplateError.Validation($"You have modified resources [{string.Join(", ", logicalIds)}] in your template that are not being imported. " +
            "Update, create or delete operations cannot be executed during import operations.");
}
