using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using static Stratus.Services.ApiGateway.ApiGatewayErrors;

namespace Stratus.Services.ApiGateway;

/// <summary>
/// ImportRestApi and PutRestApi: an OpenAPI 3 or Swagger 2 definition with API Gateway's
/// x-amazon-apigateway-* extensions becomes resources, methods, method responses, integrations, integration
/// responses, request validators and gateway responses, made through the same calls the control plane's own operations use.
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
            var schemes = ImportSecuritySchemes(scope, apiId, definition, mode == "overwrite");
            var validators = ImportRequestValidators(scope, apiId, definition, mode == "overwrite");
            var defaultValidator = ValidatorNamed(validators, Text(definition[ValidatorExtension]));
            ImportGatewayResponses(scope, apiId, definition, mode == "overwrite");
            ImportModels(scope, apiId, definition);
            foreach (var (path, item) in paths.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                var resourceId = EnsurePath(scope, apiId, path);
                var shared = (item as JsonObject)?["parameters"] as JsonArray;
                foreach (var verb in OpenApiOperations)
                    if (item?[verb] is JsonObject operation)
                        ImportOperation(scope, apiId, resourceId, verb, operation, shared, definition, mode == "merge", schemes,
                            operation.ContainsKey(ValidatorExtension) ? ValidatorNamed(validators, Text(operation[ValidatorExtension])) : defaultValidator);
            }
            // Documentation the definition carries is imported with the API, through ImportDocumentationParts in the same mode, as AWS reads it.
            if (definition.ContainsKey(DocumentationExtension)) ImportDocumentationParts(scope, apiId, definition, mode, failOnWarnings: false);
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

    /// <summary>What an imported security scheme stands for: a Lambda authorizer (with its id), SigV4 (AWS_IAM) or the API key.</summary>
    private sealed record ImportedScheme(string AuthorizationType, string? AuthorizerId, bool ApiKey);

    /// <summary>
    /// The definition's security schemes (Swagger's securityDefinitions, OpenAPI 3's components.securitySchemes): those with
    /// x-amazon-apigateway-authorizer become authorizers (in overwrite mode the API's others are dropped; in merge mode one of the
    /// same name is kept), x-amazon-apigateway-authtype awsSigv4 means AWS_IAM, and an apiKey scheme on x-api-key the API key.
    /// </summary>
    private Dictionary<string, ImportedScheme> ImportSecuritySchemes(Scope scope, string apiId, JsonObject definition, bool overwrite)
    {
        if (overwrite) MutateApi(scope, apiId, doc => doc.Authorizers.Clear());
        var declared = definition["securityDefinitions"] as JsonObject ?? (definition["components"] as JsonObject)?["securitySchemes"] as JsonObject ?? [];
        var schemes = new Dictionary<string, ImportedScheme>(StringComparer.Ordinal);
        foreach (var (name, node) in declared)
        {
            if (node is not JsonObject scheme) continue;
            var authType = Text(scheme["x-amazon-apigateway-authtype"]);
            if (scheme["x-amazon-apigateway-authorizer"] is JsonObject extension)
            {
                var existing = Api(scope, apiId).Authorizers.Values.FirstOrDefault(a => a.Name == name);
                var authorizer = existing ?? CreateAuthorizer(scope, apiId, new AuthorizerSettings(name, Text(extension["type"])?.ToUpperInvariant() ?? "TOKEN", null, authType,
                    Text(extension["authorizerUri"]), Text(extension["authorizerCredentials"]),
                    Text(extension["identitySource"]) ?? (Text(scheme["in"]) == "header" && Text(scheme["name"]) is { } header ? IdentitySourceHeader + header : null),
                    Text(extension["identityValidationExpression"]),
                    extension["authorizerResultTtlInSeconds"] is { } ttl ? int.Parse(Text(ttl)!, System.Globalization.CultureInfo.InvariantCulture) : null));
                schemes[name] = new ImportedScheme(authorizer.Type == "COGNITO_USER_POOLS" ? "COGNITO_USER_POOLS" : "CUSTOM", authorizer.Id, false);
            }
            else if (string.Equals(authType, "awsSigv4", StringComparison.OrdinalIgnoreCase)) schemes[name] = new ImportedScheme("AWS_IAM", null, false);
            else if (Text(scheme["type"]) == "apiKey" && string.Equals(Text(scheme["name"]), "x-api-key", StringComparison.OrdinalIgnoreCase))
                schemes[name] = new ImportedScheme("NONE", null, true);
        }
        return schemes;
    }

    /// <summary>
    /// x-amazon-apigateway-request-validators: each named validator becomes a request validator (in overwrite mode the API's others
    /// are dropped; in merge mode one of the same name is kept). Answers the validators' ids by name, for the methods naming them.
    /// </summary>
    private Dictionary<string, string> ImportRequestValidators(Scope scope, string apiId, JsonObject definition, bool overwrite)
    {
        if (overwrite) MutateApi(scope, apiId, doc => doc.RequestValidators.Clear());
        var ids = Api(scope, apiId).RequestValidators.Values.Where(v => v.Name is not null)
            .GroupBy(v => v.Name!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Id, StringComparer.Ordinal);
        if (definition[ValidatorsExtension] is null) return ids;
        if (definition[ValidatorsExtension] is not JsonObject declared) throw BadRequest($"Invalid OpenAPI input. {ValidatorsExtension} must be an object.");
        foreach (var (name, node) in declared)
        {
            if (ids.ContainsKey(name)) continue;
            if (node is not JsonObject validator) throw BadRequest($"Invalid OpenAPI input. Request validator '{name}' must be an object.");
            ids[name] = CreateRequestValidator(scope, apiId,
                new RequestValidatorSettings(name, Flag(validator["validateRequestBody"]), Flag(validator["validateRequestParameters"]))).Id;
        }
        return ids;
    }

    /// <summary>The id of the validator a definition names; a name it does not declare is refused, as AWS refuses it.</summary>
    private static string? ValidatorNamed(IReadOnlyDictionary<string, string> validators, string? name) =>
        name is null ? null
        : validators.GetValueOrDefault(name) ?? throw BadRequest($"Invalid OpenAPI input. Request validator '{name}' is not defined in {ValidatorsExtension}.");

    /// <summary>x-amazon-apigateway-gateway-responses: each response type's status, headers and templates, put as PutGatewayResponse puts them.</summary>
    private void ImportGatewayResponses(Scope scope, string apiId, JsonObject definition, bool overwrite)
    {
        if (overwrite) MutateApi(scope, apiId, doc => doc.GatewayResponses.Clear());
        if (definition[GatewayResponsesExtension] is null) return;
        if (definition[GatewayResponsesExtension] is not JsonObject declared) throw BadRequest($"Invalid OpenAPI input. {GatewayResponsesExtension} must be an object.");
        foreach (var (type, node) in declared)
        {
            if (node is not JsonObject response) throw BadRequest($"Invalid OpenAPI input. Gateway response '{type}' must be an object.");
            PutGatewayResponse(scope, apiId, new GatewayResponseSettings(type, Text(response["statusCode"]),
                TextMap(response["responseParameters"]), TextMap(response["responseTemplates"])));
        }
    }

    /// <summary>A boolean written as a JSON boolean or as text ("true"), as YAML and hand-written definitions carry it.</summary>
    private static bool Flag(JsonNode? node) => string.Equals(Text(node), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The definition's schemas (OpenAPI 3's components.schemas, Swagger 2's definitions) as the API's models, application/json as
    /// AWS imports them: a new name is created, an existing one takes the definition's schema.
    /// </summary>
    private void ImportModels(Scope scope, string apiId, JsonObject definition)
    {
        var declared = (definition["components"] as JsonObject)?["schemas"] ?? definition["definitions"];
        if (declared is null) return;
        if (declared is not JsonObject schemas) throw BadRequest("Invalid OpenAPI input. Schemas must be an object.");
        foreach (var (name, node) in schemas)
        {
            if (node is not JsonObject schema) throw BadRequest($"Invalid OpenAPI input. Schema '{name}' must be an object.");
            if (Api(scope, apiId).Models.ContainsKey(name))
                UpdateModel(scope, apiId, name, [new PatchOperation("replace", "/schema", schema.ToJsonString(), null)]);
            else CreateModel(scope, apiId, new ModelSettings(name, null, schema.ToJsonString(), JsonMediaType));
        }
    }

    /// <summary>
    /// A body's models by content type, read back from an export: OpenAPI 3's content map, or Swagger 2's one schema for each of the
    /// operation's media types (consumes/produces, else the definition's, else application/json); only $refs to declared schemas name models.
    /// </summary>
    private static Dictionary<string, string>? ModelsByContentType(JsonNode? content, JsonNode? swaggerSchema, JsonNode? mediaTypes)
    {
        var models = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (type, media) in content as JsonObject ?? [])
            if (ModelNamed((media as JsonObject)?["schema"]) is { } name) models[type] = name;
        if (ModelNamed(swaggerSchema) is { } single)
        {
            IReadOnlyList<string> types = (mediaTypes as JsonArray)?.Select(Text).OfType<string>().ToList() is { Count: > 0 } listed ? listed : [JsonMediaType];
            foreach (var type in types) models[type] = single;
        }
        return models.Count > 0 ? models : null;
    }

    private const string JsonMediaType = "application/json";
    private static readonly string[] SchemaRefPrefixes = ["#/components/schemas/", "#/definitions/"];

    private static string? ModelNamed(JsonNode? schema)
    {
        if ((schema as JsonObject)?["$ref"] is not JsonValue reference || reference.GetValueKind() != JsonValueKind.String) return null;
        var target = reference.GetValue<string>();
        foreach (var prefix in SchemaRefPrefixes)
            if (target.StartsWith(prefix, StringComparison.Ordinal)) return target[prefix.Length..];
        return null;
    }

    private void ImportOperation(Scope scope, string apiId, string resourceId, string verb, JsonObject operation, JsonArray? shared, JsonObject definition, bool replaceExisting,
        IReadOnlyDictionary<string, ImportedScheme> schemes, string? validatorId)
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
        // A requirement names schemes; "sigv4" alone (undeclared) is how AWS's own exports have long named SigV4.
        var required = (operation["security"] as JsonArray ?? []).OfType<JsonObject>().SelectMany(requirement => requirement.Select(r => r.Key))
            .Select(name => schemes.GetValueOrDefault(name) ?? (name == SigV4Scheme ? new ImportedScheme("AWS_IAM", null, false) : null))
            .OfType<ImportedScheme>().ToList();
        var authorizing = required.FirstOrDefault(r => r.AuthorizerId is not null) ?? required.FirstOrDefault(r => r.AuthorizationType == "AWS_IAM");
        PutMethod(scope, apiId, resourceId, httpMethod, new MethodSettings(authorizing?.AuthorizationType ?? "NONE", authorizing?.AuthorizerId,
            ApiKeyRequired: required.Any(r => r.ApiKey), Text(operation["operationId"]), requestParameters,
            ModelsByContentType((operation["requestBody"] as JsonObject)?["content"],
                (operation["parameters"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(p => Text(p["in"]) == "body")?["schema"],
                operation["consumes"] ?? definition["consumes"]),
            validatorId, null));

        foreach (var (status, response) in operation["responses"] as JsonObject ?? [])
        {
            if (status.Length != 3 || !status.All(char.IsAsciiDigit)) continue;
            var headers = ((response as JsonObject)?["headers"] as JsonObject ?? []).ToDictionary(h => "method.response.header." + h.Key, _ => false);
            var responseModels = ModelsByContentType((response as JsonObject)?["content"], (response as JsonObject)?["schema"], operation["produces"] ?? definition["produces"]);
            PutMethodResponse(scope, apiId, resourceId, httpMethod, new MethodResponseSettings(status, headers, responseModels));
        }

        if (operation["x-amazon-apigateway-integration"] is not JsonObject integration) return;
        var type = Text(integration["type"])?.ToUpperInvariant() ?? throw BadRequest("Invalid OpenAPI input. x-amazon-apigateway-integration has no type.");
        PutIntegration(scope, apiId, resourceId, httpMethod, new IntegrationSettings(type, Text(integration["httpMethod"]), Text(integration["uri"]),
            Text(integration["connectionType"])?.ToUpperInvariant(), Text(integration["credentials"]), TextMap(integration["requestParameters"]),
            TextMap(integration["requestTemplates"]), Text(integration["passthroughBehavior"])?.ToUpperInvariant(),
            Text(integration["contentHandling"])?.ToUpperInvariant(), integration["timeoutInMillis"] is { } timeout ? int.Parse(Text(timeout)!) : null,
            Text(integration["cacheNamespace"]), (integration["cacheKeyParameters"] as JsonArray)?.Select(Text).OfType<string>().ToList(),
            integration["tlsConfig"] is JsonObject tls ? new TlsConfig { InsecureSkipVerification = Flag(tls["insecureSkipVerification"]) } : null));

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
