using Stratus.Host;
using Stratus.Protocols.Json;

namespace Stratus.Services.Ssm;

/// <summary>
/// SSM Parameter Store's wire operations (AWS JSON 1.1, AmazonSSM; signing name ssm): request members in, domain call,
/// response shape out.
/// </summary>
public sealed class SsmApi : IStratusService
{
    private readonly SsmService _ssm;

    public SsmApi(SsmService ssm, ILogger logger)
    {
        _ssm = ssm;
        Endpoint = new ServiceEndpoint("ssm", Operations(), new AwsJsonProtocol("AmazonSSM", "1.1"))
        {
            Logger = logger,
            Rules = SsmRules.Members,
        };
    }

    public string Name => "ssm";
    public ServiceEndpoint Endpoint { get; }

    private OperationTable Operations() => new()
    {
        { "PutParameter", i =>
            {
                var version = _ssm.Put(i.Scope, new PutParameterRequest(i.Required("Name"), i.Required("Value"), i.String("Type"), i.String("Description"),
                    i.String("KeyId"), i.Bool("Overwrite") ?? false, i.String("AllowedPattern"), i.String("Tier"), Tags(i)));
                return new JsonObject { ["Version"] = version.Version, ["Tier"] = version.Tier };
            } },
        { "GetParameter", i =>
            {
                var (parameter, version, selector) = _ssm.Select(i.Scope, i.Required("Name"));
                return new JsonObject { ["Parameter"] = Parameter(i.Scope, parameter, version, selector, i.Bool("WithDecryption") ?? false) };
            } },
        { "GetParameters", i =>
            {
                var found = new JsonArray();
                var invalid = new JsonArray();
                foreach (var reference in i.Strings("Names").Distinct())
                {
                    try
                    {
                        var (parameter, version, selector) = _ssm.Select(i.Scope, reference);
                        found.Add(Parameter(i.Scope, parameter, version, selector, i.Bool("WithDecryption") ?? false));
                    }
                    catch (AwsException e) when (e.Code is "ParameterNotFound" or "ParameterVersionNotFound") { invalid.Add(reference); }
                }
                return new JsonObject { ["Parameters"] = found, ["InvalidParameters"] = invalid };
            } },
        { "GetParametersByPath", i =>
            {
                var matches = _ssm.ByPath(i.Scope, i.Required("Path"), i.Bool("Recursive") ?? false).Where(ParameterFilter(i, ByPathFilterKeys)).ToList();
                var (page, next) = SsmRules.Page(matches, i.String("NextToken"), SsmRules.CheckMaxResults("GetParametersByPath", i.Int("MaxResults")));
                return new JsonObject
                {
                    ["Parameters"] = new JsonArray([.. page.Select(p => (JsonNode)Parameter(i.Scope, p, p.Latest, null, i.Bool("WithDecryption") ?? false))]),
                    ["NextToken"] = next,
                };
            } },
        { "DeleteParameter", i =>
            {
                _ssm.Delete(i.Scope, i.Required("Name"));
                return new JsonObject();
            } },
        { "DeleteParameters", i =>
            {
                var deleted = new JsonArray();
                var invalid = new JsonArray();
                foreach (var name in i.Strings("Names").Distinct())
                {
                    try { _ssm.Delete(i.Scope, name); deleted.Add(name); }
                    catch (AwsException e) when (e.Code == "ParameterNotFound") { invalid.Add(name); }
                }
                return new JsonObject { ["DeletedParameters"] = deleted, ["InvalidParameters"] = invalid };
            } },
        { "DescribeParameters", i =>
            {
                if (i.Has("Filters")) throw SsmErrors.InvalidFilterKey("Filters");
                var matches = _ssm.List(i.Scope).Where(ParameterFilter(i, DescribeFilterKeys)).ToList();
                var (page, next) = SsmRules.Page(matches, i.String("NextToken"), SsmRules.CheckMaxResults("DescribeParameters", i.Int("MaxResults")));
                return new JsonObject { ["Parameters"] = new JsonArray([.. page.Select(p => (JsonNode)Metadata(i.Scope, p, p.Latest))]), ["NextToken"] = next };
            } },
        { "GetParameterHistory", i =>
            {
                var parameter = _ssm.Get(i.Scope, i.Required("Name"));
                var withDecryption = i.Bool("WithDecryption") ?? false;
                var (page, next) = SsmRules.Page(parameter.Versions, i.String("NextToken"), SsmRules.CheckMaxResults("GetParameterHistory", i.Int("MaxResults")));
                return new JsonObject
                {
                    ["Parameters"] = new JsonArray([.. page.Select(v =>
                    {
                        var entry = Metadata(i.Scope, parameter, v);
                        entry.Remove("ARN");
                        entry["Value"] = _ssm.Reveal(i.Scope, parameter, v, withDecryption);
                        entry["Labels"] = new JsonArray([.. v.Labels.Select(l => (JsonNode)l)]);
                        return (JsonNode)entry;
                    })]),
                    ["NextToken"] = next,
                };
            } },
        { "LabelParameterVersion", i =>
            {
                var (invalid, version) = _ssm.Label(i.Scope, i.Required("Name"), i.Long("ParameterVersion"), i.Strings("Labels"));
                return new JsonObject { ["InvalidLabels"] = new JsonArray([.. invalid.Select(l => (JsonNode)l)]), ["ParameterVersion"] = version };
            } },
        { "UnlabelParameterVersion", i =>
            {
                var version = i.Long("ParameterVersion") ?? throw i.Style.Missing("ParameterVersion");
                var (invalid, removed) = _ssm.Unlabel(i.Scope, i.Required("Name"), version, i.Strings("Labels"));
                return new JsonObject
                {
                    ["RemovedLabels"] = new JsonArray([.. removed.Select(l => (JsonNode)l)]),
                    ["InvalidLabels"] = new JsonArray([.. invalid.Select(l => (JsonNode)l)]),
                };
            } },
        { "AddTagsToResource", i =>
            {
                _ssm.Tag(i.Scope, ParameterResource(i), Tags(i));
                return new JsonObject();
            } },
        { "RemoveTagsFromResource", i =>
            {
                _ssm.Untag(i.Scope, ParameterResource(i), i.Strings("TagKeys").ToHashSet());
                return new JsonObject();
            } },
        { "ListTagsForResource", i => new JsonObject
            {
                ["TagList"] = new JsonArray([.. _ssm.Tags(i.Scope, ParameterResource(i)).Select(t => (JsonNode)new JsonObject { ["Key"] = t.Key, ["Value"] = t.Value })]),
            } },
    };

    private JsonObject Parameter(Scope scope, SsmParameter parameter, SsmParameterVersion version, string? selector, bool withDecryption)
    {
        var json = new JsonObject
        {
            ["Name"] = parameter.Name,
            ["Type"] = version.Type,
            ["Value"] = _ssm.Reveal(scope, parameter, version, withDecryption),
            ["Version"] = version.Version,
        };
        // AWS echoes the selector a caller asked for (NAME:VERSION or NAME:LABEL).
        if (selector is not null) json["Selector"] = ":" + selector;
        json["LastModifiedDate"] = Seconds(version.LastModified);
        json["ARN"] = SsmService.Arn(scope, parameter.Name);
        json["DataType"] = "text";
        return json;
    }

    private static JsonObject Metadata(Scope scope, SsmParameter parameter, SsmParameterVersion version)
    {
        var json = new JsonObject
        {
            ["Name"] = parameter.Name,
            ["ARN"] = SsmService.Arn(scope, parameter.Name),
            ["Type"] = version.Type,
            ["LastModifiedDate"] = Seconds(version.LastModified),
            ["Version"] = version.Version,
            ["Tier"] = version.Tier,
            ["Policies"] = new JsonArray(),
            ["DataType"] = "text",
        };
        if (version.KeyId is not null) json["KeyId"] = version.KeyId;
        if (version.Description is not null) json["Description"] = version.Description;
        if (version.AllowedPattern is not null) json["AllowedPattern"] = version.AllowedPattern;
        if (version.LastModifiedUser is not null) json["LastModifiedUser"] = version.LastModifiedUser;
        return json;
    }

    private static double Seconds(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / 1000.0;

    private static Dictionary<string, string> Tags(OperationInput i) => i.TagMap(valueRequired: true) ?? [];

    private static string ParameterResource(OperationInput i) =>
        i.Required("ResourceType") == "Parameter" ? i.Required("ResourceId") : throw SsmErrors.InvalidResourceType();

    // AWS refuses Name and Path filters in GetParametersByPath (the path is the request's own).
    private static readonly string[] DescribeFilterKeys = ["Name", "Type", "Path"];
    private static readonly string[] ByPathFilterKeys = ["Type"];

    /// <summary>ParameterFilters Stratus evaluates: Name (Equals, BeginsWith), Type (Equals), Path (OneLevel, Recursive); any other key is refused by name, never ignored.</summary>
    private static Func<SsmParameter, bool> ParameterFilter(OperationInput i, string[] allowedKeys)
    {
        var tests = new List<Func<SsmParameter, bool>>();
        foreach (var node in i.List("ParameterFilters").OfType<JsonObject>())
        {
            var filter = i.Nested(node);
            var key = filter.Required("Key");
            if (!allowedKeys.Contains(key)) throw SsmErrors.InvalidFilterKey(key);
            var option = filter.String("Option");
            var values = filter.Strings("Values");
            tests.Add(key switch
            {
                "Name" when option is null or "Equals" => p => values.Contains(p.Name) || values.Contains("/" + p.Name),
                "Name" when option == "BeginsWith" => p => values.Any(v => p.Name.StartsWith(v, StringComparison.Ordinal)),
                "Type" when option is null or "Equals" => p => values.Contains(p.Latest.Type),
                "Path" => p => values.Any(v =>
                {
                    var prefix = v.EndsWith('/') ? v : v + "/";
                    return p.Name.StartsWith(prefix, StringComparison.Ordinal) && (option == "Recursive" || !p.Name[prefix.Length..].Contains('/'));
                }),
                _ => throw SsmErrors.InvalidFilterKey(key),
            });
        }
        return p => tests.All(test => test(p));
    }
}
