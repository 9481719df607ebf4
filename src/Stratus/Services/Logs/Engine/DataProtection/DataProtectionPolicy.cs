using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stratus.Services.Logs.Engine.DataProtection;

/// <summary>A policy document outside AWS's grammar; the message says what (Stratus's wording where AWS publishes none).</summary>
public sealed class DataProtectionPolicyException(string message) : Exception(message);

/// <summary>One sensitive value found in a message: where it is and which identifier found it.</summary>
public readonly record struct Detection(string Identifier, int Start, int Length);

/// <summary>
/// A log group's data protection policy, read as AWS's "Understanding data protection policies" states it: an optional
/// Name, Description and Version (2021-06-01), an optional Configuration.CustomDataIdentifier list (Name and Regex), and
/// exactly two statements over the same DataIdentifier list, one whose Operation is Audit (with a FindingsDestination,
/// whose CloudWatchLogs.LogGroup receives the findings) and one whose Operation is Deidentify with an empty MaskConfig.
/// A data identifier is a managed one's ARN (arn:aws:dataprotection::aws:data-identifier/NAME), which Stratus detects
/// only for the names <see cref="ManagedDataIdentifiers"/> implements, or a custom identifier's name.
/// </summary>
public sealed class DataProtectionPolicy
{
    public const int MaxDocumentLength = 30_720;
    public const int MaxCustomIdentifiers = 10;
    public const int MaxCustomRegexLength = 200;
    public const string ManagedArnPrefix = "arn:aws:dataprotection::aws:data-identifier/";
    /// <summary>A backstop only: the non-backtracking engine runs in time linear in the message.</summary>
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    private readonly IReadOnlyList<(string Name, Regex Pattern, Func<string, bool>? Check)> _detectors;

    private DataProtectionPolicy(string? name, string? findingsLogGroup, IReadOnlyList<(string Name, Regex Pattern, Func<string, bool>? Check)> detectors)
    {
        Name = name;
        FindingsLogGroup = findingsLogGroup;
        _detectors = detectors;
    }

    /// <summary>The policy's Name, which AWS reports findings under.</summary>
    public string? Name { get; }

    /// <summary>The log group the Audit statement's FindingsDestination names, if any.</summary>
    public string? FindingsLogGroup { get; }

    public static DataProtectionPolicy Parse(string document)
    {
        if (document.Length > MaxDocumentLength)
            throw new DataProtectionPolicyException($"The policy document can be up to {MaxDocumentLength} characters.");
        JsonObject root;
        try
        {
            root = JsonNode.Parse(document) as JsonObject ?? throw new DataProtectionPolicyException("The policy document must be a JSON object.");
        }
        catch (JsonException)
        {
            throw new DataProtectionPolicyException("The policy document is not valid JSON.");
        }
        Only(root, "policy document", "Name", "Description", "Version", "Configuration", "Statement");
        if (root["Version"] is { } version && Text(version) != "2021-06-01")
            throw new DataProtectionPolicyException("Version must be 2021-06-01.");
        var custom = CustomIdentifiers(root["Configuration"]);
        if (root["Statement"] is not JsonArray { Count: 2 } statements || statements.Any(s => s is not JsonObject))
            throw new DataProtectionPolicyException("Statement must hold two statements: one with an Audit operation and one with a Deidentify operation.");
        string? audit = null;
        bool sawAudit = false, sawDeidentify = false;
        List<string>? identifiers = null;
        foreach (var statement in statements.Cast<JsonObject>())
        {
            Only(statement, "statement", "Sid", "DataIdentifier", "Operation");
            var listed = statement["DataIdentifier"] is JsonArray { Count: > 0 } list
                ? list.Select(i => i is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new DataProtectionPolicyException("DataIdentifier must be a list of strings.")).ToList()
                : throw new DataProtectionPolicyException("Each statement must have a DataIdentifier list.");
            if (identifiers is not null && !identifiers.ToHashSet(StringComparer.Ordinal).SetEquals(listed))
                throw new DataProtectionPolicyException("The DataIdentifier lists of the Audit and Deidentify statements must match exactly.");
            identifiers = listed;
            if (statement["Operation"] is not JsonObject { Count: 1 } operation)
                throw new DataProtectionPolicyException("Each statement's Operation must hold exactly one of Audit or Deidentify.");
            var (kind, body) = operation.First();
            switch (kind)
            {
                case "Audit" when !sawAudit && body is JsonObject auditBody:
                    sawAudit = true;
                    audit = FindingsDestination(auditBody);
                    break;
                case "Deidentify" when !sawDeidentify && body is JsonObject { Count: 1 } deidentify && deidentify["MaskConfig"] is JsonObject { Count: 0 }:
                    sawDeidentify = true;
                    break;
                case "Deidentify":
                    throw new DataProtectionPolicyException("The Deidentify operation must be exactly {\"MaskConfig\": {}}.");
                default:
                    throw new DataProtectionPolicyException("The policy must have one Audit statement and one Deidentify statement.");
            }
        }
        var detectors = identifiers!.Distinct(StringComparer.Ordinal).Select(identifier =>
        {
            if (identifier.StartsWith(ManagedArnPrefix, StringComparison.Ordinal))
            {
                var managedName = identifier[ManagedArnPrefix.Length..];
                return ManagedDataIdentifiers.Find(managedName) is { } managed
                    ? (managedName, managed.Pattern, managed.Check)
                    : throw new DataProtectionPolicyException(
                        $"Stratus does not detect the data identifier {identifier}; it detects {string.Join(", ", ManagedDataIdentifiers.Names)} and custom identifiers.");
            }
            return custom.TryGetValue(identifier, out var pattern)
                ? (identifier, pattern, (Func<string, bool>?)null)
                : throw new DataProtectionPolicyException($"Invalid data identifier: {identifier}. Use a managed data identifier's ARN or the Name of a CustomDataIdentifier.");
        }).ToList();
        return new DataProtectionPolicy(root["Name"] is { } n ? Text(n) : null, audit, detectors);
    }

    /// <summary>
    /// A group's policy and the account's together, as AWS applies them (cumulative: a value either names is masked); findings
    /// go where the group's policy sends them, else where the account's does.
    /// </summary>
    public static DataProtectionPolicy Combine(DataProtectionPolicy own, DataProtectionPolicy account) =>
        new(own.Name ?? account.Name, own.FindingsLogGroup ?? account.FindingsLogGroup, [.. own._detectors, .. account._detectors]);

    /// <summary>The sensitive values in a message, earliest first, overlapping ones merged into the first found.</summary>
    public IReadOnlyList<Detection> Detect(string message) => Detect(message, out _);

    /// <summary><paramref name="complete"/> is false when an expression ran out of time, so the message may hold more.</summary>
    private List<Detection> Detect(string message, out bool complete)
    {
        complete = true;
        var found = new List<Detection>();
        foreach (var (name, pattern, check) in _detectors)
        {
            try
            {
                for (var match = pattern.Match(message); match.Success; match = match.NextMatch())
                {
                    // A managed pattern that has to look at the characters around a value marks the value itself as "value".
                    var value = match.Groups["value"] is { Success: true } group ? group : (Capture)match;
                    if (value.Length > 0 && (check is null || check(value.Value))) found.Add(new Detection(name, value.Index, value.Length));
                }
            }
            catch (RegexMatchTimeoutException)
            {
                complete = false;
            }
        }
        found.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.Length.CompareTo(a.Length));
        var merged = new List<Detection>();
        foreach (var d in found)
            if (merged.Count == 0 || d.Start >= merged[^1].Start + merged[^1].Length) merged.Add(d);
        return merged;
    }

    /// <summary>
    /// The message with each sensitive value replaced by as many asterisks as it has characters; all of it when an
    /// expression ran out of time (the mask fails closed: what could not be searched is not shown).
    /// </summary>
    public string Mask(string message)
    {
        var detections = Detect(message, out var complete);
        if (!complete) return new string('*', message.Length);
        if (detections.Count == 0) return message;
        var masked = message.ToCharArray();
        foreach (var d in detections) Array.Fill(masked, '*', d.Start, d.Length);
        return new string(masked);
    }

    private static Dictionary<string, Regex> CustomIdentifiers(JsonNode? configuration)
    {
        var custom = new Dictionary<string, Regex>(StringComparer.Ordinal);
        if (configuration is null) return custom;
        if (configuration is not JsonObject config) throw new DataProtectionPolicyException("Configuration must be a JSON object.");
        Only(config, "Configuration", "CustomDataIdentifier");
        if (config["CustomDataIdentifier"] is not JsonArray list) return custom;
        if (list.Count > MaxCustomIdentifiers)
            throw new DataProtectionPolicyException($"A policy can have at most {MaxCustomIdentifiers} custom data identifiers.");
        foreach (var item in list)
        {
            if (item is not JsonObject entry || entry["Name"] is not JsonValue nameValue || entry["Regex"] is not JsonValue regexValue)
                throw new DataProtectionPolicyException("Each CustomDataIdentifier must have a Name and a Regex.");
            var (name, regex) = (Text(nameValue), Text(regexValue));
            if (name.Length is 0 or > 128 || name.StartsWith("arn:", StringComparison.Ordinal) || !custom.TryAdd(name, Bounded(regex, name)))
                throw new DataProtectionPolicyException($"Invalid custom data identifier name: {name}.");
        }
        return custom;
    }

    /// <summary>A custom expression, bounded: at most 200 characters, run by the non-backtracking engine with a match timeout.</summary>
    private static Regex Bounded(string regex, string name)
    {
        if (regex.Length is 0 or > MaxCustomRegexLength)
            throw new DataProtectionPolicyException($"The Regex of custom data identifier {name} must have 1 to {MaxCustomRegexLength} characters.");
        try
        {
            return new Regex(regex, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, MatchTimeout);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new DataProtectionPolicyException($"The Regex of custom data identifier {name} is not a regular expression Stratus can run: {e.Message}");
        }
    }

    /// <summary>The Audit operation's FindingsDestination: its CloudWatchLogs.LogGroup, or null when it names none.</summary>
    private static string? FindingsDestination(JsonObject audit)
    {
        if (audit.Count != 1 || audit["FindingsDestination"] is not JsonObject destination)
            throw new DataProtectionPolicyException("The Audit operation must have a FindingsDestination object.");
        Only(destination, "FindingsDestination", "CloudWatchLogs", "Firehose", "S3");
        if (destination.ContainsKey("Firehose") || destination.ContainsKey("S3"))
            throw new DataProtectionPolicyException("Stratus delivers audit findings to CloudWatch Logs log groups only; Firehose and S3 destinations are not served.");
        if (destination["CloudWatchLogs"] is null) return null;
        return destination["CloudWatchLogs"] is JsonObject { Count: 1 } logs && logs["LogGroup"] is JsonValue group && Text(group) is { Length: > 0 } name
            ? name
            : throw new DataProtectionPolicyException("FindingsDestination.CloudWatchLogs must be {\"LogGroup\": NAME}.");
    }

    private static void Only(JsonObject o, string what, params string[] allowed)
    {
        if (o.Select(p => p.Key).FirstOrDefault(k => !allowed.Contains(k)) is { } unknown)
            throw new DataProtectionPolicyException($"Unknown element {unknown} in the {what}.");
    }

    private static string Text(JsonNode node) => node is JsonValue v && v.TryGetValue<string>(out var s)
        ? s
        : throw new DataProtectionPolicyException("Policy values must be strings.");
}
