using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Protocols.Json;
using Stratus.Services.CloudFormation.Templates;
using Stratus.Services.CloudFormation.Templates.LanguageExtensions;
using Stratus.Services.CloudFormation.Templates.Serverless;
using Stratus.Services.Lambda;
using Stratus.Services.S3;

namespace Stratus.Services.CloudFormation.Macros;

/// <summary>
/// A template as its transforms left it (Processed) and as it entered (Original, null when nothing ran here), with the
/// template-level transforms it declared (ValidateTemplate's DeclaredTransforms).
/// </summary>
public sealed record ProcessedTemplate(string Body, string? OriginalBody, IReadOnlyList<string> DeclaredTransforms);

/// <summary>
/// Runs a template's macros once, where the template enters (CreateStack, UpdateStack, CreateChangeSet, ValidateTemplate,
/// GetTemplateSummary, a nested stack's TemplateURL), in CloudFormation's documented order: every Fn::Transform snippet,
/// the most deeply nested first, then the template-level Transform list in its order. A macro is an
/// AWS::CloudFormation::Macro's Lambda function, invoked synchronously with AWS's event (region, accountId, fragment,
/// transformId, params, requestId, templateParameterValues) and answering AWS's response (requestId, status, fragment,
/// errorMessage). AWS::Include reads its snippet from Stratus's S3; AWS::Serverless-2016-10-31 and AWS::LanguageExtensions
/// are expanded by Stratus (the latter with the parameter values the stack is made with, which is why it runs here).
/// A template with only SAM, or no transform, is left as it is: SAM's expansion is pure, so parsing repeats it exactly.
/// </summary>
public sealed class TemplateProcessor(MacroRegistry macros, ILambdaInvoker lambda, IS3ObjectReader objects)
{
    public const string Include = "AWS::Include";
    private const string FnTransform = "Fn::Transform";

    /// <summary>Stratus's bound on macro and AWS::Include runs for one template (AWS documents none).</summary>
    public const int MaxInvocations = 100;

    /// <summary>Stratus's bound on a processed template and on each fragment a macro or an included file gives (AWS documents none; 1 MB is its bound on a template read from S3).</summary>
    public const int MaxFragmentBytes = 1024 * 1024;

    /// <summary>
    /// The processed template. <paramref name="acknowledged"/> is checked for CAPABILITY_AUTO_EXPAND before anything runs when
    /// the caller creates or updates a stack directly (null for change sets and validation, which AWS lets run unacknowledged).
    /// <paramref name="previousParameters"/> are the updated stack's values, for parameters supplied with UsePreviousValue.
    /// </summary>
    public async Task<ProcessedTemplate> ProcessAsync(Scope scope, string body, IReadOnlyList<SuppliedParameter> parameters,
        IReadOnlyCollection<string>? acknowledged, CancellationToken cancellation, IReadOnlyDictionary<string, string>? previousParameters = null)
    {
        var root = TemplateReader.Parse(body);
        var declared = Declared(root);
        if (!HasSnippet(root) && declared.All(t => t.Name == TemplateTransforms.Serverless)) return new ProcessedTemplate(body, null, Names(declared));
        if (acknowledged is not null) TemplateCapabilities.CheckAutoExpand(expands: true, acknowledged);

        var run = new Run(scope, ParameterValues(root, parameters, previousParameters), cancellation);
        root.Remove("Transform");
        root = await ExpandSnippetsAsync(root, run) as JsonObject ?? throw TemplateError.Format("Template must be a JSON or YAML object.");
        foreach (var (name, transformParameters) in declared)
            root = name switch
            {
                TemplateTransforms.Serverless => SamTransform.Expand(root),
                Include => Merged(root, Included(transformParameters, run)),
                LanguageExtensionsTransform.Name => LanguageExtensionsTransform.Expand(root,
                    run.ParameterValues.ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal),
                    scope.AccountId, scope.Region, MaxFragmentBytes),
                _ => await InvokeAsync(name, root, transformParameters, run) as JsonObject
                    ?? throw Failed(scope, name, "the processed template is not a JSON object"),
            };
        var processed = root.ToJsonString();
        if (Encoding.UTF8.GetByteCount(processed) > MaxFragmentBytes)
            throw TemplateError.Validation($"The processed template exceeds {MaxFragmentBytes} bytes.");
        return new ProcessedTemplate(processed, body, Names(declared));
    }

    private static List<string> Names(List<(string Name, JsonObject? Parameters)> declared) => declared.Select(t => t.Name).ToList();

    private sealed class Run(Scope scope, JsonObject parameterValues, CancellationToken cancellation)
    {
        public Scope Scope { get; } = scope;
        public JsonObject ParameterValues { get; } = parameterValues;
        public CancellationToken Cancellation { get; } = cancellation;
        public int Invocations { get; set; }
    }

    /// <summary>The template-level transforms in list order: a name, a {Name, Parameters} object, or a list of either.</summary>
    private static List<(string Name, JsonObject? Parameters)> Declared(JsonObject root) => root["Transform"] switch
    {
        null => [],
        JsonArray list => list.Select(Transform).ToList(),
        var single => [Transform(single)],
    };

    private static (string Name, JsonObject? Parameters) Transform(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => (v.GetValue<string>(), null),
        JsonObject o when o["Name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String => (n.GetValue<string>(), o["Parameters"] switch
        {
            null => null,
            JsonObject p => p,
            _ => throw TemplateError.Format("Transform Parameters must be an object."),
        }),
        _ => throw TemplateError.Format("Transform must be a transform name, a {Name, Parameters} object, or a list of them."),
    };

    private static bool HasSnippet(JsonNode? node) => node switch
    {
        JsonObject o => o.ContainsKey(FnTransform) || o.Any(p => HasSnippet(p.Value)),
        JsonArray a => a.Any(HasSnippet),
        _ => false,
    };

    /// <summary>
    /// Every Fn::Transform replaced by what its macro returns, inner ones first: the fragment a snippet's macro gets is the
    /// object holding the Fn::Transform, without it (its siblings), and what the macro returns takes that object's place.
    /// </summary>
    private async Task<JsonNode?> ExpandSnippetsAsync(JsonNode? node, Run run)
    {
        switch (node)
        {
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var expanded = await ExpandSnippetsAsync(array[i], run);
                    if (!ReferenceEquals(expanded, array[i])) array[i] = Detached(expanded);
                }
                return array;
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).Where(k => k != FnTransform).ToList())
                {
                    var expanded = await ExpandSnippetsAsync(obj[key], run);
                    if (!ReferenceEquals(expanded, obj[key])) obj[key] = Detached(expanded);
                }
                if (obj[FnTransform] is not { } call) return obj;
                var (name, parameters) = call is JsonObject ? Transform(call) : throw TemplateError.Format("Fn::Transform must be an object with a Name.");
                obj.Remove(FnTransform);
                return name switch
                {
                    TemplateTransforms.Serverless or LanguageExtensionsTransform.Name => throw TemplateError.Format($"{name} may only be used in the template's Transform section."),
                    Include => obj.Count == 0 ? Included(parameters, run) : Merged(obj, Included(parameters, run)),
                    _ => await InvokeAsync(name, obj, parameters, run),
                };
            default:
                return node;
        }
    }

    private static JsonNode? Detached(JsonNode? node) => node?.Parent is null ? node : node.DeepClone();

    /// <summary>An included snippet beside sibling keys: its members join them, as the include directive inserts text.</summary>
    private static JsonObject Merged(JsonObject target, JsonNode? snippet)
    {
        if (snippet is not JsonObject members) throw TemplateError.Validation($"Transform {Include} failed with: the included snippet must be a JSON or YAML object where it has sibling keys.");
        foreach (var (key, value) in members.ToList())
        {
            members.Remove(key);
            target[key] = value;
        }
        return target;
    }

    /// <summary>AWS::Include's snippet: the object its Location (s3://bucket/key) names in Stratus's S3, JSON or YAML.</summary>
    private JsonNode? Included(JsonObject? parameters, Run run)
    {
        Count(run);
        var location = parameters?["Location"] is JsonValue l && l.GetValueKind() == JsonValueKind.String ? l.GetValue<string>() : null;
        var (bucket, key, _) = (location is null ? null : S3ObjectAddress.FromS3Uri(location))
            ?? throw TemplateError.Validation($"Transform {Include} failed with: Location must be an Amazon S3 URI (s3://bucket/key).");
        byte[] bytes;
        try
        {
            bytes = objects.ReadObject(run.Scope, bucket, key, null, MaxFragmentBytes,
                size => TemplateError.Validation($"Transform {Include} failed with: the snippet at {location} exceeds {MaxFragmentBytes} bytes."));
        }
        catch (AwsException e) when (e.Code != TemplateError.Code)
        {
            throw TemplateError.Validation($"Transform {Include} failed with: S3 error: {e.Message}");
        }
        return TemplateReader.ParseSnippet(Encoding.UTF8.GetString(bytes));
    }

    /// <summary>One macro run: its function invoked synchronously through Lambda's domain, its response checked as AWS checks it.</summary>
    private async Task<JsonNode?> InvokeAsync(string name, JsonObject fragment, JsonObject? parameters, Run run)
    {
        Count(run);
        var scope = run.Scope;
        var macro = macros.Find(scope.AccountId, scope.Region, name) ?? throw TemplateError.Validation($"No transform named {TransformId(scope, name)} found.");
        var requestId = Guid.NewGuid().ToString();
        var request = new JsonObject
        {
            ["region"] = scope.Region,
            ["accountId"] = scope.AccountId,
            ["fragment"] = fragment.DeepClone(),
            ["transformId"] = TransformId(scope, name),
            // AWS passes a snippet's Parameters unevaluated, and an empty object for a template-level macro.
            ["params"] = parameters?.DeepClone() ?? new JsonObject(),
            ["requestId"] = requestId,
            ["templateParameterValues"] = run.ParameterValues.DeepClone(),
        };
        var result = await lambda.InvokeAsync(new LambdaInvokeRequest(scope.AccountId, scope.Region, macro.FunctionName, null,
            JsonSerializer.SerializeToUtf8Bytes(request), null, null), run.Cancellation);
        var payload = Encoding.UTF8.GetString(result.Payload.Span);
        if (result.FunctionError is not null) throw Failed(scope, name, payload);
        if (result.Payload.Length > MaxFragmentBytes) throw Failed(scope, name, $"the response exceeds {MaxFragmentBytes} bytes");
        JsonObject response;
        try
        {
            response = JsonBody.Parse(payload) as JsonObject ?? throw new JsonException();
        }
        catch (JsonException)
        {
            throw Failed(scope, name, "the macro's response is not a JSON object");
        }
        if (!string.Equals(Text(response["status"]), "success", StringComparison.OrdinalIgnoreCase))
            throw Failed(scope, name, Text(response["errorMessage"]) ?? "the macro answered no errorMessage");
        if (Text(response["requestId"]) != requestId) throw Failed(scope, name, $"the response's requestId does not match the request's {requestId}");
        return response.TryGetPropertyValue("fragment", out var processed)
            ? Detached(processed)
            : throw Failed(scope, name, "the response has no fragment");
    }

    private static void Count(Run run)
    {
        if (++run.Invocations > MaxInvocations)
            throw TemplateError.Validation($"The template runs more than {MaxInvocations} macros and includes.");
    }

    private static string TransformId(Scope scope, string name) => $"{scope.AccountId}::{name}";

    private static AwsException Failed(Scope scope, string name, string message) =>
        TemplateError.Validation($"Transform {TransformId(scope, name)} failed with: {message}");

    private static string? Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>
    /// templateParameterValues: every declared parameter's value, the supplied one, the previous one (UsePreviousValue) or its
    /// Default, as CloudFormation evaluates them.
    /// </summary>
    private static JsonObject ParameterValues(JsonObject root, IReadOnlyList<SuppliedParameter> supplied, IReadOnlyDictionary<string, string>? previous)
    {
        var values = new JsonObject();
        if (root["Parameters"] is not JsonObject declared) return values;
        foreach (var (name, definition) in declared)
        {
            var given = supplied.LastOrDefault(p => p.Key == name);
            var value = given is { UsePreviousValue: true } ? previous?.GetValueOrDefault(name)
                : given?.Value ?? (definition?["Default"] is { } d ? Template.Text(d) : null);
            if (value is not null) values[name] = value;
        }
        return values;
    }
}
