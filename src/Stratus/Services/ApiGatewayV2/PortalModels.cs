using System.Text.Json.Serialization;

namespace Stratus.Services.ApiGatewayV2;

/// <summary>A portal's six theme colours (CustomColors), each a CSS colour of 1 to 16 characters.</summary>
public sealed record PortalColors
{
    public required string AccentColor { get; init; }
    public required string BackgroundColor { get; init; }
    public required string ErrorValidationColor { get; init; }
    public required string HeaderColor { get; init; }
    public required string NavigationColor { get; init; }
    public required string TextColor { get; init; }
}

public sealed record PortalTheme
{
    public required PortalColors CustomColors { get; init; }
    public DateTimeOffset? LogoLastUploaded { get; init; }
}

/// <summary>PortalContent: the portal's name, description and theme, as the caller gave them.</summary>
public sealed record PortalContent
{
    public string? Description { get; init; }
    public required string DisplayName { get; init; }
    public required PortalTheme Theme { get; init; }
}

/// <summary>A rendered site: each page's HTML (after its opening head tag) by its path under the site's root, without slashes at either end ("" is the home page).</summary>
public sealed record PortalSite(Dictionary<string, string> Pages);

/// <summary>A portal as stored: its settings, its publication and preview state, and the sites they rendered.</summary>
public sealed record PortalDocument
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string PortalId { get; init; }
    public required PortalContent Content { get; init; }
    public List<string> IncludedPortalProductArns { get; init; } = [];
    public string? LogoUri { get; init; }
    public string? RumAppMonitorName { get; init; }
    public Dictionary<string, string> Tags { get; init; } = [];
    public DateTimeOffset LastModified { get; init; }
    public DateTimeOffset? LastPublished { get; init; }
    public string? LastPublishedDescription { get; init; }
    public string PublishStatus { get; init; } = PortalStatus.Disabled;
    /// <summary>What PublishPortal rendered, served while PublishStatus is PUBLISHED.</summary>
    public PortalSite? Published { get; init; }
    /// <summary>What PreviewPortal rendered, served at the preview URL until the portal is deleted.</summary>
    public PortalSite? Preview { get; init; }
}

public static class PortalStatus
{
    public const string Published = "PUBLISHED";
    public const string Disabled = "DISABLED";
    public const string PreviewReady = "PREVIEW_READY";
    public const string Available = "AVAILABLE";
    public const string TryItEnabled = "ENABLED";
    public const string TryItDisabled = "DISABLED";
}

/// <summary>DisplayOrder: the product's sections of endpoint pages, its overview page and its product pages, by ARN.</summary>
public sealed record ProductDisplayOrder
{
    public List<ProductSection>? Contents { get; init; }
    public string? OverviewPageArn { get; init; }
    public List<string>? ProductPageArns { get; init; }
}

public sealed record ProductSection
{
    public required List<string> ProductRestEndpointPageArns { get; init; }
    public required string SectionName { get; init; }
}

/// <summary>DisplayContent of a product page: a title and a GitHub-flavoured markdown body.</summary>
public sealed record PageContent
{
    public required string Body { get; init; }
    public required string Title { get; init; }
}

public sealed record ProductPage
{
    public required string ProductPageId { get; init; }
    public required PageContent DisplayContent { get; init; }
    public DateTimeOffset LastModified { get; init; }
}

/// <summary>IdentifierParts: the REST API method a product REST endpoint page documents, on a deployed stage.</summary>
public sealed record RestEndpointParts
{
    public required string Method { get; init; }
    public required string Path { get; init; }
    public required string RestApiId { get; init; }
    public required string Stage { get; init; }
}

/// <summary>The content an endpoint page shows (EndpointDisplayContentResponse): its operation name, endpoint and markdown body.</summary>
public sealed record EndpointContent
{
    public string? Body { get; init; }
    public required string Endpoint { get; init; }
    public string? OperationName { get; init; }
}

/// <summary>A product REST endpoint page: its method, the overrides the caller gave, and the content generated from the method.</summary>
public sealed record ProductRestEndpointPage
{
    public required string ProductRestEndpointPageId { get; init; }
    public required RestEndpointParts Identifier { get; init; }
    /// <summary>DisplayContent.Overrides, null for DisplayContent.None: each member given replaces the generated one.</summary>
    public EndpointOverrides? Overrides { get; init; }
    /// <summary>What the method's export gave when the page was created or last updated.</summary>
    public required EndpointContent Generated { get; init; }
    /// <summary>The method's OpenAPI operation, as GetProductRestEndpointPage's rawDisplayContent answers it.</summary>
    public required string RawOperation { get; init; }
    /// <summary>The stage's invoke URL plus the method's path, which the try it form calls.</summary>
    public required string InvokeUrl { get; init; }
    public string TryItState { get; init; } = PortalStatus.TryItDisabled;
    public DateTimeOffset LastModified { get; init; }

    [JsonIgnore]
    public EndpointContent Shown => new()
    {
        Body = Overrides?.Body ?? Generated.Body,
        Endpoint = Overrides?.Endpoint ?? Generated.Endpoint,
        OperationName = Overrides?.OperationName ?? Generated.OperationName,
    };
}

public sealed record EndpointOverrides
{
    public string? Body { get; init; }
    public string? Endpoint { get; init; }
    public string? OperationName { get; init; }
}

/// <summary>A portal product as stored, with its pages and its sharing policy (one document, written through on every change).</summary>
public sealed record PortalProductDocument
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string PortalProductId { get; init; }
    public required string DisplayName { get; init; }
    public string? Description { get; init; }
    public ProductDisplayOrder DisplayOrder { get; init; } = new();
    public Dictionary<string, string> Tags { get; init; } = [];
    public DateTimeOffset LastModified { get; init; }
    public Dictionary<string, ProductPage> Pages { get; init; } = [];
    public Dictionary<string, ProductRestEndpointPage> EndpointPages { get; init; } = [];
    public string? SharingPolicy { get; init; }
}

/// <summary>CreatePortal's and UpdatePortal's members (null when absent).</summary>
public sealed record PortalSettings(PortalContent? Content, List<string>? IncludedPortalProductArns, string? LogoUri, string? RumAppMonitorName,
    Dictionary<string, string>? Tags);

public sealed record PortalProductSettings(string? DisplayName, string? Description, ProductDisplayOrder? DisplayOrder, Dictionary<string, string>? Tags);

/// <summary>CreateProductRestEndpointPage's and UpdateProductRestEndpointPage's members; NoOverrides is DisplayContent.None.</summary>
public sealed record EndpointPageSettings(RestEndpointParts? Identifier, EndpointOverrides? Overrides, bool NoOverrides, string? TryItState);
