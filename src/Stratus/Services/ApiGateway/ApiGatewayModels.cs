using Stratus.Protocols;
namespace Stratus.Services.ApiGateway;

// These classes are API Gateway's own wire shapes (camelCased on the wire), so the control plane renders
// and patches them generically; the stored documents around them carry what the wire never shows.

public sealed class EndpointConfiguration
{
    public List<string> Types { get; set; } = ["EDGE"];
}

public sealed class RestApi
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public DateTimeOffset CreatedDate { get; set; }
    public string? Version { get; set; }
    public List<string>? BinaryMediaTypes { get; set; }
    public int? MinimumCompressionSize { get; set; }
    public string ApiKeySource { get; set; } = "HEADER";
    public EndpointConfiguration EndpointConfiguration { get; set; } = new();
    public string? Policy { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
    public bool DisableExecuteApiEndpoint { get; set; }
    public string RootResourceId { get; set; } = "";
}

public sealed class ApiResource
{
    public string Id { get; set; } = "";
    public string? ParentId { get; set; }
    public string? PathPart { get; set; }
    public string Path { get; set; } = "/";
    public Dictionary<string, ApiMethod>? ResourceMethods { get; set; }
}

public sealed class ApiMethod
{
    public string HttpMethod { get; set; } = "";
    public string AuthorizationType { get; set; } = "NONE";
    public string? AuthorizerId { get; set; }
    public bool ApiKeyRequired { get; set; }
    public string? RequestValidatorId { get; set; }
    public string? OperationName { get; set; }
    public Dictionary<string, bool>? RequestParameters { get; set; }
    public Dictionary<string, string>? RequestModels { get; set; }
    public Dictionary<string, MethodResponse>? MethodResponses { get; set; }
    public Integration? MethodIntegration { get; set; }
    public List<string>? AuthorizationScopes { get; set; }
}

public sealed class MethodResponse
{
    public string StatusCode { get; set; } = "";
    public Dictionary<string, bool>? ResponseParameters { get; set; }
    public Dictionary<string, string>? ResponseModels { get; set; }
}

public sealed class Integration
{
    public string Type { get; set; } = "";
    public string? HttpMethod { get; set; }
    public string? Uri { get; set; }
    public string ConnectionType { get; set; } = "INTERNET";
    public string? Credentials { get; set; }
    public Dictionary<string, string>? RequestParameters { get; set; }
    public Dictionary<string, string>? RequestTemplates { get; set; }
    public string PassthroughBehavior { get; set; } = "WHEN_NO_MATCH";
    public string? ContentHandling { get; set; }
    public int TimeoutInMillis { get; set; } = 29000;
    public string? CacheNamespace { get; set; }
    public List<string> CacheKeyParameters { get; set; } = [];
    public TlsConfig? TlsConfig { get; set; }
    public Dictionary<string, IntegrationResponse>? IntegrationResponses { get; set; }
}

/// <summary>An HTTP or HTTP_PROXY integration's TLS settings: insecureSkipVerification accepts a backend certificate the trust store does not.</summary>
public sealed class TlsConfig
{
    public bool InsecureSkipVerification { get; set; }
}

public sealed class IntegrationResponse
{
    public string StatusCode { get; set; } = "";
    public string? SelectionPattern { get; set; }
    public Dictionary<string, string>? ResponseParameters { get; set; }
    public Dictionary<string, string>? ResponseTemplates { get; set; }
    public string? ContentHandling { get; set; }
}

public sealed class Deployment
{
    public string Id { get; set; } = "";
    public string? Description { get; set; }
    public DateTimeOffset CreatedDate { get; set; }
}

public sealed class MethodSetting
{
    public bool MetricsEnabled { get; set; }
    public string LoggingLevel { get; set; } = "OFF";
    public bool DataTraceEnabled { get; set; }
    public int ThrottlingBurstLimit { get; set; } = 5000;
    public double ThrottlingRateLimit { get; set; } = 10000;
    public bool CachingEnabled { get; set; }
    public int CacheTtlInSeconds { get; set; } = 300;
    public bool CacheDataEncrypted { get; set; }
    public bool RequireAuthorizationForCacheControl { get; set; } = true;
    public string UnauthorizedCacheControlHeaderStrategy { get; set; } = "SUCCEED_WITH_RESPONSE_HEADER";
}

public sealed class Stage
{
    public string DeploymentId { get; set; } = "";
    public string StageName { get; set; } = "";
    public string? Description { get; set; }
    public bool CacheClusterEnabled { get; set; }
    public string? CacheClusterSize { get; set; }
    public string CacheClusterStatus { get; set; } = "NOT_AVAILABLE";
    public string? DocumentationVersion { get; set; }
    /// <summary>The client certificate the stage's HTTP and HTTP_PROXY integrations present to backends that ask for one.</summary>
    public string? ClientCertificateId { get; set; }
    public Dictionary<string, MethodSetting> MethodSettings { get; set; } = [];
    public Dictionary<string, string>? Variables { get; set; }
    public bool TracingEnabled { get; set; }
    public AccessLogSettings? AccessLogSettings { get; set; }
    public CanarySettings? CanarySettings { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
    public DateTimeOffset CreatedDate { get; set; }
    public DateTimeOffset LastUpdatedDate { get; set; }
}

/// <summary>One REST API with its resource tree, stored as one document so every change to it is atomic.</summary>
public sealed class RestApiDocument
{
    public string AccountId { get; set; } = "";
    public string Region { get; set; } = "";
    public RestApi Api { get; set; } = new();
    public Dictionary<string, ApiResource> Resources { get; set; } = [];
    /// <summary>Models by name, request validators by id (ApiGatewayService.Models.cs).</summary>
    public Dictionary<string, ApiModel> Models { get; set; } = [];
    public Dictionary<string, RequestValidator> RequestValidators { get; set; } = [];
    /// <summary>The API's customized gateway responses by response type (ApiGatewayService.GatewayResponses.cs).</summary>
    public Dictionary<string, ApiGatewayResponse> GatewayResponses { get; set; } = [];
    /// <summary>The API's authorizers by id (ApiGatewayService.Authorizers.cs).</summary>
    public Dictionary<string, ApiAuthorizer> Authorizers { get; set; } = [];
    /// <summary>Documentation parts by id and documentation versions by version (ApiGatewayService.Documentation.cs).</summary>
    public Dictionary<string, DocumentationPart> DocumentationParts { get; set; } = [];
    public Dictionary<string, DocumentationSnapshot> DocumentationVersions { get; set; } = [];
}

/// <summary>A deployment and the frozen copy of the resource tree it serves.</summary>
public sealed class DeploymentDocument
{
    public string AccountId { get; set; } = "";
    public string Region { get; set; } = "";
    public string ApiId { get; set; } = "";
    public Deployment Deployment { get; set; } = new();
    public Dictionary<string, ApiResource> Resources { get; set; } = [];
    /// <summary>The models and request validators as they were when deployed, as AWS freezes them with the resources.</summary>
    public Dictionary<string, ApiModel> Models { get; set; } = [];
    public Dictionary<string, RequestValidator> RequestValidators { get; set; } = [];
    /// <summary>The API's customized gateway responses by response type (ApiGatewayService.GatewayResponses.cs).</summary>
    public Dictionary<string, ApiGatewayResponse> GatewayResponses { get; set; } = [];
    /// <summary>The API's authorizers by id (ApiGatewayService.Authorizers.cs).</summary>
    public Dictionary<string, ApiAuthorizer> Authorizers { get; set; } = [];
}

/// <summary>Where a stage writes one line per request (a log group's ARN) and in which format ($context variables).</summary>
public sealed class AccessLogSettings
{
    public string? Format { get; set; }
    public string? DestinationArn { get; set; }
}

/// <summary>A stage's canary: the share of requests (percent) served by another deployment, with its stage variable overrides.</summary>
public sealed class CanarySettings
{
    public double PercentTraffic { get; set; }
    public string? DeploymentId { get; set; }
    public Dictionary<string, string>? StageVariableOverrides { get; set; }
    public bool UseStageCache { get; set; }
}

public sealed class StageDocument
{
    public string AccountId { get; set; } = "";
    public string Region { get; set; } = "";
    public string ApiId { get; set; } = "";
    public Stage Stage { get; set; } = new();
}

/// <summary>An account's API Gateway settings in a region (GetAccount): the role API Gateway writes CloudWatch logs with.</summary>
public sealed record ApiGatewayAccount(string? CloudWatchRoleArn);

public sealed record PatchOperation(string Op, string Path, string? Value, string? From);

// The typed inputs below are each read once, by the control plane's operation and by the CloudFormation
// resource that takes the same members. Where the wire binds a member to a URI label (parent_id,
// status_code) the template names it as a property (ParentId, StatusCode); where the two differ in name
// or in shape (tags as a map on the wire, a Tag list in a template) the reader's FromTemplate picks.

public sealed record RestApiSettings(string Name, string? Description, string? Version, List<string>? BinaryMediaTypes,
    int? MinimumCompressionSize, string? ApiKeySource, List<string>? EndpointTypes, string? Policy,
    Dictionary<string, string>? Tags, bool DisableExecuteApiEndpoint)
{
    /// <summary>
    /// CreateRestApi's members, or an AWS::ApiGateway::RestApi's. A template may leave Name to its Body's
    /// info.title, which the provider passes as <paramref name="title"/>.
    /// </summary>
    public static RestApiSettings Read(IInputReader input, string? title = null) => new(
        input.String("name") ?? title ?? throw input.Missing("name"),
        input.String("description"), input.String("version"),
        input.Strings("binaryMediaTypes") is { Count: > 0 } media ? media.ToList() : null,
        input.Int("minimumCompressionSize"),
        input.String(input.FromTemplate ? "ApiKeySourceType" : "apiKeySource"),
        input.Object("endpointConfiguration") is { } endpoint ? endpoint.Strings("types").ToList() : null,
        // A template may write the policy as an object; the wire carries it as a string.
        input.Has("policy") ? input.RequiredDocument("policy") : null,
        ApiGatewayTags.Read(input),
        input.Bool("disableExecuteApiEndpoint") ?? false);
}

/// <summary>Tags: a map on API Gateway's wire, a Tag list in a template.</summary>
public static class ApiGatewayTags
{
    public static Dictionary<string, string>? Read(IInputReader input) =>
        input.FromTemplate ? input.TagMap() : input.StringMap("tags");
}

/// <summary>CreateResource's members, or an AWS::ApiGateway::Resource's.</summary>
public sealed record ResourceSettings(string ParentId, string PathPart)
{
    public static ResourceSettings Read(IInputReader input) =>
        new(input.Required(input.FromTemplate ? "ParentId" : "parent_id"), input.Required("pathPart"));
}

/// <summary>PutMethod's members, or an AWS::ApiGateway::Method's own (its responses and integration are read apart).</summary>
public sealed record MethodSettings(string AuthorizationType, string? AuthorizerId, bool ApiKeyRequired, string? OperationName,
    Dictionary<string, bool>? RequestParameters, Dictionary<string, string>? RequestModels, string? RequestValidatorId, List<string>? AuthorizationScopes)
{
    public static MethodSettings Read(IInputReader input) => new(
        // PutMethod requires authorizationType; CloudFormation defaults it to NONE.
        input.FromTemplate ? input.String("authorizationType") ?? "NONE" : input.Required("authorizationType"),
        input.String("authorizerId"), input.Bool("apiKeyRequired") ?? false, input.String("operationName"),
        input.BoolMap("requestParameters"), input.StringMap("requestModels"), input.String("requestValidatorId"),
        input.Strings("authorizationScopes").ToList());
}

/// <summary>PutMethodResponse's members, or one of an AWS::ApiGateway::Method's MethodResponses.</summary>
public sealed record MethodResponseSettings(string StatusCode, Dictionary<string, bool>? ResponseParameters, Dictionary<string, string>? ResponseModels)
{
    public static MethodResponseSettings Read(IInputReader input) => new(
        input.Required(input.FromTemplate ? "StatusCode" : "status_code"), input.BoolMap("responseParameters"), input.StringMap("responseModels"));
}

/// <summary>PutIntegrationResponse's members, or one of an AWS::ApiGateway::Method's Integration.IntegrationResponses.</summary>
public sealed record IntegrationResponseSettings(string StatusCode, string? SelectionPattern, Dictionary<string, string>? ResponseParameters,
    Dictionary<string, string>? ResponseTemplates, string? ContentHandling)
{
    public static IntegrationResponseSettings Read(IInputReader input) => new(
        input.Required(input.FromTemplate ? "StatusCode" : "status_code"), input.String("selectionPattern"),
        input.StringMap("responseParameters"),
        // A template may be null ("application/json": null passes the body through); both readers give "".
        input.StringMap("responseTemplates"),
        input.String("contentHandling"));
}

/// <summary>CreateDeployment's members, or an AWS::ApiGateway::Deployment's.</summary>
public sealed record DeploymentSettings(string? StageName, string? StageDescription, string? Description, Dictionary<string, string>? Variables,
    CanarySettings? Canary = null, bool? CacheClusterEnabled = null, string? CacheClusterSize = null)
{
    public static DeploymentSettings Read(IInputReader input)
    {
        if (!input.FromTemplate)
            return new(input.String("stageName"), input.String("stageDescription"), input.String("description"), input.StringMap("variables"),
                input.Object("canarySettings") is { } canary ? StageSettings.ReadCanary(canary) : null,
                input.Bool("cacheClusterEnabled"), input.String("cacheClusterSize"));
        // A template's StageDescription is the stage's own settings: its description, variables and cache.
        var stage = input.Object("stageDescription");
        return new(input.String("stageName"), stage?.String("description"), input.String("description"), stage?.StringMap("variables"),
            null, stage?.Bool("cacheClusterEnabled"), stage?.String("cacheClusterSize"));
    }
}

/// <summary>What CreateStage sets besides the stage's name (which a template may leave to CloudFormation).</summary>
public sealed record StageSettings(string DeploymentId, string? Description, Dictionary<string, string>? Variables, bool TracingEnabled,
    Dictionary<string, string>? Tags, CanarySettings? Canary = null, AccessLogSettings? AccessLog = null,
    bool CacheClusterEnabled = false, string? CacheClusterSize = null, string? DocumentationVersion = null, string? ClientCertificateId = null)
{
    /// <summary>CreateStage's members, or an AWS::ApiGateway::Stage's (whose CanarySetting and AccessLogSetting CreateStage does not take on the wire).</summary>
    public static StageSettings Read(IInputReader input) => new(input.Required("deploymentId"), input.String("description"),
        input.StringMap("variables"), input.Bool("tracingEnabled") ?? false, ApiGatewayTags.Read(input),
        input.Object(input.FromTemplate ? "CanarySetting" : "canarySettings") is { } canary ? ReadCanary(canary) : null,
        input.FromTemplate && input.Object("AccessLogSetting") is { } log
            ? new AccessLogSettings { DestinationArn = log.String("destinationArn"), Format = log.String("format") }
            : null,
        input.Bool("cacheClusterEnabled") ?? false, input.String("cacheClusterSize"), input.String("documentationVersion"), input.String("clientCertificateId"));

    public static CanarySettings ReadCanary(IInputReader canary) => new()
    {
        PercentTraffic = canary.Double("percentTraffic") ?? 0,
        DeploymentId = canary.String("deploymentId"),
        StageVariableOverrides = canary.StringMap("stageVariableOverrides") is { Count: > 0 } overrides ? overrides : null,
        UseStageCache = canary.Bool("useStageCache") ?? false,
    };
}

public sealed record IntegrationSettings(string Type, string? HttpMethod, string? Uri, string? ConnectionType, string? Credentials,
    Dictionary<string, string>? RequestParameters, Dictionary<string, string>? RequestTemplates, string? PassthroughBehavior,
    string? ContentHandling, int? TimeoutInMillis, string? CacheNamespace, List<string>? CacheKeyParameters, TlsConfig? TlsConfig = null)
{
    /// <summary>PutIntegration's members, or an AWS::ApiGateway::Method's Integration property.</summary>
    public static IntegrationSettings Read(IInputReader input) => new(
        input.Required("type"),
        // CloudFormation names the integration's own method IntegrationHttpMethod (HttpMethod is the method's).
        input.String(input.FromTemplate ? "IntegrationHttpMethod" : "httpMethod"),
        input.String("uri"), input.String("connectionType"), input.String("credentials"),
        input.StringMap("requestParameters"),
        // A template may be null ("application/json": null passes the body through); both readers give "".
        input.StringMap("requestTemplates"),
        input.String("passthroughBehavior"), input.String("contentHandling"), input.Int("timeoutInMillis"),
        input.String("cacheNamespace"), input.Strings("cacheKeyParameters").ToList(),
        input.Object("tlsConfig") is { } tls ? new TlsConfig { InsecureSkipVerification = tls.Bool("insecureSkipVerification") ?? false } : null);
}

/// <summary>A deployed stage as the data plane serves it.</summary>
/// <param name="Variables">The stage variables this request sees: a canary request's with the canary's overrides.</param>
public sealed record DeployedStage(string AccountId, string Region, string ApiId, string ApiName, IReadOnlyList<string> BinaryMediaTypes,
    Stage Stage, DeploymentDocument Deployment, string ApiKeySource = "HEADER", bool IsCanary = false)
{
    /// <summary>disableExecuteApiEndpoint: the execute-api URLs answer 403 and only custom domain names reach the API.</summary>
    public bool DefaultEndpointDisabled { get; init; }

    public IReadOnlyDictionary<string, string> Variables { get; init; } = Stage.Variables ?? [];
}
