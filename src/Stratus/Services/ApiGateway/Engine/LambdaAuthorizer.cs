using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Stratus.Protocols;
using Stratus.Protocols.Json;
using Stratus.Services.ApiGateway.Vtl;
using Stratus.Services.Lambda;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// What a Lambda authorizer granted: its principal, its context (values as the strings API Gateway passes on), the API key
/// it names for usage plans (<c>usageIdentifierKey</c>, read when the API's key source is AUTHORIZER) and how long it took.
/// </summary>
public sealed record AuthorizerGrant(string PrincipalId, IReadOnlyDictionary<string, string> Context, string? UsageIdentifierKey, long LatencyMilliseconds)
{
    /// <summary><c>$context.authorizer</c>: principalId, integrationLatency and each context key.</summary>
    public Dictionary<string, object?> ContextVariable()
    {
        var variable = new Dictionary<string, object?>(StringComparer.Ordinal) { ["principalId"] = PrincipalId, ["integrationLatency"] = LatencyMilliseconds };
        foreach (var (key, value) in Context) variable[key] = value;
        return variable;
    }

    /// <summary>The proxy event's <c>requestContext.authorizer</c>, as AWS sends it to a REST API's AWS_PROXY function.</summary>
    public JsonObject ProxyContext()
    {
        var context = new JsonObject { ["principalId"] = PrincipalId, ["integrationLatency"] = LatencyMilliseconds };
        foreach (var (key, value) in Context) context[key] = value;
        return context;
    }
}

/// <summary>A Lambda authorizer's parsed answer, as it is cached: the policy is evaluated against each request's method ARN, as on AWS.</summary>
public sealed record AuthorizerAnswer(string PrincipalId, JsonObject Policy, IReadOnlyDictionary<string, string> Context, string? UsageIdentifierKey);

/// <summary>What the authorizer decided: a grant or a refusal, the answer it was based on (null when none) and the execution log.</summary>
public sealed record AuthorizerVerdict(AuthorizerGrant? Grant, TypedRefusal? Refusal, AuthorizerAnswer? Answer, int ClientStatus, IReadOnlyList<string> Log);

/// <summary>
/// REST APIs' Lambda authorizers, as API Gateway runs them. TOKEN: the identity source header (missing, empty or failing the
/// identityValidationExpression is 401 without invoking) reaches the function as <c>authorizationToken</c>. REQUEST: every
/// identity source must be present (else 401); the function gets the request's headers, query, path parameters, stage variables
/// and request context. The function answers <c>principalId</c>, a <c>policyDocument</c> evaluated for execute-api:Invoke on the
/// method ARN (a Deny or no Allow is 403 AccessDeniedException), a <c>context</c> of strings, numbers and booleans, and optionally
/// <c>usageIdentifierKey</c>; failing with the message "Unauthorized" is 401. Any other failure or malformed answer is 500
/// AuthorizerConfigurationException with AWS's <c>{"message": null}</c>. Answers are cached per stage and identity for
/// authorizerResultTtlInSeconds (0 disables).
/// </summary>
public sealed class LambdaAuthorizer(ILambdaInvoker lambda, TimeProvider clock)
{
    private const int MaxCachedAnswers = 10_000;
    private const string UnauthorizedMessage = "Unauthorized";
    private readonly ConcurrentDictionary<string, (DateTimeOffset Expires, AuthorizerAnswer Answer)> _cache = new(StringComparer.Ordinal);

    public static TypedRefusal Unauthorized() => new("UNAUTHORIZED", GatewayResponse.Message(401, UnauthorizedMessage, "UnauthorizedException"));

    /// <summary>AWS words an authorizer's denial with a capital "Message".</summary>
    public static TypedRefusal AccessDenied(bool explicitDeny) => new("ACCESS_DENIED", new GatewayResponse(403,
        [new("Content-Type", "application/json"), new("x-amzn-ErrorType", "AccessDeniedException")],
        Encoding.UTF8.GetBytes(explicitDeny
            ? """{"Message":"User is not authorized to access this resource with an explicit deny"}"""
            : """{"Message":"User is not authorized to access this resource"}""")));

    /// <summary>AWS answers an authorizer it could not run, or whose answer it could not use, with a null message.</summary>
    public static TypedRefusal Failed(string responseType) => new(responseType, new GatewayResponse(500,
        [new("Content-Type", "application/json"), new("x-amzn-ErrorType", "AuthorizerConfigurationException")], """{"message":null}"""u8.ToArray()));

    /// <summary>FlushStageAuthorizersCache: the stage's cached answers are dropped, so each identity's next request invokes the authorizer.</summary>
    public void Flush(string apiId, string stageName)
    {
        var prefix = $"{apiId}\u001f{stageName}\u001f";
        foreach (var key in _cache.Keys)
            if (key.StartsWith(prefix, StringComparison.Ordinal)) _cache.TryRemove(key, out _);
    }

    /// <param name="run">The request, as the integration will see it.</param>
    /// <param name="useCache">False for TestInvokeAuthorizer, which always invokes.</param>
    public async Task<AuthorizerVerdict> AuthorizeAsync(ApiAuthorizer authorizer, RequestContext run, bool useCache, CancellationToken cancellation)
    {
        var log = new List<string>();
        void Write(string line) => log.Add(clock.GetUtcNow().ToString("ddd MMM dd HH:mm:ss", CultureInfo.InvariantCulture) + $" UTC {run.RequestId} : {line}");
        AuthorizerVerdict Refused(TypedRefusal refusal, string why, AuthorizerAnswer? answer = null)
        {
            Write(why);
            return new AuthorizerVerdict(null, refusal, answer, refusal.Response.StatusCode, log);
        }

        Write($"Starting authorizer: {authorizer.Id} for request: {run.RequestId}");
        var identity = Identity(authorizer, run);
        if (identity is null) return Refused(Unauthorized(), "Unauthorized request: the identity source is missing or empty");
        if (authorizer.Type == "TOKEN" && authorizer.IdentityValidationExpression is { Length: > 0 } expression && !Validates(expression, identity[0]))
            return Refused(Unauthorized(), "Unauthorized request: the token does not match the identity validation expression");
        Write($"Incoming identity: {string.Join(',', identity.Select(Redacted))}");

        var methodArn = MethodArn(run);
        var ttl = authorizer.AuthorizerResultTtlInSeconds ?? ApiGatewayService.DefaultAuthorizerTtl;
        var cacheKey = $"{run.Target.ApiId}\u001f{run.Target.StageName}\u001f{authorizer.Id}\u001f{string.Join('\u001f', identity)}";
        var now = clock.GetUtcNow();
        var watch = Stopwatch.StartNew();
        AuthorizerAnswer answer;
        if (useCache && ttl > 0 && _cache.TryGetValue(cacheKey, out var cached) && cached.Expires > now)
        {
            answer = cached.Answer;
            Write("Using cached authorizer result");
        }
        else
        {
            var @event = authorizer.Type == "TOKEN"
                ? new JsonObject { ["type"] = "TOKEN", ["methodArn"] = methodArn, ["authorizationToken"] = identity[0] }
                : RequestEvent(run, methodArn);
            var function = IntegrationUri.Parse(MethodPlan.WithStageVariables(authorizer.AuthorizerUri ?? "", run.Target))?.LambdaFunction;
            if (function is null) return Refused(Failed("AUTHORIZER_CONFIGURATION_ERROR"), "Execution failed due to configuration error: the authorizer URI names no Lambda function");
            Write($"Endpoint request URI: {authorizer.AuthorizerUri}");
            LambdaInvokeResult result;
            try
            {
                var arn = function.Split(':');
                var (account, region) = arn.Length >= 7 && arn[0] == "arn" ? (arn[4], arn[3]) : (run.Target.AccountId, run.Target.Region);
                // With authorizerCredentials API Gateway invokes as that role, so the function's resource policy is not consulted.
                var principal = authorizer.AuthorizerCredentials is null ? LambdaFunctionCall.ServicePrincipal : null;
                var source = $"arn:aws:execute-api:{run.Target.Region}:{run.Target.AccountId}:{run.Target.ApiId}/authorizers/{authorizer.Id}";
                result = await lambda.InvokeAsync(new LambdaInvokeRequest(account, region, function, null, Encoding.UTF8.GetBytes(@event.ToJsonString()),
                    principal, source), cancellation);
            }
            catch (AwsException e)
            {
                return Refused(Failed("AUTHORIZER_CONFIGURATION_ERROR"), $"Execution failed due to configuration error: Authorizer error: {e.Code}: {e.Message}");
            }
            Write($"Authorizer result body before parsing: {Encoding.UTF8.GetString(result.Payload.Span)}");
            if (result.FunctionError is not null)
                return ErrorMessage(result.Payload) == UnauthorizedMessage
                    ? Refused(Unauthorized(), "Unauthorized request: the authorizer answered Unauthorized")
                    : Refused(Failed("AUTHORIZER_FAILURE"), "Execution failed due to an authorizer error: the function failed");
            if (Parse(result.Payload, out var problem) is not { } parsed)
                return Refused(Failed("AUTHORIZER_CONFIGURATION_ERROR"), $"Execution failed due to configuration error: Invalid JSON in response: {problem}");
            answer = parsed;
            if (useCache && ttl > 0)
            {
                if (_cache.Count >= MaxCachedAnswers) _cache.Clear();
                _cache[cacheKey] = (now.AddSeconds(ttl), answer);
            }
        }
        var latency = watch.ElapsedMilliseconds;
        // A cached policy is evaluated again for each request: its conditions see this request's address and time.
        switch (AuthorizerPolicy.Evaluate(answer.Policy, methodArn, AuthorizerPolicy.Keys(methodArn, run.Request.SourceIp, clock.GetUtcNow())))
        {
            case PolicyDecision.ExplicitDeny: return Refused(AccessDenied(explicitDeny: true), $"The client is not authorized to perform this operation: an explicit deny for {methodArn}", answer);
            case PolicyDecision.ImplicitDeny: return Refused(AccessDenied(explicitDeny: false), $"The client is not authorized to perform this operation: no statement allows {methodArn}", answer);
        }
        Write($"Using valid authorizer policy for principal: {answer.PrincipalId}");
        Write("Successfully completed authorizer execution");
        return new AuthorizerVerdict(new AuthorizerGrant(answer.PrincipalId, answer.Context, answer.UsageIdentifierKey, latency), null, answer, 200, log);
    }

    /// <summary>The ARN a policy is evaluated against: <c>arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/VERB/path</c>, the path as requested.</summary>
    public static string MethodArn(RequestContext run) =>
        $"arn:aws:execute-api:{run.Target.Region}:{run.Target.AccountId}:{run.Target.ApiId}/{run.Target.StageName}/{run.Request.HttpMethod}{run.Request.Path}";

    /// <summary>The identity source values in order, or null when one is missing or empty (which AWS answers 401 without invoking).</summary>
    internal static List<string>? Identity(ApiAuthorizer authorizer, RequestContext run)
    {
        var values = new List<string>();
        foreach (var source in ApiGatewayService.IdentitySources(authorizer))
        {
            var value = IdentityValue(source, run);
            if (string.IsNullOrEmpty(value)) return null;
            values.Add(value);
        }
        return authorizer.Type == "TOKEN" && values.Count != 1 ? null : values;
    }

    private static string? IdentityValue(string source, RequestContext run)
    {
        var parts = source.Split('.', 4);
        return parts switch
        {
            ["method", "request", "header", var name] =>
                run.Request.Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToList() is { Count: > 0 } values
                    ? string.Join(',', values) : null,
            ["method", "request", "querystring", var name] =>
                run.Request.Query.Where(q => q.Key == name).Select(q => q.Value).ToList() is { Count: > 0 } values ? string.Join(',', values) : null,
            ["stageVariables", ..] => run.Target.StageVariables.GetValueOrDefault(source["stageVariables.".Length..]),
            ["context", ..] => ContextValue(run, source["context.".Length..]),
            _ => null,
        };
    }

    private static string? ContextValue(RequestContext run, string path)
    {
        object? value = run.ContextVariable();
        foreach (var part in path.Split('.')) value = value is Dictionary<string, object?> map ? map.GetValueOrDefault(part) : null;
        return VtlValues.ToText(value);
    }

    private static bool Validates(string expression, string token)
    {
        try
        {
            return Regex.IsMatch(token, "^(?:" + expression + ")$", RegexOptions.None, TimeSpan.FromSeconds(1));
        }
        catch (Exception e) when (e is ArgumentException or RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <summary>The log shows only the start of a credential, as AWS's execution log masks tokens.</summary>
    private static string Redacted(string value) => value.Length <= 6 ? "****" : value[..4] + "****" + value[^2..];

    /// <summary>The REQUEST event: the proxy event's request members without the body, with its type and method ARN first.</summary>
    private static JsonObject RequestEvent(RequestContext run, string methodArn)
    {
        var @event = new JsonObject { ["type"] = "REQUEST", ["methodArn"] = methodArn };
        foreach (var (name, value) in LambdaProxyContract.Event(run))
            if (name is not ("body" or "isBase64Encoded")) @event[name] = value?.DeepClone();
        return @event;
    }

    private static string? ErrorMessage(ReadOnlyMemory<byte> payload)
    {
        try
        {
            return (JsonBody.Parse(payload.Span) as JsonObject)?["errorMessage"] is JsonValue message ? message.ToString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The authorizer's answer, or null (with why) when API Gateway could not use it.</summary>
    internal static AuthorizerAnswer? Parse(ReadOnlyMemory<byte> payload, out string problem)
    {
        JsonObject? answer;
        try
        {
            answer = JsonBody.Parse(payload.Span) as JsonObject;
        }
        catch (JsonException e)
        {
            problem = e.Message;
            return null;
        }
        problem = "the answer is not a JSON object";
        if (answer is null) return null;
        problem = "principalId is missing";
        if (answer["principalId"] is not JsonValue principal || principal.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Number)) return null;
        problem = "policyDocument is missing or not an object";
        if (answer["policyDocument"] is not JsonObject policy) return null;
        var context = new Dictionary<string, string>(StringComparer.Ordinal);
        if (answer["context"] is { } contextNode)
        {
            problem = "context is not an object";
            if (contextNode is not JsonObject contextObject) return null;
            foreach (var (key, value) in contextObject)
            {
                // AWS takes strings, numbers and booleans in the context; an object or array fails the authorization.
                problem = $"the context value of '{key}' is not a string, number or boolean";
                if (value is not JsonValue scalar) return null;
                switch (scalar.GetValueKind())
                {
                    case JsonValueKind.String: context[key] = scalar.GetValue<string>(); break;
                    case JsonValueKind.Number: context[key] = scalar.ToJsonString(); break;
                    case JsonValueKind.True: context[key] = "true"; break;
                    case JsonValueKind.False: context[key] = "false"; break;
                    default: return null;
                }
            }
        }
        var usageKey = answer["usageIdentifierKey"] is JsonValue usage && usage.GetValueKind() == JsonValueKind.String ? usage.GetValue<string>() : null;
        problem = "";
        return new AuthorizerAnswer(principal.ToString(), policy, context, usageKey);
    }
}
