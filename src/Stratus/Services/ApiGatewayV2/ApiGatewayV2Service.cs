using System.Collections.Concurrent;
using System.Text.Json;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.ApiGateway;
using static Stratus.Services.ApiGatewayV2.ApiGatewayV2Errors;

namespace Stratus.Services.ApiGatewayV2;

/// <summary>A stage the data plane serves: its API, the stage, and the definition its deployment froze.</summary>
public sealed record ServedStage(string AccountId, string Region, HttpApi Api, HttpStage Stage, string DeploymentId, DeployedDefinition Definition)
{
    /// <summary>The route's settings on the stage: its own entry's members, the rest from the stage's DefaultRouteSettings.</summary>
    public StageRouteSettings RouteSettingsOf(string routeKey) =>
        Stage.RouteSettings.GetValueOrDefault(routeKey)?.Over(Stage.DefaultRouteSettings) ?? Stage.DefaultRouteSettings;
}

/// <summary>
/// API Gateway v2's control plane for HTTP APIs: APIs, routes, integrations, authorizers, stages and
/// deployments, per account and region. One document per API, written through on every change.
/// </summary>
public sealed partial class ApiGatewayV2Service
{
    public const string DefaultStage = "$default";
    private static readonly HashSet<string> RouteMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"];

    private readonly ResourceTable<HttpApiDocument> _apis;
    private readonly TimeProvider _clock;
    private readonly StratusAddress _address;
    // API ids are unique across accounts (shared with REST APIs' id space), so the data plane finds an API by id alone.
    private readonly ConcurrentDictionary<string, string> _keysById = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public ApiGatewayV2Service(StateStore store, TimeProvider clock, StratusAddress address)
    {
        _clock = clock;
        _address = address;
        _apis = new ResourceTable<HttpApiDocument>(store, "apigatewayv2.apis");
        foreach (var (key, document) in _apis.Entries) _keysById[document.Api.ApiId] = key;
    }

    private DateTimeOffset Now => DateTimeOffset.FromUnixTimeSeconds(_clock.GetUtcNow().ToUnixTimeSeconds());

    private static string Key(Scope scope, string apiId) => ResourceTable<HttpApiDocument>.Key(scope.AccountId, scope.Region, apiId);

    /// <summary>The invoke URL of the host form; the path form is <see cref="PathEndpoint"/>.</summary>
    public string Endpoint(string apiId) => $"http://{apiId}.execute-api.localhost:{_address.BaseUrl.Port}";

    /// <summary>The invoke URL that opens in every client with no DNS: on Stratus's own bound address, as function URLs' path form.</summary>
    public string PathEndpoint(string apiId) => _address.Url($"/_aws/execute-api/{apiId}");

    public bool IsHttpApi(string apiId) => _keysById.ContainsKey(apiId);

    private HttpApiDocument Document(Scope scope, string apiId) => _apis.Get(Key(scope, apiId)) ?? throw ApiNotFound(apiId);

    /// <summary>Applies a change to an API's document and redeploys its auto-deploy stages, under one lock so changes do not interleave.</summary>
    private T Change<T>(Scope scope, string apiId, Func<HttpApiDocument, (HttpApiDocument Next, T Result)> change, bool redeploys = true)
    {
        lock (_gate)
        {
            // A copy: the stored document is what the data plane reads, and it changes only by being replaced once written.
            var (next, result) = change(Copy(Document(scope, apiId)));
            if (redeploys) next = AutoDeploy(next);
            _apis.Put(Key(scope, apiId), next);
            return result;
        }
    }

    private static T Copy<T>(T value) => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value))!;

    // ---- APIs ----

    public HttpApi CreateApi(Scope scope, ApiSettings settings) => CreateApi(scope, settings, null);

    private HttpApi CreateApi(Scope scope, ApiSettings settings, Func<HttpApiDocument, HttpApiDocument>? define)
    {
        if (string.IsNullOrWhiteSpace(settings.Name)) throw BadRequest("Name is required for an API.");
        var protocol = settings.ProtocolType ?? throw BadRequest("ProtocolType is required for an API.");
        CheckProtocol(protocol);
        if (protocol == WebSocketRules.Protocol) WebSocketRules.CheckCreate(settings);
        else CheckHttpRouteSelection(settings.RouteSelectionExpression);
        if (settings.Target is null && settings.RouteKey is not null) throw BadRequest("RouteKey is only allowed with Target (quick create).");
        CheckCors(settings.Cors);
        var document = new HttpApiDocument
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Api = new HttpApi
            {
                ApiId = ApiGatewayErrors.NewId(),
                Name = settings.Name,
                ProtocolType = protocol,
                RouteSelectionExpression = settings.RouteSelectionExpression ?? HttpRouteSelection,
                // AWS keeps the selection expression of WebSocket APIs only; an HTTP API's stays the default it reports.
                ApiKeySelectionExpression = protocol == WebSocketRules.Protocol ? settings.ApiKeySelectionExpression ?? WebSocketRules.ApiKeyHeader : WebSocketRules.ApiKeyHeader,
                Description = settings.Description,
                Version = settings.Version,
                CorsConfiguration = settings.Cors,
                DisableExecuteApiEndpoint = settings.DisableExecuteApiEndpoint ?? false,
                CreatedDate = Now,
                Tags = settings.Tags ?? [],
            },
        };
        if (settings.Target is { } target) document = QuickCreate(document, target, settings.RouteKey ?? "$default");
        if (define is not null) document = define(document);
        var key = Key(scope, document.Api.ApiId);
        lock (_gate)
        {
            document = AutoDeploy(document);
            if (!_apis.TryAdd(key, document)) throw Conflict("Unable to create the API, try again.");
        }
        _keysById[document.Api.ApiId] = key;
        return document.Api;
    }

    private const string HttpRouteSelection = "$request.method $request.path";

    private static void CheckProtocol(string protocolType)
    {
        if (protocolType is not ("HTTP" or WebSocketRules.Protocol)) throw BadRequest($"Invalid protocolType {protocolType}: it must be HTTP or WEBSOCKET.");
    }

    private static void CheckHttpRouteSelection(string? selection)
    {
        if (selection is not null && selection != HttpRouteSelection)
            throw BadRequest("Unsupported RouteSelectionExpression for an HTTP API: it must be '$request.method $request.path'.");
    }

    private static void CheckCors(CorsSettings? cors)
    {
        if (cors is null) return;
        if (cors.AllowCredentials == true && cors.AllowOrigins?.Contains("*") == true)
            throw BadRequest("allow-credentials is not supported with wildcard origin");
        if (cors.MaxAge is < -1 or > 86400) throw BadRequest("MaxAge must be between -1 and 86400.");
    }

    /// <summary>
    /// Quick create, as AWS does it: an integration to the target (a Lambda function: AWS_PROXY with payload
    /// format 2.0; a URL: HTTP_PROXY), a route with the route key, and the $default stage with auto-deploy;
    /// all marked ApiGatewayManaged.
    /// </summary>
    private HttpApiDocument QuickCreate(HttpApiDocument document, string target, string routeKey)
    {
        CheckRouteKey(routeKey);
        var isLambda = target.StartsWith("arn:", StringComparison.Ordinal);
        if (!isLambda && !Uri.TryCreate(target, UriKind.Absolute, out _))
            throw BadRequest($"Invalid target {target}: it must be a Lambda function ARN or an HTTP URL.");
        var integration = new HttpIntegration
        {
            IntegrationId = ApiGatewayErrors.NewId()[..7],
            IntegrationType = isLambda ? "AWS_PROXY" : "HTTP_PROXY",
            IntegrationUri = target,
            IntegrationMethod = isLambda ? "POST" : "ANY",
            PayloadFormatVersion = isLambda ? "2.0" : "1.0",
            ApiGatewayManaged = true,
        };
        var route = new HttpRoute { RouteId = ApiGatewayErrors.NewId()[..7], RouteKey = routeKey, Target = "integrations/" + integration.IntegrationId, ApiGatewayManaged = true };
        var stage = new HttpStage { StageName = DefaultStage, AutoDeploy = true, CreatedDate = Now, LastUpdatedDate = Now, ApiGatewayManaged = true };
        document.Integrations[integration.IntegrationId] = integration;
        document.Routes[route.RouteId] = route;
        document.Stages[stage.StageName] = stage;
        return document;
    }

    public HttpApi GetApi(Scope scope, string apiId) => Document(scope, apiId).Api;

    public IReadOnlyList<HttpApi> GetApis(Scope scope) =>
        _apis.Values.Where(d => d.AccountId == scope.AccountId && d.Region == scope.Region).Select(d => d.Api)
            .OrderBy(a => a.CreatedDate).ThenBy(a => a.ApiId, StringComparer.Ordinal).ToList();

    public HttpApi UpdateApi(Scope scope, string apiId, ApiSettings settings)
    {
        if (settings.ProtocolType is { } protocol) CheckProtocol(protocol);
        if (settings.Target is not null || settings.RouteKey is not null)
            throw NotServed("Target and RouteKey on UpdateApi (quick create is CreateApi's)");
        CheckCors(settings.Cors);
        return Change(scope, apiId, document =>
        {
            if (settings.ProtocolType is { } changed && changed != document.Api.ProtocolType)
                throw BadRequest($"The protocolType of an API cannot be changed: {apiId} is {document.Api.ProtocolType}.");
            if (document.Api.IsWebSocket) WebSocketRules.CheckUpdate(settings);
            else CheckHttpRouteSelection(settings.RouteSelectionExpression);
            var api = document.Api with
            {
                Name = settings.Name ?? document.Api.Name,
                RouteSelectionExpression = settings.RouteSelectionExpression ?? document.Api.RouteSelectionExpression,
                ApiKeySelectionExpression = document.Api.IsWebSocket ? settings.ApiKeySelectionExpression ?? document.Api.ApiKeySelectionExpression : document.Api.ApiKeySelectionExpression,
                Description = settings.Description ?? document.Api.Description,
                Version = settings.Version ?? document.Api.Version,
                CorsConfiguration = settings.Cors ?? document.Api.CorsConfiguration,
                DisableExecuteApiEndpoint = settings.DisableExecuteApiEndpoint ?? document.Api.DisableExecuteApiEndpoint,
            };
            return (document with { Api = api }, api);
        });
    }

    /// <summary>DeleteCorsConfiguration: the API answers no preflights and adds no CORS headers from its next deployment.</summary>
    public void DeleteCorsConfiguration(Scope scope, string apiId) =>
        Change(scope, apiId, document => (document with { Api = document.Api with { CorsConfiguration = null } }, true));

    public void DeleteApi(Scope scope, string apiId)
    {
        lock (_gate)
        {
            if (_apis.Remove(Key(scope, apiId)) is null) throw ApiNotFound(apiId);
        }
        _keysById.TryRemove(apiId, out _);
    }

    // ---- routes ----

    /// <summary>"$default", or "METHOD /path" with {name} labels and one greedy {name+} as the last segment.</summary>
    public static void CheckRouteKey(string routeKey)
    {
        if (routeKey == "$default") return;
        var parts = routeKey.Split(' ');
        if (parts.Length != 2 || !RouteMethods.Contains(parts[0]) || !parts[1].StartsWith('/'))
            throw BadRequest($"Unable to create Route: invalid route key '{routeKey}'. A route key is $default or an HTTP method and a path starting with '/', like 'GET /pets/{{id}}'.");
        var segments = parts[1].Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.EndsWith("+}", StringComparison.Ordinal) && i != segments.Length - 1)
                throw BadRequest($"Unable to create Route: the greedy path variable {segment} must be the last segment of '{routeKey}'.");
        }
    }

    public HttpRoute CreateRoute(Scope scope, string apiId, RouteSettings settings)
    {
        var routeKey = settings.RouteKey ?? throw BadRequest("RouteKey is required for a route.");
        return Change(scope, apiId, document =>
        {
            CheckRouteKey(document.Api, routeKey);
            if (document.Routes.Values.Any(r => r.RouteKey == routeKey))
                throw Conflict($"Unable to create Route: a route with route key '{routeKey}' already exists for this API.");
            var route = Authorized(document, new HttpRoute { RouteId = ApiGatewayErrors.NewId()[..7], RouteKey = routeKey }, settings);
            document.Routes[route.RouteId] = route;
            return (document, route);
        });
    }

    private static void CheckRouteKey(HttpApi api, string routeKey)
    {
        if (api.IsWebSocket) WebSocketRules.CheckRouteKey(routeKey);
        else CheckRouteKey(routeKey);
    }

    private static HttpRoute Authorized(HttpApiDocument document, HttpRoute route, RouteSettings settings)
    {
        var next = route with
        {
            AuthorizationType = settings.AuthorizationType ?? route.AuthorizationType,
            AuthorizerId = settings.AuthorizerId ?? route.AuthorizerId,
            AuthorizationScopes = settings.AuthorizationScopes ?? route.AuthorizationScopes,
            ApiKeyRequired = settings.ApiKeyRequired ?? route.ApiKeyRequired,
            OperationName = settings.OperationName ?? route.OperationName,
            Target = settings.Target ?? route.Target,
            RouteResponseSelectionExpression = settings.RouteResponseSelectionExpression ?? route.RouteResponseSelectionExpression,
            RequestParameters = settings.RequestParameters ?? route.RequestParameters,
            RequestModels = settings.RequestModels ?? route.RequestModels,
            ModelSelectionExpression = settings.ModelSelectionExpression ?? route.ModelSelectionExpression,
        };
        if (document.Api.IsWebSocket)
        {
            next = WebSocketRules.CheckRoute(next, document.Authorizers);
            CheckModelNames(document, next.RequestModels, next.ModelSelectionExpression);
        }
        else CheckHttpRoute(document, ref next);
        if (next.Target is { } target)
        {
            if (!target.StartsWith("integrations/", StringComparison.Ordinal) || !document.Integrations.ContainsKey(target["integrations/".Length..]))
                throw BadRequest($"Invalid target {target}: a route's target is integrations/{{integrationId}} of an integration of this API.");
        }
        return next;
    }

    private static void CheckHttpRoute(HttpApiDocument document, ref HttpRoute next)
    {
        if (next.RouteResponseSelectionExpression is not null || next.RequestParameters is not null)
            throw BadRequest("RouteResponseSelectionExpression and RequestParameters are supported only for WebSocket APIs.");
        if (next.RequestModels is not null || next.ModelSelectionExpression is not null)
            throw BadRequest("RequestModels and ModelSelectionExpression are supported only for WebSocket APIs.");
        if (next.ApiKeyRequired) throw BadRequest("API keys are not supported for HTTP APIs.");
        switch (next.AuthorizationType)
        {
            case "NONE" or "AWS_IAM":
                next = next with { AuthorizerId = null };
                break;
            case "JWT" or "CUSTOM":
                var authorizer = next.AuthorizerId is { } id && document.Authorizers.TryGetValue(id, out var found) ? found
                    : throw BadRequest($"Invalid authorizer id specified: {next.AuthorizerId}");
                var expected = next.AuthorizationType == "JWT" ? "JWT" : "REQUEST";
                if (authorizer.AuthorizerType != expected)
                    throw BadRequest($"AuthorizationType {next.AuthorizationType} requires an authorizer of type {expected}, and {authorizer.AuthorizerId} is {authorizer.AuthorizerType}.");
                break;
            default:
                throw BadRequest($"Invalid authorization type {next.AuthorizationType}: it must be NONE, JWT, AWS_IAM or CUSTOM.");
        }
    }

    public HttpRoute GetRoute(Scope scope, string apiId, string routeId) =>
        Document(scope, apiId).Routes.GetValueOrDefault(routeId) ?? throw NotFound("Route", routeId);

    public IReadOnlyList<HttpRoute> GetRoutes(Scope scope, string apiId) => [.. Document(scope, apiId).Routes.Values.OrderBy(r => r.RouteKey, StringComparer.Ordinal)];

    public HttpRoute UpdateRoute(Scope scope, string apiId, string routeId, RouteSettings settings)
    {
        return Change(scope, apiId, document =>
        {
            if (settings.RouteKey is { } key) CheckRouteKey(document.Api, key);
            var route = document.Routes.GetValueOrDefault(routeId) ?? throw NotFound("Route", routeId);
            if (settings.RouteKey is { } routeKey && routeKey != route.RouteKey && document.Routes.Values.Any(r => r.RouteKey == routeKey))
                throw Conflict($"Unable to update Route: a route with route key '{routeKey}' already exists for this API.");
            var next = Authorized(document, route with { RouteKey = settings.RouteKey ?? route.RouteKey }, settings);
            document.Routes[routeId] = next;
            return (document, next);
        });
    }

    public void DeleteRoute(Scope scope, string apiId, string routeId) =>
        Change(scope, apiId, document =>
        {
            if (!document.Routes.Remove(routeId)) throw NotFound("Route", routeId);
            document.RouteResponses.Remove(routeId);
            return (document, true);
        });

    // ---- integrations ----

    public HttpIntegration CreateIntegration(Scope scope, string apiId, IntegrationSettings settings) =>
        CreatePart(scope, apiId, d => d.Integrations, i => i.IntegrationId, document => Integration(document.Api, new HttpIntegration
        {
            IntegrationId = ApiGatewayErrors.NewId()[..7],
            IntegrationType = settings.IntegrationType ?? throw BadRequest("IntegrationType is required for an integration."),
        }, settings));

    private static HttpIntegration Integration(HttpApi api, HttpIntegration current, IntegrationSettings settings)
    {
        var next = current with
        {
            IntegrationType = settings.IntegrationType ?? current.IntegrationType,
            IntegrationUri = settings.IntegrationUri ?? current.IntegrationUri,
            IntegrationMethod = settings.IntegrationMethod ?? current.IntegrationMethod,
            PayloadFormatVersion = settings.PayloadFormatVersion ?? current.PayloadFormatVersion,
            TimeoutInMillis = settings.TimeoutInMillis ?? current.TimeoutInMillis,
            Description = settings.Description ?? current.Description,
            CredentialsArn = settings.CredentialsArn ?? current.CredentialsArn,
            RequestParameters = settings.RequestParameters ?? current.RequestParameters,
            ConnectionType = settings.ConnectionType ?? current.ConnectionType,
            RequestTemplates = settings.RequestTemplates ?? current.RequestTemplates,
            TemplateSelectionExpression = settings.TemplateSelectionExpression ?? current.TemplateSelectionExpression,
            PassthroughBehavior = settings.PassthroughBehavior ?? current.PassthroughBehavior,
            ContentHandlingStrategy = settings.ContentHandlingStrategy ?? current.ContentHandlingStrategy,
        };
        if (next.ConnectionType == "VPC_LINK") throw NotServed("VPC link integrations (connectionType VPC_LINK)");
        if (next.TimeoutInMillis is < 50 or > 30000) throw BadRequest("Timeout must be between 50 milliseconds and 30 seconds.");
        if (api.IsWebSocket) return WebSocketRules.CheckIntegration(next);
        if (settings.SetsWebSocketMembers)
            throw BadRequest("RequestTemplates, TemplateSelectionExpression, PassthroughBehavior and ContentHandlingStrategy are supported only for WebSocket APIs.");
        switch (next.IntegrationType)
        {
            case "AWS_PROXY":
                if (LambdaTarget.FunctionArn(next.IntegrationUri) is null)
                    throw BadRequest($"Invalid integration URI specified: {next.IntegrationUri}. An AWS_PROXY integration names a Lambda function ARN or its invocation URI.");
                next = next with { IntegrationMethod = next.IntegrationMethod ?? "POST" };
                if (next.PayloadFormatVersion is not ("1.0" or "2.0"))
                    throw BadRequest($"Invalid PayloadFormatVersion {next.PayloadFormatVersion ?? "(none)"}: a Lambda integration of an HTTP API needs 1.0 or 2.0.");
                break;
            case "HTTP_PROXY":
                if (!Uri.TryCreate(next.IntegrationUri, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                    throw BadRequest($"Invalid integration URI specified: {next.IntegrationUri}. An HTTP_PROXY integration names an http or https URL.");
                next = next with { IntegrationMethod = next.IntegrationMethod ?? "ANY", PayloadFormatVersion = next.PayloadFormatVersion ?? "1.0" };
                if (next.PayloadFormatVersion != "1.0") throw BadRequest("An HTTP_PROXY integration's PayloadFormatVersion is 1.0.");
                break;
            case "AWS" or "HTTP" or "MOCK":
                throw BadRequest($"Integration type {next.IntegrationType} is supported only for WebSocket APIs.");
            default:
                throw BadRequest($"Invalid integration type {next.IntegrationType}: an HTTP API's integrations are AWS_PROXY or HTTP_PROXY.");
        }
        if (next.RequestParameters is { } mapping) ParameterMapping.Check(mapping);
        return next;
    }

    public HttpIntegration GetIntegration(Scope scope, string apiId, string integrationId) =>
        Document(scope, apiId).Integrations.GetValueOrDefault(integrationId) ?? throw NotFound("Integration", integrationId);

    public IReadOnlyList<HttpIntegration> GetIntegrations(Scope scope, string apiId) => [.. Document(scope, apiId).Integrations.Values];

    public HttpIntegration UpdateIntegration(Scope scope, string apiId, string integrationId, IntegrationSettings settings) =>
        UpdatePart(scope, apiId, d => d.Integrations, "Integration", integrationId, (document, current) => Integration(document.Api, current, settings));

    public void DeleteIntegration(Scope scope, string apiId, string integrationId) =>
        DeletePart(scope, apiId, d => d.Integrations, "Integration", integrationId, r => r.Target == "integrations/" + integrationId,
            user => $"Cannot delete integration {integrationId}: route {user.RouteKey} targets it.", document => document.IntegrationResponses.Remove(integrationId));

    // ---- authorizers ----

    public HttpAuthorizer CreateAuthorizer(Scope scope, string apiId, AuthorizerSettings settings) =>
        CreatePart(scope, apiId, d => d.Authorizers, a => a.AuthorizerId, document => Authorizer(document.Api, new HttpAuthorizer
        {
            AuthorizerId = ApiGatewayErrors.NewId()[..6],
            Name = settings.Name ?? throw BadRequest("Name is required for an authorizer."),
            AuthorizerType = settings.AuthorizerType ?? throw BadRequest("AuthorizerType is required for an authorizer."),
        }, settings));

    private static HttpAuthorizer Authorizer(HttpApi api, HttpAuthorizer current, AuthorizerSettings settings)
    {
        var next = current with
        {
            Name = settings.Name ?? current.Name,
            AuthorizerType = settings.AuthorizerType ?? current.AuthorizerType,
            IdentitySource = settings.IdentitySource ?? current.IdentitySource,
            JwtConfiguration = settings.Jwt ?? current.JwtConfiguration,
            AuthorizerUri = settings.AuthorizerUri ?? current.AuthorizerUri,
            AuthorizerPayloadFormatVersion = settings.PayloadFormatVersion ?? current.AuthorizerPayloadFormatVersion,
            EnableSimpleResponses = settings.EnableSimpleResponses ?? current.EnableSimpleResponses,
            AuthorizerResultTtlInSeconds = settings.ResultTtlInSeconds ?? current.AuthorizerResultTtlInSeconds,
        };
        if (api.IsWebSocket)
        {
            WebSocketRules.CheckAuthorizer(next);
            return next;
        }
        foreach (var source in next.IdentitySource)
            if (!IdentitySources.IsValid(source))
                throw BadRequest($"Invalid identity source {source}: it must be $request.header.name, $request.querystring.name, $context.name or $stageVariables.name.");
        switch (next.AuthorizerType)
        {
            case "JWT":
                if (next.JwtConfiguration?.Issuer is not { Length: > 0 } issuer || !Uri.TryCreate(issuer, UriKind.Absolute, out _))
                    throw BadRequest("JwtConfiguration.Issuer is required for a JWT authorizer and must be a URL.");
                if (next.JwtConfiguration.Audience is not { Count: > 0 }) throw BadRequest("JwtConfiguration.Audience is required for a JWT authorizer.");
                if (next.IdentitySource.Count != 1 || !next.IdentitySource[0].StartsWith("$request.header.", StringComparison.Ordinal))
                    throw BadRequest("A JWT authorizer takes exactly one identity source, a request header such as $request.header.Authorization.");
                break;
            case "REQUEST":
                if (LambdaTarget.FunctionArn(next.AuthorizerUri) is null)
                    throw BadRequest($"Invalid authorizer URI {next.AuthorizerUri}: a REQUEST authorizer names a Lambda function's invocation URI.");
                if (next.AuthorizerPayloadFormatVersion is not ("1.0" or "2.0"))
                    throw BadRequest("AuthorizerPayloadFormatVersion is required for a REQUEST authorizer of an HTTP API: 1.0 or 2.0.");
                if (next.EnableSimpleResponses == true && next.AuthorizerPayloadFormatVersion != "2.0")
                    throw BadRequest("EnableSimpleResponses is only supported with AuthorizerPayloadFormatVersion 2.0.");
                if (next.AuthorizerResultTtlInSeconds is < 0 or > 3600) throw BadRequest("AuthorizerResultTtlInSeconds must be between 0 and 3600.");
                if (next.AuthorizerResultTtlInSeconds > 0 && next.IdentitySource.Count == 0)
                    throw BadRequest("An identity source is required when authorizer caching is enabled.");
                break;
            default:
                throw BadRequest($"Invalid authorizer type {next.AuthorizerType}: an HTTP API's authorizers are JWT or REQUEST.");
        }
        return next;
    }

    public HttpAuthorizer GetAuthorizer(Scope scope, string apiId, string authorizerId) =>
        Document(scope, apiId).Authorizers.GetValueOrDefault(authorizerId) ?? throw NotFound("Authorizer", authorizerId);

    public IReadOnlyList<HttpAuthorizer> GetAuthorizers(Scope scope, string apiId) => [.. Document(scope, apiId).Authorizers.Values];

    public HttpAuthorizer UpdateAuthorizer(Scope scope, string apiId, string authorizerId, AuthorizerSettings settings) =>
        UpdatePart(scope, apiId, d => d.Authorizers, "Authorizer", authorizerId, (document, current) => Authorizer(document.Api, current, settings));

    public void DeleteAuthorizer(Scope scope, string apiId, string authorizerId) =>
        DeletePart(scope, apiId, d => d.Authorizers, "Authorizer", authorizerId, r => r.AuthorizerId == authorizerId,
            user => $"Cannot delete authorizer {authorizerId}: route {user.RouteKey} uses it.");

    /// <summary>Adds a new part to the API under its new id, <paramref name="build"/> making and checking it once the API is found.</summary>
    private T CreatePart<T>(Scope scope, string apiId, Func<HttpApiDocument, Dictionary<string, T>> parts, Func<T, string> id, Func<HttpApiDocument, T> build) =>
        Change(scope, apiId, document =>
        {
            var part = build(document);
            parts(document)[id(part)] = part;
            return (document, part);
        });

    /// <summary>Replaces one part of the API (an integration, an authorizer) by its changed self; NotFoundException naming the kind when it is not there.</summary>
    private T UpdatePart<T>(Scope scope, string apiId, Func<HttpApiDocument, Dictionary<string, T>> parts, string kind, string id,
        Func<HttpApiDocument, T, T> change) where T : class =>
        Change(scope, apiId, document =>
        {
            var collection = parts(document);
            var next = change(document, collection.GetValueOrDefault(id) ?? throw NotFound(kind, id));
            collection[id] = next;
            return (document, next);
        });

    /// <summary>Deletes one part of the API; while a route still uses it, AWS answers ConflictException naming the route.</summary>
    private void DeletePart<T>(Scope scope, string apiId, Func<HttpApiDocument, Dictionary<string, T>> parts, string kind, string id,
        Func<HttpRoute, bool> usedBy, Func<HttpRoute, string> conflict, Action<HttpApiDocument>? alsoDelete = null) =>
        Change(scope, apiId, document =>
        {
            var collection = parts(document);
            if (!collection.ContainsKey(id)) throw NotFound(kind, id);
            if (document.Routes.Values.FirstOrDefault(usedBy) is { } user) throw Conflict(conflict(user));
            collection.Remove(id);
            alsoDelete?.Invoke(document);
            return (document, true);
        });

    // ---- stages and deployments ----

    public HttpStage CreateStage(Scope scope, string apiId, StageSettings settings)
    {
        var name = settings.StageName ?? throw BadRequest("StageName is required for a stage.");
        if (name != DefaultStage && !StageNames.IsValid(name))
            throw BadRequest($"Stage name {name} is invalid: use $default, or letters, digits, hyphens and underscores (at most 128).");
        return Change(scope, apiId, document =>
        {
            if (document.Stages.ContainsKey(name)) throw Conflict($"Stage already exists: {name}");
            if (settings.DeploymentId is { } id && !document.Deployments.ContainsKey(id)) throw NotFound("Deployment", id);
            var stage = Stage(document, new HttpStage { StageName = name, CreatedDate = Now, Tags = settings.Tags ?? [] }, settings);
            document.Stages[name] = stage;
            return (document, stage);
        });
    }

    private HttpStage Stage(HttpApiDocument document, HttpStage current, StageSettings settings)
    {
        // A route's settings name one of the API's route keys, as AWS checks them.
        foreach (var routeKey in settings.RouteSettings?.Keys ?? Enumerable.Empty<string>())
            if (!document.Routes.Values.Any(r => r.RouteKey == routeKey))
                throw BadRequest($"Unable to find Route by key {routeKey} within the provided RouteSettings");
        if (!document.Api.IsWebSocket && (settings.DefaultRouteSettings?.SetsExecutionLogs == true || settings.RouteSettings?.Values.Any(r => r.SetsExecutionLogs) == true))
            throw BadRequest("DataTraceEnabled and LoggingLevel are execution log settings, which only WebSocket APIs support.");
        var routeSettings = new Dictionary<string, StageRouteSettings>(current.RouteSettings, StringComparer.Ordinal);
        foreach (var (routeKey, changed) in settings.RouteSettings ?? [])
            routeSettings[routeKey] = changed.Over(routeSettings.GetValueOrDefault(routeKey) ?? new StageRouteSettings());
        if (settings.AccessLog is { } log && (log.DestinationArn is null || log.Format is null))
            throw BadRequest("AccessLogSettings needs both DestinationArn and Format.");
        if (settings.AccessLog?.DestinationArn is { } arn && !arn.StartsWith("arn:aws:logs:", StringComparison.Ordinal))
            throw BadRequest($"Invalid access log destination {arn}: it must be a CloudWatch Logs log group ARN.");
        return current with
        {
            DeploymentId = settings.DeploymentId ?? current.DeploymentId,
            AutoDeploy = settings.AutoDeploy ?? current.AutoDeploy,
            Description = settings.Description ?? current.Description,
            StageVariables = settings.StageVariables ?? current.StageVariables,
            AccessLogSettings = settings.AccessLog ?? current.AccessLogSettings,
            DefaultRouteSettings = settings.DefaultRouteSettings?.Over(current.DefaultRouteSettings) ?? current.DefaultRouteSettings,
            RouteSettings = routeSettings,
            LastUpdatedDate = Now,
        };
    }

    public HttpStage GetStage(Scope scope, string apiId, string stageName) =>
        Document(scope, apiId).Stages.GetValueOrDefault(stageName) ?? throw NotFound("Stage", stageName);

    public IReadOnlyList<HttpStage> GetStages(Scope scope, string apiId) => [.. Document(scope, apiId).Stages.Values.OrderBy(s => s.StageName, StringComparer.Ordinal)];

    public HttpStage UpdateStage(Scope scope, string apiId, string stageName, StageSettings settings) =>
        Change(scope, apiId, document =>
        {
            var current = document.Stages.GetValueOrDefault(stageName) ?? throw NotFound("Stage", stageName);
            if (settings.DeploymentId is { } id && !document.Deployments.ContainsKey(id)) throw NotFound("Deployment", id);
            var next = Stage(document, current, settings);
            document.Stages[stageName] = next;
            return (document, next);
        });

    public void DeleteStage(Scope scope, string apiId, string stageName) =>
        Change(scope, apiId, document => (document.Stages.Remove(stageName) ? document : throw NotFound("Stage", stageName), true), redeploys: false);

    /// <summary>DeleteRouteSettings: the route key's own settings go, so the route follows the stage's defaults again.</summary>
    public void DeleteRouteSettings(Scope scope, string apiId, string stageName, string routeKey) =>
        Change(scope, apiId, document =>
        {
            var stage = document.Stages.GetValueOrDefault(stageName) ?? throw NotFound("Stage", stageName);
            var remaining = new Dictionary<string, StageRouteSettings>(stage.RouteSettings, StringComparer.Ordinal);
            if (!remaining.Remove(routeKey)) throw NotFound("RouteSettings", routeKey);
            document.Stages[stageName] = stage with { RouteSettings = remaining, LastUpdatedDate = Now };
            return (document, true);
        }, redeploys: false);

    public HttpDeployment CreateDeployment(Scope scope, string apiId, string? stageName, string? description) =>
        Change(scope, apiId, document =>
        {
            HttpStage? stage = null;
            if (stageName is not null)
            {
                stage = document.Stages.GetValueOrDefault(stageName) ?? throw NotFound("Stage", stageName);
                if (stage.AutoDeploy) throw BadRequest($"Stage {stageName} has AutoDeploy enabled: it is deployed on every change.");
            }
            var deployment = Deploy(document, description, autoDeployed: false);
            if (stage is not null) document.Stages[stage.StageName] = stage with { DeploymentId = deployment.DeploymentId, LastUpdatedDate = Now };
            return (document, deployment);
        }, redeploys: false);

    private HttpDeployment Deploy(HttpApiDocument document, string? description, bool autoDeployed)
    {
        if (document.Routes.Count == 0) throw BadRequest("Unable to deploy API because no routes exist in this API");
        var deployment = new HttpDeployment { DeploymentId = ApiGatewayErrors.NewId()[..6], Description = description, AutoDeployed = autoDeployed, CreatedDate = Now };
        document.Deployments[deployment.DeploymentId] = deployment;
        document.Snapshots[deployment.DeploymentId] = Copy(new DeployedDefinition
        {
            Routes = document.Routes, Integrations = document.Integrations, Authorizers = document.Authorizers, Cors = document.Api.CorsConfiguration,
            Models = document.Models,
            RouteResponses = document.RouteResponses,
            IntegrationResponses = document.IntegrationResponses,
        });
        return deployment;
    }

    /// <summary>Every auto-deploy stage gets a new deployment of the API as it now is (AWS deploys on each change).</summary>
    private HttpApiDocument AutoDeploy(HttpApiDocument document)
    {
        var stages = document.Stages.Values.Where(s => s.AutoDeploy).ToList();
        if (stages.Count == 0 || document.Routes.Count == 0) return document;
        var deployment = Deploy(document, "Automatic deployment triggered by changes to the Api configuration", autoDeployed: true);
        foreach (var stage in stages)
        {
            if (stage.DeploymentId is { } previous && document.Deployments.GetValueOrDefault(previous)?.AutoDeployed == true
                && !document.Stages.Values.Any(s => s != stage && s.DeploymentId == previous))
            {
                // An automatic deployment nobody else serves is superseded; keeping it would grow the document on every change.
                document.Deployments.Remove(previous);
                document.Snapshots.Remove(previous);
            }
            document.Stages[stage.StageName] = stage with
            {
                DeploymentId = deployment.DeploymentId,
                LastDeploymentStatusMessage = $"Successfully deployed stage with deployment ID '{deployment.DeploymentId}'",
                LastUpdatedDate = Now,
            };
        }
        return document;
    }

    public HttpDeployment GetDeployment(Scope scope, string apiId, string deploymentId) =>
        Document(scope, apiId).Deployments.GetValueOrDefault(deploymentId) ?? throw NotFound("Deployment", deploymentId);

    /// <summary>UpdateDeployment: a deployment's description is all apigatewayv2 lets change.</summary>
    public HttpDeployment UpdateDeployment(Scope scope, string apiId, string deploymentId, string? description) =>
        Change(scope, apiId, document =>
        {
            var current = document.Deployments.GetValueOrDefault(deploymentId) ?? throw NotFound("Deployment", deploymentId);
            var next = current with { Description = description ?? current.Description };
            document.Deployments[deploymentId] = next;
            return (document, next);
        }, redeploys: false);

    /// <summary>DeleteAccessLogSettings: the stage stops writing access log lines.</summary>
    public void DeleteAccessLogSettings(Scope scope, string apiId, string stageName) =>
        Change(scope, apiId, document =>
        {
            var current = document.Stages.GetValueOrDefault(stageName) ?? throw NotFound("Stage", stageName);
            document.Stages[stageName] = current with { AccessLogSettings = null, LastUpdatedDate = Now };
            return (document, true);
        }, redeploys: false);

    public IReadOnlyList<HttpDeployment> GetDeployments(Scope scope, string apiId) => [.. Document(scope, apiId).Deployments.Values.OrderBy(d => d.CreatedDate)];

    public void DeleteDeployment(Scope scope, string apiId, string deploymentId) =>
        Change(scope, apiId, document =>
        {
            if (!document.Deployments.ContainsKey(deploymentId)) throw NotFound("Deployment", deploymentId);
            if (document.Stages.Values.FirstOrDefault(s => s.DeploymentId == deploymentId) is { } stage)
                throw BadRequest($"Active stages pointing to this deployment must be moved or deleted: {stage.StageName}");
            document.Deployments.Remove(deploymentId);
            document.Snapshots.Remove(deploymentId);
            return (document, true);
        }, redeploys: false);

    // ---- tags ----

    /// <summary>arn:aws:apigateway:{region}::/apis/{apiId}[/stages/{stage}], as AWS names HTTP API resources.</summary>
    private (HttpApiDocument Document, string? Stage) Tagged(Scope scope, string arn)
    {
        var prefix = $"arn:aws:apigateway:{scope.Region}::/apis/";
        if (!arn.StartsWith(prefix, StringComparison.Ordinal)) throw BadRequest($"Invalid resource ARN {arn}");
        var parts = arn[prefix.Length..].Split('/');
        var document = Document(scope, parts[0]);
        if (parts.Length == 1) return (document, null);
        if (parts.Length == 3 && parts[1] == "stages" && document.Stages.ContainsKey(parts[2])) return (document, parts[2]);
        throw BadRequest($"Invalid resource ARN {arn}: Stratus tags HTTP APIs and their stages.");
    }

    public IReadOnlyDictionary<string, string> GetTags(Scope scope, string arn)
    {
        var (document, stage) = Tagged(scope, arn);
        return stage is null ? document.Api.Tags : document.Stages[stage].Tags;
    }

    public void TagResource(Scope scope, string arn, IReadOnlyDictionary<string, string> tags) => Retag(scope, arn, current =>
    {
        foreach (var (key, value) in tags) current[key] = value;
    });

    public void UntagResource(Scope scope, string arn, IReadOnlyList<string> keys) => Retag(scope, arn, current =>
    {
        foreach (var key in keys) current.Remove(key);
    });

    private void Retag(Scope scope, string arn, Action<Dictionary<string, string>> change)
    {
        var (found, stageName) = Tagged(scope, arn);
        Change(scope, found.Api.ApiId, document =>
        {
            if (stageName is null)
            {
                var tags = new Dictionary<string, string>(document.Api.Tags);
                change(tags);
                return (document with { Api = document.Api with { Tags = tags } }, true);
            }
            var stage = document.Stages[stageName];
            var stageTags = new Dictionary<string, string>(stage.Tags);
            change(stageTags);
            document.Stages[stageName] = stage with { Tags = stageTags };
            return (document, true);
        }, redeploys: false);
    }

    // ---- data plane ----

    /// <summary>The stage serving a request, or null when the API or stage does not exist or has no deployment yet.</summary>
    public ServedStage? FindServedStage(string apiId, string stageName)
    {
        if (!_keysById.TryGetValue(apiId, out var key) || _apis.Get(key) is not { } document) return null;
        if (!document.Stages.TryGetValue(stageName, out var stage) || stage.DeploymentId is not { } deploymentId) return null;
        return document.Snapshots.TryGetValue(deploymentId, out var definition)
            ? new ServedStage(document.AccountId, document.Region, document.Api, stage, deploymentId, definition)
            : null;
    }

    /// <summary>Whether the API has a stage by this name (the path forms use it to tell a stage from a path segment).</summary>
    public bool HasStage(string apiId, string stageName) =>
        _keysById.TryGetValue(apiId, out var key) && _apis.Get(key)?.Stages.ContainsKey(stageName) == true;

    /// <summary>Every HTTP API with its stages, for the console.</summary>
    public IEnumerable<HttpApiDocument> All => _apis.Values;
}
