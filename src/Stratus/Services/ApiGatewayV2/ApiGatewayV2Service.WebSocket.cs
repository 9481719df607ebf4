using Stratus.Protocols;
using Stratus.Services.ApiGateway;
using static Stratus.Services.ApiGatewayV2.ApiGatewayV2Errors;

namespace Stratus.Services.ApiGatewayV2;

/// <summary>WebSocket APIs' route responses: a route with one sends its integration's answer back to the client (two-way).</summary>
public sealed partial class ApiGatewayV2Service : IMeteredApis
{
    /// <summary>A WebSocket API of the scope: usage plans may name its stages (API keys are checked at $connect).</summary>
    public bool IsMeteredApi(Scope scope, string apiId) => _apis.Get(Key(scope, apiId))?.Api.IsWebSocket == true;

    public bool HasMeteredStage(Scope scope, string apiId, string stageName) =>
        _apis.Get(Key(scope, apiId)) is { Api.IsWebSocket: true } document && document.Stages.ContainsKey(stageName);

    public WebSocketRouteResponse CreateRouteResponse(Scope scope, string apiId, string routeId, RouteResponseSettings settings)
    {
        var key = settings.RouteResponseKey ?? throw BadRequest("RouteResponseKey is required for a route response.");
        CheckRouteResponseKey(key);
        return Change(scope, apiId, document =>
        {
            var responses = RouteResponsesOf(document, routeId);
            CheckModelNames(document, settings.ResponseModels, settings.ModelSelectionExpression);
            if (responses.Values.Any(r => r.RouteResponseKey == key))
                throw Conflict($"Unable to create RouteResponse: a route response with key '{key}' already exists for this route.");
            var response = new WebSocketRouteResponse
            {
                RouteResponseId = ApiGatewayErrors.NewId()[..6], RouteResponseKey = key,
                ResponseModels = settings.ResponseModels, ModelSelectionExpression = settings.ModelSelectionExpression,
            };
            responses[response.RouteResponseId] = response;
            document.RouteResponses[routeId] = responses;
            return (document, response);
        });
    }

    public WebSocketRouteResponse GetRouteResponse(Scope scope, string apiId, string routeId, string routeResponseId) =>
        RouteResponsesOf(Document(scope, apiId), routeId).GetValueOrDefault(routeResponseId) ?? throw NotFound("RouteResponse", routeResponseId);

    public IReadOnlyList<WebSocketRouteResponse> GetRouteResponses(Scope scope, string apiId, string routeId) =>
        [.. RouteResponsesOf(Document(scope, apiId), routeId).Values.OrderBy(r => r.RouteResponseKey, StringComparer.Ordinal)];

    public WebSocketRouteResponse UpdateRouteResponse(Scope scope, string apiId, string routeId, string routeResponseId, RouteResponseSettings settings)
    {
        if (settings.RouteResponseKey is { } key) CheckRouteResponseKey(key);
        return Change(scope, apiId, document =>
        {
            var responses = RouteResponsesOf(document, routeId);
            var current = responses.GetValueOrDefault(routeResponseId) ?? throw NotFound("RouteResponse", routeResponseId);
            CheckModelNames(document, settings.ResponseModels, settings.ModelSelectionExpression);
            var next = current with
            {
                RouteResponseKey = settings.RouteResponseKey ?? current.RouteResponseKey,
                ResponseModels = settings.ResponseModels ?? current.ResponseModels,
                ModelSelectionExpression = settings.ModelSelectionExpression ?? current.ModelSelectionExpression,
            };
            responses[routeResponseId] = next;
            document.RouteResponses[routeId] = responses;
            return (document, next);
        });
    }

    public void DeleteRouteResponse(Scope scope, string apiId, string routeId, string routeResponseId) =>
        Change(scope, apiId, document =>
        {
            var responses = RouteResponsesOf(document, routeId);
            if (!responses.Remove(routeResponseId)) throw NotFound("RouteResponse", routeResponseId);
            if (responses.Count == 0) document.RouteResponses.Remove(routeId);
            return (document, true);
        });

    // ---- integration responses ----

    public WebSocketIntegrationResponse CreateIntegrationResponse(Scope scope, string apiId, string integrationId, IntegrationResponseSettings settings)
    {
        var key = settings.IntegrationResponseKey ?? throw BadRequest("IntegrationResponseKey is required for an integration response.");
        return Change(scope, apiId, document =>
        {
            var responses = IntegrationResponsesOf(document, integrationId);
            if (responses.Values.Any(r => r.IntegrationResponseKey == key))
                throw Conflict($"Unable to create IntegrationResponse: an integration response with key '{key}' already exists for this integration.");
            var response = new WebSocketIntegrationResponse
            {
                IntegrationResponseId = ApiGatewayErrors.NewId()[..6], IntegrationResponseKey = key, ResponseTemplates = settings.ResponseTemplates,
                TemplateSelectionExpression = settings.TemplateSelectionExpression, ContentHandlingStrategy = settings.ContentHandlingStrategy,
            };
            WebSocketRules.CheckIntegrationResponse(response);
            responses[response.IntegrationResponseId] = response;
            document.IntegrationResponses[integrationId] = responses;
            return (document, response);
        });
    }

    public WebSocketIntegrationResponse GetIntegrationResponse(Scope scope, string apiId, string integrationId, string integrationResponseId) =>
        IntegrationResponsesOf(Document(scope, apiId), integrationId).GetValueOrDefault(integrationResponseId)
        ?? throw NotFound("IntegrationResponse", integrationResponseId);

    public IReadOnlyList<WebSocketIntegrationResponse> GetIntegrationResponses(Scope scope, string apiId, string integrationId) =>
        [.. IntegrationResponsesOf(Document(scope, apiId), integrationId).Values.OrderBy(r => r.IntegrationResponseKey, StringComparer.Ordinal)];

    public WebSocketIntegrationResponse UpdateIntegrationResponse(Scope scope, string apiId, string integrationId, string integrationResponseId,
        IntegrationResponseSettings settings) =>
        Change(scope, apiId, document =>
        {
            var responses = IntegrationResponsesOf(document, integrationId);
            var current = responses.GetValueOrDefault(integrationResponseId) ?? throw NotFound("IntegrationResponse", integrationResponseId);
            if (settings.IntegrationResponseKey is { } key && key != current.IntegrationResponseKey && responses.Values.Any(r => r.IntegrationResponseKey == key))
                throw Conflict($"Unable to update IntegrationResponse: an integration response with key '{key}' already exists for this integration.");
            var next = current with
            {
                IntegrationResponseKey = settings.IntegrationResponseKey ?? current.IntegrationResponseKey,
                ResponseTemplates = settings.ResponseTemplates ?? current.ResponseTemplates,
                TemplateSelectionExpression = settings.TemplateSelectionExpression ?? current.TemplateSelectionExpression,
                ContentHandlingStrategy = settings.ContentHandlingStrategy ?? current.ContentHandlingStrategy,
            };
            WebSocketRules.CheckIntegrationResponse(next);
            responses[integrationResponseId] = next;
            document.IntegrationResponses[integrationId] = responses;
            return (document, next);
        });

    public void DeleteIntegrationResponse(Scope scope, string apiId, string integrationId, string integrationResponseId) =>
        Change(scope, apiId, document =>
        {
            var responses = IntegrationResponsesOf(document, integrationId);
            if (!responses.Remove(integrationResponseId)) throw NotFound("IntegrationResponse", integrationResponseId);
            if (responses.Count == 0) document.IntegrationResponses.Remove(integrationId);
            else document.IntegrationResponses[integrationId] = responses;
            return (document, true);
        });

    /// <summary>
    /// A copy of the integration's responses, refused for an integration that does not exist, an API that is not a WebSocket API, or a
    /// proxy integration (whose answer goes back as it is, with no integration response, as AWS documents).
    /// </summary>
    private static Dictionary<string, WebSocketIntegrationResponse> IntegrationResponsesOf(HttpApiDocument document, string integrationId)
    {
        if (!document.Api.IsWebSocket) throw BadRequest("Integration responses are supported only for WebSocket APIs.");
        var integration = document.Integrations.GetValueOrDefault(integrationId) ?? throw NotFound("Integration", integrationId);
        if (integration.IntegrationType is "AWS_PROXY" or "HTTP_PROXY")
            throw BadRequest($"Integration responses are supported only for non-proxy integrations (AWS, HTTP, MOCK), and {integrationId} is {integration.IntegrationType}.");
        return new Dictionary<string, WebSocketIntegrationResponse>(document.IntegrationResponses.GetValueOrDefault(integrationId) ?? [], StringComparer.Ordinal);
    }

    /// <summary>DeleteRouteRequestParameter: the $connect route no longer requires (or names) the parameter.</summary>
    public void DeleteRouteRequestParameter(Scope scope, string apiId, string routeId, string key) =>
        Change(scope, apiId, document =>
        {
            var route = document.Routes.GetValueOrDefault(routeId) ?? throw NotFound("Route", routeId);
            var parameters = new Dictionary<string, ParameterConstraints>(route.RequestParameters ?? [], StringComparer.Ordinal);
            if (!parameters.Remove(key)) throw NotFound("RouteRequestParameter", key);
            document.Routes[routeId] = route with { RequestParameters = parameters.Count == 0 ? null : parameters };
            return (document, true);
        });

    /// <summary>A Lambda proxy integration answers through the $default route response, the one key Stratus routes responses by.</summary>
    private static void CheckRouteResponseKey(string key)
    {
        if (key != WebSocketRules.Default)
            throw BadRequest($"Invalid RouteResponseKey {key}: a Lambda proxy route's response key is $default.");
    }

    /// <summary>A copy of the route's route responses, refused for a route that does not exist or an API that is not a WebSocket API.</summary>
    private static Dictionary<string, WebSocketRouteResponse> RouteResponsesOf(HttpApiDocument document, string routeId)
    {
        if (!document.Api.IsWebSocket) throw BadRequest("Route responses are supported only for WebSocket APIs.");
        if (!document.Routes.ContainsKey(routeId)) throw NotFound("Route", routeId);
        return new Dictionary<string, WebSocketRouteResponse>(document.RouteResponses.GetValueOrDefault(routeId) ?? [], StringComparer.Ordinal);
    }
}
