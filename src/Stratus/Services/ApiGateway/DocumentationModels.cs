using Stratus.Protocols;

namespace Stratus.Services.ApiGateway;

/// <summary>Where a documentation part applies: its type and, as the type allows, the resource path, verb, status code and name.</summary>
public sealed class DocumentationPartLocation
{
    public string Type { get; set; } = "";
    public string? Path { get; set; }
    public string? Method { get; set; }
    public string? StatusCode { get; set; }
    public string? Name { get; set; }

    public static DocumentationPartLocation Read(IInputReader location) => new()
    {
        Type = location.String("type") ?? "",
        Path = location.String("path"),
        Method = location.String("method"),
        StatusCode = location.String("statusCode"),
        Name = location.String("name"),
    };

    /// <summary>Two parts with the same key document the same thing, which AWS allows once.</summary>
    public string Key => string.Join('\u001f', Type, Path, Method, StatusCode, Name);
}

public sealed class DocumentationPart
{
    public string Id { get; set; } = "";
    public DocumentationPartLocation Location { get; set; } = new();
    /// <summary>The documentation itself, a JSON object kept as the string AWS takes and answers.</summary>
    public string Properties { get; set; } = "{}";
}

/// <summary>An entity of an API that no documentation part documents, as GetDocumentationParts lists it with locationStatus UNDOCUMENTED.</summary>
public sealed record UndocumentedEntity(DocumentationPartLocation Location);

public sealed class DocumentationVersion
{
    public string Version { get; set; } = "";
    public DateTimeOffset CreatedDate { get; set; }
    public string? Description { get; set; }
}

/// <summary>A documentation version: the API's documentation parts as they were when it was created.</summary>
public sealed class DocumentationSnapshot
{
    public DocumentationVersion Version { get; set; } = new();
    public List<DocumentationPart> Parts { get; set; } = [];
}
