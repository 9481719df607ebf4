namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// An AWS integration's target: <c>arn:aws:apigateway:REGION:SERVICE:path/...</c> or <c>...:action/...</c>;
/// for Lambda the path is <c>2015-03-31/functions/FUNCTION_ARN/invocations</c>.
/// </summary>
public sealed record IntegrationUri(string Region, string Service, string Kind, string Rest)
{
    private const string LambdaPathPrefix = "2015-03-31/functions/";
    private const string LambdaPathSuffix = "/invocations";

    /// <summary>The function ARN (possibly qualified) when this is a Lambda invocation path.</summary>
    public string? LambdaFunction =>
        Service == "lambda" && Kind == "path" && Rest.StartsWith(LambdaPathPrefix, StringComparison.Ordinal) && Rest.EndsWith(LambdaPathSuffix, StringComparison.Ordinal)
            && Rest.Length > LambdaPathPrefix.Length + LambdaPathSuffix.Length
            ? Rest[LambdaPathPrefix.Length..^LambdaPathSuffix.Length]
            : null;

    public static IntegrationUri? Parse(string uri)
    {
        var parts = uri.Split(':', 6);
        if (parts.Length < 6 || parts[0] != "arn" || parts[2] != "apigateway" || parts[3].Length == 0 || parts[4].Length == 0) return null;
        var slash = parts[5].IndexOf('/');
        if (slash <= 0) return null;
        var kind = parts[5][..slash];
        return kind is "path" or "action" ? new IntegrationUri(parts[3], parts[4], kind, parts[5][(slash + 1)..]) : null;
    }
}
