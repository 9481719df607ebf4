using Stratus.Protocols;
using Stratus.Services.Iam.Engine;
using Stratus.Services.Logs.Engine.Insights;

namespace Stratus.Services.Logs;

/// <summary>
/// What `--auth enforce` authorizes CloudWatch Logs' operations against: AWS authorizes a log group's
/// operations on arn:aws:logs:REGION:ACCOUNT:log-group:NAME:log-stream: (so a policy needs
/// "log-group:NAME:*", as on AWS) and a stream's on log-group:NAME:log-stream:STREAM.
/// </summary>
public static class LogsAuthorization
{
    /// <summary>
    /// Reading events unmasked (GetLogEvents, FilterLogEvents, GetLogRecord with unmask=true, an Insights query with the
    /// unmask() command) also needs logs:Unmask on the groups, and PutAccountPolicy the action of the policy's type
    /// (logs:PutDataProtectionPolicy for a data protection policy, ...), as AWS documents both.
    /// </summary>
    public static AuthorizationTable Table() => new("logs", unlisted: Resources,
        alsoRequired: (operation, i) =>
        [
            .. i.Bool("unmask") == true || (operation == "StartQuery" && QueryUnmasks(i.String("queryString"))) ? ["logs:Unmask"] : Array.Empty<string>(),
            .. operation == "PutAccountPolicy" && AccountPolicyActions.GetValueOrDefault(i.String("policyType") ?? "") is { } action ? [action] : Array.Empty<string>(),
        ]);

    private static readonly Dictionary<string, string> AccountPolicyActions = new(StringComparer.Ordinal)
    {
        [AccountPolicyTypes.DataProtection] = "logs:PutDataProtectionPolicy",
        [AccountPolicyTypes.SubscriptionFilter] = "logs:PutSubscriptionFilter",
        [AccountPolicyTypes.Transformer] = "logs:PutTransformer",
        [AccountPolicyTypes.FieldIndex] = "logs:PutIndexPolicy",
    };

    /// <summary>Whether a query string uses unmask(); one that does not parse is refused by StartQuery itself.</summary>
    private static bool QueryUnmasks(string? query)
    {
        if (query is null) return false;
        try
        {
            return InsightsParser.Parse(query).Unmasks;
        }
        catch (InsightsSyntaxException)
        {
            return false;
        }
    }

    private static IEnumerable<string> Resources(OperationInput i)
    {
        if (i.String("logGroupName") is { } group) return [Stream(i, group, i.String("logStreamName") ?? "")];
        if (i.String("logGroupIdentifier") is { } identifier) return [Stream(i, identifier, i.String("logStreamName") ?? "")];
        return [.. AuthorizationTable.Strings(i, "logGroupNames").Concat(AuthorizationTable.Strings(i, "logGroupIdentifiers")).Select(g => Stream(i, g, ""))];
    }

    /// <summary>A group named or given by ARN (logGroupIdentifier takes either), with the stream's part.</summary>
    private static string Stream(OperationInput i, string group, string stream)
    {
        var arn = AuthorizationTable.ArnOrBuild(group, name => AuthorizationTable.Arn(i, "logs", $"log-group:{name}"));
        return $"{(arn.EndsWith(":*", StringComparison.Ordinal) ? arn[..^2] : arn)}:log-stream:{stream}";
    }
}
