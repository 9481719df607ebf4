using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stratus.Services.CloudFormation.Templates.Serverless;

/// <summary>
/// AWS::Serverless::HttpApi and the implicit ServerlessHttpApi that HttpApi events without ApiId share, as
/// SAM generates them: an AWS::ApiGatewayV2::Api whose OpenAPI 3 body holds the functions' routes as
/// aws_proxy integrations (payload format 2.0 unless the event says otherwise) and the CORS configuration;
/// the stage (&lt;Api&gt;ApiGatewayDefaultStage for $default, with auto-deploy); and each route's Lambda permission.
/// </summary>
public static partial class SamHttpApi
{
    public const string HttpApiType = "AWS::Serverless::HttpApi";
    public const string ImplicitApiId = "ServerlessHttpApi";
    private const string DefaultStage = "$default";

    private static readonly HashSet<string> Built =
    [
        "StageName", "Name", "Description", "DefinitionBody", "CorsConfiguration", "DisableExecuteApiEndpoint", "Tags", "StageVariables",
        "AccessLogSettings", "FailOnWarnings", "DefaultRouteSettings", "RouteSettings", "Domain",
    ];

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex PathParameter();

    public static void ExpandAll(IReadOnlyList<(string Id, JsonObject Raw, JsonObject Properties)> apis, IReadOnlyList<ApiBinding> bindings,
        IReadOnlyDictionary<string, JsonObject> globals, JsonObject output)
    {
        foreach (var binding in bindings.Where(b => b.ApiId is not null && !apis.Any(a => a.Id == b.ApiId)))
            throw SamErrors.Invalid(binding.FunctionId, $"Event with id [{binding.EventId}] is invalid. ApiId must be a valid reference to an '{HttpApiType}' resource in same template.");
        foreach (var (id, raw, properties) in apis)
            Build(id, raw, properties, bindings.Where(b => b.ApiId == id).ToList(), output);
        var implicitBindings = bindings.Where(b => b.ApiId is null).ToList();
        if (implicitBindings.Count == 0) return;
        if (output.ContainsKey(ImplicitApiId))
            throw SamErrors.Document($"Resource with id [{ImplicitApiId}] is reserved for the implicit API that HttpApi events create.");
        Build(ImplicitApiId, null, SamGlobals.Apply(globals, HttpApiType, new JsonObject()), implicitBindings, output);
    }

    private static void Build(string id, JsonObject? raw, JsonObject p, IReadOnlyList<ApiBinding> bindings, JsonObject output)
    {
        foreach (var (name, _) in p.Where(property => !Built.Contains(property.Key)))
            throw SamErrors.NotServed(id, $"Stratus does not build the {HttpApiType} property {name}.");
        var stageName = p["StageName"] is { } stageNode
            ? SamTransform.Text(stageNode) ?? throw SamErrors.Invalid(id, "'StageName' must be a literal string on Stratus (it is not resolved from parameters).")
            : DefaultStage;

        var body = p["DefinitionBody"] is { } given
            ? (JsonObject)(given as JsonObject ?? throw SamErrors.Invalid(id, "'DefinitionBody' must be a dictionary.")).DeepClone()
            : new JsonObject
            {
                ["openapi"] = "3.0.1",
                ["info"] = new JsonObject { ["version"] = "1.0", ["title"] = p["Name"]?.DeepClone() ?? SamTransform.Ref("AWS::StackName") },
                ["paths"] = new JsonObject(),
            };
        var paths = body["paths"] as JsonObject ?? (JsonObject)(body["paths"] = new JsonObject());
        foreach (var binding in bindings) AddRoute(id, paths, binding);
        if (p["CorsConfiguration"] is { } cors) body["x-amazon-apigateway-cors"] = Cors(id, cors);

        var api = new JsonObject { ["Body"] = body };
        foreach (var name in new[] { "Description", "DisableExecuteApiEndpoint", "FailOnWarnings" })
            if (p[name] is { } value) api[name] = value.DeepClone();
        // SAM tags what it generates for HTTP APIs with httpapi:createdBy; v2 resources take tags as a map.
        var tags = new JsonObject { ["httpapi:createdBy"] = "SAM" };
        foreach (var (key, value) in p["Tags"] as JsonObject ?? []) tags[key] = value?.DeepClone();
        api["Tags"] = tags;
        output[id] = SamTransform.Resource("AWS::ApiGatewayV2::Api", api, raw, copyAttributes: true);

        var stage = new JsonObject
        {
            ["ApiId"] = SamTransform.Ref(id),
            ["StageName"] = stageName,
            ["AutoDeploy"] = true,
        };
        foreach (var name in new[] { "StageVariables", "AccessLogSettings", "DefaultRouteSettings", "RouteSettings" })
            if (p[name] is { } value) stage[name] = value.DeepClone();
        var stageId = StageId(id, stageName);
        output[stageId] = SamTransform.Resource("AWS::ApiGatewayV2::Stage", stage, raw);
        if (p["Domain"] is { } domain) SamDomain.AddHttp(id, domain, stageId, raw, output);

        foreach (var binding in bindings) output[binding.FunctionId + binding.EventId + "Permission"] = Permission(id, binding);
    }

    /// <summary>&lt;Api&gt;ApiGatewayDefaultStage for $default; &lt;Api&gt;&lt;Stage&gt;Stage otherwise (a hash for names that cannot be in an id).</summary>
    private static string StageId(string id, string stageName) =>
        stageName == DefaultStage ? id + "ApiGatewayDefaultStage"
        : stageName.All(char.IsLetterOrDigit) ? id + stageName + "Stage"
        : id + "Stage" + Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(stageName)))[..10];

    private static void AddRoute(string apiId, JsonObject paths, ApiBinding binding)
    {
        var path = paths[binding.Path] as JsonObject ?? (JsonObject)(paths[binding.Path] = new JsonObject());
        var key = binding.Method == "any" ? "x-amazon-apigateway-any-method" : binding.Method;
        if (path[key] is JsonObject existing && existing.ContainsKey("x-amazon-apigateway-integration"))
            throw SamErrors.Invalid(apiId, $"HTTP API method '{binding.Method}' defined multiple times for path '{binding.Path}'.");
        var operation = path[key] as JsonObject ?? (JsonObject)(path[key] = new JsonObject());
        var integration = new JsonObject
        {
            ["type"] = "aws_proxy",
            ["httpMethod"] = "POST",
            ["uri"] = SamTransform.Sub(
                $"arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{binding.InvokeTarget}}}/invocations"),
            ["payloadFormatVersion"] = binding.PayloadFormatVersion?.DeepClone() ?? "2.0",
        };
        if (binding.TimeoutInMillis is { } timeout) integration["timeoutInMillis"] = timeout.DeepClone();
        operation["x-amazon-apigateway-integration"] = integration;
        operation["responses"] ??= new JsonObject();
    }

    /// <summary>The route's permission from any stage: the method (* for ANY) and the path with {parameters} as *; the $default route any.</summary>
    private static JsonObject Permission(string apiId, ApiBinding binding)
    {
        var resource = binding.Path == "/$default" ? "*" : $"*/{(binding.Method == "any" ? "*" : binding.Method.ToUpperInvariant())}{PathParameter().Replace(binding.Path, "*")}";
        return SamTransform.Resource("AWS::Lambda::Permission", new JsonObject
        {
            ["Action"] = "lambda:InvokeFunction",
            ["FunctionName"] = binding.FunctionRef.DeepClone(),
            ["Principal"] = "apigateway.amazonaws.com",
            ["SourceArn"] = SamTransform.Sub($"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{__ApiId__}}/{resource}",
                new JsonObject { ["__ApiId__"] = SamTransform.Ref(apiId) }),
        }, binding.Condition);
    }

    /// <summary>CorsConfiguration: true allows every origin, header and method; a dictionary names them (SAM's PascalCase as the extension's camelCase).</summary>
    private static JsonObject Cors(string apiId, JsonNode cors)
    {
        if (cors is JsonValue flag && flag.TryGetValue<bool>(out var enabled))
            return enabled
                ? new JsonObject { ["allowOrigins"] = new JsonArray("*"), ["allowHeaders"] = new JsonArray("*"), ["allowMethods"] = new JsonArray("*") }
                : new JsonObject();
        if (cors is not JsonObject settings) throw SamErrors.Invalid(apiId, "'CorsConfiguration' must be true or a dictionary.");
        var result = new JsonObject();
        foreach (var (name, value) in settings)
            result[char.ToLowerInvariant(name[0]) + name[1..]] = value?.DeepClone();
        return result;
    }
}
