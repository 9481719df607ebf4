using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Protocols.Json;
using static Stratus.Services.ApiGateway.ApiGatewayErrors;

namespace Stratus.Services.ApiGateway;

/// <summary>What GetExport answers: the definition's bytes, its media type and the file name AWS offers it under.</summary>
public sealed record ExportedDefinition(byte[] Body, string ContentType, string ContentDisposition);

/// <summary>
/// GetExport: a stage's deployment as Swagger 2.0 or OpenAPI 3.0.1, JSON or YAML, with API Gateway's extensions as the
/// <c>extensions</c> parameter asks: <c>integrations</c> (x-amazon-apigateway-integration), <c>authorizers</c>
/// (x-amazon-apigateway-authorizer), <c>apigateway</c> (both, and the binary media types). With integrations, as AWS exports them, the
/// request validators (x-amazon-apigateway-request-validators, each method's x-amazon-apigateway-request-validator) and the API's
/// customized gateway responses (x-amazon-apigateway-gateway-responses) come too. ImportRestApi and PutRestApi read it back.
/// </summary>
public sealed partial class ApiGatewayService
{
    private const string AnyMethodExtension = "x-amazon-apigateway-any-method";
    private const string SigV4Scheme = "sigv4";
    private const string ApiKeyScheme = "api_key";
    private const string ValidatorsExtension = "x-amazon-apigateway-request-validators";
    private const string ValidatorExtension = "x-amazon-apigateway-request-validator";
    private const string GatewayResponsesExtension = "x-amazon-apigateway-gateway-responses";

    public ExportedDefinition GetExport(Scope scope, string apiId, string stageName, string exportType, string? extensions, string? accepts)
    {
        var api = Api(scope, apiId).Api;
        var stage = StageOf(scope, apiId, stageName).Stage;
        var deployment = DeploymentOf(scope, apiId, stage.DeploymentId);
        var oas30 = exportType switch
        {
            "oas30" => true,
            "swagger" => false,
            _ => throw BadRequest($"Invalid export type specified: {exportType}. Valid options are oas30,swagger"),
        };
        var asked = (extensions ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var withIntegrations = asked.Contains("integrations") || asked.Contains("apigateway");
        var withAuthorizers = asked.Contains("authorizers") || asked.Contains("apigateway");
        var yaml = accepts?.Contains("yaml", StringComparison.OrdinalIgnoreCase) == true;
        if (accepts is { Length: > 0 } && !yaml && !accepts.Contains("json", StringComparison.OrdinalIgnoreCase) && !accepts.Contains("*/*", StringComparison.Ordinal))
            throw BadRequest($"Invalid Accept header specified: {accepts}. Valid options are application/json,application/yaml");

        var definition = Definition(api, stage, deployment, scope.Region, oas30, withIntegrations, withAuthorizers, asked.Contains("apigateway"));
        if (asked.Contains("documentation") && DocumentationExtensionOf(Api(scope, apiId), stage) is { } documentation)
            definition[DocumentationExtension] = documentation;
        var name = $"{api.Name}-{stageName}-{exportType}{(asked.Count > 0 ? "-" + string.Join('-', asked.Order(StringComparer.Ordinal)) : "")}";
        return yaml
            ? new(JsonAsYaml.Write(definition), "application/yaml", $"attachment; filename=\"{name}.yaml\"")
            : new(JsonBody.Write(definition), "application/json", $"attachment; filename=\"{name}.json\"");
    }

    private static JsonObject Definition(RestApi api, Stage stage, DeploymentDocument deployment, string region, bool oas30,
        bool withIntegrations, bool withAuthorizers, bool withApiGateway)
    {
        var host = $"{api.Id}.execute-api.{region}.amazonaws.com";
        var paths = new JsonObject();
        var schemes = new JsonObject();
        foreach (var resource in deployment.Resources.Values.OrderBy(r => r.Path, StringComparer.Ordinal))
        {
            if (resource.ResourceMethods is not { Count: > 0 } methods) continue;
            var item = new JsonObject();
            foreach (var method in methods.Values.OrderBy(m => m.HttpMethod, StringComparer.Ordinal))
                item[method.HttpMethod == "ANY" ? AnyMethodExtension : method.HttpMethod.ToLowerInvariant()] =
                    Operation(method, deployment, schemes, oas30, withIntegrations, withAuthorizers);
            paths[resource.Path] = item;
        }
        var info = new JsonObject { ["version"] = api.Version ?? deployment.Deployment.CreatedDate.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), ["title"] = api.Name };
        if (api.Description is { } description) info["description"] = description;
        var models = new JsonObject();
        foreach (var model in deployment.Models.Values.OrderBy(m => m.Name, StringComparer.Ordinal))
            models[model.Name] = model.Schema is { } schema ? JsonBody.Parse(schema) : new JsonObject();
        JsonObject definition;
        if (oas30)
        {
            definition = new JsonObject
            {
                ["openapi"] = "3.0.1",
                ["info"] = info,
                ["servers"] = new JsonArray(new JsonObject
                {
                    ["url"] = $"https://{host}/{{basePath}}",
                    ["variables"] = new JsonObject { ["basePath"] = new JsonObject { ["default"] = stage.StageName } },
                }),
                ["paths"] = paths,
            };
            var components = new JsonObject();
            if (models.Count > 0) components["schemas"] = models;
            if (schemes.Count > 0) components["securitySchemes"] = schemes;
            if (components.Count > 0) definition["components"] = components;
        }
        else
        {
            definition = new JsonObject
            {
                ["swagger"] = "2.0",
                ["info"] = info,
                ["host"] = host,
                ["basePath"] = "/" + stage.StageName,
                ["schemes"] = new JsonArray("https"),
                ["paths"] = paths,
            };
            if (schemes.Count > 0) definition["securityDefinitions"] = schemes;
            if (models.Count > 0) definition["definitions"] = models;
        }
        if (withApiGateway && api.BinaryMediaTypes is { Count: > 0 } media)
            definition["x-amazon-apigateway-binary-media-types"] = new JsonArray([.. media.Select(m => (JsonNode)m)]);
        if (withIntegrations)
        {
            if (ValidatorsExtensionOf(deployment) is { Count: > 0 } validators) definition[ValidatorsExtension] = validators;
            if (GatewayResponsesExtensionOf(deployment) is { Count: > 0 } responses) definition[GatewayResponsesExtension] = responses;
        }
        return definition;
    }

    private static JsonObject Operation(ApiMethod method, DeploymentDocument deployment, JsonObject schemes, bool oas30, bool withIntegrations, bool withAuthorizers)
    {
        var operation = new JsonObject();
        if (method.OperationName is { } name) operation["operationId"] = name;
        var parameters = new JsonArray();
        foreach (var (parameter, required) in (method.RequestParameters ?? []).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var parts = parameter.Split('.', 4);
            if (parts.Length != 4) continue;
            var location = parts[2] switch { "path" => "path", "querystring" => "query", "header" => "header", _ => null };
            if (location is null) continue;
            var entry = new JsonObject { ["name"] = parts[3], ["in"] = location, ["required"] = location == "path" || required };
            if (oas30) entry["schema"] = new JsonObject { ["type"] = "string" };
            else entry["type"] = "string";
            parameters.Add(entry);
        }
        // The method's request models as the body's schema: OpenAPI 3's requestBody per content type, Swagger 2's one body parameter
        // (the JSON model when there are several) with the content types in consumes, each a $ref to the exported model, as AWS exports them.
        if (method.RequestModels is { Count: > 0 } requestModels)
        {
            if (oas30) operation["requestBody"] = new JsonObject { ["content"] = ModelContent(requestModels), ["required"] = true };
            else
            {
                operation["consumes"] = MediaTypeList(requestModels);
                var model = PreferredModel(requestModels);
                parameters.Add(new JsonObject { ["in"] = "body", ["name"] = model, ["required"] = true, ["schema"] = ModelRef(model, oas30: false) });
            }
        }
        if (parameters.Count > 0) operation["parameters"] = parameters;
        var responses = new JsonObject();
        foreach (var response in (method.MethodResponses ?? []).Values.OrderBy(r => r.StatusCode, StringComparer.Ordinal))
        {
            var entry = new JsonObject { ["description"] = $"{response.StatusCode} response" };
            var headers = new JsonObject();
            foreach (var header in (response.ResponseParameters ?? []).Keys.Where(k => k.StartsWith("method.response.header.", StringComparison.Ordinal)))
                headers[header["method.response.header.".Length..]] = oas30
                    ? new JsonObject { ["schema"] = new JsonObject { ["type"] = "string" } }
                    : new JsonObject { ["type"] = "string" };
            if (headers.Count > 0) entry["headers"] = headers;
            if (response.ResponseModels is { Count: > 0 } responseModels)
            {
                if (oas30) entry["content"] = ModelContent(responseModels);
                else
                {
                    operation["produces"] = MediaTypeList(responseModels);
                    entry["schema"] = ModelRef(PreferredModel(responseModels), oas30: false);
                }
            }
            responses[response.StatusCode] = entry;
        }
        operation["responses"] = responses;

        var security = new JsonArray();
        if (method.AuthorizationType == "AWS_IAM")
        {
            security.Add(new JsonObject { [SigV4Scheme] = new JsonArray() });
            schemes[SigV4Scheme] = new JsonObject
            {
                ["type"] = "apiKey", ["name"] = "Authorization", ["in"] = "header", ["x-amazon-apigateway-authtype"] = "awsSigv4",
            };
        }
        if (method.AuthorizationType == "CUSTOM" && method.AuthorizerId is { } authorizerId && deployment.Authorizers.GetValueOrDefault(authorizerId) is { } authorizer)
        {
            security.Add(new JsonObject { [authorizer.Name] = new JsonArray() });
            schemes[authorizer.Name] = SecurityScheme(authorizer, withAuthorizers);
        }
        if (method.ApiKeyRequired)
        {
            security.Add(new JsonObject { [ApiKeyScheme] = new JsonArray() });
            schemes[ApiKeyScheme] = new JsonObject { ["type"] = "apiKey", ["name"] = "x-api-key", ["in"] = "header" };
        }
        if (security.Count > 0) operation["security"] = security;

        if (withIntegrations && method.MethodIntegration is { } integration) operation["x-amazon-apigateway-integration"] = IntegrationExtension(integration);
        if (withIntegrations && method.RequestValidatorId is { } validatorId && deployment.RequestValidators.GetValueOrDefault(validatorId) is { } validator)
            operation[ValidatorExtension] = ValidatorName(validator);
        return operation;
    }

    private static JsonObject ModelRef(string model, bool oas30) =>
        new() { ["$ref"] = (oas30 ? "#/components/schemas/" : "#/definitions/") + model };

    private static JsonObject ModelContent(IReadOnlyDictionary<string, string> models) =>
        new(models.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m =>
            new KeyValuePair<string, JsonNode?>(m.Key, new JsonObject { ["schema"] = ModelRef(m.Value, oas30: true) })));

    private static JsonArray MediaTypeList(IReadOnlyDictionary<string, string> models) =>
        new([.. models.Keys.Order(StringComparer.Ordinal).Select(k => (JsonNode)k)]);

    /// <summary>Swagger 2 takes one schema per body: the application/json model, else the first by content type.</summary>
    private static string PreferredModel(IReadOnlyDictionary<string, string> models) =>
        models.GetValueOrDefault("application/json") ?? models.OrderBy(m => m.Key, StringComparer.Ordinal).First().Value;

    /// <summary>The extension names a validator by its name; one created without a name is named by its id, so methods can still refer to it.</summary>
    private static string ValidatorName(RequestValidator validator) => validator.Name ?? validator.Id;

    private static JsonObject ValidatorsExtensionOf(DeploymentDocument deployment)
    {
        var validators = new JsonObject();
        foreach (var validator in deployment.RequestValidators.Values.OrderBy(v => v.Id, StringComparer.Ordinal))
            validators[ValidatorName(validator)] = new JsonObject
            {
                ["validateRequestBody"] = validator.ValidateRequestBody,
                ["validateRequestParameters"] = validator.ValidateRequestParameters,
            };
        return validators;
    }

    /// <summary>The customized gateway responses only: a type left at its default is not exported, as on AWS.</summary>
    private static JsonObject GatewayResponsesExtensionOf(DeploymentDocument deployment)
    {
        var responses = new JsonObject();
        foreach (var response in deployment.GatewayResponses.Values.OrderBy(r => r.ResponseType, StringComparer.Ordinal))
        {
            var entry = new JsonObject();
            if (response.StatusCode is { } status) entry["statusCode"] = status;
            if (response.ResponseParameters is { Count: > 0 } parameters) entry["responseParameters"] = Map(parameters);
            if (response.ResponseTemplates is { Count: > 0 } templates) entry["responseTemplates"] = Map(templates);
            responses[response.ResponseType] = entry;
        }
        return responses;
    }

    private static JsonObject SecurityScheme(ApiAuthorizer authorizer, bool withAuthorizers)
    {
        var sources = IdentitySources(authorizer);
        var header = authorizer.Type == "TOKEN" && sources is [var source] ? source[IdentitySourceHeader.Length..] : "Unused";
        var scheme = new JsonObject { ["type"] = "apiKey", ["name"] = header, ["in"] = "header", ["x-amazon-apigateway-authtype"] = authorizer.AuthType ?? "custom" };
        if (!withAuthorizers) return scheme;
        var extension = new JsonObject { ["type"] = authorizer.Type.ToLowerInvariant() };
        if (authorizer.AuthorizerUri is { } uri) extension["authorizerUri"] = uri;
        if (authorizer.AuthorizerCredentials is { } credentials) extension["authorizerCredentials"] = credentials;
        if (authorizer.IdentitySource is { } identity) extension["identitySource"] = identity;
        if (authorizer.IdentityValidationExpression is { } expression) extension["identityValidationExpression"] = expression;
        if (authorizer.AuthorizerResultTtlInSeconds is { } ttl) extension["authorizerResultTtlInSeconds"] = ttl;
        scheme["x-amazon-apigateway-authorizer"] = extension;
        return scheme;
    }

    private static JsonObject IntegrationExtension(Integration integration)
    {
        var extension = new JsonObject { ["type"] = integration.Type.ToLowerInvariant() };
        if (integration.HttpMethod is { } httpMethod) extension["httpMethod"] = httpMethod;
        if (integration.Uri is { } uri) extension["uri"] = uri;
        if (integration.Credentials is { } credentials) extension["credentials"] = credentials;
        if (integration.RequestParameters is { Count: > 0 } parameters) extension["requestParameters"] = Map(parameters);
        if (integration.RequestTemplates is { Count: > 0 } templates) extension["requestTemplates"] = Map(templates);
        extension["passthroughBehavior"] = integration.PassthroughBehavior.ToLowerInvariant();
        if (integration.ContentHandling is { } handling) extension["contentHandling"] = handling;
        extension["timeoutInMillis"] = integration.TimeoutInMillis;
        if (integration.CacheNamespace is { } cacheNamespace) extension["cacheNamespace"] = cacheNamespace;
        if (integration.CacheKeyParameters is { Count: > 0 } keys) extension["cacheKeyParameters"] = new JsonArray([.. keys.Select(k => (JsonNode)k)]);
        if (integration.TlsConfig is { } tls) extension["tlsConfig"] = new JsonObject { ["insecureSkipVerification"] = tls.InsecureSkipVerification };
        if (integration.IntegrationResponses is { Count: > 0 } responses)
        {
            var byPattern = new JsonObject();
            foreach (var response in responses.Values.OrderBy(r => r.StatusCode, StringComparer.Ordinal))
            {
                var entry = new JsonObject { ["statusCode"] = response.StatusCode };
                if (response.ResponseParameters is { Count: > 0 } responseParameters) entry["responseParameters"] = Map(responseParameters);
                if (response.ResponseTemplates is { Count: > 0 } responseTemplates) entry["responseTemplates"] = Map(responseTemplates);
                if (response.ContentHandling is { } responseHandling) entry["contentHandling"] = responseHandling;
                byPattern[string.IsNullOrEmpty(response.SelectionPattern) ? "default" : response.SelectionPattern] = entry;
            }
            extension["responses"] = byPattern;
        }
        return extension;
    }

    private static JsonObject Map(IReadOnlyDictionary<string, string> map) =>
        new(map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new KeyValuePair<string, JsonNode?>(p.Key, p.Value)));
}
