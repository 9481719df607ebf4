using System.Text.Json;
using System.Text.Json.Serialization;
using Stratus.Protocols;

namespace Stratus.Services.ApiGatewayV2;

/// <summary>An HTTP API as GetApi answers it (member names are the wire's, camelCased on the way out).</summary>
public sealed record HttpApi
{
    public required string ApiId { get; init; }
    public required string Name { get; init; }
    public string ProtocolType { get; init; } = "HTTP";
    public string RouteSelectionExpression { get; init; } = "$request.method $request.path";
    public string ApiKeySelectionExpression { get; init; } = "$request.header.x-api-key";
    public string? ApiEndpoint { get; init; }
    public CorsSettings? CorsConfiguration { get; init; }
    public string? Description { get; init; }
    public string? Version { get; init; }
    public bool DisableExecuteApiEndpoint { get; init; }
    public DateTimeOffset CreatedDate { get; init; }
    public Dictionary<string, string> Tags { get; init; } = [];
    public List<string>? Warnings { get; init; }

    [JsonIgnore]
    public bool IsWebSocket => ProtocolType == WebSocketRules.Protocol;
}

public sealed record CorsSettings
{
    public bool? AllowCredentials { get; init; }
    public List<string>? AllowHeaders { get; init; }
    public List<string>? AllowMethods { get; init; }
    public List<string>? AllowOrigins { get; init; }
    public List<string>? ExposeHeaders { get; init; }
    public int? MaxAge { get; init; }

    public static CorsSettings? Read(IInputReader reader, string member)
    {
        if (reader.Object(Wire.Name(reader, member)) is not { } cors) return null;
        return new CorsSettings
        {
            AllowCredentials = cors.Bool(Wire.Name(cors, "allowCredentials")),
            AllowHeaders = Wire.List(cors, "allowHeaders"),
            AllowMethods = Wire.List(cors, "allowMethods"),
            AllowOrigins = Wire.List(cors, "allowOrigins"),
            ExposeHeaders = Wire.List(cors, "exposeHeaders"),
            MaxAge = cors.Int(Wire.Name(cors, "maxAge")),
        };
    }
}

public sealed record HttpRoute
{
    public required string RouteId { get; init; }
    public required string RouteKey { get; init; }
    public string AuthorizationType { get; init; } = "NONE";
    public string? AuthorizerId { get; init; }
    public List<string>? AuthorizationScopes { get; init; }
    public bool ApiKeyRequired { get; init; }
    public string? OperationName { get; init; }
    /// <summary>"integrations/{integrationId}", as AWS stores a route's target.</summary>
    public string? Target { get; init; }
    public bool ApiGatewayManaged { get; init; }
    /// <summary>WebSocket APIs: "$default" makes the route two-way (its integration's answer is sent back to the client).</summary>
    public string? RouteResponseSelectionExpression { get; init; }
    /// <summary>WebSocket APIs: the $connect route's required request parameters (route.request.header.x, route.request.querystring.x).</summary>
    public Dictionary<string, ParameterConstraints>? RequestParameters { get; init; }
    /// <summary>WebSocket APIs: the model (by name) each message must satisfy, by the value ModelSelectionExpression selects (else $default).</summary>
    public Dictionary<string, string>? RequestModels { get; init; }
    public string? ModelSelectionExpression { get; init; }
}

public sealed record ParameterConstraints
{
    public bool Required { get; init; }
}

/// <summary>A WebSocket route's route response: with one, the route is two-way.</summary>
public sealed record WebSocketRouteResponse
{
    public required string RouteResponseId { get; init; }
    public required string RouteResponseKey { get; init; }
    /// <summary>The models (by name) the route's answers are documented with; AWS does not validate answers against them, nor does Stratus.</summary>
    public Dictionary<string, string>? ResponseModels { get; init; }
    public string? ModelSelectionExpression { get; init; }
}

/// <summary>A WebSocket API's model: a JSON schema (draft 4) that routes' RequestModels validate messages against.</summary>
public sealed record WebSocketModel
{
    public required string ModelId { get; init; }
    public required string Name { get; init; }
    public required string Schema { get; init; }
    public string? ContentType { get; init; }
    public string? Description { get; init; }
}

/// <summary>CreateModel/UpdateModel's members, or an AWS::ApiGatewayV2::Model's.</summary>
public sealed record ModelSettings(string? Name, string? Schema, string? ContentType, string? Description)
{
    public static ModelSettings Read(IInputReader r) => new(r.String(Wire.Name(r, "name")), SchemaText(r), r.String(Wire.Name(r, "contentType")),
        r.String(Wire.Name(r, "description")));

    /// <summary>The schema as text: the wire sends a string, a template may give the JSON object itself.</summary>
    private static string? SchemaText(IInputReader r) => r.Has(Wire.Name(r, "schema")) ? r.RequiredDocument(Wire.Name(r, "schema")) : null;
}

public sealed record HttpIntegration
{
    public required string IntegrationId { get; init; }
    public required string IntegrationType { get; init; }
    public string? IntegrationUri { get; init; }
    public string? IntegrationMethod { get; init; }
    public string ConnectionType { get; init; } = "INTERNET";
    public string? PayloadFormatVersion { get; init; }
    public int TimeoutInMillis { get; init; } = 30000;
    public string? Description { get; init; }
    public string? CredentialsArn { get; init; }
    public Dictionary<string, string>? RequestParameters { get; init; }
    public bool ApiGatewayManaged { get; init; }
    /// <summary>WebSocket APIs' non-proxy integrations: the request templates by selection key, and the expression that selects one.</summary>
    public Dictionary<string, string>? RequestTemplates { get; init; }
    public string? TemplateSelectionExpression { get; init; }
    /// <summary>WebSocket APIs' non-proxy integrations: what happens to a message no request template takes (WHEN_NO_MATCH, WHEN_NO_TEMPLATES, NEVER).</summary>
    public string? PassthroughBehavior { get; init; }
    /// <summary>WebSocket APIs: CONVERT_TO_TEXT or CONVERT_TO_BINARY of the message on its way to the integration.</summary>
    public string? ContentHandlingStrategy { get; init; }
    /// <summary>WebSocket APIs' non-proxy integrations: what their integration responses are selected by, set by the type as AWS sets it.</summary>
    public string? IntegrationResponseSelectionExpression { get; init; }
}

/// <summary>A WebSocket API's integration response: maps a non-proxy integration's answer (selected by its key) to the message sent back.</summary>
public sealed record WebSocketIntegrationResponse
{
    public required string IntegrationResponseId { get; init; }
    /// <summary>$default, or a /regular expression/ matched against the status code (HTTP, MOCK) or the Lambda function's error message (AWS).</summary>
    public required string IntegrationResponseKey { get; init; }
    public Dictionary<string, string>? ResponseTemplates { get; init; }
    public string? TemplateSelectionExpression { get; init; }
    public string? ContentHandlingStrategy { get; init; }
}

/// <summary>CreateIntegrationResponse/UpdateIntegrationResponse's members, or an AWS::ApiGatewayV2::IntegrationResponse's.</summary>
public sealed record IntegrationResponseSettings(string? IntegrationResponseKey, Dictionary<string, string>? ResponseTemplates, string? TemplateSelectionExpression,
    string? ContentHandlingStrategy)
{
    public static IntegrationResponseSettings Read(IInputReader r)
    {
        // A WebSocket client gets a message without headers, so response parameters would map to nothing; refused rather than stored unused.
        if (r.Has(Wire.Name(r, "responseParameters")))
            throw ApiGatewayV2Errors.WebSocketNotServed("response parameters on integration responses (a WebSocket message carries no headers)");
        return new(r.String(Wire.Name(r, "integrationResponseKey")), RouteSettings.NonEmpty(r.StringMap(Wire.Name(r, "responseTemplates"))),
            r.String(Wire.Name(r, "templateSelectionExpression")), r.String(Wire.Name(r, "contentHandlingStrategy")));
    }
}

public sealed record JwtSettings
{
    public List<string>? Audience { get; init; }
    public string? Issuer { get; init; }
}

public sealed record HttpAuthorizer
{
    public required string AuthorizerId { get; init; }
    public required string Name { get; init; }
    public required string AuthorizerType { get; init; }
    public List<string> IdentitySource { get; init; } = [];
    public JwtSettings? JwtConfiguration { get; init; }
    public string? AuthorizerUri { get; init; }
    public string? AuthorizerPayloadFormatVersion { get; init; }
    public bool? EnableSimpleResponses { get; init; }
    public int? AuthorizerResultTtlInSeconds { get; init; }
}

public sealed record AccessLogSettings
{
    public string? DestinationArn { get; init; }
    public string? Format { get; init; }
}

public sealed record HttpStage
{
    public required string StageName { get; init; }
    public string? DeploymentId { get; init; }
    public bool AutoDeploy { get; init; }
    public string? Description { get; init; }
    public Dictionary<string, string> StageVariables { get; init; } = [];
    public AccessLogSettings? AccessLogSettings { get; init; }
    /// <summary>Throttling and detailed metrics for every route, unless the route's own entry in RouteSettings sets the member.</summary>
    public StageRouteSettings DefaultRouteSettings { get; init; } = new() { DetailedMetricsEnabled = false };
    /// <summary>Per route key (<c>GET /pets</c>, <c>$default</c>): what the route overrides of the stage's defaults.</summary>
    public Dictionary<string, StageRouteSettings> RouteSettings { get; init; } = [];
    public DateTimeOffset CreatedDate { get; init; }
    public DateTimeOffset LastUpdatedDate { get; init; }
    public string? LastDeploymentStatusMessage { get; init; }
    public bool ApiGatewayManaged { get; init; }
    public Dictionary<string, string> Tags { get; init; } = [];
}

/// <summary>
/// A stage's route settings (botocore's RouteSettings shape). HTTP APIs apply throttling and detailed metrics; data trace and
/// logging level are execution logs, which AWS keeps for WebSocket APIs (the service refuses them on an HTTP API's stage).
/// </summary>
public sealed record StageRouteSettings
{
    public bool? DataTraceEnabled { get; init; }
    public bool? DetailedMetricsEnabled { get; init; }
    public string? LoggingLevel { get; init; }
    public int? ThrottlingBurstLimit { get; init; }
    public double? ThrottlingRateLimit { get; init; }

    [JsonIgnore]
    public bool SetsExecutionLogs => DataTraceEnabled is not null || LoggingLevel is not null;

    public static StageRouteSettings Read(IInputReader r)
    {
        var settings = new StageRouteSettings
        {
            DataTraceEnabled = r.Bool(Wire.Name(r, "dataTraceEnabled")),
            DetailedMetricsEnabled = r.Bool(Wire.Name(r, "detailedMetricsEnabled")),
            LoggingLevel = r.String(Wire.Name(r, "loggingLevel")),
            ThrottlingBurstLimit = r.Int(Wire.Name(r, "throttlingBurstLimit")),
            ThrottlingRateLimit = r.Double(Wire.Name(r, "throttlingRateLimit")),
        };
        if (settings.ThrottlingBurstLimit < 0 || settings.ThrottlingRateLimit < 0)
            throw ApiGatewayV2Errors.BadRequest("Throttling limits must be greater than or equal to 0.");
        if (settings.LoggingLevel is not (null or "OFF" or "ERROR" or "INFO"))
            throw ApiGatewayV2Errors.BadRequest($"Invalid LoggingLevel {settings.LoggingLevel}: it must be OFF, ERROR or INFO.");
        return settings;
    }

    /// <summary>These settings with the members they leave unset taken from <paramref name="fallback"/>.</summary>
    public StageRouteSettings Over(StageRouteSettings fallback) => new()
    {
        DataTraceEnabled = DataTraceEnabled ?? fallback.DataTraceEnabled,
        LoggingLevel = LoggingLevel ?? fallback.LoggingLevel,
        DetailedMetricsEnabled = DetailedMetricsEnabled ?? fallback.DetailedMetricsEnabled,
        ThrottlingBurstLimit = ThrottlingBurstLimit ?? fallback.ThrottlingBurstLimit,
        ThrottlingRateLimit = ThrottlingRateLimit ?? fallback.ThrottlingRateLimit,
    };
}

public sealed record HttpDeployment
{
    public required string DeploymentId { get; init; }
    public string DeploymentStatus { get; init; } = "DEPLOYED";
    public string? Description { get; init; }
    public bool AutoDeployed { get; init; }
    public DateTimeOffset CreatedDate { get; init; }
}

/// <summary>What a deployment froze: the routes, integrations and authorizers the data plane serves from it.</summary>
public sealed record DeployedDefinition
{
    public Dictionary<string, HttpRoute> Routes { get; init; } = [];
    public Dictionary<string, HttpIntegration> Integrations { get; init; } = [];
    public Dictionary<string, HttpAuthorizer> Authorizers { get; init; } = [];
    public CorsSettings? Cors { get; init; }
    /// <summary>WebSocket APIs: each route's route responses, by route id.</summary>
    public Dictionary<string, Dictionary<string, WebSocketRouteResponse>> RouteResponses { get; init; } = [];
    /// <summary>WebSocket APIs: the models, by model id.</summary>
    public Dictionary<string, WebSocketModel> Models { get; init; } = [];
    /// <summary>WebSocket APIs: each non-proxy integration's integration responses, by integration id.</summary>
    public Dictionary<string, Dictionary<string, WebSocketIntegrationResponse>> IntegrationResponses { get; init; } = [];
}

/// <summary>An HTTP API and everything under it, stored as one document (per account and region).</summary>
public sealed record HttpApiDocument
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required HttpApi Api { get; init; }
    public Dictionary<string, HttpRoute> Routes { get; init; } = [];
    public Dictionary<string, HttpIntegration> Integrations { get; init; } = [];
    public Dictionary<string, HttpAuthorizer> Authorizers { get; init; } = [];
    public Dictionary<string, HttpStage> Stages { get; init; } = [];
    public Dictionary<string, HttpDeployment> Deployments { get; init; } = [];
    public Dictionary<string, DeployedDefinition> Snapshots { get; init; } = [];
    /// <summary>WebSocket APIs: each route's route responses, by route id.</summary>
    public Dictionary<string, Dictionary<string, WebSocketRouteResponse>> RouteResponses { get; init; } = [];
    /// <summary>WebSocket APIs: the models, by model id.</summary>
    public Dictionary<string, WebSocketModel> Models { get; init; } = [];
    /// <summary>WebSocket APIs: each non-proxy integration's integration responses, by integration id.</summary>
    public Dictionary<string, Dictionary<string, WebSocketIntegrationResponse>> IntegrationResponses { get; init; } = [];
}

/// <summary>CreateApi/UpdateApi's members; null where the call leaves a member as it is.</summary>
public sealed record ApiSettings(string? Name, string? ProtocolType, string? Description, string? Version, CorsSettings? Cors,
    bool? DisableExecuteApiEndpoint, Dictionary<string, string>? Tags, string? Target, string? RouteKey, string? CredentialsArn,
    string? RouteSelectionExpression, string? ApiKeySelectionExpression = null)
{
    public static ApiSettings Read(IInputReader r) => new(r.String(Wire.Name(r, "name")), r.String(Wire.Name(r, "protocolType")),
        r.String(Wire.Name(r, "description")), r.String(Wire.Name(r, "version")), CorsSettings.Read(r, "corsConfiguration"),
        r.Bool(Wire.Name(r, "disableExecuteApiEndpoint")), r.StringMap(Wire.Name(r, "tags")), r.String(Wire.Name(r, "target")),
        r.String(Wire.Name(r, "routeKey")), r.String(Wire.Name(r, "credentialsArn")), r.String(Wire.Name(r, "routeSelectionExpression")),
        r.String(Wire.Name(r, "apiKeySelectionExpression")));
}

public sealed record RouteSettings(string? RouteKey, string? AuthorizationType, string? AuthorizerId, List<string>? AuthorizationScopes,
    bool? ApiKeyRequired, string? OperationName, string? Target, string? RouteResponseSelectionExpression = null,
    Dictionary<string, ParameterConstraints>? RequestParameters = null, Dictionary<string, string>? RequestModels = null, string? ModelSelectionExpression = null)
{
    public static RouteSettings Read(IInputReader r) => new(r.String(Wire.Name(r, "routeKey")), r.String(Wire.Name(r, "authorizationType")),
        r.String(Wire.Name(r, "authorizerId")), Wire.List(r, "authorizationScopes"), r.Bool(Wire.Name(r, "apiKeyRequired")),
        r.String(Wire.Name(r, "operationName")), r.String(Wire.Name(r, "target")), r.String(Wire.Name(r, "routeResponseSelectionExpression")),
        r.ObjectMap(Wire.Name(r, "requestParameters"))?.ToDictionary(p => p.Key,
            p => new ParameterConstraints { Required = p.Value.Bool(Wire.Name(p.Value, "required")) ?? false }, StringComparer.Ordinal),
        NonEmpty(r.StringMap(Wire.Name(r, "requestModels"))), r.String(Wire.Name(r, "modelSelectionExpression")));

    /// <summary>A map the reader gives as empty when absent, as null: a route that names no models has none.</summary>
    internal static Dictionary<string, string>? NonEmpty(Dictionary<string, string>? map) => map is { Count: > 0 } ? map : null;
}

/// <summary>CreateRouteResponse/UpdateRouteResponse's members.</summary>
public sealed record RouteResponseSettings(string? RouteResponseKey, Dictionary<string, string>? ResponseModels = null, string? ModelSelectionExpression = null)
{
    public static RouteResponseSettings Read(IInputReader r)
    {
        // Response parameters would map headers, and a WebSocket message carries none, so they are refused rather than stored unused.
        if (r.Has(Wire.Name(r, "responseParameters")))
            throw ApiGatewayV2Errors.WebSocketNotServed("response parameters on route responses (a WebSocket message carries no headers)");
        return new(r.String(Wire.Name(r, "routeResponseKey")), RouteSettings.NonEmpty(r.StringMap(Wire.Name(r, "responseModels"))),
            r.String(Wire.Name(r, "modelSelectionExpression")));
    }
}

public sealed record IntegrationSettings(string? IntegrationType, string? IntegrationUri, string? IntegrationMethod, string? PayloadFormatVersion,
    int? TimeoutInMillis, string? Description, string? CredentialsArn, Dictionary<string, string>? RequestParameters, string? ConnectionType,
    Dictionary<string, string>? RequestTemplates = null, string? TemplateSelectionExpression = null, string? PassthroughBehavior = null,
    string? ContentHandlingStrategy = null)
{
    public static IntegrationSettings Read(IInputReader r) => new(r.String(Wire.Name(r, "integrationType")), r.String(Wire.Name(r, "integrationUri")),
        r.String(Wire.Name(r, "integrationMethod")), r.String(Wire.Name(r, "payloadFormatVersion")), r.Int(Wire.Name(r, "timeoutInMillis")),
        r.String(Wire.Name(r, "description")), r.String(Wire.Name(r, "credentialsArn")),
        // Absent is read as empty: left null so that an update that does not name the mapping keeps it.
        RouteSettings.NonEmpty(r.StringMap(Wire.Name(r, "requestParameters"))), r.String(Wire.Name(r, "connectionType")), RouteSettings.NonEmpty(r.StringMap(Wire.Name(r, "requestTemplates"))),
        r.String(Wire.Name(r, "templateSelectionExpression")), r.String(Wire.Name(r, "passthroughBehavior")), r.String(Wire.Name(r, "contentHandlingStrategy")));

    /// <summary>Whether the call sets a member only WebSocket APIs' integrations have.</summary>
    public bool SetsWebSocketMembers => RequestTemplates is not null || TemplateSelectionExpression is not null || PassthroughBehavior is not null
        || ContentHandlingStrategy is not null;
}

public sealed record AuthorizerSettings(string? Name, string? AuthorizerType, List<string>? IdentitySource, JwtSettings? Jwt, string? AuthorizerUri,
    string? PayloadFormatVersion, bool? EnableSimpleResponses, int? ResultTtlInSeconds)
{
    public static AuthorizerSettings Read(IInputReader r)
    {
        var jwt = r.Object(Wire.Name(r, "jwtConfiguration")) is { } j
            ? new JwtSettings { Audience = Wire.List(j, "audience"), Issuer = j.String(Wire.Name(j, "issuer")) }
            : null;
        return new(r.String(Wire.Name(r, "name")), r.String(Wire.Name(r, "authorizerType")), Wire.List(r, "identitySource"), jwt,
            r.String(Wire.Name(r, "authorizerUri")), r.String(Wire.Name(r, "authorizerPayloadFormatVersion")),
            r.Bool(Wire.Name(r, "enableSimpleResponses")), r.Int(Wire.Name(r, "authorizerResultTtlInSeconds")));
    }
}

public sealed record StageSettings(string? StageName, string? DeploymentId, bool? AutoDeploy, string? Description, Dictionary<string, string>? StageVariables,
    AccessLogSettings? AccessLog, Dictionary<string, string>? Tags, StageRouteSettings? DefaultRouteSettings,
    Dictionary<string, StageRouteSettings>? RouteSettings)
{
    public static StageSettings Read(IInputReader r)
    {
        var log = r.Object(Wire.Name(r, "accessLogSettings")) is { } l
            ? new AccessLogSettings { DestinationArn = l.String(Wire.Name(l, "destinationArn")), Format = l.String(Wire.Name(l, "format")) }
            : null;
        return new(r.String(Wire.Name(r, "stageName")), r.String(Wire.Name(r, "deploymentId")), r.Bool(Wire.Name(r, "autoDeploy")),
            r.String(Wire.Name(r, "description")), r.StringMap(Wire.Name(r, "stageVariables")), log, r.StringMap(Wire.Name(r, "tags")),
            r.Object(Wire.Name(r, "defaultRouteSettings")) is { } defaults ? StageRouteSettings.Read(defaults) : null,
            r.ObjectMap(Wire.Name(r, "routeSettings"))?.ToDictionary(p => p.Key, p => StageRouteSettings.Read(p.Value), StringComparer.Ordinal));
    }
}

/// <summary>Member names: the wire's camelCase, or CloudFormation's PascalCase for the same member.</summary>
internal static class Wire
{
    public static string Name(IInputReader reader, string wireName) =>
        reader.FromTemplate ? char.ToUpperInvariant(wireName[0]) + wireName[1..] : wireName;

    public static List<string>? List(IInputReader reader, string wireName) =>
        reader.Has(Name(reader, wireName)) ? [.. reader.Strings(Name(reader, wireName))] : null;
}

/// <summary>How stored records are written on the wire: AWS's camelCase member names, absent members left out.</summary>
internal static class WireJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
