using System.Text.Json;
using Stratus.Protocols;

namespace Stratus.Services.Iam;

/// <summary>
/// Checks IAM policy documents the way IAM does before storing them: valid JSON, a known Version,
/// statements with an Effect and actions, and a Principal exactly where one belongs.
/// </summary>
public static class PolicyDocument
{
    public const int MaxManagedPolicyLength = 6144;
    public const int MaxTrustPolicyLength = 2048;

    public enum Kind { Identity, Trust }

    public static void Validate(string document, Kind kind)
    {
        var limit = kind == Kind.Trust ? MaxTrustPolicyLength : MaxManagedPolicyLength;
        if (document.Length > limit)
            throw IamErrors.QuotaExceeded(kind == Kind.Trust ? "ACLSizePerRole" : "PolicySize", limit);
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(document);
        }
        catch (JsonException)
        {
            throw Malformed("This policy contains invalid Json");
        }
        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Malformed("Syntax errors in policy.");
            if (root.TryGetProperty("Version", out var version) && version.GetString() is not ("2012-10-17" or "2008-10-17"))
                throw Malformed("The policy failed legacy parsing");
            if (!root.TryGetProperty("Statement", out var statements)) throw Malformed("Syntax errors in policy.");
            var list = statements.ValueKind switch
            {
                JsonValueKind.Array => statements.EnumerateArray().ToList(),
                JsonValueKind.Object => [statements],
                _ => throw Malformed("Syntax errors in policy."),
            };
            foreach (var statement in list) ValidateStatement(statement, kind);
        }
    }

    private static void ValidateStatement(JsonElement statement, Kind kind)
    {
        if (statement.ValueKind != JsonValueKind.Object) throw Malformed("Syntax errors in policy.");
        if (!statement.TryGetProperty("Effect", out var effect)) throw Malformed("Missing required field Effect");
        if (effect.GetString() is not ("Allow" or "Deny")) throw Malformed($"Invalid effect: {effect}");
        if (!statement.TryGetProperty("Action", out _) && !statement.TryGetProperty("NotAction", out _))
            throw Malformed("Policy statement must contain actions.");
        var hasPrincipal = statement.TryGetProperty("Principal", out _) || statement.TryGetProperty("NotPrincipal", out _);
        if (kind == Kind.Trust && !hasPrincipal) throw Malformed("Missing required field Principal");
        if (kind == Kind.Identity && hasPrincipal) throw Malformed("Policy document should not specify a principal.");
        if (kind == Kind.Identity && !statement.TryGetProperty("Resource", out _) && !statement.TryGetProperty("NotResource", out _))
            throw Malformed("Policy statement must contain resources.");
    }

    /// <summary>Whether a trust policy lets a service principal (e.g. lambda.amazonaws.com) assume the role.</summary>
    public static bool TrustsService(string trustPolicy, string servicePrincipal)
    {
        using var json = JsonDocument.Parse(trustPolicy);
        var statements = json.RootElement.GetProperty("Statement");
        var list = statements.ValueKind == JsonValueKind.Array ? statements.EnumerateArray().ToList() : [statements];
        return list.Any(s =>
            s.TryGetProperty("Effect", out var e) && e.GetString() == "Allow"
            && s.TryGetProperty("Principal", out var p) && p.ValueKind == JsonValueKind.Object
            && p.TryGetProperty("Service", out var service)
            && (service.ValueKind == JsonValueKind.String ? [service.GetString()] : service.EnumerateArray().Select(x => x.GetString()))
                .Contains(servicePrincipal));
    }

    private static AwsException Malformed(string message) => IamErrors.MalformedPolicy(message);
}
