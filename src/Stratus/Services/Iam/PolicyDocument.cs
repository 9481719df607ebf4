using System.Text.Json;
using Stratus.Protocols;
using Stratus.Services.Iam.Engine;
using Stratus.Protocols.Json;

namespace Stratus.Services.Iam;

/// <summary>
/// Checks IAM policy documents the way IAM does before storing them, in IAM's order and with its
/// messages: the grammar (known elements, versions, effects, condition operators) is "Syntax errors in
/// policy."; then effects' exact case and resources' ARN format, unique Sids, statements' actions and
/// resources, and actions' vendor prefixes; and a Principal exactly where one belongs.
/// </summary>
public static class PolicyDocument
{
    public const int MaxManagedPolicyLength = 6144;
    public const int MaxTrustPolicyLength = 2048;
    private const int MaxDepth = 32;

    /// <summary>Identity policies name no Principal; trust policies must, and need no Resource; resource policies need both.</summary>
    public enum Kind { Identity, Trust, Resource }

    /// <summary>The largest resource policy read (S3's bucket policy limit, the largest of the services Stratus serves).</summary>
    public const int MaxResourcePolicyLength = 20 * 1024;

    private static readonly HashSet<string> TopElements = ["Version", "Id", "Statement"];
    private static readonly HashSet<string> StatementElements = ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal", "NotPrincipal"];
    private static readonly HashSet<string> Partitions = ["aws", "aws-cn", "aws-us-gov"];
    private static readonly string[] IamResourceTypes =
        ["user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/", "server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/"];

    public static void Validate(string document, Kind kind)
    {
        var limit = kind switch { Kind.Trust => MaxTrustPolicyLength, Kind.Resource => MaxResourcePolicyLength, _ => MaxManagedPolicyLength };
        if (document.Length > limit)
            throw IamErrors.QuotaExceeded(kind == Kind.Trust ? "ACLSizePerRole" : "PolicySize", limit);
        JsonDocument json;
        try
        {
            json = JsonBody.ParseMemberDocument(document, MaxDepth);
        }
        catch (JsonException)
        {
            throw Malformed("This policy contains invalid Json");
        }
        using (json)
        {
            var statements = CheckGrammar(json.RootElement) ?? throw Malformed("Syntax errors in policy.");
            if (kind == Kind.Identity && statements.Any(s => s.TryGetProperty("Principal", out _) || s.TryGetProperty("NotPrincipal", out _)))
                throw Malformed("Policy document should not specify a principal.");
            if (statements.Any(s => s.GetProperty("Effect").GetString() is not ("Allow" or "Deny")))
                throw Malformed("The policy failed legacy parsing");
            var resourceError = statements.SelectMany(s => StringsOf(s, "Resource").Concat(StringsOf(s, "NotResource"))).Select(ResourceError).FirstOrDefault(e => e is not null);
            var sids = statements.Select(s => s.TryGetProperty("Sid", out var sid) ? sid.GetString() : null).Where(s => !string.IsNullOrEmpty(s)).ToList();
            if (sids.Count != sids.Distinct(StringComparer.Ordinal).Count())
                throw Malformed("Statement IDs (SID) in a single policy must be unique.");
            if (statements.Any(s => !HasNonEmpty(s, "Action") && !HasNonEmpty(s, "NotAction")))
                throw Malformed("Policy statement must contain actions.");
            if (kind != Kind.Identity && statements.Any(s => !s.TryGetProperty("Principal", out _) && !s.TryGetProperty("NotPrincipal", out _)))
                throw Malformed("Missing required field Principal");
            if (kind != Kind.Trust && statements.Any(s => !HasNonEmpty(s, "Resource") && !HasNonEmpty(s, "NotResource")))
                throw Malformed("Policy statement must contain resources.");
            if (resourceError is not null) throw Malformed(resourceError);
            foreach (var action in statements.SelectMany(s => StringsOf(s, "Action").Concat(StringsOf(s, "NotAction"))))
                CheckAction(action);
            foreach (var key in statements.SelectMany(ConditionKeys))
                if (!key.Contains(':')) throw Malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
        }
    }

    /// <summary>The statements when the document follows IAM's grammar, else null.</summary>
    private static List<JsonElement>? CheckGrammar(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return null;
        if (root.EnumerateObject().Any(p => !TopElements.Contains(p.Name))) return null;
        if (root.TryGetProperty("Version", out var version) && (version.ValueKind != JsonValueKind.String || version.GetString() is not ("2012-10-17" or "2008-10-17"))) return null;
        if (root.TryGetProperty("Id", out var id) && id.ValueKind != JsonValueKind.String) return null;
        if (!root.TryGetProperty("Statement", out var node)) return null;
        List<JsonElement> statements = node.ValueKind switch
        {
            JsonValueKind.Array => node.EnumerateArray().ToList(),
            JsonValueKind.Object => [node],
            _ => [],
        };
        return statements.Count > 0 && statements.All(StatementFollowsGrammar) ? statements : null;
    }

    private static bool StatementFollowsGrammar(JsonElement s)
    {
        if (s.ValueKind != JsonValueKind.Object) return false;
        if (s.EnumerateObject().Any(p => !StatementElements.Contains(p.Name))) return false;
        if (s.TryGetProperty("Action", out _) && s.TryGetProperty("NotAction", out _)) return false;
        if (s.TryGetProperty("Resource", out _) && s.TryGetProperty("NotResource", out _)) return false;
        if (!s.TryGetProperty("Effect", out var effect) || effect.ValueKind != JsonValueKind.String
            || !(effect.GetString()!.Equals("Allow", StringComparison.OrdinalIgnoreCase) || effect.GetString()!.Equals("Deny", StringComparison.OrdinalIgnoreCase)))
            return false;
        if (s.TryGetProperty("Sid", out var sid) && sid.ValueKind != JsonValueKind.String) return false;
        foreach (var member in (string[])["Action", "NotAction", "Resource", "NotResource"])
            if (s.TryGetProperty(member, out var value) && !IsStringOrStrings(value)) return false;
        if (!s.TryGetProperty("Condition", out var condition)) return true;
        if (condition.ValueKind != JsonValueKind.Object) return false;
        foreach (var op in condition.EnumerateObject())
        {
            if (op.Value.ValueKind != JsonValueKind.Object) return false;
            if (op.Value.EnumerateObject().Any(k => k.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Null)) return false;
            // IAM ignores an unknown operator only when it states nothing.
            if (ConditionOperators.Parse(op.Name) is null && op.Value.EnumerateObject().Any()) return false;
        }
        return true;
    }

    private static bool IsStringOrStrings(JsonElement value) =>
        value.ValueKind == JsonValueKind.String
        || (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String));

    private static bool HasNonEmpty(JsonElement statement, string member) =>
        statement.TryGetProperty(member, out var value) && (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > 0);

    private static IEnumerable<string> StringsOf(JsonElement statement, string member) =>
        statement.TryGetProperty(member, out var value) ? Policy.Values(value) : [];

    private static IEnumerable<string> ConditionKeys(JsonElement statement) =>
        statement.TryGetProperty("Condition", out var condition)
            ? condition.EnumerateObject().SelectMany(op => op.Value.EnumerateObject().Select(k => k.Name))
            : [];

    /// <summary>IAM's complaint about a Resource/NotResource entry, or null when it is "*" or a well-formed ARN.</summary>
    private static string? ResourceError(string resource)
    {
        if (resource == "*") return null;
        var parts = resource.Split(':', 6);
        if (parts.Length < 2 || parts[0] != "arn") return $"Resource {resource} must be in ARN format or \"*\".";
        if (!Partitions.Contains(parts[1]))
            return $"Partition \"{parts[1]}\" is not valid for resource \"arn:{parts[1]}:{Part(parts, 2)}:{Part(parts, 3)}:{Part(parts, 4)}:{Part(parts, 5)}\".";
        if (parts.Length < 3 || parts[2].Length == 0 || parts[2].IndexOfAny(['*', '?']) >= 0)
            return "Resource vendor must be fully qualified and cannot contain regexes.";
        var service = parts[2];
        if (service == "iam" && parts.Length > 3 && parts[3].Length > 0) return $"IAM resource {resource} cannot contain region information.";
        if (service == "s3" && parts.Length > 3 && parts[3].Length > 0) return $"Resource {resource} can not contain region information.";
        if (service == "iam" && parts.Length == 6 && parts[5] != "*" && !IamResourceTypes.Any(t => parts[5].StartsWith(t, StringComparison.Ordinal)))
            return $"IAM resource path must either be \"*\" or start with {string.Join(", ", IamResourceTypes)}.";
        return null;
    }

    private static string Part(string[] parts, int index) => parts.Length > index && parts[index].Length > 0 ? parts[index] : "*";

    private static void CheckAction(string action)
    {
        if (action == "*") return;
        var parts = action.Split(':');
        if (parts.Length == 1) throw Malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
        if (parts.Length > 2) throw Malformed("Actions/Condition can contain only one colon.");
        if (parts[0].IndexOfAny(['*', '?']) >= 0) throw Malformed("Action vendors (e.g., aws, ec2, etc.) must not contain wildcards");
        if (parts[0].Length == 0 || parts[0].Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '.')))
            throw Malformed($"Vendor {parts[0]} is not valid");
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
