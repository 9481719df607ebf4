using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// A stage's access log, shared by REST APIs and HTTP APIs: the format's <c>$context</c> variables replaced ("-" for a variable
/// without a value, as AWS writes it; inside a JSON format values are escaped so the line stays JSON), and the log group the
/// destination ARN names.
/// </summary>
public static partial class AccessLog
{
    /// <param name="value">A variable's value by its name without the '$' ("context.requestId"), or null when it has none.</param>
    public static string Format(string format, Func<string, string?> value)
    {
        var json = format.TrimStart().StartsWith('{');
        return Variable().Replace(format, match => value(match.Groups[1].Value) is { } text ? json ? JsonValue.Create(text).ToJsonString(Escaping)[1..^1] : text : "-");
    }

    // Quotes escaped as \" rather than \u0022, as AWS writes them; the line is a log, never HTML.
    private static readonly JsonSerializerOptions Escaping = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><c>arn:aws:logs:{region}:{account}:log-group:{name}[:*]</c> → its parts; null for any other ARN.</summary>
    public static (string Region, string Account, string Name)? LogGroup(string arn)
    {
        var parts = arn.Split(':');
        if (parts.Length < 7 || parts[0] != "arn" || parts[2] != "logs" || parts[5] != "log-group" || parts[6].Length == 0) return null;
        return (parts[3], parts[4], parts[6]);
    }

    /// <summary>The stream a stage's lines go to.</summary>
    public static string StreamName(string apiId, string stage) => $"{apiId}_{stage}".Replace("$", "");

    [GeneratedRegex(@"\$(context\.[A-Za-z0-9_.]+[A-Za-z0-9_])")]
    private static partial Regex Variable();
}
