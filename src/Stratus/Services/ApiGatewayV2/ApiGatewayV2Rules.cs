using System.Text.RegularExpressions;
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
