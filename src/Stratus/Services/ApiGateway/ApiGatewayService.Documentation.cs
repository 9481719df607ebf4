using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Protocols.Json;
using static Stratus.Services.ApiGateway.ApiGatewayErrors;

namespace Stratus.Services.ApiGateway;

/// <summary>
/// A REST API's documentation parts (each a JSON properties object at a location AWS's rules allow) and documentation versions
/// (snapshots of the parts, one of which a stage may name and GetExport's <c>documentation</c> extension then carries).
/// </summary>
public sealed partial class ApiGatewayService
{
    private const string DocumentationExtension = "x-amazon-apigateway-documentation";

    /// <summary>Which location fields each type takes (AWS's "Location fields of a documentation part"); a name is required where taken.</summary>
    private static readonly Dictionary<string, (bool Path, bool Method, bool StatusCode, bool Name)> DocumentationLocationFields = new(StringComparer.Ordinal)
    {
        ["API"] = (false, false, false, false),
        ["AUTHORIZER"] = (false, false, false, true),
        ["MODEL"] = (false, false, false, true),
        ["RESOURCE"] = (true, false, false, false),
        ["METHOD"] = (true, true, false, false),
        ["PATH_PARAMETER"] = (true, true, false, true),
        ["QUERY_PARAMETER"] = (true, true, false, true),
        ["REQUEST_HEADER"] = (true, true, false, true),
        ["REQUEST_BODY"] = (true, true, false, false),
        ["RESPONSE"] = (true, true, true, false),
        ["RESPONSE_HEADER"] = (true, true, true, true),
        ["RESPONSE_BODY"] = (true, true, true, false),
    };

    /// <summary>The location as AWS keeps it, its defaults filled (path "/", method and status code "*"); a field the type does not take is refused.</summary>
    private static DocumentationPartLocation CheckedLocation(DocumentationPartLocation location)
    {
        if (!DocumentationLocationFields.TryGetValue(location.Type, out var fields))
            throw BadRequest($"Invalid documentation part location type specified: {location.Type}. Valid options are {string.Join(",", DocumentationLocationFields.Keys)}");
        void NotTaken(string field, string? value, bool taken)
        {
            if (value is not null && !taken) throw BadRequest($"Invalid location specified: '{field}' is not applicable for documentation part type {location.Type}");
        }
        NotTaken("path", location.Path, fields.Path);
        NotTaken("method", location.Method, fields.Method);
        NotTaken("statusCode", location.StatusCode, fields.StatusCode);
        NotTaken("name", location.Name, fields.Name);
        if (fields.Name && string.IsNullOrEmpty(location.Name)) throw BadRequest($"Invalid location specified: 'name' is required for documentation part type {location.Type}");
        if (location.Path is { } path && !path.StartsWith('/')) throw BadRequest($"Invalid location specified: path '{path}' must start with /");
        if (location.StatusCode is { } status && status != "*" && !(status.Length == 3 && status.All(char.IsAsciiDigit)))
            throw BadRequest($"Invalid location specified: statusCode '{status}' must be * or a 3-digit status code");
        return new DocumentationPartLocation
        {
            Type = location.Type,
            Path = fields.Path ? location.Path ?? "/" : null,
            Method = fields.Method ? location.Method?.ToUpperInvariant() ?? "*" : null,
            StatusCode = fields.StatusCode ? location.StatusCode ?? "*" : null,
            Name = location.Name,
        };
    }

    /// <summary>Properties must be a JSON object, as AWS takes them.</summary>
    private static string CheckedProperties(string properties)
    {
        try
        {
            if (JsonBody.Parse(System.Text.Encoding.UTF8.GetBytes(properties)) is JsonObject) return properties;
        }
        catch (JsonException)
        {
        }
        throw BadRequest("Invalid documentation part properties specified: properties must be a JSON object");
    }

    public DocumentationPart CreateDocumentationPart(Scope scope, string apiId, DocumentationPartLocation location, string properties)
    {
        var part = new DocumentationPart { Id = NewId(), Location = CheckedLocation(location), Properties = CheckedProperties(properties) };
        MutateApi(scope, apiId, doc =>
        {
            if (doc.DocumentationParts.Values.Any(p => p.Location.Key == part.Location.Key))
                throw Conflict("Documentation part already exists for the specified location");
            doc.DocumentationParts[part.Id] = part;
        });
        return part;
    }

    public DocumentationPart GetDocumentationPart(Scope scope, string apiId, string partId) =>
        Api(scope, apiId).DocumentationParts.GetValueOrDefault(partId) ?? throw DocumentationPartNotFound();

    /// <summary>GetDocumentationParts with its filters: type, nameQuery (a part of the name), path, and locationStatus DOCUMENTED (every stored part).</summary>
    public (IReadOnlyList<DocumentationPart> Items, string? Position) GetDocumentationParts(Scope scope, string apiId, string? type, string? nameQuery,
        string? path, string? locationStatus, string? position, int? limit)
    {
        if (locationStatus == "UNDOCUMENTED")
            throw BadRequest("locationStatus UNDOCUMENTED is not built: Stratus lists the documentation parts that exist (DOCUMENTED)");
        var parts = Api(scope, apiId).DocumentationParts.Values
            .Where(p => (type is null || p.Location.Type == type) && (path is null || p.Location.Path == path)
                && (nameQuery is null || p.Location.Name?.Contains(nameQuery, StringComparison.Ordinal) == true));
        return Page(parts.OrderBy(p => p.Id, StringComparer.Ordinal), p => p.Id, position, limit);
    }

    public DocumentationPart UpdateDocumentationPart(Scope scope, string apiId, string partId, IReadOnlyList<PatchOperation> patch) =>
        MutateApi(scope, apiId, doc =>
        {
            var next = PatchDocument.Apply(doc.DocumentationParts.GetValueOrDefault(partId) ?? throw DocumentationPartNotFound(), patch,
                new Dictionary<string, PatchKind> { ["properties"] = PatchKind.Text });
            CheckedProperties(next.Properties);
            doc.DocumentationParts[partId] = next;
        }).DocumentationParts[partId];

    public void DeleteDocumentationPart(Scope scope, string apiId, string partId) =>
        MutateApi(scope, apiId, doc =>
        {
            if (!doc.DocumentationParts.Remove(partId)) throw DocumentationPartNotFound();
        });

    /// <summary>
    /// ImportDocumentationParts: the definition's x-amazon-apigateway-documentation parts, each location checked as CreateDocumentationPart
    /// checks it. "overwrite" replaces every part; "merge" replaces a part at the same location and adds the rest. A bad part is a warning,
    /// or refuses the whole import with failonwarnings.
    /// </summary>
    public (IReadOnlyList<string> Ids, IReadOnlyList<string> Warnings) ImportDocumentationParts(Scope scope, string apiId, JsonObject definition, string mode, bool failOnWarnings)
    {
        if (mode is not ("overwrite" or "merge")) throw BadRequest($"Invalid mode specified: {mode}. Valid options are overwrite,merge");
        Api(scope, apiId);
        var declared = (definition[DocumentationExtension] as JsonObject)?["documentationParts"] as JsonArray ?? [];
        var imported = new List<DocumentationPart>();
        var warnings = new List<string>();
        foreach (var (node, index) in declared.Select((n, i) => (n, i)))
        {
            try
            {
                if (node is not JsonObject entry || entry["location"] is not JsonObject location)
                    throw BadRequest("a documentation part needs a location object");
                var properties = entry["properties"] switch
                {
                    JsonObject o => o.ToJsonString(),
                    JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                    _ => "{}",
                };
                imported.Add(new DocumentationPart
                {
                    Id = NewId(),
                    Location = CheckedLocation(new DocumentationPartLocation
                    {
                        Type = Text(location["type"]) ?? "", Path = Text(location["path"]), Method = Text(location["method"]),
                        StatusCode = Text(location["statusCode"]), Name = Text(location["name"]),
                    }),
                    Properties = CheckedProperties(properties),
                });
            }
            catch (AwsException e)
            {
                warnings.Add($"documentationParts[{index}]: {e.Message}");
            }
        }
        if (failOnWarnings && warnings.Count > 0) throw BadRequest($"Documentation import failed with warnings: {string.Join("; ", warnings)}");
        var ids = new List<string>();
        MutateApi(scope, apiId, doc =>
        {
            if (mode == "overwrite") doc.DocumentationParts.Clear();
            foreach (var part in imported)
            {
                var existing = doc.DocumentationParts.Values.FirstOrDefault(p => p.Location.Key == part.Location.Key);
                if (existing is not null) part.Id = existing.Id;
                doc.DocumentationParts[part.Id] = part;
                ids.Add(part.Id);
            }
        });
        return (ids, warnings);
    }

    private static AwsException DocumentationPartNotFound() => NotFound("Invalid Documentation part identifier specified");

    // ---- versions ----

    public DocumentationVersion CreateDocumentationVersion(Scope scope, string apiId, string version, string? stageName, string? description)
    {
        if (stageName is not null) StageOf(scope, apiId, stageName);
        var snapshot = new DocumentationSnapshot { Version = new DocumentationVersion { Version = version, CreatedDate = Now, Description = description } };
        MutateApi(scope, apiId, doc =>
        {
            if (doc.DocumentationVersions.ContainsKey(version)) throw Conflict("Documentation version already exists");
            snapshot.Parts = Clone(doc.DocumentationParts.Values.OrderBy(p => p.Id, StringComparer.Ordinal).ToList());
            doc.DocumentationVersions[version] = snapshot;
        });
        // Naming a stage publishes the version there, as UpdateStage's /documentationVersion does.
        if (stageName is not null) UpdateStage(scope, apiId, stageName, [new PatchOperation("replace", "/documentationVersion", version, null)]);
        return snapshot.Version;
    }

    public DocumentationVersion GetDocumentationVersion(Scope scope, string apiId, string version) => SnapshotOf(Api(scope, apiId), version).Version;

    public (IReadOnlyList<DocumentationVersion> Items, string? Position) GetDocumentationVersions(Scope scope, string apiId, string? position, int? limit) =>
        Page(Api(scope, apiId).DocumentationVersions.Values.Select(s => s.Version).OrderBy(v => v.Version, StringComparer.Ordinal), v => v.Version, position, limit);

    public DocumentationVersion UpdateDocumentationVersion(Scope scope, string apiId, string version, IReadOnlyList<PatchOperation> patch) =>
        MutateApi(scope, apiId, doc =>
        {
            var snapshot = SnapshotOf(doc, version);
            snapshot.Version = PatchDocument.Apply(snapshot.Version, patch, new Dictionary<string, PatchKind> { ["description"] = PatchKind.Text });
        }).DocumentationVersions[version].Version;

    public void DeleteDocumentationVersion(Scope scope, string apiId, string version)
    {
        SnapshotOf(Api(scope, apiId), version);
        if (GetStages(scope, apiId, null).FirstOrDefault(s => s.DocumentationVersion == version) is { } stage)
            throw BadRequest($"Documentation version {version} is published to stage {stage.StageName}; remove it from the stage first");
        MutateApi(scope, apiId, doc => doc.DocumentationVersions.Remove(version));
    }

    private static DocumentationSnapshot SnapshotOf(RestApiDocument api, string version) =>
        api.DocumentationVersions.GetValueOrDefault(version) ?? throw NotFound("Invalid Documentation version specified");

    /// <summary>The stage's published documentation version as GetExport's x-amazon-apigateway-documentation; null when it names none.</summary>
    private static JsonObject? DocumentationExtensionOf(RestApiDocument api, Stage stage)
    {
        if (stage.DocumentationVersion is not { } version || api.DocumentationVersions.GetValueOrDefault(version) is not { } snapshot) return null;
        var parts = new JsonArray();
        foreach (var part in snapshot.Parts)
        {
            var location = new JsonObject { ["type"] = part.Location.Type };
            if (part.Location.Path is { } path) location["path"] = path;
            if (part.Location.Method is { } method) location["method"] = method;
            if (part.Location.StatusCode is { } status) location["statusCode"] = status;
            if (part.Location.Name is { } name) location["name"] = name;
            parts.Add(new JsonObject { ["location"] = location, ["properties"] = JsonBody.Parse(System.Text.Encoding.UTF8.GetBytes(part.Properties)) });
        }
        return new JsonObject { ["version"] = version, ["documentationParts"] = parts };
    }
}
