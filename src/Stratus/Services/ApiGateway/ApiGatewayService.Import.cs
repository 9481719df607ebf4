using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using static Stratus.Services.ApiGateway.ApiGatewayErrors;

namespace Stratus.Services.ApiGateway;

/// <summary>
/// ImportRestApi and PutRestApi: an OpenAPI 3 or Swagger 2 definition with API Gateway's
/// x-amazon-apigateway-* extensions becomes resources, methods, method responses, integrations and
/// integration responses, made through the same calls the control plane's own operations use.
/// </summary>
public sealed partial class ApiGatewayService
{
    private static readonly string[] OpenApiOperations = ["get", "put", "post", "delete", "options", "head", "patch", "x-amazon-apigateway-any-method"];

    /// <summary>A new REST API from a definition, named by its info.title.</summary>
    public RestApi ImportRestApi(Scope scope, JsonObject definition)
    {
        var info = definition["info"] as JsonObject;
        var title = Text(info?["title"]) ?? throw BadRequest("Invalid OpenAPI input. The API name is missing from info.title.");
        var api = CreateRestApi(scope, new RestApiSettings(title, Text(info?["description"]), Text(info?["version"]),
            BinaryMediaTypes(definition), null, null, null, null, null, false));
        try
        {
            return PutRestApi(scope, api.Id, definition, "overwrite");
        }
        catch
        {
            DeleteRestApi(scope, api.Id);
            throw;
        }
    }

    /// <summary>
    /// Applies a definition to an existing API: "overwrite" replaces its whole resource tree, "merge"
    /// adds to it (a method in both takes the definition's). All or nothing: a failure restores the API.
    /// </summary>
    public RestApi PutRestApi(Scope scope, string apiId, JsonObject definition, string mode)
    {
        if (mode is not ("overwrite" or "merge")) throw BadRequest($"Invalid mode specified: {mode}. Valid options are overwrite,merge");
        var key = ApiKey(scope, apiId);
        var before = Api(scope, apiId);
        try
        {
            if (definition["paths"] is not JsonObject paths) throw BadRequest("Invalid OpenAPI input. The paths object is missing.");
            MutateApi(scope, apiId, doc =>
            {
                if (mode == "overwrite")
                {
                    var root = doc.Resources[doc.Api.RootResourceId];
                    root.ResourceMethods = null;
                    doc.Resources = new Dictionary<string, ApiResource> { [root.Id] = root };
                }
                if (BinaryMediaTypes(definition) is { } media) doc.Api.BinaryMediaTypes = media;
            });
            foreach (var (path, item) in paths.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                var resourceId = EnsurePath(scope, apiId, path);
                var shared = (item as JsonObject)?["parameters"] as JsonArray;
                foreach (var verb in OpenApiOperations)
                    if (item?[verb] is JsonObject operation) ImportOperation(scope, apiId, resourceId, verb, operation, shared, mode == "merge");
            }
            return GetRestApi(scope, apiId);
        }
        catch (Exception e) when (e is AwsException or InvalidOperationException or FormatException)
        {
            _apis.Put(key, before);
            throw e as AwsException ?? BadRequest($"Invalid OpenAPI input: {e.Message}");
        }
    }

    private string EnsurePath(Scope scope, string apiId, string path)
    {
        if (!path.StartsWith('/')) throw BadRequest($"Invalid OpenAPI input. Path '{path}' must start with '/'.");
        var doc = Api(scope, apiId);
        var current = doc.Resources[doc.Api.RootResourceId];
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var child = Api(scope, apiId).Resources.Values.FirstOrDefault(r => r.ParentId == current.Id && r.PathPart == part);
            current = child ?? CreateResource(scope, apiId, new ResourceSettings(current.Id, part));
        }
        return current.Id;
    }

    private void ImportOperation(Scope scope, string apiId, string resourceId, string verb, JsonObject operation, JsonArray? shared, bool replaceExisting)
    {
        var httpMethod = verb == "x-amazon-apigateway-any-method" ? "ANY" : verb.ToUpperInvariant();
        if (replaceExisting && Resource(Api(scope, apiId), resourceId).ResourceMethods?.ContainsKey(httpMethod) == true)
            DeleteMethod(scope, apiId, resourceId, httpMethod);

        var requestParameters = new Dictionary<string, bool>();
        foreach (var parameter in (shared ?? []).Concat(operation["parameters"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var location = Text(parameter["in"]) switch { "path" => "path", "query" => "querystring", "header" => "header", _ => null };
            if (location is not null && Text(parameter["name"]) is { } parameterName)
                requestParameters[$"method.request.{location}.{parameterName}"] = parameter["required"]?.GetValue<bool>() ?? false;
        }
        var authorization = operation["security"] is JsonArray { Count: > 0 } security
            && security.OfType<JsonObject>().Any(s => s.ContainsKey("sigv4")) ? "AWS_IAM" : "NONE";
        PutMethod(scope, apiId, resourceId, httpMethod, new MethodSettings(authorization, null, ApiKeyRequired: false, Text(operation["operationId"]),
            requestParameters, null, null, null));

        foreach (var (status, response) in operation["responses"] as JsonObject ?? [])
        {
            if (status.Length != 3 || !status.All(char.IsAsciiDigit)) continue;
            var headers = ((response as JsonObject)?["headers"] as JsonObject ?? []).ToDictionary(h => "method.response.header." + h.Key, _ => false);
            PutMethodResponse(scope, apiId, resourceId, httpMethod, new MethodResponseSettings(status, headers, null));
        }

        if (operation["x-amazon-apigateway-integration"] is not JsonObject integration) return;
        var type = Text(integration["type"])?.ToUpperInvariant() ?? throw BadRequest("Invalid OpenAPI input. x-amazon-apigateway-integration has no type.");
        PutIntegration(scope, apiId, resourceId, httpMethod, new IntegrationSettings(type, Text(integration["httpMethod"]), Text(integration["uri"]),
            Text(integration["connectionType"])?.ToUpperInvariant(), Text(integration["credentials"]), TextMap(integration["requestParameters"]),
            TextMap(integration["requestTemplates"]), Text(integration["passthroughBehavior"])?.ToUpperInvariant(),
            Text(integration["contentHandling"])?.ToUpperInvariant(), integration["timeoutInMillis"] is { } timeout ? int.Parse(Text(timeout)!) : null,
            Text(integration["cacheNamespace"]), (integration["cacheKeyParameters"] as JsonArray)?.Select(Text).OfType<string>().ToList()));

        foreach (var (pattern, node) in integration["responses"] as JsonObject ?? [])
        {
            if (node is not JsonObject response) continue;
            var status = Text(response["statusCode"]) ?? throw BadRequest($"Invalid OpenAPI input. Integration response '{pattern}' has no statusCode.");
            var responseParameters = TextMap(response["responseParameters"]);
            var method = GetMethod(scope, apiId, resourceId, httpMethod);
            if (method.MethodResponses?.ContainsKey(status) != true)
                PutMethodResponse(scope, apiId, resourceId, httpMethod, new MethodResponseSettings(status,
                    responseParameters?.Keys.Where(k => k.StartsWith("method.response.header.", StringComparison.Ordinal)).ToDictionary(k => k, _ => false), null));
            PutIntegrationResponse(scope, apiId, resourceId, httpMethod, new IntegrationResponseSettings(status, pattern == "default" ? null : pattern,
                responseParameters, TextMap(response["responseTemplates"]), Text(response["contentHandling"])?.ToUpperInvariant()));
        }
    }

    private static List<string>? BinaryMediaTypes(JsonObject definition) =>
        (definition["x-amazon-apigateway-binary-media-types"] as JsonArray)?.Select(Text).OfType<string>().ToList();

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v => v.ToJsonString(),
        _ => throw BadRequest($"Invalid OpenAPI input. Expected a value, found {node.ToJsonString()}"),
    };

    private static Dictionary<string, string>? TextMap(JsonNode? node) =>
        (node as JsonObject)?.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => Text(p.Value)!);
}
