using System.Text;
using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Templates.Serverless;

namespace Stratus.Services.CloudFormation.Templates.LanguageExtensions;

/// <summary>
/// The AWS::LanguageExtensions transform, run once where a template enters (Macros/TemplateProcessor) in its place in the
/// Transform list. It expands every Fn::ForEach::LoopName in Conditions, Resources and Outputs (resource properties
/// included), then rewrites the functions and forms the transform adds into plain CloudFormation: Fn::Length and
/// Fn::ToJsonString become their values, Fn::FindInMap with a DefaultValue or intrinsic arguments its looked-up value,
/// Ref and Fn::GetAtt with intrinsic arguments their literal forms, and intrinsic DeletionPolicy, UpdateReplacePolicy and
/// Condition attributes their names. Everything else (a Ref to a parameter in a property, a Fn::Sub of a resource's
/// attribute) is left for the stack engine, as AWS's processed template leaves it.
/// </summary>
public static class LanguageExtensionsTransform
{
    public const string Name = "AWS::LanguageExtensions";

    /// <summary>AWS's bound on Fn::ForEach loops nested in one another.</summary>
    public const int MaxLoopDepth = 5;

    private const string LoopPrefix = "Fn::ForEach::";
    private static readonly string[] LoopSections = ["Conditions", "Resources", "Outputs"];
    private static readonly HashSet<string> DeletionPolicies = ["Delete", "Retain", "RetainExceptOnCreate", "Snapshot"];
    private static readonly HashSet<string> UpdateReplacePolicies = ["Delete", "Retain", "Snapshot"];

    /// <summary>
    /// The processed template. <paramref name="parameterValues"/> are the values the stack is created or updated with
    /// (supplied, previous or default), which Fn::ForEach collections, Fn::Length and the rest may Ref;
    /// <paramref name="maxBytes"/> bounds what the loops may produce.
    /// </summary>
    public static JsonObject Expand(JsonObject root, IReadOnlyDictionary<string, string> parameterValues, string accountId, string region, int maxBytes)
    {
        foreach (var (section, content) in root)
            if (!LoopSections.Contains(section) && HasLoop(content))
                throw Failed($"Fn::ForEach is not supported in the {section} section; use it in Conditions, Resources or Outputs.");

        // The resolver reads the template's sections as they stand, so conditions are evaluated from their expanded form.
        var resolver = new StaticResolver(root, parameterValues, accountId, region);
        var loops = new LoopExpansion(resolver, maxBytes);
        foreach (var section in LoopSections)
            if (root[section] is JsonObject content)
                root[section] = loops.Section(content);

        if (root["Conditions"] is JsonObject conditions)
            foreach (var name in conditions.Select(p => p.Key).ToList())
                conditions[name] = Detached(resolver.Rewrite(conditions[name]));
        if (root["Resources"] is JsonObject resources)
        {
            if (resources.Count > SamTransform.MaxResources)
                throw TemplateError.Format($"Number of resources, {resources.Count}, is greater than maximum allowed, {SamTransform.MaxResources}");
            foreach (var name in loops.Names.Where(resources.ContainsKey))
                throw Failed($"The loop name {LoopPrefix}{name} conflicts with the logical ID {name} in the Resources section.");
            foreach (var (logicalId, resource) in resources)
                if (resource is JsonObject definition) RewriteResource(logicalId, definition, resolver);
        }
        if (root["Outputs"] is JsonObject outputs)
            foreach (var name in outputs.Select(p => p.Key).ToList())
                outputs[name] = Detached(resolver.Rewrite(outputs[name]));
        return root;
    }

    /// <summary>A resource's attributes and properties: intrinsic DeletionPolicy, UpdateReplacePolicy and Condition resolved to their names.</summary>
    private static void RewriteResource(string logicalId, JsonObject resource, StaticResolver resolver)
    {
        foreach (var key in resource.Select(p => p.Key).ToList())
        {
            var value = resource[key];
            switch (key)
            {
                case "DeletionPolicy" or "UpdateReplacePolicy" when value is JsonObject:
                    var policy = resolver.ResolveText(value, $"{key} of resource {logicalId}");
                    var allowed = key == "DeletionPolicy" ? DeletionPolicies : UpdateReplacePolicies;
                    if (!allowed.Contains(policy))
                        throw Failed($"{key} of resource {logicalId} resolved to {policy}; it must be one of [{string.Join(", ", allowed)}].");
                    resource[key] = policy;
                    break;
                case "Condition" when value is JsonObject:
                    var condition = resolver.Resolve(value, $"Condition of resource {logicalId}");
                    if (StaticResolver.IsNoValue(condition)) resource.Remove(key);
                    else resource[key] = TemplateEvaluator.Stringify(condition, $"Condition of resource {logicalId}");
                    break;
                default:
                    resource[key] = Detached(resolver.Rewrite(value));
                    break;
            }
        }
    }

    private static bool HasLoop(JsonNode? node) => node switch
    {
        JsonObject o => o.Any(p => p.Key.StartsWith(LoopPrefix, StringComparison.Ordinal) || HasLoop(p.Value)),
        JsonArray a => a.Any(HasLoop),
        _ => false,
    };

    internal static bool IsLoop(string key) => key.StartsWith(LoopPrefix, StringComparison.Ordinal);

    internal static JsonNode? Detached(JsonNode? node) => node?.Parent is null ? node : node.DeepClone();

    /// <summary>AWS's wording for a transform's failure: "Transform AWS::LanguageExtensions failed with: ...".</summary>
    internal static Protocols.AwsException Failed(string message) => TemplateError.Validation($"Transform {Name} failed with: {message}");

    /// <summary>AWS's words for a function written in a shape it cannot read.</summary>
    internal static Protocols.AwsException Layout(string function) => Failed($"{function} layout is incorrect");

    /// <summary>
    /// Fn::ForEach::LoopName: [Identifier, Collection, {OutputKey: OutputValue}]: the fragment copied once per item of the
    /// collection, with ${Identifier} (the item) and &amp;{Identifier} (the item without its non-alphanumeric characters)
    /// replaced in its keys and strings, and {"Ref": Identifier} replaced by the item.
    /// </summary>
    private sealed class LoopExpansion(StaticResolver resolver, int maxBytes)
    {
        private long _producedBytes;
        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);

        public JsonObject Section(JsonObject section)
        {
            // Names are read from the template as written: a nested loop is copied once per item of its enclosing one.
            RegisterNames(section);
            return (JsonObject)Expand(section, [], 0)!;
        }

        private void RegisterNames(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj)
                    {
                        if (IsLoop(key))
                        {
                            var name = key[LoopPrefix.Length..];
                            if (name.Length == 0 || !name.All(char.IsAsciiLetterOrDigit)) throw Failed($"The loop name of {key} must be alphanumeric.");
                            if (!Names.Add(name)) throw Failed($"The loop name {key} is used more than once in the template.");
                        }
                        RegisterNames(value);
                    }
                    break;
                case JsonArray array:
                    foreach (var item in array) RegisterNames(item);
                    break;
            }
        }

        private JsonNode? Expand(JsonNode? node, IReadOnlyList<string> identifiers, int depth)
        {
            switch (node)
            {
                case JsonObject obj:
                    var result = new JsonObject();
                    foreach (var (key, value) in obj)
                    {
                        if (IsLoop(key))
                            foreach (var (producedKey, produced) in Loop(key, value, identifiers, depth + 1)) Add(result, producedKey, produced);
                        else Add(result, key, Expand(value, identifiers, depth));
                    }
                    return result;
                case JsonArray array:
                    return new JsonArray(array.Select(item => Expand(item, identifiers, depth)).ToArray());
                default:
                    return node?.DeepClone();
            }
        }

        private static Protocols.AwsException Duplicate(string key) => Failed($"Fn::ForEach produces the key {key}, which is already declared at the same level.");

        private static void Add(JsonObject target, string key, JsonNode? value)
        {
            if (target.ContainsKey(key)) throw Duplicate(key);
            target[key] = Detached(value);
        }

        private IEnumerable<KeyValuePair<string, JsonNode?>> Loop(string key, JsonNode? definition, IReadOnlyList<string> identifiers, int depth)
        {
            if (depth > MaxLoopDepth) throw Failed($"{key} is nested more than {MaxLoopDepth} Fn::ForEach loops deep.");
            if (definition is not JsonArray { Count: 3 } parts || parts[0] is not JsonValue identifierNode
                || !identifierNode.TryGetValue<string>(out var identifier) || identifier.Length == 0 || parts[2] is not JsonObject fragment)
                throw Layout("Fn::ForEach");
            if (identifiers.Contains(identifier))
                throw Failed($"The identifier {identifier} of {key} is already the identifier of an enclosing Fn::ForEach loop.");
            foreach (var outputKey in fragment.Select(p => p.Key).Where(k => !IsLoop(k)))
                if (!outputKey.Contains("${" + identifier + "}", StringComparison.Ordinal) && !outputKey.Contains("&{" + identifier + "}", StringComparison.Ordinal))
                    throw Failed($"The key {outputKey} in {key} must contain ${{{identifier}}} or &{{{identifier}}}, so each item of the collection gives its own key.");

            var items = Collection(key, parts[1]);
            var fragmentBytes = Encoding.UTF8.GetByteCount(fragment.ToJsonString());
            var inner = identifiers.Append(identifier).ToList();
            foreach (var item in items)
            {
                // Counted before the copy is made: nested loops multiply, and the bound must hold before memory does.
                _producedBytes += fragmentBytes + item.Length;
                if (_producedBytes > maxBytes) throw TemplateError.Validation($"The processed template exceeds {maxBytes} bytes.");
                var copy = (JsonObject)Substitute(fragment, identifier, item)!;
                foreach (var (producedKey, value) in copy)
                {
                    if (IsLoop(producedKey))
                        foreach (var nested in Loop(producedKey, value, inner, depth + 1)) yield return nested;
                    else yield return new(producedKey, Expand(value, inner, depth));
                }
            }
        }

        /// <summary>
        /// The collection's items: a list of strings (numbers and booleans as text, functions resolved), or a function giving one:
        /// a Ref to a CommaDelimitedList or List parameter, or another the template's parameters and mappings resolve.
        /// </summary>
        private List<string> Collection(string key, JsonNode? collection) => collection switch
        {
            JsonArray list => list.Select(item => resolver.ResolveText(item, $"the collection of {key}")).ToList(),
            JsonObject function => resolver.ResolveList(function, $"the collection of {key}"),
            _ => throw Layout("Fn::ForEach"),
        };

        private static JsonNode? Substitute(JsonNode? node, string identifier, string item)
        {
            switch (node)
            {
                case JsonObject obj:
                    if (obj.Count == 1 && obj["Ref"] is JsonValue r && r.TryGetValue<string>(out var target) && target == identifier)
                        return JsonValue.Create(item);
                    var result = new JsonObject();
                    foreach (var (key, value) in obj)
                    {
                        var replacedKey = Replaced(key, identifier, item);
                        if (result.ContainsKey(replacedKey)) throw Duplicate(replacedKey);
                        result[replacedKey] = Substitute(value, identifier, item);
                    }
                    return result;
                case JsonArray array:
                    return new JsonArray(array.Select(i => Substitute(i, identifier, item)).ToArray());
                case JsonValue value when value.TryGetValue<string>(out var text):
                    return JsonValue.Create(Replaced(text, identifier, item));
                default:
                    return node?.DeepClone();
            }
        }

        private static string Replaced(string text, string identifier, string item) =>
            text.Contains('{') ? text.Replace("${" + identifier + "}", item, StringComparison.Ordinal)
                .Replace("&{" + identifier + "}", new string(item.Where(char.IsAsciiLetterOrDigit).ToArray()), StringComparison.Ordinal) : text;
    }
}
