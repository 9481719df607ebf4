using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGateway.Engine;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>What $connect's authorization decided: the answer refusing the upgrade, or what every later event carries of the caller.</summary>
/// <param name="Authorizer">requestContext.authorizer: the Lambda authorizer's context with its principalId.</param>
/// <param name="Caller">The SigV4 signer of an AWS_IAM $connect (requestContext.identity).</param>
/// <param name="ApiKey">The API key metered at $connect (requestContext.identity.apiKey).</param>
public sealed record ConnectAuthorization(HttpApiResponse? Refusal, JsonObject? Authorizer = null, CallerIdentity? Caller = null, string? ApiKey = null);

/// <summary>
/// A WebSocket API's authorization, decided once at the upgrade as AWS decides it, by the engines REST and HTTP APIs use:
/// AWS_IAM through the execute-api signer check (MethodRequestStage), CUSTOM through the Lambda REQUEST authorizer (with its
/// cache), then the API key through API Gateway's usage plans (ApiGatewayService.MeterApiKey), which count quota and throttle.
/// </summary>
public sealed class WebSocketAuthorization(MethodRequestStage signers, LambdaRequestAuthorizer authorizers, ApiGatewayService usagePlans)
{
    /// <param name="connectEvent">The $connect route's event (headers, query, requestContext), which the authorizer's event is made from.</param>
    public async Task<ConnectAuthorization> AuthorizeAsync(HttpContext http, ServedStage stage, HttpRoute connect, JsonObject connectEvent,
        CancellationToken cancellation)
    {
        var routeArn = $"arn:aws:execute-api:{stage.Region}:{stage.AccountId}:{stage.Api.ApiId}/{stage.Stage.StageName}/{WebSocketRules.Connect}";
        CallerIdentity? caller = null;
        AuthorizerContext? granted = null;
        switch (connect.AuthorizationType)
        {
            case "AWS_IAM":
                var signed = await signers.AuthorizeInvokeAsync(http, stage.Region, routeArn);
                if (signed.Refusal is { } refusal) return new ConnectAuthorization(new HttpApiResponse(refusal.StatusCode, refusal.Headers, refusal.Body));
                caller = signed.Caller;
                break;
            case "CUSTOM":
                // A route whose authorizer was deleted since the deployment cannot be authorized: AWS answers 500.
                if (connect.AuthorizerId is not { } authorizerId || stage.Definition.Authorizers.GetValueOrDefault(authorizerId) is not { } authorizer)
                    return new ConnectAuthorization(HttpApiResponse.InternalServerError());
                var identity = authorizer.IdentitySource.Select(source => IdentityValue(source, http.Request, stage)).ToList();
                var answer = await authorizers.AuthorizeAsync(authorizer, stage, identity, routeArn, http.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1",
                    _ => AuthorizerEvent(connectEvent, routeArn, stage), cancellation);
                if (answer.Refusal is { } denied) return new ConnectAuthorization(denied);
                granted = answer.Context;
                break;
        }
        string? apiKey = null;
        if (connect.ApiKeyRequired)
        {
            apiKey = stage.Api.ApiKeySelectionExpression == WebSocketRules.ApiKeyFromAuthorizer
                ? granted?.UsageIdentifierKey
                : http.Request.Headers["x-api-key"].FirstOrDefault();
            var refusal = usagePlans.MeterApiKey(stage.AccountId, stage.Region, stage.Api.ApiId, stage.Stage.StageName, apiKey) switch
            {
                ApiKeyVerdict.Forbidden => HttpApiResponse.Forbidden(),
                ApiKeyVerdict.Throttled => HttpApiResponse.TooManyRequests(),
                ApiKeyVerdict.QuotaExceeded => HttpApiResponse.Message(429, "Limit Exceeded"),
                _ => null,
            };
            if (refusal is not null) return new ConnectAuthorization(refusal);
        }
        return new ConnectAuthorization(null, granted?.Format1, caller, apiKey);
    }

    /// <summary>The authorizer's event as AWS sends it for WebSocket APIs: type REQUEST, methodArn ending in $connect, the upgrade's headers and query, stage variables and the requestContext.</summary>
    private static JsonObject AuthorizerEvent(JsonObject connectEvent, string routeArn, ServedStage stage)
    {
        var @event = new JsonObject { ["type"] = "REQUEST", ["methodArn"] = routeArn };
        foreach (var (name, value) in connectEvent)
            if (name != "isBase64Encoded") @event[name] = value?.DeepClone();
        @event["stageVariables"] = new JsonObject(stage.Stage.StageVariables.Select(v => new KeyValuePair<string, JsonNode?>(v.Key, v.Value)));
        return @event;
    }

    /// <summary>An identity source's value (route.request.header.x, route.request.querystring.x, stageVariables.x), or null when absent.</summary>
    private static string? IdentityValue(string source, HttpRequest request, ServedStage stage) => WebSocketRules.IdentitySource(source) switch
    {
        ("header", var name) => request.Headers.TryGetValue(name, out var values) && values.Count > 0 ? string.Join(',', values.ToArray()) : null,
        ("querystring", var name) => request.Query.TryGetValue(name, out var values) && values.Count > 0 ? string.Join(',', values.ToArray()) : null,
        ("stageVariables", var name) => stage.Stage.StageVariables.GetValueOrDefault(name),
        _ => null,
    };
}
