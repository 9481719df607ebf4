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

    /// <summary>GetDocumentationParts with its filters: type, nameQuery (a part of the name), path; every stored part is DOCUMENTED.</summary>
    public (IReadOnlyList<DocumentationPart> Items, string? Position) GetDocumentationParts(Scope scope, string apiId, string? type, string? nameQuery,
        string? path, string? position, int? limit)
    {
        var parts = Api(scope, apiId).DocumentationParts.Values.Where(p => Filtered(p.Location, type, nameQuery, path));
        return Page(parts.OrderBy(p => p.Id, StringComparer.Ordinal), p => p.Id, position, limit);
    }

    /// <summary>
    /// GetDocumentationParts with locationStatus UNDOCUMENTED: the locations of the API's entities that no documentation part documents
    /// (parts "without content", as AWS words it), with the same filters. A part documents the entity at its location, its method
    /// or status code "*" standing for any, as a wildcard location applies on AWS.
    /// </summary>
    public (IReadOnlyList<UndocumentedEntity> Items, string? Position) GetUndocumentedEntities(Scope scope, string apiId, string? type, string? nameQuery,
        string? path, string? position, int? limit)
    {
        var api = Api(scope, apiId);
        var parts = api.DocumentationParts.Values.Select(p => p.Location).ToList();
        var entities = DocumentableEntities(api)
            .Where(entity => Filtered(entity, type, nameQuery, path) && !parts.Any(part => Documents(part, entity)))
            .Select(entity => new UndocumentedEntity(entity));
        return Page(entities, e => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(e.Location.Key)), position, limit);
    }

    private static bool Filtered(DocumentationPartLocation location, string? type, string? nameQuery, string? path) =>
        (type is null || location.Type == type) && (path is null || location.Path == path)
        && (nameQuery is null || location.Name?.Contains(nameQuery, StringComparison.Ordinal) == true);

    private static bool Documents(DocumentationPartLocation part, DocumentationPartLocation entity) =>
        part.Type == entity.Type && part.Path == entity.Path && part.Name == entity.Name
        && (part.Method == "*" || part.Method == entity.Method) && (part.StatusCode == "*" || part.StatusCode == entity.StatusCode);

    /// <summary>
    /// Every entity of the API a documentation part can document, at the location a part for it takes: the API, its authorizers and
    /// models, each resource and method, a method's request parameters (path, query string, header), request body, responses, their
    /// headers and bodies, in that order.
    /// </summary>
    private static IEnumerable<DocumentationPartLocation> DocumentableEntities(RestApiDocument api)
    {
        yield return new DocumentationPartLocation { Type = "API" };
        foreach (var authorizer in api.Authorizers.Values.OrderBy(a => a.Name, StringComparer.Ordinal))
            yield return new DocumentationPartLocation { Type = "AUTHORIZER", Name = authorizer.Name };
        foreach (var model in api.Models.Keys.Order(StringComparer.Ordinal))
            yield return new DocumentationPartLocation { Type = "MODEL", Name = model };
        foreach (var resource in api.Resources.Values.OrderBy(r => r.Path, StringComparer.Ordinal))
        {
            yield return new DocumentationPartLocation { Type = "RESOURCE", Path = resource.Path };
            foreach (var method in (resource.ResourceMethods ?? []).Values.OrderBy(m => m.HttpMethod, StringComparer.Ordinal))
            {
                DocumentationPartLocation At(string type, string? statusCode = null, string? name = null) =>
                    new() { Type = type, Path = resource.Path, Method = method.HttpMethod, StatusCode = statusCode, Name = name };
                yield return At("METHOD");
                foreach (var parameter in (method.RequestParameters ?? []).Keys.Order(StringComparer.Ordinal))
                    if (RequestParameterType(parameter) is { } located) yield return At(located.Type, name: located.Name);
                if (method.RequestModels is { Count: > 0 }) yield return At("REQUEST_BODY");
                foreach (var response in (method.MethodResponses ?? []).Values.OrderBy(r => r.StatusCode, StringComparer.Ordinal))
                {
                    yield return At("RESPONSE", response.StatusCode);
                    foreach (var header in (response.ResponseParameters ?? []).Keys.Order(StringComparer.Ordinal))
                        if (header.StartsWith(ResponseHeaderPrefix, StringComparison.Ordinal))
                            yield return At("RESPONSE_HEADER", response.StatusCode, header[ResponseHeaderPrefix.Length..]);
                    if (response.ResponseModels is { Count: > 0 }) yield return At("RESPONSE_BODY", response.StatusCode);
                }
            }
        }
    }

    private const string ResponseHeaderPrefix = "method.response.header.";

    /// <summary>The documentation type and name of a method request parameter (<c>method.request.{path|querystring|header}.name</c>).</summary>
    private static (string Type, string Name)? RequestParameterType(string parameter)
    {
        var parts = parameter.Split('.', 4);
        if (parts.Length != 4 || parts[0] != "method" || parts[1] != "request") return null;
        return parts[2] switch
        {
            "path" => ("PATH_PARAMETER", parts[3]),
            "querystring" => ("QUERY_PARAMETER", parts[3]),
            "header" => ("REQUEST_HEADER", parts[3]),
            _ => null,
        };
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
