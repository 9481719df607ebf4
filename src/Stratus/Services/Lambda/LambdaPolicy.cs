using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stratus.Services.Lambda;

/// <summary>A function's resource-based policy: rendered as AWS returns it, and evaluated for service callers.</summary>
public static class LambdaPolicy
{
    public static string Document(IEnumerable<PolicyStatement> statements) => new JsonObject
    {
        ["Version"] = "2012-10-17",
        ["Id"] = "default",
        ["Statement"] = new JsonArray(statements.Select(s => (JsonNode)Statement(s)).ToArray()),
    }.ToJsonString();

    public static JsonObject Statement(PolicyStatement statement)
    {
        var json = new JsonObject
        {
            ["Sid"] = statement.Sid,
            ["Effect"] = "Allow",
            ["Principal"] = Principal(statement.Principal),
            ["Action"] = statement.Action,
            ["Resource"] = statement.Resource,
        };
        var condition = new JsonObject();
        if (statement.SourceAccount is { } account) Add(condition, "StringEquals", "AWS:SourceAccount", account);
        if (statement.PrincipalOrgId is { } org) Add(condition, "StringEquals", "aws:PrincipalOrgID", org);
        if (statement.FunctionUrlAuthType is { } auth) Add(condition, "StringEquals", "lambda:FunctionUrlAuthType", auth);
        if (statement.SourceArn is { } arn) Add(condition, "ArnLike", "AWS:SourceArn", arn);
        if (condition.Count > 0) json["Condition"] = condition;
        return json;
    }

    /// <summary>Whether a service principal may invoke the function (optionally qualified) on behalf of a source ARN.</summary>
    public static bool Allows(IEnumerable<PolicyStatement> statements, string principal, string? sourceArn, string accountId, string functionArn, string? qualifier) =>
        statements.Any(s =>
            (s.Principal == principal || s.Principal == "*")
            && s.Action is "lambda:InvokeFunction" or "lambda:*" or "*"
            && (s.Resource == functionArn || (qualifier is not null && s.Resource == $"{functionArn}:{qualifier}"))
            && (s.SourceArn is null || (sourceArn is not null && ArnLike(s.SourceArn, sourceArn)))
            && (s.SourceAccount is null || s.SourceAccount == accountId));

    private static bool ArnLike(string pattern, string value) =>
        Regex.IsMatch(value, "^" + Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$");

    private static JsonNode Principal(string principal) => principal switch
    {
        "*" => "*",
        _ when principal.EndsWith(".amazonaws.com", StringComparison.Ordinal) => new JsonObject { ["Service"] = principal },
        _ when principal.Length == 12 && principal.All(char.IsAsciiDigit) => new JsonObject { ["AWS"] = $"arn:aws:iam::{principal}:root" },
        _ => new JsonObject { ["AWS"] = principal },
    };

    private static void Add(JsonObject condition, string op, string key, string value)
    {
        if (condition[op] is not JsonObject block) condition[op] = block = new JsonObject();
        block[key] = value;
    }
}
