using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Services.CloudFormation.Templates.Serverless;

/// <summary>
/// The AWS::Serverless-2016-10-31 transform: AWS::Serverless::* resources become the CloudFormation
/// resources AWS documents under "Generated AWS CloudFormation resources", with the same logical ids
/// (MyFunctionRole, ServerlessRestApi, ServerlessRestApiProdStage, MyFunctionGetRootPermissionProd...) so
/// templates that Ref or GetAtt them, and the usual execute-api output, work unchanged. Everything else
/// in the template passes through untouched.
/// </summary>
public static class SamTransform
{
    /// <summary>CloudFormation's limit on resources in one stack, checked on the expanded template since expansion multiplies them.</summary>
    public const int MaxResources = 500;

    public const string FunctionType = "AWS::Serverless::Function";
    public const string ApiType = "AWS::Serverless::Api";

    /// <summary>SAM resource types Stratus cannot build, with the reason named in the error.</summary>
    private static readonly Dictionary<string, string> NotBuilt = new(StringComparer.Ordinal)
    {
        ["AWS::Serverless::SimpleTable"] = "Stratus does not serve DynamoDB (AWS::DynamoDB::Table)",
        ["AWS::Serverless::Application"] = "Stratus does not serve the Serverless Application Repository (a nested AWS::CloudFormation::Stack from Stratus's S3 is served)",
        ["AWS::Serverless::StateMachine"] = "Stratus does not serve Step Functions (AWS::StepFunctions::StateMachine)",
        ["AWS::Serverless::Connector"] = "Stratus does not build SAM connectors",
        ["AWS::Serverless::GraphQLApi"] = "Stratus does not serve AppSync (AWS::AppSync::GraphQLApi)",
    };

    public static JsonObject Expand(JsonObject root)
    {
        var globals = SamGlobals.Read(root["Globals"]);
        if (root["Resources"] is not JsonObject resources) return Without(root, new JsonObject());

        var output = new JsonObject();
        var bindings = new List<ApiBinding>();
        var buckets = new List<S3Binding>();
        var apis = new List<(string Id, JsonObject Raw, JsonObject Properties)>();
        var httpApis = new List<(string Id, JsonObject Raw, JsonObject Properties)>();
        var layers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (id, node) in resources)
        {
            if (node is not JsonObject raw || raw["Type"] is not JsonValue typeNode || typeNode.GetValueKind() != JsonValueKind.String
                || !typeNode.GetValue<string>().StartsWith("AWS::Serverless::", StringComparison.Ordinal))
            {
                output[id] = node?.DeepClone();
                continue;
            }
            var type = typeNode.GetValue<string>();
            if (NotBuilt.TryGetValue(type, out var reason)) throw SamErrors.NotServed(id, $"{type}: {reason}.");
            var properties = raw["Properties"] switch
            {
                null => new JsonObject(),
                JsonObject p => p,
                _ => throw SamErrors.Invalid(id, "Properties must be an object."),
            };
            properties = SamGlobals.Apply(globals, type, properties);
            switch (type)
            {
                case FunctionType:
                    SamFunction.Expand(id, raw, properties, output, bindings, buckets);
                    break;
                case ApiType:
                    apis.Add((id, raw, properties));
                    break;
                case SamHttpApi.HttpApiType:
                    httpApis.Add((id, raw, properties));
                    break;
                case SamLayerVersion.LayerType:
                    layers[id] = SamLayerVersion.Expand(id, raw, properties, output);
                    break;
                default:
                    throw SamErrors.Invalid(id, $"Resource type {type} is not a known AWS::Serverless resource type.");
            }
        }

        SamEvents.ApplyS3(buckets, output);
        var httpBindings = bindings.Where(b => b.HttpApi).ToList();
        SamHttpApi.ExpandAll(httpApis, httpBindings, globals, output);
        bindings = bindings.Where(b => !b.HttpApi).ToList();
        foreach (var binding in bindings.Where(b => b.ApiId is not null && !apis.Any(a => a.Id == b.ApiId)))
            throw SamErrors.Invalid(binding.FunctionId, $"Event with id [{binding.EventId}] is invalid. RestApiId must be a valid reference to an '{ApiType}' resource in same template.");
        foreach (var (id, raw, properties) in apis)
            SamApi.Expand(id, raw, properties, bindings.Where(b => b.ApiId == id).ToList(), output);
        var implicitBindings = bindings.Where(b => b.ApiId is null).ToList();
        if (implicitBindings.Count > 0)
        {
            if (output.ContainsKey(SamApi.ImplicitApiId))
                throw SamErrors.Document($"Resource with id [{SamApi.ImplicitApiId}] is reserved for the implicit API that Api events create.");
            SamApi.ExpandImplicit(SamGlobals.Apply(globals, ApiType, new JsonObject()), implicitBindings, output);
        }

        if (output.Count > MaxResources)
            throw TemplateError.Format($"Number of resources, {output.Count}, is greater than maximum allowed, {MaxResources}");
        var expanded = Without(root, output);
        if (layers.Count > 0) PointAtGenerated(expanded, layers);
        return expanded;
    }

    /// <summary>
    /// Rewrites Ref, Fn::GetAtt and DependsOn of a SAM logical id to the id its resource was generated under (a layer's
    /// hashed id), everywhere in the template: functions' Layers, outputs, other resources.
    /// </summary>
    private static void PointAtGenerated(JsonNode? node, IReadOnlyDictionary<string, string> generated)
    {
        switch (node)
        {
            case JsonObject o:
                if (Text(o["Ref"]) is { } target && generated.TryGetValue(target, out var refId)) o["Ref"] = refId;
                if (o["Fn::GetAtt"] is JsonArray { Count: > 0 } getAtt && Text(getAtt[0]) is { } of && generated.TryGetValue(of, out var attId))
                    getAtt[0] = attId;
                if (Text(o["DependsOn"]) is { } dependency && generated.TryGetValue(dependency, out var dependsId)) o["DependsOn"] = dependsId;
                foreach (var (_, child) in o.ToList()) PointAtGenerated(child, generated);
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (Text(a[i]) is { } name && generated.TryGetValue(name, out var id) && a.Parent is JsonObject parent && parent["DependsOn"] == a)
                        a[i] = id;
                    else PointAtGenerated(a[i], generated);
                }
                break;
        }
    }

    /// <summary>The template's other sections as they were, Transform and Globals gone, Resources replaced.</summary>
    private static JsonObject Without(JsonObject root, JsonObject resources)
    {
        var result = new JsonObject();
        foreach (var (key, value) in root)
        {
            if (key is "Transform" or "Globals") continue;
            result[key] = key == "Resources" ? resources : value?.DeepClone();
        }
        return result;
    }

    // ---- pieces shared by the function and API expansions ----

    public static JsonObject Ref(string logicalId) => new() { ["Ref"] = logicalId };

    public static JsonObject GetAtt(string logicalId, string attribute) => new() { ["Fn::GetAtt"] = new JsonArray(logicalId, attribute) };

    public static JsonObject Sub(string text, JsonObject? variables = null) =>
        new() { ["Fn::Sub"] = variables is null ? text : new JsonArray(text, variables) };

    public static JsonObject Resource(string type, JsonObject properties, JsonObject? from = null, bool copyAttributes = false)
    {
        var resource = new JsonObject { ["Type"] = type };
        // The SAM resource's Condition follows everything it generates; its other attributes only the main resource.
        if (from?["Condition"] is { } condition) resource["Condition"] = condition.DeepClone();
        if (copyAttributes && from is not null)
            foreach (var attribute in new[] { "DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "Metadata" })
                if (from[attribute] is { } value) resource[attribute] = value.DeepClone();
        resource["Properties"] = properties;
        return resource;
    }

    /// <summary>
    /// The 10 hex digits SAM appends to logical ids that must change when their content does
    /// (MyFunctionVersion926eeb5ff1, ServerlessRestApiDeployment47fc2d5f9d): a SHA-1 of the content.
    /// </summary>
    public static string Hash(params JsonNode?[] content)
    {
        var text = string.Join("\n", content.Select(c => c?.ToJsonString() ?? "null"));
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(text)));
    }

    public static string? Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>Whether the node is an intrinsic function call ({"Ref": ...}, {"Fn::...": ...}), whose value is known only at deploy time.</summary>
    public static bool IsIntrinsic(JsonNode? node) =>
        node is JsonObject { Count: 1 } o && o.First().Key is var key && (key == "Ref" || key.StartsWith("Fn::", StringComparison.Ordinal) || key == "Condition");

    /// <summary>Tags as CloudFormation lists them, led by the lambda:createdBy tag SAM puts on what it generates for functions.</summary>
    public static JsonArray SamTags(JsonObject? tags)
    {
        var list = new JsonArray(new JsonObject { ["Key"] = "lambda:createdBy", ["Value"] = "SAM" });
        foreach (var (key, value) in tags ?? []) list.Add(new JsonObject { ["Key"] = key, ["Value"] = value?.DeepClone() });
        return list;
    }
}

/// <summary>An Api event of a function: the route it adds to an API's definition and whom that route invokes.</summary>
/// <param name="ApiId">The AWS::Serverless::Api it names with RestApiId, or null for the implicit ServerlessRestApi.</param>
/// <param name="InvokeTarget">What the integration URI names in Fn::Sub: "MyFunction.Arn", or the alias's logical id.</param>
public sealed record ApiBinding(string FunctionId, string EventId, string? ApiId, string Path, string Method, string InvokeTarget, JsonObject FunctionRef, JsonObject? Condition)
{
    /// <summary>An HttpApi event (a route on an AWS::Serverless::HttpApi) rather than an Api event.</summary>
    public bool HttpApi { get; init; }
    public JsonNode? PayloadFormatVersion { get; init; }
    public JsonNode? TimeoutInMillis { get; init; }
}

/// <summary>The transform's failures, worded as AWS reports a SAM document it cannot transform.</summary>
public static class SamErrors
{
    private const string Prefix = "Transform " + TemplateTransforms.Serverless + " failed with: ";

    public static Protocols.AwsException Document(string message) =>
        TemplateError.Validation($"{Prefix}Invalid Serverless Application Specification document. Number of errors found: 1. {message}");

    public static Protocols.AwsException Invalid(string logicalId, string message) => Document($"Resource with id [{logicalId}] is invalid. {message}");

    /// <summary>Valid SAM that needs a service Stratus does not serve: said plainly, not deployed half-built.</summary>
    public static Protocols.AwsException NotServed(string logicalId, string message) =>
        TemplateError.Validation($"{Prefix}Resource with id [{logicalId}] cannot be built: {message}");
}
