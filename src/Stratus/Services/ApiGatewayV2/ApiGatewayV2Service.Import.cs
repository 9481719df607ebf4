using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Protocols.Json;
using Stratus.Services.ApiGateway;
using Stratus.Services.CloudFormation.Templates;
using static Stratus.Services.ApiGatewayV2.ApiGatewayV2Errors;

namespace Stratus.Services.ApiGatewayV2;

/// <summary>
/// ImportApi, ReimportApi and ExportApi: OpenAPI 3 definitions (JSON or YAML) with API Gateway's extensions
/// for HTTP APIs (x-amazon-apigateway-integration, -authorizer, -cors, -any-method), as AWS reads and writes them.
/// </summary>
public sealed partial class ApiGatewayV2Service
{
    private static readonly string[] OpenApiMethods = ["get", "put", "post", "delete", "options", "head", "patch", "x-amazon-apigateway-any-method"];

    /// <summary>The security scheme AWS documents for AWS_IAM routes: SigV4 in the Authorization header, marked awsSigv4.</summary>
    private const string SigV4Scheme = "sigv4";
    private const string AuthTypeExtension = "x-amazon-apigateway-authtype";

    /// <summary>Reads a definition, JSON or YAML (with the template reader's alias and depth limits).</summary>
    public static JsonObject ParseDefinition(string body)
    {
        try
        {
            var definition = TemplateReader.Parse(body);
            if (definition["openapi"] is not JsonValue version || !version.ToString().StartsWith("3.", StringComparison.Ordinal))
                throw BadRequest("Invalid OpenAPI definition: HTTP APIs import OpenAPI 3.x (an 'openapi: 3.0.1' document).");
            return definition;
        }
        catch (AwsException e) when (e.Code != "BadRequestException")
        {
            throw BadRequest("Invalid OpenAPI definition: " + e.Message);
        }
    }

    public HttpApi ImportApi(Scope scope, JsonObject definition)
    {
        var info = definition["info"] as JsonObject;
        var settings = new ApiSettings(Text(info?["title"]) ?? "imported-api", "HTTP", Text(info?["description"]), Text(info?["version"]),
            Cors(definition["x-amazon-apigateway-cors"]), null, null, null, null, null, null);
        return CreateApi(scope, settings, document => Define(document, definition));
    }

    /// <summary>ReimportApi: the definition replaces the API's routes, integrations, authorizers and CORS (AWS's overwrite).</summary>
    public HttpApi ReimportApi(Scope scope, string apiId, JsonObject definition) =>
        Change(scope, apiId, document =>
        {
            var info = definition["info"] as JsonObject;
            var cleared = document with
            {
                Api = document.Api with
                {
                    Name = Text(info?["title"]) ?? document.Api.Name,
                    Version = Text(info?["version"]) ?? document.Api.Version,
                    CorsConfiguration = Cors(definition["x-amazon-apigateway-cors"]),
                },
                Routes = [], Integrations = [], Authorizers = [],
            };
            var next = Define(cleared, definition);
            return (next, next.Api);
        });

    private static string? Text(JsonNode? node) => node is JsonValue value ? value.ToString() : null;

    private static CorsSettings? Cors(JsonNode? node) => node is JsonObject cors ? new CorsSettings
    {
        AllowOrigins = Strings(cors["allowOrigins"]), AllowMethods = Strings(cors["allowMethods"]), AllowHeaders = Strings(cors["allowHeaders"]),
        ExposeHeaders = Strings(cors["exposeHeaders"]), MaxAge = int.TryParse(Text(cors["maxAge"]), out var age) ? age : null,
        AllowCredentials = bool.TryParse(Text(cors["allowCredentials"]), out var credentials) ? credentials : null,
    } : null;

    private static List<string>? Strings(JsonNode? node) => node is JsonArray list ? [.. list.Select(Text).OfType<string>()] : null;

    private static HttpApiDocument Define(HttpApiDocument document, JsonObject definition)
    {
        // AWS imports OpenAPI into HTTP APIs only.
        if (document.Api.IsWebSocket) throw BadRequest($"Reimport is supported only for HTTP APIs: {document.Api.ApiId} is a WebSocket API.");
        CheckCors(document.Api.CorsConfiguration);
        var schemes = (definition["components"] as JsonObject)?["securitySchemes"] as JsonObject;
        var authorizerIds = new Dictionary<string, string>(StringComparer.Ordinal);
        // A scheme marked x-amazon-apigateway-authtype: awsSigv4 makes the routes that require it AWS_IAM routes, as AWS imports it.
        var sigV4Schemes = (schemes ?? []).Where(s => string.Equals(Text((s.Value as JsonObject)?[AuthTypeExtension]), "awsSigv4", StringComparison.OrdinalIgnoreCase))
            .Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, scheme) in schemes ?? [])
        {
            if ((scheme as JsonObject)?["x-amazon-apigateway-authorizer"] is not JsonObject extension) continue;
            var jwt = extension["jwtConfiguration"] as JsonObject;
            var identity = Text(extension["identitySource"]);
            var settings = new AuthorizerSettings(name, Text(extension["type"])?.ToUpperInvariant(),
                identity?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList() ?? [],
                jwt is null ? null : new JwtSettings { Issuer = Text(jwt["issuer"]), Audience = Strings(jwt["audience"]) },
                Text(extension["authorizerUri"]), Text(extension["authorizerPayloadFormatVersion"]),
                bool.TryParse(Text(extension["enableSimpleResponses"]), out var simple) ? simple : null,
                int.TryParse(Text(extension["authorizerResultTtlInSeconds"]), out var ttl) ? ttl : null);
            var authorizer = Authorizer(document.Api, new HttpAuthorizer { AuthorizerId = ApiGatewayErrors.NewId()[..6], Name = name, AuthorizerType = settings.AuthorizerType ?? "" }, settings);
            document.Authorizers[authorizer.AuthorizerId] = authorizer;
            authorizerIds[name] = authorizer.AuthorizerId;
        }

        var integrations = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, item) in definition["paths"] as JsonObject ?? [])
        {
            if (item is not JsonObject operations) continue;
            foreach (var method in OpenApiMethods)
            {
                if (operations[method] is not JsonObject operation) continue;
                var httpMethod = method == "x-amazon-apigateway-any-method" ? "ANY" : method.ToUpperInvariant();
                var routeKey = path == "/$default" ? "$default" : $"{httpMethod} {path}";
                CheckRouteKey(routeKey);
                var route = new HttpRoute { RouteId = ApiGatewayErrors.NewId()[..7], RouteKey = routeKey, OperationName = Text(operation["operationId"]) };
                if (operation["x-amazon-apigateway-integration"] is JsonObject extension)
                {
                    var identity = extension.ToJsonString();
                    if (!integrations.TryGetValue(identity, out var integrationId))
                    {
                        var parameters = extension["requestParameters"] is JsonObject mapping
                            ? mapping.Where(p => p.Value is JsonValue).ToDictionary(p => p.Key, p => p.Value!.ToString())
                            : null;
                        var integration = Integration(document.Api, new HttpIntegration
                        {
                            IntegrationId = ApiGatewayErrors.NewId()[..7],
                            IntegrationType = Text(extension["type"])?.ToUpperInvariant() ?? "",
                        }, new IntegrationSettings(null, Text(extension["uri"]), Text(extension["httpMethod"]), Text(extension["payloadFormatVersion"]),
                            int.TryParse(Text(extension["timeoutInMillis"]), out var timeout) ? timeout : null, null, Text(extension["credentials"]),
                            parameters, Text(extension["connectionType"])));
                        document.Integrations[integration.IntegrationId] = integration;
                        integrations[identity] = integrationId = integration.IntegrationId;
                    }
                    route = route with { Target = "integrations/" + integrationId };
                }
                if ((operation["security"] as JsonArray)?.FirstOrDefault() is JsonObject requirement && requirement.FirstOrDefault() is var (scheme, scopes))
                {
                    if (sigV4Schemes.Contains(scheme))
                        route = route with { AuthorizationType = "AWS_IAM" };
                    else if (authorizerIds.TryGetValue(scheme, out var authorizerId))
                    {
                        var type = document.Authorizers[authorizerId].AuthorizerType == "JWT" ? "JWT" : "CUSTOM";
                        route = route with { AuthorizationType = type, AuthorizerId = authorizerId, AuthorizationScopes = Strings(scopes) is { Count: > 0 } s ? s : null };
                    }
                }
                if (document.Routes.Values.Any(r => r.RouteKey == routeKey)) throw Conflict($"Duplicate route key {routeKey} in the definition.");
                document.Routes[route.RouteId] = route;
            }
        }
        return document;
    }

    /// <summary>ExportApi: OpenAPI 3.0.1 of the API as defined now, or as a stage's deployment froze it; JSON or YAML.</summary>
    public (byte[] Body, string ContentType) ExportApi(Scope scope, string apiId, string specification, string? outputType, bool includeExtensions, string? stageName)
    {
        if (specification != "OAS30") throw BadRequest($"Invalid specification {specification}: HTTP APIs export OAS30.");
        var document = Document(scope, apiId);
        if (document.Api.IsWebSocket) throw BadRequest($"Export is supported only for HTTP APIs: {apiId} is a WebSocket API.");
        var definition = new DeployedDefinition
        {
            Routes = document.Routes, Integrations = document.Integrations, Authorizers = document.Authorizers, Cors = document.Api.CorsConfiguration,
        };
        if (stageName is not null)
        {
            var stage = document.Stages.GetValueOrDefault(stageName) ?? throw NotFound("Stage", stageName);
            definition = stage.DeploymentId is { } id && document.Snapshots.TryGetValue(id, out var deployed) ? deployed : new DeployedDefinition();
        }
        var openApi = OpenApi(document.Api, definition, includeExtensions, Endpoint(apiId));
        return (outputType ?? "YAML") switch
        {
            "JSON" => (JsonBody.Write(openApi), "application/json"),
            "YAML" => (JsonAsYaml.Write(openApi), "application/yaml"),
            var other => throw BadRequest($"Invalid outputType {other}: JSON or YAML."),
        };
    }

    private static JsonObject OpenApi(HttpApi api, DeployedDefinition definition, bool includeExtensions, string endpoint)
    {
        var paths = new JsonObject();
        foreach (var route in definition.Routes.Values.OrderBy(r => r.RouteKey, StringComparer.Ordinal))
        {
            var key = route.RouteKey == "$default" ? ["ANY", "/$default"] : route.RouteKey.Split(' ');
            var (method, path) = (key[0] == "ANY" ? "x-amazon-apigateway-any-method" : key[0].ToLowerInvariant(), key[1]);
            var operation = new JsonObject();
            if (route.OperationName is { } name) operation["operationId"] = name;
            var parameters = new JsonArray();
            foreach (var segment in path.Split('/').Where(s => s.StartsWith('{') && s.EndsWith('}')))
                parameters.Add(new JsonObject { ["name"] = segment.Trim('{', '}', '+'), ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string" } });
            if (parameters.Count > 0) operation["parameters"] = parameters;
            operation["responses"] = new JsonObject { ["default"] = new JsonObject { ["description"] = "Default response for " + route.RouteKey } };
            if (route.AuthorizerId is { } authorizerId && definition.Authorizers.GetValueOrDefault(authorizerId) is { } authorizer)
                operation["security"] = new JsonArray(new JsonObject { [authorizer.Name] = new JsonArray([.. (route.AuthorizationScopes ?? []).Select(s => (JsonNode)s)]) });
            else if (route.AuthorizationType == "AWS_IAM")
                operation["security"] = new JsonArray(new JsonObject { [SigV4Scheme] = new JsonArray() });
            if (includeExtensions && route.Target is { } target && definition.Integrations.GetValueOrDefault(target["integrations/".Length..]) is { } integration)
            {
                var extension = new JsonObject
                {
                    ["type"] = integration.IntegrationType.ToLowerInvariant(),
                    ["httpMethod"] = integration.IntegrationMethod,
                    ["uri"] = integration.IntegrationUri,
                    ["payloadFormatVersion"] = integration.PayloadFormatVersion,
                    ["connectionType"] = integration.ConnectionType,
                    ["timeoutInMillis"] = integration.TimeoutInMillis,
                };
                if (integration.RequestParameters is { Count: > 0 } mapping)
                    extension["requestParameters"] = new JsonObject(mapping.Select(p => new KeyValuePair<string, JsonNode?>(p.Key, p.Value)));
                operation["x-amazon-apigateway-integration"] = extension;
            }
            if (paths[path] is not JsonObject item) paths[path] = item = new JsonObject();
            item[method] = operation;
        }
        var openApi = new JsonObject
        {
            ["openapi"] = "3.0.1",
            ["info"] = new JsonObject { ["title"] = api.Name, ["version"] = api.Version ?? api.CreatedDate.ToString("yyyy-MM-dd HH:mm:ss'UTC'") },
            ["servers"] = new JsonArray(new JsonObject { ["url"] = endpoint }),
            ["paths"] = paths,
        };
        var schemes = new JsonObject();
        if (definition.Routes.Values.Any(r => r.AuthorizationType == "AWS_IAM"))
        {
            var sigV4 = new JsonObject { ["type"] = "apiKey", ["name"] = "Authorization", ["in"] = "header" };
            if (includeExtensions) sigV4[AuthTypeExtension] = "awsSigv4";
            schemes[SigV4Scheme] = sigV4;
        }
        if (includeExtensions && definition.Authorizers.Count > 0)
        {
            foreach (var authorizer in definition.Authorizers.Values)
            {
                var extension = new JsonObject
                {
                    ["type"] = authorizer.AuthorizerType.ToLowerInvariant(),
                    ["identitySource"] = string.Join(", ", authorizer.IdentitySource),
                };
                if (authorizer.JwtConfiguration is { } jwt)
                    extension["jwtConfiguration"] = new JsonObject { ["issuer"] = jwt.Issuer, ["audience"] = new JsonArray([.. (jwt.Audience ?? []).Select(a => (JsonNode)a)]) };
                if (authorizer.AuthorizerUri is { } uri) extension["authorizerUri"] = uri;
                if (authorizer.AuthorizerPayloadFormatVersion is { } version) extension["authorizerPayloadFormatVersion"] = version;
                if (authorizer.EnableSimpleResponses is { } simple) extension["enableSimpleResponses"] = simple;
                if (authorizer.AuthorizerResultTtlInSeconds is { } ttl) extension["authorizerResultTtlInSeconds"] = ttl;
                schemes[authorizer.Name] = new JsonObject
                {
                    ["type"] = authorizer.AuthorizerType == "JWT" ? "oauth2" : "apiKey",
                    ["x-amazon-apigateway-authorizer"] = extension,
                };
            }
        }
        if (schemes.Count > 0) openApi["components"] = new JsonObject { ["securitySchemes"] = schemes };
        if (includeExtensions && definition.Cors is { } cors)
            openApi["x-amazon-apigateway-cors"] = JsonSerializer.SerializeToNode(cors, WireJson.Options);
        return openApi;
    }
}
