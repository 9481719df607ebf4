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
