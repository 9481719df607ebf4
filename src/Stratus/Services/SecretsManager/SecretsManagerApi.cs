using Stratus.Host;
using Stratus.Protocols.Json;

namespace Stratus.Services.SecretsManager;

/// <summary>
/// Secrets Manager's wire operations (AWS JSON 1.1, secretsmanager; signing name secretsmanager): request members in,
/// domain call, response shape out.
/// </summary>
public sealed class SecretsManagerApi : IStratusService, IDisposable
{
    private readonly SecretsManagerService _secrets;

    public SecretsManagerApi(SecretsManagerService secrets, ILogger logger)
    {
        _secrets = secrets;
        Endpoint = new ServiceEndpoint("secretsmanager", Operations(), new AwsJsonProtocol("secretsmanager", "1.1"))
        {
            Logger = logger,
            Rules = SecretsManagerRules.Members,
        };
    }

    public void Dispose() => _secrets.Dispose();

    public string Name => "secretsmanager";
    public ServiceEndpoint Endpoint { get; }

    private OperationTable Operations() => new()
    {
        { "CreateSecret", i =>
            {
                var request = CreateSecretRequest.Read(i, i.Required("Name"), Value(i));
                var (secret, version) = _secrets.Create(i.Scope, request);
                return Identity(secret, version?.VersionId);
            } },
        { "GetSecretValue", i =>
            {
                var (secret, version, value) = _secrets.GetValue(i.Scope, i.Required("SecretId"), i.String("VersionId"), i.String("VersionStage"));
                return ValueEntry(secret, version, value);
            } },
        { "BatchGetSecretValue", i =>
            {
                var ids = i.Strings("SecretIdList");
                if (ids.Count > 0 == i.Has("Filters"))
                    throw SecretsManagerErrors.InvalidParameter("Either SecretIdList or Filters must be specified, but not both.");
                var targets = ids.Count > 0
                    ? ids
                    : _secrets.List(i.Scope, includePlannedDeletion: false).Where(SecretFilter(i)).Select(s => s.Arn).ToList();
                if (ids.Count > 0 && i.Has("MaxResults"))
                    throw SecretsManagerErrors.InvalidParameter("MaxResults can be used only with Filters.");
                var (page, next) = SecretsManagerRules.Page(targets, i.String("NextToken"), SecretsManagerRules.MaxResults(i.Int("MaxResults"), 20));
                var values = new JsonArray();
                var errors = new JsonArray();
                foreach (var id in page)
                {
                    try
                    {
                        var (secret, version, value) = _secrets.GetValue(i.Scope, id, null, null);
                        values.Add(ValueEntry(secret, version, value));
                    }
                    catch (AwsException e) when (e.StatusCode < 500)
                    {
                        errors.Add(new JsonObject { ["SecretId"] = id, ["ErrorCode"] = e.Code, ["Message"] = e.Message });
                    }
                }
                return new JsonObject { ["SecretValues"] = values, ["Errors"] = errors, ["NextToken"] = next };
            } },
        { "PutSecretValue", i =>
            {
                var stages = i.Has("VersionStages") ? i.Strings("VersionStages") : null;
                var (secret, version) = _secrets.PutValue(i.Scope, i.Required("SecretId"), i.String("ClientRequestToken"), Value(i), stages);
                var json = Identity(secret, version.VersionId);
                json["VersionStages"] = Strings(version.Stages);
                return json;
            } },
        { "UpdateSecret", i =>
            {
                var (secret, version) = _secrets.Update(i.Scope, i.Required("SecretId"), i.String("ClientRequestToken"), i.String("Description"), i.String("KmsKeyId"), Value(i));
                return Identity(secret, version?.VersionId);
            } },
        { "UpdateSecretVersionStage", i =>
            Identity(_secrets.UpdateStage(i.Scope, i.Required("SecretId"), i.Required("VersionStage"), i.String("RemoveFromVersionId"), i.String("MoveToVersionId")), null) },
        { "DescribeSecret", i => Describe(_secrets.Find(i.Scope, i.Required("SecretId")), versionsKey: "VersionIdsToStages") },
        { "ListSecrets", i =>
            {
                var sorted = Sort(_secrets.List(i.Scope, i.Bool("IncludePlannedDeletion") ?? false).Where(SecretFilter(i)), i.String("SortBy"), i.String("SortOrder"));
                var (page, next) = SecretsManagerRules.Page(sorted, i.String("NextToken"), SecretsManagerRules.MaxResults(i.Int("MaxResults"), 100));
                return new JsonObject
                {
                    ["SecretList"] = new JsonArray([.. page.Select(s => (JsonNode)Describe(s, versionsKey: "SecretVersionsToStages"))]),
                    ["NextToken"] = next,
                };
            } },
        { "ListSecretVersionIds", i =>
            {
                var secret = _secrets.Find(i.Scope, i.Required("SecretId"));
                var versions = secret.Versions.Where(v => (i.Bool("IncludeDeprecated") ?? false) || v.Stages.Count > 0).Reverse().ToList();
                var (page, next) = SecretsManagerRules.Page(versions, i.String("NextToken"), SecretsManagerRules.MaxResults(i.Int("MaxResults"), 100));
                var json = Identity(secret, null);
                json["Versions"] = new JsonArray([.. page.Select(v =>
                {
                    var entry = new JsonObject
                    {
                        ["VersionId"] = v.VersionId,
                        ["VersionStages"] = Strings(v.Stages),
                        ["CreatedDate"] = Seconds(v.Created),
                        ["KmsKeyIds"] = Strings([v.KmsKeyId ?? SecretsManagerRules.DefaultKmsKey]),
                    };
                    if (v.LastAccessed is { } accessed) entry["LastAccessedDate"] = Seconds(accessed);
                    return (JsonNode)entry;
                })]);
                json["NextToken"] = next;
                return json;
            } },
        { "DeleteSecret", i =>
            {
                var secret = _secrets.Delete(i.Scope, i.Required("SecretId"), i.Int("RecoveryWindowInDays"), i.Bool("ForceDeleteWithoutRecovery") ?? false);
                var json = Identity(secret, null);
                json["DeletionDate"] = Seconds(secret.DeletionDate!.Value);
                return json;
            } },
        { "RestoreSecret", i => Identity(_secrets.Restore(i.Scope, i.Required("SecretId")), null) },
        { "GetRandomPassword", i => new JsonObject { ["RandomPassword"] = SecretsManagerRules.Password(PasswordOptions.Read(i)) } },
        { "TagResource", i =>
            {
                var tags = CreateSecretRequest.ReadTags(i);
                if (!i.Has("Tags")) throw i.Style.Missing("Tags");
                _secrets.Tag(i.Scope, i.Required("SecretId"), tags);
                return new JsonObject();
            } },
        { "UntagResource", i =>
            {
                if (!i.Has("TagKeys")) throw i.Style.Missing("TagKeys");
                _secrets.Untag(i.Scope, i.Required("SecretId"), i.Strings("TagKeys").ToHashSet(StringComparer.Ordinal));
                return new JsonObject();
            } },
        { "GetResourcePolicy", i =>
            {
                var secret = _secrets.Live(i.Scope, i.Required("SecretId"));
                var json = Identity(secret, null);
                if (secret.ResourcePolicy is { } policy) json["ResourcePolicy"] = policy;
                return json;
            } },
        { "PutResourcePolicy", i =>
            Identity(_secrets.PutPolicy(i.Scope, i.Required("SecretId"), i.Required("ResourcePolicy"), i.Bool("BlockPublicPolicy") ?? false), null) },
        { "DeleteResourcePolicy", i => Identity(_secrets.DeletePolicy(i.Scope, i.Required("SecretId")), null) },
        { "ValidateResourcePolicy", i =>
            {
                if (i.String("SecretId") is { } id) _secrets.Live(i.Scope, id);
                var problems = SecretsManagerRules.PolicyProblems(i.Required("ResourcePolicy"));
                return new JsonObject
                {
                    ["PolicyValidationPassed"] = problems.Count == 0,
                    ["ValidationErrors"] = new JsonArray([.. problems.Select(p => (JsonNode)new JsonObject { ["CheckName"] = "PolicyGrammar", ["ErrorMessage"] = p })]),
                };
            } },
        { "RotateSecret", async i =>
            {
                var (secret, versionId) = await _secrets.RotateAsync(i.Scope, RotateSecretRequest.Read(i), i.Aborted);
                return (OperationResult)Identity(secret, versionId);
            } },
        { "CancelRotateSecret", i => Identity(_secrets.CancelRotation(i.Scope, i.Required("SecretId")), null) },
    };

    private static SecretValue Value(OperationInput i) => SecretsManagerRules.CheckValue(i.String("SecretString"), i.String("SecretBinary"));

    private static JsonObject Identity(Secret secret, string? versionId)
    {
        var json = new JsonObject { ["ARN"] = secret.Arn, ["Name"] = secret.Name };
        if (versionId is not null) json["VersionId"] = versionId;
        return json;
    }

    private static JsonObject ValueEntry(Secret secret, SecretVersion version, SecretValue value)
    {
        var json = Identity(secret, version.VersionId);
        if (value.String is not null) json["SecretString"] = value.String;
        if (value.Binary is not null) json["SecretBinary"] = Convert.ToBase64String(value.Binary);
        json["VersionStages"] = Strings(version.Stages);
        json["CreatedDate"] = Seconds(version.Created);
        return json;
    }

    /// <summary>DescribeSecret's shape, and a ListSecrets entry's (which names the stage map SecretVersionsToStages). Never a value.</summary>
    private static JsonObject Describe(Secret secret, string versionsKey)
    {
        var json = Identity(secret, null);
        if (secret.Description is not null) json["Description"] = secret.Description;
        if (secret.KmsKeyId is not null) json["KmsKeyId"] = secret.KmsKeyId;
        // AWS reports RotationEnabled once rotation has been configured, and keeps the function and rules after CancelRotateSecret.
        if (secret.RotationEnabled || secret.RotationLambdaArn is not null) json["RotationEnabled"] = secret.RotationEnabled;
        if (secret.RotationLambdaArn is not null) json["RotationLambdaARN"] = secret.RotationLambdaArn;
        if (secret.RotationRules is { } rules) json["RotationRules"] = Rules(rules);
        if (secret.LastRotated is { } rotated) json["LastRotatedDate"] = Seconds(rotated);
        if (secret.NextRotationWindow is { } next) json["NextRotationDate"] = Seconds(next.ReportedDate);
        json["LastChangedDate"] = Seconds(secret.LastChanged);
        if (secret.LastAccessed is { } accessed) json["LastAccessedDate"] = Seconds(accessed);
        if (secret.Deleted is { } deleted) json["DeletedDate"] = Seconds(deleted);
        if (secret.Tags.Count > 0)
            json["Tags"] = new JsonArray([.. secret.Tags.Select(t => (JsonNode)new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value })]);
        var stages = new JsonObject();
        foreach (var version in secret.Versions.Where(v => v.Stages.Count > 0)) stages[version.VersionId] = Strings(version.Stages);
        json[versionsKey] = stages;
        if (secret.OwningService is not null) json["OwningService"] = secret.OwningService;
        json["CreatedDate"] = Seconds(secret.Created);
        return json;
    }

    private static JsonObject Rules(RotationRules rules)
    {
        var json = new JsonObject();
        if (rules.AutomaticallyAfterDays is { } days) json["AutomaticallyAfterDays"] = days;
        if (rules.Duration is { } duration) json["Duration"] = duration;
        if (rules.ScheduleExpression is { } expression) json["ScheduleExpression"] = expression;
        return json;
    }

    private static List<Secret> Sort(IEnumerable<Secret> secrets, string? sortBy, string? sortOrder)
    {
        Func<Secret, IComparable?> key = sortBy switch
        {
            null or "created-date" => s => s.Created,
            "name" => s => s.Name,
            "last-accessed-date" => s => s.LastAccessed,
            "last-changed-date" => s => s.LastChanged,
            _ => throw ValidationStyle.Smithy.Rejected("sortBy", sortBy, "Member must satisfy enum value set: [created-date, last-accessed-date, last-changed-date, name]"),
        };
        return sortOrder switch
        {
            null or "asc" => [.. secrets.OrderBy(key)],
            "desc" => [.. secrets.OrderByDescending(key)],
            _ => throw ValidationStyle.Smithy.Rejected("sortOrder", sortOrder, "Member must satisfy enum value set: [asc, desc]"),
        };
    }

    private static readonly string[] FilterKeys = ["description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"];

    /// <summary>
    /// ListSecrets' and BatchGetSecretValue's Filters: each key's values are prefix matches (description and
    /// all ignore case), any of them may match, and a value starting with '!' must not; every key must hold.
    /// </summary>
    private static Func<Secret, bool> SecretFilter(OperationInput i)
    {
        var tests = new List<Func<Secret, bool>>();
        foreach (var node in i.List("Filters").OfType<JsonObject>())
        {
            var filter = i.Nested(node);
            var key = filter.Required("Key");
            if (!FilterKeys.Contains(key))
                throw ValidationStyle.Smithy.Rejected("filters.1.member.key", key, "Member must satisfy enum value set: [" + string.Join(", ", FilterKeys) + "]");
            var values = filter.Strings("Values");
            Func<Secret, IEnumerable<string>> fields = key switch
            {
                "description" => s => s.Description is null ? [] : [s.Description],
                "name" => s => [s.Name],
                "tag-key" => s => s.Tags.Select(t => t.Key),
                "tag-value" => s => s.Tags.Select(t => t.Value),
                "primary-region" => s => [s.Arn.Split(':')[3]],
                "owning-service" => s => s.OwningService is null ? [] : [s.OwningService],
                _ => s => new[] { s.Name, s.Description ?? "" }.Concat(s.Tags.SelectMany(t => new[] { t.Key, t.Value }))
                    .SelectMany(text => text.Split([' ', '/', '-', '_', '.'], StringSplitOptions.RemoveEmptyEntries)),
            };
            var comparison = key is "description" or "all" ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            var wanted = values.Where(v => !v.StartsWith('!')).ToList();
            var unwanted = values.Where(v => v.StartsWith('!')).Select(v => v[1..]).ToList();
            tests.Add(s =>
            {
                var texts = fields(s).ToList();
                bool Matches(string prefix) => texts.Any(t => t.StartsWith(prefix, comparison));
                return (wanted.Count == 0 || wanted.Any(Matches)) && !unwanted.Any(Matches);
            });
        }
        return s => tests.All(test => test(s));
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);

    private static double Seconds(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / 1000.0;
}
