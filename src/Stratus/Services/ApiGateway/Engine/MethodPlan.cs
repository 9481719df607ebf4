using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Stratus.Services.ApiGateway.Vtl;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// What a deployed method's integration needs that does not change per request, worked out once when
/// the deployment is first served: the function its URI names, its parameter mappings, its templates
/// parsed and its selection patterns compiled.
/// </summary>
public sealed class MethodPlan
{
    private const string StageVariableMarker = "${stageVariables.";

    private MethodPlan(ApiMethod method)
    {
        Method = method;
        Integration = method.MethodIntegration;
        if (Integration is null) return;
        var uri = Integration.Uri ?? "";
        UriHasStageVariables = uri.Contains(StageVariableMarker, StringComparison.Ordinal);
        if (!UriHasStageVariables) LambdaFunction = IntegrationUri.Parse(uri)?.LambdaFunction;
        RequestParameters = (Integration.RequestParameters ?? []).Select(RequestParameterMapping.Compile).OfType<RequestParameterMapping>().ToList();
        RequestTemplates = (Integration.RequestTemplates ?? []).ToDictionary(t => t.Key, t => MappingTemplate.Compile(t.Value), StringComparer.Ordinal);
        Responses = (Integration.IntegrationResponses ?? []).Values.Select(r => new IntegrationResponsePlan(r)).ToList();
    }

    public static MethodPlan Compile(ApiMethod method) => new(method);

    public ApiMethod Method { get; }
    public Integration? Integration { get; }
    public bool UriHasStageVariables { get; }
    /// <summary>The function an AWS or AWS_PROXY URI invokes, when the URI needs no stage variable to say.</summary>
    private string? LambdaFunction { get; }
    public IReadOnlyList<RequestParameterMapping> RequestParameters { get; } = [];
    /// <summary>Content type to template; a null template passes the body through.</summary>
    public IReadOnlyDictionary<string, MappingTemplate?> RequestTemplates { get; } = new Dictionary<string, MappingTemplate?>();
    public IReadOnlyList<IntegrationResponsePlan> Responses { get; } = [];

    /// <summary>The Lambda function the integration URI names, its stage variables resolved; null when it names none.</summary>
    public string? FunctionFor(GatewayTarget target) =>
        UriHasStageVariables ? IntegrationUri.Parse(WithStageVariables(Integration?.Uri ?? "", target))?.LambdaFunction : LambdaFunction;

    /// <summary>Resolves <c>${stageVariables.name}</c> in an integration URI, as AWS does for HTTP endpoints and function ARNs.</summary>
    public static string WithStageVariables(string uri, GatewayTarget target) =>
        uri.Contains(StageVariableMarker, StringComparison.Ordinal)
            ? StageVariableReference.Replace(uri, m => target.StageVariables.GetValueOrDefault(m.Groups[1].Value) ?? "")
            : uri;

    private static readonly Regex StageVariableReference = new(@"\$\{stageVariables\.([A-Za-z0-9_]+)\}", RegexOptions.CultureInvariant);
}

/// <summary>Where a mapped request parameter goes.</summary>
public enum ParameterLocation { Path, QueryString, Header }

/// <summary>
/// One <c>integration.request.{path|querystring|header}.NAME</c> mapping, its source read from
/// <c>method.request.*</c>, <c>stageVariables.*</c>, <c>context.*</c> or a 'literal'.
/// </summary>
public sealed record RequestParameterMapping(ParameterLocation Location, string Name, Func<RequestContext, string?> Source)
{
    public static RequestParameterMapping? Compile(KeyValuePair<string, string> mapping)
    {
        var parts = mapping.Key.Split('.', 4);
        if (parts.Length != 4) return null;
        ParameterLocation? location = parts[2] switch
        {
            "path" => ParameterLocation.Path,
            "querystring" => ParameterLocation.QueryString,
            "header" => ParameterLocation.Header,
            _ => null,
        };
        return location is { } where ? new RequestParameterMapping(where, parts[3], SourceOf(mapping.Value)) : null;
    }

    private static Func<RequestContext, string?> SourceOf(string source)
    {
        if (source.Length >= 2 && source[0] == '\'' && source[^1] == '\'')
        {
            var literal = source[1..^1];
            return _ => literal;
        }
        return source.Split('.', 4) switch
        {
            ["method", "request", "path", var name] => run => run.Route.PathParameters.GetValueOrDefault(name),
            ["method", "request", "querystring", var name] => run => run.Request.Query.LastOrDefault(q => q.Key == name).Value,
            ["method", "request", "header", var name] => run => run.Header(name),
            ["stageVariables", var name] => run => run.Target.StageVariables.GetValueOrDefault(name),
            ["context", ..] => ContextSource(source["context.".Length..].Split('.')),
            _ => _ => null,
        };
    }

    private static Func<RequestContext, string?> ContextSource(string[] path) => run =>
    {
        object? value = run.ContextVariable();
        foreach (var part in path) value = value is Dictionary<string, object?> map ? map.GetValueOrDefault(part) : null;
        return VtlValues.ToText(value);
    };
}

/// <summary>An integration response with its selection pattern compiled, its header mappings read and its templates parsed.</summary>
public sealed class IntegrationResponsePlan
{
    private const string HeaderTarget = "method.response.header.";

    public IntegrationResponsePlan(IntegrationResponse response)
    {
        Response = response;
        HasSelectionPattern = !string.IsNullOrEmpty(response.SelectionPattern);
        if (HasSelectionPattern)
        {
            try
            {
                _selection = new Regex("^(?:" + response.SelectionPattern + ")$", RegexOptions.None, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException)
            {
                // PutIntegrationResponse refuses such patterns; one that slipped in (an import) fails at run time as a configuration error.
                _selection = null;
            }
        }
        Headers = (response.ResponseParameters ?? [])
            .Where(p => p.Key.StartsWith(HeaderTarget, StringComparison.Ordinal))
            .Select(p => new ResponseHeaderMapping(p.Key[HeaderTarget.Length..], ResponseHeaderMapping.SourceOf(p.Value)))
            .ToList();
        Templates = (response.ResponseTemplates ?? []).Select(t => new KeyValuePair<string, MappingTemplate?>(t.Key, MappingTemplate.Compile(t.Value))).ToList();
    }

    private readonly Regex? _selection;

    public IntegrationResponse Response { get; }
    public bool HasSelectionPattern { get; }
    public IReadOnlyList<ResponseHeaderMapping> Headers { get; }
    /// <summary>Content type to template, in the order they were put; a null template leaves the body as it is.</summary>
    public IReadOnlyList<KeyValuePair<string, MappingTemplate?>> Templates { get; }

    /// <summary>Whether the selection pattern matches the whole subject (a status code or a Lambda error message).</summary>
    public bool Selects(string subject)
    {
        if (_selection is null) throw GatewayFailure.Configuration($"invalid selection pattern {Response.SelectionPattern}");
        try
        {
            return _selection.IsMatch(subject);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}

/// <summary>What an integration answered, before the integration response maps it.</summary>
public sealed record IntegrationOutput(string Status, JsonPayload Body, IReadOnlyList<KeyValuePair<string, string>> Headers, string? ErrorMessage);

/// <summary>One <c>method.response.header.NAME</c> mapping from the integration's response, a stage variable or a 'literal'.</summary>
public sealed record ResponseHeaderMapping(string Name, Func<RequestContext, IntegrationOutput, string?> Source)
{
    private const string HeaderSource = "integration.response.header.";
    private const string BodySource = "integration.response.body";

    public static Func<RequestContext, IntegrationOutput, string?> SourceOf(string source)
    {
        if (source.Length >= 2 && source[0] == '\'' && source[^1] == '\'')
        {
            var literal = source[1..^1];
            return (_, _) => literal;
        }
        if (source.StartsWith(HeaderSource, StringComparison.Ordinal))
        {
            var name = source[HeaderSource.Length..];
            return (_, output) => output.Headers.LastOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
        }
        if (source == BodySource) return (_, output) => output.Body.Text;
        if (source.StartsWith(BodySource + ".", StringComparison.Ordinal))
        {
            var path = "$." + source[(BodySource.Length + 1)..];
            return (_, output) => JsonPath.Select(output.Body.Root, path) switch
            {
                JsonValue s when s.GetValueKind() == JsonValueKind.String => s.GetValue<string>(),
                var selected => selected?.ToJsonString(),
            };
        }
        if (source.StartsWith("stageVariables.", StringComparison.Ordinal))
        {
            var name = source["stageVariables.".Length..];
            return (run, _) => run.Target.StageVariables.GetValueOrDefault(name);
        }
        return (_, _) => null;
    }
}

/// <summary>A mapping template parsed once; one that does not parse fails each request that uses it, as a configuration error.</summary>
public sealed class MappingTemplate
{
    private readonly VtlTemplate? _template;
    private readonly string? _error;

    private MappingTemplate(VtlTemplate? template, string? error) => (_template, _error) = (template, error);

    /// <summary>Null for an empty template, which passes the body through.</summary>
    public static MappingTemplate? Compile(string? source)
    {
        if (string.IsNullOrEmpty(source)) return null;
        try
        {
            return new MappingTemplate(VtlTemplate.Parse(source), null);
        }
        catch (VtlException e)
        {
            return new MappingTemplate(null, e.Message);
        }
    }

    public string Render(RequestContext run, JsonPayload payload, Dictionary<string, object?> context) => Render(run.TemplateVariables(payload, context));

    /// <summary>Renders with the variables the caller's API kind gives a template (WebSocket APIs' $context is not a REST method's).</summary>
    public string Render(IReadOnlyDictionary<string, object?> variables) =>
        _template is not null ? _template.Render(variables) : throw new VtlException(_error!);
}
