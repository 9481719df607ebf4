using System.Text.RegularExpressions;
using Stratus.Services.ApiGatewayV2.Engine;
using static Stratus.Services.ApiGatewayV2.ApiGatewayV2Errors;

namespace Stratus.Services.ApiGatewayV2;

/// <summary>The Lambda function an integration or authorizer URI names: a function ARN, or API Gateway's invocation URI around one.</summary>
public static partial class LambdaTarget
{
    public static string? FunctionArn(string? uri)
    {
        if (uri is null) return null;
        if (InvocationUri().Match(uri) is { Success: true } invocation) return invocation.Groups[1].Value;
        return FunctionArnPattern().IsMatch(uri) ? uri : null;
    }

    [GeneratedRegex(@"^arn:aws:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/(arn:aws:lambda:[^/]+)/invocations$")]
    private static partial Regex InvocationUri();

    [GeneratedRegex(@"^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$")]
    private static partial Regex FunctionArnPattern();
}

/// <summary>Where an authorizer reads the caller's identity from, as AWS lets HTTP APIs name it.</summary>
public static partial class IdentitySources
{
    public static bool IsValid(string source) => Pattern().IsMatch(source);

    [GeneratedRegex(@"^\$(request\.header|request\.querystring|context|stageVariables)\.[A-Za-z0-9_.-]+$")]
    private static partial Regex Pattern();
}

public static partial class StageNames
{
    public static bool IsValid(string name) => Pattern().IsMatch(name);

    [GeneratedRegex(@"^[A-Za-z0-9_\-]{1,128}$")]
    private static partial Regex Pattern();
}

/// <summary>
/// An HTTP API integration's parameter mapping (requestParameters): "{action}:{location}.{name}" keys, as AWS
/// documents them for HTTP APIs: overwrite/append/remove of header.x, querystring.x, and overwrite:path.
/// </summary>
public static class ParameterMapping
{
    private static readonly HashSet<string> Actions = ["append", "overwrite", "remove"];

    public static void Check(IReadOnlyDictionary<string, string> mapping)
    {
        foreach (var (key, value) in mapping)
        {
            var (action, location, name) = Parse(key);
            var valid = Actions.Contains(action) && location switch
            {
                "header" or "querystring" => name.Length > 0,
                "path" => name.Length == 0 && action == "overwrite",
                _ => false,
            };
            if (!valid) throw BadRequest($"Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping key {key}]");
            if (action != "remove" && value.Length == 0) throw BadRequest($"Invalid mapping expression specified: the value for {key} is empty.");
        }
    }

    /// <summary>"overwrite:header.x-a" → (overwrite, header, x-a); "overwrite:path" → (overwrite, path, "").</summary>
    public static (string Action, string Location, string Name) Parse(string key)
    {
        var colon = key.IndexOf(':');
        if (colon < 0) return ("", "", "");
        var target = key[(colon + 1)..];
        var dot = target.IndexOf('.');
        return dot < 0 ? (key[..colon], target, "") : (key[..colon], target[..dot], target[(dot + 1)..]);
    }
}

/// <summary>
/// What WebSocket APIs accept, as AWS documents them: route selection by a member of the message's JSON body, the
/// $connect/$disconnect/$default route keys beside custom ones, and Lambda proxy integrations.
/// </summary>
public static partial class WebSocketRules
{
    public const string Protocol = "WEBSOCKET";
    public const string Connect = "$connect";
    public const string Disconnect = "$disconnect";
    public const string Default = "$default";
    private const string BodyPrefix = "$request.body.";
    private const int MaxRouteKeyLength = 128;

    public static void CheckCreate(ApiSettings settings)
    {
        if (settings.RouteSelectionExpression is null) throw BadRequest("RouteSelectionExpression is required for a WebSocket API.");
        if (settings.Target is not null || settings.RouteKey is not null) throw BadRequest("Quick create (Target, RouteKey) is supported only for HTTP APIs.");
        CheckUpdate(settings);
    }

    public static void CheckUpdate(ApiSettings settings)
    {
        if (settings.Cors is not null) throw BadRequest("CorsConfiguration is supported only for HTTP APIs.");
        if (settings.RouteSelectionExpression is { } selection && !RouteSelection().IsMatch(selection))
            throw BadRequest($"Invalid RouteSelectionExpression {selection}: Stratus selects a WebSocket API's routes by a member of the message's JSON body, $request.body.name (or a nested $request.body.a.b).");
        if (settings.ApiKeySelectionExpression is { } apiKeySelection) CheckApiKeySelection(apiKeySelection);
    }

    public static void CheckRouteKey(string routeKey)
    {
        if (routeKey.Length is 0 or > MaxRouteKeyLength) throw BadRequest($"Invalid route key '{routeKey}': it must have 1 to {MaxRouteKeyLength} characters.");
        if (routeKey.StartsWith('$') && routeKey is not (Connect or Disconnect or Default))
            throw BadRequest($"Invalid route key '{routeKey}': the route keys starting with $ are $connect, $disconnect and $default.");
    }

    /// <summary>
    /// A WebSocket route as AWS takes it: authorization (AWS_IAM, or CUSTOM with a REQUEST authorizer of the API) and API keys are
    /// decided once, at the upgrade, so only $connect carries them; the route with its authorizer id cleared when it has none.
    /// </summary>
    public static HttpRoute CheckRoute(HttpRoute route, IReadOnlyDictionary<string, HttpAuthorizer> authorizers)
    {
        switch (route.AuthorizationType)
        {
            case "NONE" or "AWS_IAM":
                route = route with { AuthorizerId = null };
                break;
            case "CUSTOM":
                var authorizer = route.AuthorizerId is { } id && authorizers.TryGetValue(id, out var found) ? found
                    : throw BadRequest($"Invalid authorizer id specified: {route.AuthorizerId}");
                if (authorizer.AuthorizerType != "REQUEST") throw BadRequest($"AuthorizationType CUSTOM requires a REQUEST authorizer, and {authorizer.AuthorizerId} is {authorizer.AuthorizerType}.");
                break;
            default:
                throw BadRequest($"Invalid authorization type {route.AuthorizationType}: a WebSocket route's is NONE, AWS_IAM or CUSTOM.");
        }
        if ((route.AuthorizationType != "NONE" || route.ApiKeyRequired) && route.RouteKey != Connect)
            throw BadRequest("Authorization and API keys are supported only on the $connect route of a WebSocket API.");
        if (route.AuthorizationScopes is { Count: > 0 }) throw BadRequest("AuthorizationScopes are supported only for JWT authorizers of HTTP APIs.");
        if (route.RouteResponseSelectionExpression is { } expression && expression != Default)
            throw BadRequest($"Invalid RouteResponseSelectionExpression {expression}: a WebSocket route's is $default, which makes it two-way.");
        if (route.RequestParameters is not { Count: > 0 } parameters) return route;
        if (route.RouteKey != Connect) throw BadRequest("Request parameters are supported only on the $connect route of a WebSocket API.");
        foreach (var key in parameters.Keys)
            if (RequestParameter(key) is null)
                throw BadRequest($"Invalid request parameter {key}: it must be route.request.header.name or route.request.querystring.name.");
        return route;
    }

    /// <summary>
    /// A WebSocket API's authorizer, as AWS takes it: a Lambda REQUEST authorizer (JWT is HTTP APIs'), with identity sources in
    /// WebSocket's syntax (route.request.header.x, route.request.querystring.x, stageVariables.x) and neither of HTTP APIs' payload
    /// format nor simple responses.
    /// </summary>
    public static void CheckAuthorizer(HttpAuthorizer authorizer)
    {
        if (authorizer.AuthorizerType != "REQUEST")
            throw BadRequest($"Invalid authorizer type {authorizer.AuthorizerType}: a WebSocket API's authorizers are REQUEST (JWT is supported only for HTTP APIs).");
        if (authorizer.JwtConfiguration is not null) throw BadRequest("JwtConfiguration is supported only for HTTP APIs.");
        if (authorizer.AuthorizerPayloadFormatVersion is not null || authorizer.EnableSimpleResponses is not null)
            throw BadRequest("AuthorizerPayloadFormatVersion and EnableSimpleResponses are supported only for HTTP APIs.");
        if (LambdaTarget.FunctionArn(authorizer.AuthorizerUri) is null)
            throw BadRequest($"Invalid authorizer URI {authorizer.AuthorizerUri}: a REQUEST authorizer names a Lambda function's invocation URI.");
        foreach (var source in authorizer.IdentitySource)
            if (IdentitySource(source) is null)
                throw BadRequest($"Invalid identity source {source}: it must be route.request.header.name, route.request.querystring.name or stageVariables.name.");
        if (authorizer.AuthorizerResultTtlInSeconds is < 0 or > 3600) throw BadRequest("AuthorizerResultTtlInSeconds must be between 0 and 3600.");
        if (authorizer.AuthorizerResultTtlInSeconds > 0 && authorizer.IdentitySource.Count == 0)
            throw BadRequest("An identity source is required when authorizer caching is enabled.");
    }

    /// <summary>A WebSocket identity source's location and name: route.request.header.x → (header, x), stageVariables.x → (stageVariables, x).</summary>
    public static (string Location, string Name)? IdentitySource(string source) =>
        source.StartsWith("stageVariables.", StringComparison.Ordinal) && source.Length > "stageVariables.".Length
            ? ("stageVariables", source["stageVariables.".Length..])
            : RequestParameter(source);

    /// <summary>The API key selection expressions AWS offers WebSocket APIs: the x-api-key header, or the key the authorizer names.</summary>
    public static void CheckApiKeySelection(string expression)
    {
        if (expression is not (ApiKeyHeader or ApiKeyFromAuthorizer))
            throw BadRequest($"Invalid ApiKeySelectionExpression {expression}: it must be {ApiKeyHeader} or {ApiKeyFromAuthorizer}.");
    }

    public const string ApiKeyHeader = "$request.header.x-api-key";
    public const string ApiKeyFromAuthorizer = "$context.authorizer.usageIdentifierKey";

    /// <summary>Whether an expression selects a member of the message's JSON body ($request.body.name, nested as $request.body.a.b).</summary>
    public static bool IsBodySelection(string expression) => RouteSelection().IsMatch(expression);

    /// <summary>A route request parameter's location and name: route.request.header.x → (header, x).</summary>
    public static (string Location, string Name)? RequestParameter(string key) =>
        RequestParameterPattern().Match(key) is { Success: true } match ? (match.Groups[1].Value, match.Groups[2].Value) : null;

    /// <summary>
    /// A WebSocket API's integration as AWS takes it: AWS_PROXY and AWS (non-proxy) to a Lambda function, HTTP_PROXY and HTTP to a URL,
    /// MOCK; request templates, their selection and passthrough behavior for the non-proxy types; parameter mapping for the HTTP types.
    /// The integration response selection expression is the one AWS sets for the type.
    /// </summary>
    public static HttpIntegration CheckIntegration(HttpIntegration integration)
    {
        var type = integration.IntegrationType;
        switch (type)
        {
            case "AWS_PROXY" or "AWS":
                if (LambdaTarget.FunctionArn(integration.IntegrationUri) is null)
                    throw type == "AWS" && integration.IntegrationUri?.StartsWith("arn:aws:apigateway:", StringComparison.Ordinal) == true
                        ? WebSocketNotServed($"AWS integrations with services other than Lambda ({integration.IntegrationUri})")
                        : BadRequest($"Invalid integration URI specified: {integration.IntegrationUri}. An {type} integration names a Lambda function ARN or its invocation URI.");
                break;
            case "HTTP_PROXY" or "HTTP":
                if (!Uri.TryCreate(integration.IntegrationUri, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                    throw BadRequest($"Invalid integration URI specified: {integration.IntegrationUri}. An {type} integration names an http or https URL.");
                break;
            case "MOCK":
                break;
            default:
                throw BadRequest($"Invalid integration type {type}: a WebSocket API's integrations are AWS_PROXY, AWS, HTTP_PROXY, HTTP or MOCK.");
        }
        var proxy = type is "AWS_PROXY" or "HTTP_PROXY";
        if (proxy && (integration.RequestTemplates is not null || integration.TemplateSelectionExpression is not null || integration.PassthroughBehavior is not null))
            throw BadRequest($"RequestTemplates, TemplateSelectionExpression and PassthroughBehavior are supported only for non-proxy integrations (AWS, HTTP, MOCK), and this one is {type}.");
        if (integration.PassthroughBehavior is not (null or "WHEN_NO_MATCH" or "WHEN_NO_TEMPLATES" or "NEVER"))
            throw BadRequest($"Invalid PassthroughBehavior {integration.PassthroughBehavior}: it must be WHEN_NO_MATCH, WHEN_NO_TEMPLATES or NEVER.");
        CheckContentHandling(integration.ContentHandlingStrategy);
        CheckTemplates(integration.RequestTemplates);
        if (integration.TemplateSelectionExpression is { } selection) CheckTemplateSelection(selection, allowsResponse: false);
        if (integration.RequestParameters is { Count: > 0 } mapping)
        {
            if (type is not ("HTTP" or "HTTP_PROXY")) throw BadRequest($"Request parameter mapping is supported only for HTTP and HTTP_PROXY integrations of a WebSocket API, and this one is {type}.");
            WebSocketParameterMapping.Check(mapping);
        }
        // A WebSocket API's Lambda proxy integrations speak payload format 1.0, the only one AWS offers them.
        var next = integration with
        {
            IntegrationMethod = integration.IntegrationMethod ?? (type == "MOCK" ? null : "POST"),
            PayloadFormatVersion = integration.PayloadFormatVersion ?? "1.0",
            PassthroughBehavior = proxy ? null : integration.PassthroughBehavior ?? "WHEN_NO_MATCH",
            IntegrationResponseSelectionExpression = type switch
            {
                "AWS" => "${integration.response.body.errorMessage}",
                "HTTP" or "MOCK" => "${integration.response.statuscode}",
                _ => null,
            },
        };
        if (next.PayloadFormatVersion != "1.0") throw BadRequest("A WebSocket API's integrations use PayloadFormatVersion 1.0.");
        if (next.IntegrationMethod is { } method && !HttpMethodPattern().IsMatch(method)) throw BadRequest($"Invalid IntegrationMethod {method}: it must be an HTTP method.");
        return next;
    }

    /// <summary>An integration response as AWS takes it: key $default or a /regular expression/, templates and content handling as the integration's.</summary>
    public static void CheckIntegrationResponse(WebSocketIntegrationResponse response)
    {
        if (WebSocketSelection.ResponseKeyPattern(response.IntegrationResponseKey) is null && response.IntegrationResponseKey != Default)
            throw BadRequest($"Invalid IntegrationResponseKey {response.IntegrationResponseKey}: it must be $default or a regular expression between slashes, like /2\\d\\d/.");
        CheckContentHandling(response.ContentHandlingStrategy);
        CheckTemplates(response.ResponseTemplates);
        if (response.TemplateSelectionExpression is { } selection) CheckTemplateSelection(selection, allowsResponse: true);
    }

    private static void CheckContentHandling(string? strategy)
    {
        if (strategy is not (null or "CONVERT_TO_BINARY" or "CONVERT_TO_TEXT"))
            throw BadRequest($"Invalid ContentHandlingStrategy {strategy}: it must be CONVERT_TO_BINARY or CONVERT_TO_TEXT.");
    }

    /// <summary>The model bounds a template at 32 KB (StringWithLengthBetween0And32K); a template that does not parse is refused now, not at the first message.</summary>
    private static void CheckTemplates(Dictionary<string, string>? templates)
    {
        foreach (var (key, template) in templates ?? [])
        {
            if (template.Length > 32768) throw BadRequest($"The template for key {key} is longer than 32768 characters.");
            if (template.Length > 0 && WebSocketSelection.TemplateError(template) is { } error)
                throw BadRequest($"Invalid mapping template for key {key}: {error}");
        }
    }

    /// <summary>Template selection expressions: static text (\$default for the $default key) and ${request.body.x}; an integration response's also the integration's status code and headers.</summary>
    private static void CheckTemplateSelection(string expression, bool allowsResponse)
    {
        foreach (var variable in WebSocketSelection.Variables(expression))
        {
            var allowed = variable.StartsWith("request.body.", StringComparison.Ordinal) && variable.Length > "request.body.".Length
                || allowsResponse && (variable == "integration.response.statuscode" || variable.StartsWith("integration.response.header.", StringComparison.Ordinal)
                    || variable.StartsWith("integration.response.multivalueheader.", StringComparison.Ordinal));
            if (!allowed)
                throw BadRequest($"Invalid TemplateSelectionExpression {expression}: it may use ${{request.body.name}}{(allowsResponse ? ", ${integration.response.statuscode}, ${integration.response.header.name}" : "")} and static text.");
        }
    }

    [GeneratedRegex(@"^[A-Z]{3,7}$")]
    private static partial Regex HttpMethodPattern();

    /// <summary>
    /// The route key a message selects: the selection expression's member of the message's JSON body when it is a string
    /// (or another JSON value, written as JSON), else null, and the message goes to $default.
    /// </summary>
    public static string? SelectRouteKey(string expression, ReadOnlySpan<byte> message)
    {
        try
        {
            var reader = new System.Text.Json.Utf8JsonReader(message, new System.Text.Json.JsonReaderOptions { MaxDepth = 64 });
            using var document = System.Text.Json.JsonDocument.ParseValue(ref reader);
            var node = document.RootElement;
            foreach (var member in expression[BodyPrefix.Length..].Split('.'))
            {
                if (node.ValueKind != System.Text.Json.JsonValueKind.Object || !node.TryGetProperty(member, out node)) return null;
            }
            return node.ValueKind switch
            {
                System.Text.Json.JsonValueKind.String => node.GetString(),
                System.Text.Json.JsonValueKind.Object or System.Text.Json.JsonValueKind.Array or System.Text.Json.JsonValueKind.Null => null,
                _ => node.GetRawText(),
            };
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^\$request\.body\.[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$")]
    private static partial Regex RouteSelection();

    [GeneratedRegex(@"^route\.request\.(header|querystring)\.([A-Za-z0-9._~!#$%&'*+^`|-]+)$")]
    private static partial Regex RequestParameterPattern();
}

/// <summary>
/// A WebSocket API integration's request parameters, as AWS documents data mapping for WebSocket APIs: integration.request.header.x or
/// integration.request.querystring.x from route.request.header.x / route.request.querystring.x (the $connect request's),
/// route.request.body.x (a member of the message's JSON body), context.x, stageVariables.x, or a 'static value'.
/// </summary>
public static partial class WebSocketParameterMapping
{
    public static void Check(IReadOnlyDictionary<string, string> mapping)
    {
        foreach (var (key, source) in mapping)
        {
            if (Target(key) is null)
                throw BadRequest($"Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: {key}]");
            if (!SourcePattern().IsMatch(source))
                throw BadRequest($"Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: {source}]");
        }
    }

    /// <summary>integration.request.header.x → (header, x); integration.request.querystring.x → (querystring, x).</summary>
    public static (string Location, string Name)? Target(string key) =>
        TargetPattern().Match(key) is { Success: true } match ? (match.Groups[1].Value, match.Groups[2].Value) : null;

    [GeneratedRegex(@"^integration\.request\.(header|querystring)\.([A-Za-z0-9._$-]+)$")]
    private static partial Regex TargetPattern();

    [GeneratedRegex(@"^('[^']*'|route\.request\.(header|querystring)\.[A-Za-z0-9._$-]+|route\.request\.body\.[A-Za-z0-9_$.-]+|context\.[A-Za-z0-9_.-]+|stageVariables\.[A-Za-z0-9_]+)$")]
    private static partial Regex SourcePattern();
}
