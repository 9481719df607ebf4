using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.ApiGateway.Vtl;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>
/// WebSocket APIs' selection rules, as AWS documents its selection expressions: variables written <c>$name</c> or <c>${name}</c>
/// evaluated once (no recursion), <c>\$</c> for a literal dollar (so <c>\$default</c> selects the <c>$default</c> key), and keys between
/// slashes as regular expressions (<c>/2\d\d/</c>) where a pattern is expected: integration response keys, matched against the whole
/// status code or Lambda error message, else the <c>$default</c> response.
/// </summary>
public static partial class WebSocketSelection
{
    private const string DefaultKey = "$default";

    /// <summary>A selection pattern runs on text the backend chose; a pattern that backtracks without end stops here and matches nothing.</summary>
    private static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>Compiled mapping templates, one per template text of a deployed definition, kept as long as the definition keeps that text.</summary>
    private static readonly ConditionalWeakTable<string, MappingTemplate> Templates = new();

    /// <summary>The variable names an expression uses (without the '$'), escaped dollars skipped.</summary>
    public static IEnumerable<string> Variables(string expression) =>
        Variable().Matches(expression).Where(m => !IsLiteral(m)).Select(Name);

    /// <summary>The key an expression evaluates to: each variable replaced by its value (nothing when it has none), \$ by $.</summary>
    public static string Evaluate(string expression, Func<string, string?> resolve) =>
        Variable().Replace(expression, m => m.Groups["escaped"].Success ? "$" : IsLiteral(m) ? DefaultKey : resolve(Name(m)) ?? "");

    private static string Name(Match m) => m.Groups["name"].Success ? m.Groups["name"].Value : m.Groups["bare"].Value;

    /// <summary>An escaped dollar, or $default written without its escape, which names no variable and is read as the $default key.</summary>
    private static bool IsLiteral(Match m) => m.Groups["escaped"].Success || m.Groups["bare"].Value == "default";

    /// <summary>The regular expression of a /pattern/ key, or null when the key is not one or does not compile.</summary>
    public static string? ResponseKeyPattern(string key)
    {
        if (key.Length < 3 || key[0] != '/' || key[^1] != '/') return null;
        var pattern = key[1..^1];
        try
        {
            _ = new Regex(pattern, RegexOptions.None, PatternTimeout);
            return pattern;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// The integration response for a subject (the status code, or the Lambda function's error message, empty when it succeeded): the
    /// first /pattern/ key (in key order) matching the whole subject, else the $default response, else none (a configuration error).
    /// </summary>
    public static WebSocketIntegrationResponse? SelectIntegrationResponse(IEnumerable<WebSocketIntegrationResponse> responses, string subject)
    {
        var all = responses.OrderBy(r => r.IntegrationResponseKey, StringComparer.Ordinal).ToList();
        return all.FirstOrDefault(r => ResponseKeyPattern(r.IntegrationResponseKey) is { } pattern && Matches(pattern, subject))
            ?? all.FirstOrDefault(r => r.IntegrationResponseKey == DefaultKey);
    }

    private static bool Matches(string pattern, string subject)
    {
        try
        {
            return Regex.IsMatch(subject, "^(?:" + pattern + ")$", RegexOptions.None, PatternTimeout);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <summary>The template a selection key picks: the key's own, else the $default key's; null when neither exists.</summary>
    public static KeyValuePair<string, string>? SelectTemplate(IReadOnlyDictionary<string, string>? templates, string key)
    {
        if (templates is null) return null;
        if (templates.TryGetValue(key, out var own)) return new(key, own);
        return templates.TryGetValue(DefaultKey, out var fallback) ? new(DefaultKey, fallback) : null;
    }

    /// <summary>The selection key of a template selection expression; an integration without one selects the $default template.</summary>
    public static string TemplateKey(string? expression, Func<string, string?> resolve) => expression is null ? DefaultKey : Evaluate(expression, resolve);

    /// <summary>A member of a JSON body by a dotted path (request.body.a.b's a.b): a string as itself, other values as JSON, null when absent.</summary>
    public static string? BodyValue(JsonPayload body, string path)
    {
        if (body.Root is not JsonObject) return null;
        return JsonPath.Select(body.Root, "$." + path) switch
        {
            null => null,
            JsonValue value when value.TryGetValue<string>(out var text) => text,
            var other => MappingJson.Write(other),
        };
    }

    /// <summary>Why a template does not parse, or null when it does (an empty template passes the body through).</summary>
    public static string? TemplateError(string source)
    {
        try
        {
            VtlTemplate.Parse(source);
            return null;
        }
        catch (VtlException e)
        {
            return e.Message;
        }
    }

    /// <summary>The template parsed once per deployed text; rendering one that did not parse fails as a configuration error.</summary>
    public static MappingTemplate Compiled(string source) => Templates.GetValue(source, text => MappingTemplate.Compile(text)!);

    /// <summary>A body as text for templates and the message back: UTF-8 when it is, else base64 (as CONVERT_TO_TEXT would give it).</summary>
    public static string Text(byte[] body)
    {
        try
        {
            return Strict.GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return Convert.ToBase64String(body);
        }
    }

    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    /// <summary>\$ (an escaped dollar), ${name}, or $name (letters, digits, '_', '-', '.', not ending in '.').</summary>
    [GeneratedRegex(@"(?<escaped>\\\$)|\$\{(?<name>[^}]+)\}|\$(?<bare>[A-Za-z][A-Za-z0-9_.-]*[A-Za-z0-9_-]|[A-Za-z])")]
    private static partial Regex Variable();
}
