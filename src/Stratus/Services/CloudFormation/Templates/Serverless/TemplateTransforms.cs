using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Services.CloudFormation.Templates.Serverless;

/// <summary>
/// A template's Transform section: which transforms it declares, and the template they produce. Stratus expands
/// AWS::Serverless-2016-10-31 (SAM) itself whenever the template is parsed; macros and AWS::Include run once, where a
/// template enters (<see cref="Macros.TemplateProcessor"/>), so a template still naming one here came by a path that runs none.
/// </summary>
public static class TemplateTransforms
{
    public const string Serverless = "AWS::Serverless-2016-10-31";

    /// <summary>The transform names the template declares, in order (Transform is a name, or a list of names and {Name, Parameters} objects).</summary>
    public static IReadOnlyList<string> Declared(JsonObject root) => root["Transform"] switch
    {
        null => [],
        JsonArray list => list.Select(Name).ToList(),
        var single => [Name(single)],
    };

    private static string Name(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonObject o when o["Name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String => n.GetValue<string>(),
        _ => throw TemplateError.Format("Transform must be a transform name or a list of names."),
    };

    /// <summary>The processed template: every declared transform applied, the Transform section gone, as GetTemplate's Processed stage shows it.</summary>
    public static JsonObject Apply(JsonObject root, IReadOnlyList<string> transforms)
    {
        foreach (var name in transforms.Where(n => n != Serverless))
            throw TemplateError.Validation($"Stratus runs the transform {name} only where a template enters CreateStack, UpdateStack, CreateChangeSet, "
                + $"ValidateTemplate, GetTemplateSummary or a nested stack; here only {Serverless} is expanded.");
        return SamTransform.Expand(root);
    }
}
