using System.Globalization;
using System.Text;
using Stratus.Services.ApiGateway.Vtl;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// One method request on its way through the stages: where it runs, what it matched, what the client
/// sent (its body decoded and parsed at most once), the execution log and the integration's latency.
/// </summary>
public sealed class RequestContext(GatewayTarget target, MatchedRoute route, GatewayRequest request, string requestId, TimeProvider clock)
{
    private JsonPayload? _body;
    private Dictionary<string, string>? _query;
    private Dictionary<string, string>? _headers;

    public DateTimeOffset Start { get; } = clock.GetUtcNow();
    public GatewayTarget Target { get; } = target;
    public MatchedRoute Route { get; } = route;
    public GatewayRequest Request { get; } = request;
    public string RequestId { get; } = requestId;
    public MethodPlan Plan => Route.Plan;
    public List<string> Log { get; } = [];
    public TimeSpan IntegrationLatency { get; set; }

    /// <summary>The request body as text, for templates and the proxy event; decoded once.</summary>
    public JsonPayload Body => _body ??= new JsonPayload(Encoding.UTF8.GetString(Request.Body));

    /// <summary>Each query parameter's last value, as <c>$input.params()</c> reads them.</summary>
    public IReadOnlyDictionary<string, string> QueryByName => _query ??=
        Request.Query.GroupBy(q => q.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);

    /// <summary>Each header's last value (names compared without case), as <c>$input.params()</c> reads them.</summary>
    public IReadOnlyDictionary<string, string> HeadersByName => _headers ??=
        Request.Headers.GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);

    public string? Header(string name) =>
        Request.Headers.LastOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public void Write(string line) =>
        Log.Add(clock.GetUtcNow().ToString("ddd MMM dd HH:mm:ss", CultureInfo.InvariantCulture) + $" UTC {RequestId} : {line}");

    public string RequestTime => Start.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture);

    /// <summary>A fresh <c>$context</c>: fresh because a response template writes <c>$context.responseOverride</c>.</summary>
    public Dictionary<string, object?> ContextVariable() => new(StringComparer.Ordinal)
    {
        ["requestId"] = RequestId,
        ["extendedRequestId"] = RequestId,
        ["apiId"] = Target.ApiId,
        ["accountId"] = Target.AccountId,
        ["stage"] = Target.StageName,
        ["httpMethod"] = Request.HttpMethod,
        ["resourceId"] = Route.Resource.Id,
        ["resourcePath"] = Route.Resource.Path,
        ["path"] = "/" + Target.StageName + Request.Path,
        ["protocol"] = "HTTP/1.1",
        ["domainName"] = Target.DomainName,
        ["domainPrefix"] = Target.ApiId,
        ["requestTime"] = RequestTime,
        ["requestTimeEpoch"] = Start.ToUnixTimeMilliseconds(),
        ["identity"] = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["sourceIp"] = Request.SourceIp,
            ["userAgent"] = Header("User-Agent"),
            ["accountId"] = Request.Caller?.AccountId, ["caller"] = Request.Caller?.Caller, ["user"] = Request.Caller?.Caller,
            ["userArn"] = Request.Caller?.UserArn, ["apiKey"] = Request.ApiKey, ["accessKey"] = Request.Caller?.AccessKey,
            ["clientCert"] = Request.ClientCert?.ContextVariable(),
        },
        ["authorizer"] = Request.Authorizer?.ContextVariable() ?? new Dictionary<string, object?>(StringComparer.Ordinal),
        ["responseOverride"] = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["status"] = null,
            ["header"] = new Dictionary<string, object?>(StringComparer.Ordinal),
        },
    };

    /// <summary>The variables a mapping template sees: <c>$input</c> over the given payload, <c>$util</c>, <c>$context</c>, <c>$stageVariables</c>.</summary>
    public Dictionary<string, object?> TemplateVariables(JsonPayload payload, Dictionary<string, object?> context) => new(StringComparer.Ordinal)
    {
        ["input"] = new InputVariable(payload, Route.PathParameters, QueryByName, HeadersByName),
        ["util"] = UtilVariable.Instance,
        ["context"] = context,
        ["stageVariables"] = Target.StageVariables.ToDictionary(v => v.Key, v => (object?)v.Value, StringComparer.Ordinal),
    };
}
