using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Services.ApiGateway.Vtl;

/// <summary>API Gateway's <c>$input</c>: the payload being mapped and the method request's parameters.</summary>
public sealed class InputVariable(JsonPayload payload, IReadOnlyDictionary<string, string> pathParameters,
    IReadOnlyDictionary<string, string> queryString, IReadOnlyDictionary<string, string> headers) : IVtlObject
{
    public InputVariable(string body, IReadOnlyDictionary<string, string> pathParameters,
        IReadOnlyDictionary<string, string> queryString, IReadOnlyDictionary<string, string> headers)
        : this(new JsonPayload(body), pathParameters, queryString, headers)
    {
    }

    private string Body => payload.Text;
    private JsonNode? Root => payload.Root;

    public bool TryGetProperty(string name, out object? value)
    {
        value = name == "body" ? Body : null;
        return name == "body";
    }

    public bool TryInvoke(string name, IReadOnlyList<object?> arguments, out object? result)
    {
        string Arg() => arguments.Count > 0 ? VtlValues.ToText(arguments[0]) : "$";
        result = (name, arguments.Count) switch
        {
            ("path", 1) => JsonPath.ToVtl(JsonPath.Select(Root, Arg())),
            ("json", 1) => MappingJson.Write(JsonPath.Select(Root, Arg())),
            ("params", 0) => AllParams(),
            ("params", 1) => Param(Arg()),
            ("getBody", 0) => Body,
            _ => null,
        };
        return true;
    }

    private Dictionary<string, object?> AllParams() => new(StringComparer.Ordinal)
    {
        ["path"] = ToMap(pathParameters),
        ["querystring"] = ToMap(queryString),
        ["header"] = ToMap(headers),
    };

    private string Param(string name) =>
        pathParameters.GetValueOrDefault(name)
        ?? queryString.GetValueOrDefault(name)
        ?? headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value
        ?? "";

    private static Dictionary<string, object?> ToMap(IReadOnlyDictionary<string, string> values) =>
        values.ToDictionary(v => v.Key, v => (object?)v.Value, StringComparer.Ordinal);
}

/// <summary>API Gateway's <c>$util</c>.</summary>
public sealed class UtilVariable : IVtlObject
{
    public static readonly UtilVariable Instance = new();

    public bool TryGetProperty(string name, out object? value)
    {
        value = null;
        return false;
    }

    public bool TryInvoke(string name, IReadOnlyList<object?> arguments, out object? result)
    {
        var text = arguments.Count == 1 && arguments[0] is not null ? VtlValues.ToText(arguments[0]) : null;
        result = text is null ? null : name switch
        {
            "escapeJavaScript" => EscapeJavaScript(text),
            "parseJson" => ParseJson(text),
            "urlEncode" => UrlEncode(text),
            "urlDecode" => UrlDecode(text),
            "base64Encode" => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)),
            "base64Decode" => Base64Decode(text),
            _ => null,
        };
        return result is not null;
    }

    /// <summary>Escapes as Java's StringEscapeUtils.escapeJavaScript, which API Gateway uses.</summary>
    public static string EscapeJavaScript(string text)
    {
        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            escaped.Append(c switch
            {
                '\'' => "\\'", '"' => "\\\"", '\\' => "\\\\", '/' => "\\/",
                '\b' => "\\b", '\f' => "\\f", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t",
                < ' ' or > '\u007e' => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }
        return escaped.ToString();
    }

    private static object? ParseJson(string text)
    {
        try
        {
            return JsonPath.ToVtl(JsonNode.Parse(text));
        }
        catch (JsonException e)
        {
            throw new VtlException($"$util.parseJson: invalid JSON ({e.Message})");
        }
    }

    /// <summary>Java's URLEncoder (UTF-8): space as '+', only letters, digits and .-*_ left alone.</summary>
    public static string UrlEncode(string text)
    {
        var encoded = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '*' or '_') encoded.Append(c);
            else if (c == ' ') encoded.Append('+');
            else encoded.Append('%').Append(b.ToString("X2"));
        }
        return encoded.ToString();
    }

    public static string UrlDecode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));

    private static string Base64Decode(string text)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(text));
        }
        catch (FormatException)
        {
            throw new VtlException("$util.base64Decode: the input is not valid base64");
        }
    }
}

/// <summary>JSON as mapping templates print it: compact, with HTML characters left as they are.</summary>
public static class MappingJson
{
    private static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(JsonNode? node) => node is null ? "null" : node.ToJsonString(Options);
}
