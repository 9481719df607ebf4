using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Protocols.Json;
using Stratus.Services.Lambda;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>
/// HTTP APIs' Lambda REQUEST authorizer, as AWS runs it: missing identity sources answer 401 without
/// invoking; the function gets the payload 1.0 or 2.0 authorizer event; with simple responses it answers
/// {"isAuthorized": bool, "context": {...}}, otherwise an IAM policy whose execute-api:Invoke statements are
/// evaluated against the route ARN. A denial is 403; a failing or malformed authorizer is 500. Answers are
/// cached by the identity source values for AuthorizerResultTtlInSeconds.
/// </summary>
public sealed class LambdaRequestAuthorizer(ILambdaInvoker lambda, TimeProvider clock)
{
    private const int MaxCachedAnswers = 10_000;
    private readonly ConcurrentDictionary<string, (DateTimeOffset Expires, Authorization Answer)> _cache = new(StringComparer.Ordinal);

    public Task<Authorization> AuthorizeAsync(HttpAuthorizer authorizer, HttpApiRun run, CancellationToken cancellation)
    {
        var routeArn = RouteArn(run);
        return AuthorizeAsync(authorizer, run.Stage, [.. authorizer.IdentitySource.Select(source => IdentityValue(source, run))], routeArn,
            run.Request.SourceIp, identity => authorizer.AuthorizerPayloadFormatVersion == "2.0" ? Event2(run, routeArn, identity) : Event1(run, routeArn, identity),
            cancellation);
    }

    /// <summary>
    /// One authorization by the Lambda authorizer, whatever API calls it: <paramref name="identity"/> holds the identity sources'
    /// values (null where the request lacks one: 401 without invoking), <paramref name="methodArn"/> is what the policy must allow
    /// execute-api:Invoke on, <paramref name="event"/> builds the function's event from the identity values. WebSocket APIs'
    /// $connect authorizer runs through here too, with their event and their identity source syntax.
    /// </summary>
    public async Task<Authorization> AuthorizeAsync(HttpAuthorizer authorizer, ServedStage stage, IReadOnlyList<string?> identity, string methodArn,
        string sourceIp, Func<List<string>, JsonObject> @event, CancellationToken cancellation)
    {
        if (identity.Any(value => value is null)) return new Authorization(null, HttpApiResponse.Unauthorized(), "identity source missing");
        var values = identity.Select(value => value!).ToList();
        var ttl = authorizer.AuthorizerResultTtlInSeconds ?? 0;
        // Per stage, as AWS caches authorizer answers, so ResetAuthorizersCache empties one stage's.
        var cacheKey = $"{StagePrefix(stage.Api.ApiId, stage.Stage.StageName)}{authorizer.AuthorizerId}\u001f{string.Join('\u001f', values)}";
        var now = clock.GetUtcNow();
        if (ttl > 0 && _cache.TryGetValue(cacheKey, out var cached) && cached.Expires > now) return cached.Answer;

        LambdaInvokeResult result;
        try
        {
            result = await lambda.InvokeAsync(new LambdaInvokeRequest(stage.AccountId, stage.Region, LambdaTarget.FunctionArn(authorizer.AuthorizerUri)!, null,
                Encoding.UTF8.GetBytes(@event(values).ToJsonString()), HttpApiIntegrations.ServicePrincipal, AuthorizerArn(stage, authorizer)), cancellation);
        }
        catch (AwsException e)
        {
            return new Authorization(null, HttpApiResponse.InternalServerError(), $"authorizer invocation failed: {e.Code}: {e.Message}");
        }
        var answer = Read(result, authorizer, methodArn, ApiGateway.Engine.AuthorizerPolicy.Keys(methodArn, sourceIp, now));
        if (ttl > 0 && answer.Refusal is null or { StatusCode: 403 })
        {
            if (_cache.Count >= MaxCachedAnswers) _cache.Clear();
            _cache[cacheKey] = (now.AddSeconds(ttl), answer);
        }
        return answer;
    }

    private static string StagePrefix(string apiId, string stageName) => $"{apiId}\u001f{stageName}\u001f";

    /// <summary>ResetAuthorizersCache: the stage's cached authorizer answers are dropped, so the next request calls the authorizer again.</summary>
    public void Flush(string apiId, string stageName)
    {
        var prefix = StagePrefix(apiId, stageName);
        foreach (var key in _cache.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList()) _cache.TryRemove(key, out _);
    }

    private static string RouteArn(HttpApiRun run)
    {
        var key = run.Route!.Route.RouteKey;
        var resource = key == "$default" ? "$default" : key.Replace(' ', '/').Replace("//", "/");
        return $"arn:aws:execute-api:{run.Stage.Region}:{run.Stage.AccountId}:{run.Stage.Api.ApiId}/{run.Stage.Stage.StageName}/{resource}";
    }

    private static string AuthorizerArn(ServedStage stage, HttpAuthorizer authorizer) =>
        $"arn:aws:execute-api:{stage.Region}:{stage.AccountId}:{stage.Api.ApiId}/authorizers/{authorizer.AuthorizerId}";

    /// <summary>An identity source's value ($request.header.x, $request.querystring.x, $context.x, $stageVariables.x), or null when absent.</summary>
    private static string? IdentityValue(string source, HttpApiRun run)
    {
        var request = run.Request;
        if (source.StartsWith("$request.header.", StringComparison.Ordinal))
            return request.HeaderValues(source["$request.header.".Length..]).ToList() is { Count: > 0 } values ? string.Join(',', values) : null;
        if (source.StartsWith("$request.querystring.", StringComparison.Ordinal))
        {
            var name = source["$request.querystring.".Length..];
            return request.Query.Where(q => q.Key == name).Select(q => q.Value).ToList() is { Count: > 0 } values ? string.Join(',', values) : null;
        }
        if (source.StartsWith("$stageVariables.", StringComparison.Ordinal))
            return run.Stage.Stage.StageVariables.GetValueOrDefault(source["$stageVariables.".Length..]);
        if (source.StartsWith("$context.", StringComparison.Ordinal))
            return ContextVariables.Value(source[1..], run);
        return null;
    }

    private static JsonObject Event2(HttpApiRun run, string routeArn, List<string> identity)
    {
        var @event = PayloadFormat2.Event(run);
        var authorizerEvent = new JsonObject
        {
            ["version"] = "2.0",
            ["type"] = "REQUEST",
            ["routeArn"] = routeArn,
            ["identitySource"] = new JsonArray([.. identity.Select(v => (JsonNode)v)]),
        };
        foreach (var (name, value) in @event)
            if (name is not ("version" or "body" or "isBase64Encoded")) authorizerEvent[name] = value?.DeepClone();
        return authorizerEvent;
    }

    private static JsonObject Event1(HttpApiRun run, string routeArn, List<string> identity)
    {
        var @event = PayloadFormat1.Event(run);
        var authorizerEvent = new JsonObject
        {
            ["version"] = "1.0",
            ["type"] = "REQUEST",
            ["methodArn"] = routeArn,
            ["identitySource"] = string.Join(',', identity),
            ["authorizationToken"] = identity.FirstOrDefault(),
        };
        foreach (var (name, value) in @event)
            if (name is not ("version" or "body" or "isBase64Encoded")) authorizerEvent[name] = value?.DeepClone();
        return authorizerEvent;
    }

    private static Authorization Read(LambdaInvokeResult result, HttpAuthorizer authorizer, string routeArn, Iam.Engine.RequestContext keys)
    {
        if (result.FunctionError is not null) return new Authorization(null, HttpApiResponse.InternalServerError(), "the authorizer function failed");
        JsonObject? answer;
        try
        {
            answer = JsonBody.Parse(result.Payload.Span) as JsonObject;
        }
        catch (JsonException)
        {
            answer = null;
        }
        if (answer is null) return new Authorization(null, HttpApiResponse.InternalServerError(), "the authorizer's response is not a JSON object");
        var context = answer["context"] as JsonObject ?? [];
        bool allowed;
        if (authorizer.EnableSimpleResponses == true)
        {
            if (answer["isAuthorized"] is not JsonValue flag || flag.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                return new Authorization(null, HttpApiResponse.InternalServerError(), "the authorizer's simple response has no boolean isAuthorized");
            allowed = flag.GetValue<bool>();
        }
        else
        {
            if (answer["policyDocument"] is not JsonObject policy)
                return new Authorization(null, HttpApiResponse.InternalServerError(), "the authorizer's response has no policyDocument");
            allowed = PolicyAllows(policy, routeArn, keys);
        }
        if (!allowed) return new Authorization(null, HttpApiResponse.Forbidden(), "the authorizer denied the request");
        var format1 = (JsonObject)context.DeepClone();
        if (answer["principalId"] is JsonValue principal) format1["principalId"] = principal.ToString();
        // usageIdentifierKey names the caller's API key where a WebSocket API selects keys by $context.authorizer.usageIdentifierKey.
        var usageKey = answer["usageIdentifierKey"] is JsonValue usage && usage.GetValueKind() == JsonValueKind.String ? usage.GetValue<string>() : null;
        return new Authorization(new AuthorizerContext(new JsonObject { ["lambda"] = context.DeepClone() }, format1) { UsageIdentifierKey = usageKey }, null);
    }

    /// <summary>
    /// An explicit Deny of execute-api:Invoke on the route wins; otherwise an Allow is needed, Condition blocks evaluated
    /// against the request's keys (the policy evaluation REST APIs share). A cached answer keeps the decision made for
    /// the request that filled the cache, as HTTP APIs cache the authorizer's decision per identity.
    /// </summary>
    internal static bool PolicyAllows(JsonObject policy, string routeArn, Iam.Engine.RequestContext keys) =>
        ApiGateway.Engine.AuthorizerPolicy.Evaluate(policy, routeArn, keys) == ApiGateway.Engine.PolicyDecision.Allow;
}
