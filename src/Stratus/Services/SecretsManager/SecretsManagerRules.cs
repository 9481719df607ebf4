using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Protocols.Json;

namespace Stratus.Services.SecretsManager;

/// <summary>Secrets Manager's limits and checks (botocore's secretsmanager model and the Secrets Manager quotas).</summary>
public static class SecretsManagerRules
{
    public const int MaxNameLength = 512;
    public const int MaxValueBytes = 65_536;
    public const int MaxTags = 50;
    public const int MaxPasswordLength = 4096;
    public const int DefaultRecoveryWindowDays = 30;
    /// <summary>Versions without a staging label that a secret keeps; AWS removes older deprecated ones.</summary>
    public const int MaxDeprecatedVersions = 100;
    public const string Current = "AWSCURRENT";
    public const string Previous = "AWSPREVIOUS";
    public const string Pending = "AWSPENDING";
    /// <summary>What ListSecretVersionIds names the key of a secret encrypted with aws/secretsmanager.</summary>
    public const string DefaultKmsKey = "DefaultEncryptionKey";
    public const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    private static readonly ValidationStyle Style = ValidationStyle.Smithy;

    /// <summary>
    /// Secrets Manager's member constraints, declared once: the published model's (SecretsManagerRules.json,
    /// written by scripts/member-rules.py), answered as ValidationException in Smithy's wording before an
    /// operation runs; a secret's value is sensitive, so AWS names it without showing it. The checks below
    /// are the ones beyond the model (the name's characters, the value's size in bytes, the recovery window).
    /// </summary>
    public static readonly MemberRules Members = MemberRules.Embedded("Stratus.Rules.SecretsManagerRules.json");

    public static void CheckName(string name)
    {
        if (name.Length is 0 or > MaxNameLength)
            throw Style.Rejected("name", name, $"Member must have length less than or equal to {MaxNameLength}");
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || "/_+=.@-!".Contains(c))) throw SecretsManagerErrors.InvalidName();
    }

    /// <summary>A ClientRequestToken becomes the version id: 32 to 64 characters, as the model constrains it.</summary>
    public static string VersionId(string? clientRequestToken)
    {
        if (clientRequestToken is null) return Guid.NewGuid().ToString();
        if (clientRequestToken.Length is < 32 or > 64)
            throw Style.Rejected("clientRequestToken", clientRequestToken, "Member must have length greater than or equal to 32");
        return clientRequestToken;
    }

    public static SecretValue CheckValue(string? secretString, string? secretBinaryBase64)
    {
        if (secretString is not null && secretBinaryBase64 is not null) throw SecretsManagerErrors.BothValues();
        byte[]? binary = null;
        if (secretBinaryBase64 is not null)
        {
            try { binary = Convert.FromBase64String(secretBinaryBase64); }
            catch (FormatException) { throw SecretsManagerErrors.InvalidParameter("SecretBinary must be base64-encoded."); }
        }
        if ((secretString is not null ? Encoding.UTF8.GetByteCount(secretString) : binary?.Length ?? 0) > MaxValueBytes)
            throw SecretsManagerErrors.InvalidParameter($"The secret value exceeds the maximum size of {MaxValueBytes} bytes.");
        return new SecretValue(secretString, binary);
    }

    public static void CheckTags(IReadOnlyCollection<SecretTag> tags)
    {
        if (tags.Count > MaxTags) throw SecretsManagerErrors.InvalidParameter($"Number of tags exceeds the maximum of {MaxTags}.");
        foreach (var tag in tags)
        {
            if (tag.Key.Length is 0 or > 128) throw Style.Rejected("tags.member.key", tag.Key, "Member must have length less than or equal to 128");
            if (tag.Value.Length > 256) throw Style.Rejected("tags.member.value", tag.Value, "Member must have length less than or equal to 256");
        }
    }

    public static int RecoveryWindow(int? days, bool force)
    {
        if (force && days is not null) throw SecretsManagerErrors.ForceDeleteWithRecoveryWindow();
        var window = days ?? DefaultRecoveryWindowDays;
        if (window is < 7 or > 30) throw SecretsManagerErrors.RecoveryWindowOutOfRange();
        return window;
    }

    public static int MaxResults(int? maxResults, int max)
    {
        if (maxResults is null) return max;
        Style.CheckRange("maxResults", maxResults.Value, 1, max);
        return maxResults.Value;
    }

    public static (IReadOnlyList<T> Page, string? Next) Page<T>(IReadOnlyList<T> items, string? token, int size) =>
        OffsetPaging.Page(items, token, size, SecretsManagerErrors.InvalidNextToken);

    /// <summary>
    /// A random password as GetRandomPassword makes one: characters drawn uniformly from the included
    /// types less the excluded characters, and with RequireEachIncludedType at least one of each type.
    /// </summary>
    public static string Password(PasswordOptions options)
    {
        Style.CheckRange("passwordLength", options.Length, 1, MaxPasswordLength);
        var excluded = options.ExcludeCharacters.ToHashSet();
        var types = new List<string>();
        void Include(bool skip, string characters)
        {
            var allowed = new string([.. characters.Where(c => !excluded.Contains(c))]);
            if (!skip && allowed.Length > 0) types.Add(allowed);
        }
        Include(options.ExcludeLowercase, "abcdefghijklmnopqrstuvwxyz");
        Include(options.ExcludeUppercase, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        Include(options.ExcludeNumbers, "0123456789");
        Include(options.ExcludePunctuation, Punctuation);
        Include(!options.IncludeSpace, " ");
        if (types.Count == 0)
            throw SecretsManagerErrors.InvalidParameter("The password can't be generated: every character type is excluded.");
        if (options.RequireEachIncludedType && options.Length < types.Count)
            throw SecretsManagerErrors.InvalidParameter($"The password length {options.Length} is too short to include each of the {types.Count} included character types.");
        var pool = string.Concat(types);
        var password = new char[options.Length];
        for (var i = 0; i < password.Length; i++) password[i] = pool[RandomNumberGenerator.GetInt32(pool.Length)];
        if (options.RequireEachIncludedType)
        {
            // One distinct position per type, then each such position redrawn from its type.
            var positions = Enumerable.Range(0, password.Length).OrderBy(_ => RandomNumberGenerator.GetInt32(int.MaxValue)).Take(types.Count).ToList();
            for (var t = 0; t < types.Count; t++) password[positions[t]] = types[t][RandomNumberGenerator.GetInt32(types[t].Length)];
        }
        return new string(password);
    }

    /// <summary>
    /// What Stratus checks of a resource policy: JSON, a Statement of one or more statements, each with an
    /// Allow or Deny Effect and an Action or NotAction. Answers the problems found; empty when it passes.
    /// It does not run IAM Access Analyzer's policy checks.
    /// </summary>
    public static IReadOnlyList<string> PolicyProblems(string policy)
    {
        JsonNode? document;
        try { document = JsonBody.Parse(policy); }
        catch (Exception e) when (e is JsonException or AwsException) { return ["The policy is not valid JSON."]; }
        if (document is not JsonObject root) return ["The policy must be a JSON object."];
        var statements = root["Statement"] switch
        {
            JsonArray list => list.ToList(),
            JsonObject single => [single],
            _ => null,
        };
        if (statements is null || statements.Count == 0) return ["The policy must have a Statement."];
        var problems = new List<string>();
        foreach (var statement in statements)
        {
            if (statement is not JsonObject s) { problems.Add("Each statement must be a JSON object."); continue; }
            if (s["Effect"]?.GetValueKind() != JsonValueKind.String || s["Effect"]!.GetValue<string>() is not ("Allow" or "Deny"))
                problems.Add("Each statement's Effect must be Allow or Deny.");
            if (s["Action"] is null && s["NotAction"] is null) problems.Add("Each statement must have an Action or NotAction.");
        }
        return problems;
    }

    /// <summary>A policy that allows everyone ("*" as principal) without a condition: what BlockPublicPolicy refuses.</summary>
    public static bool IsPublic(string policy)
    {
        if (JsonBody.Parse(policy) is not JsonObject root) return false;
        var statements = root["Statement"] is JsonArray list ? list.ToList() : [root["Statement"]];
        return statements.OfType<JsonObject>().Any(s =>
            s["Effect"]?.ToString() == "Allow" && s["Condition"] is null
            && (s["Principal"]?.ToJsonString() is "\"*\"" || s["Principal"]?["AWS"]?.ToJsonString() is "\"*\""));
    }
}
