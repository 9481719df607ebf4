using System.Text.Json.Nodes;
using Stratus.Host;
using Stratus.Protocols;
using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGatewayV2.Engine;
using Stratus.Services.Iam;
using static Stratus.Services.ApiGatewayV2.ApiGatewayV2Errors;

namespace Stratus.Services.ApiGatewayV2;

/// <summary>Portal products, their product pages, product REST endpoint pages and sharing policies.</summary>
public sealed partial class PortalService
{
    private static string ProductKey(Scope scope, string id) => Persistence.ResourceTable<PortalProductDocument>.Key(scope.AccountId, scope.Region, id);

    public static string ProductArn(PortalProductDocument product) =>
        $"arn:aws:apigateway:{product.Region}:{product.AccountId}:/portalproducts/{product.PortalProductId}";

    public static string PageArn(PortalProductDocument product, ProductPage page) => $"{ProductArn(product)}/productpages/{page.ProductPageId}";

    public static string EndpointPageArn(PortalProductDocument product, ProductRestEndpointPage page) =>
        $"{ProductArn(product)}/productrestendpointpages/{page.ProductRestEndpointPageId}";

    private PortalProductDocument? ProductByArn(Scope scope, string arn)
    {
        var prefix = $"arn:aws:apigateway:{scope.Region}:{scope.AccountId}:/portalproducts/";
        return arn.StartsWith(prefix, StringComparison.Ordinal) ? _products.Get(ProductKey(scope, arn[prefix.Length..])) : null;
    }

    public PortalProductDocument CreateProduct(Scope scope, PortalProductSettings settings)
    {
        PortalRules.CheckProduct(settings.DisplayName ?? throw BadRequest("DisplayName is required for a portal product."), settings.Description);
        var product = new PortalProductDocument
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            PortalProductId = ApiGatewayErrors.NewId(),
            DisplayName = settings.DisplayName,
            Description = settings.Description,
            Tags = settings.Tags ?? [],
            LastModified = Now,
        };
        if (!_products.TryAdd(ProductKey(scope, product.PortalProductId), product)) throw Conflict("Unable to create the portal product, try again.");
        return product;
    }

    public PortalProductDocument GetProduct(Scope scope, string productId) =>
        _products.Get(ProductKey(scope, productId)) ?? throw NotFound("PortalProduct", productId);

    public IReadOnlyList<PortalProductDocument> ListProducts(Scope scope) =>
        [.. _products.Values.Where(p => p.AccountId == scope.AccountId && p.Region == scope.Region).OrderBy(p => p.PortalProductId, StringComparer.Ordinal)];

    public PortalProductDocument UpdateProduct(Scope scope, string productId, PortalProductSettings settings)
    {
        if (settings.DisplayName is { } name) PortalRules.CheckProduct(name, settings.Description);
        return ChangeProduct(scope, productId, product =>
        {
            if (settings.DisplayOrder is { } order) CheckDisplayOrder(product, order);
            return product with
            {
                DisplayName = settings.DisplayName ?? product.DisplayName,
                Description = settings.Description ?? product.Description,
                DisplayOrder = settings.DisplayOrder ?? product.DisplayOrder,
            };
        });
    }

    /// <summary>DeletePortalProduct: the product goes, and so does its ARN from the portals including it (their published sites keep it until republished).</summary>
    public void DeleteProduct(Scope scope, string productId)
    {
        lock (_gate)
        {
            if (_products.Remove(ProductKey(scope, productId)) is not { } product) throw NotFound("PortalProduct", productId);
            var arn = ProductArn(product);
            foreach (var (key, portal) in _portals.Entries.Where(e => e.Value.IncludedPortalProductArns.Contains(arn)).ToList())
                _portals.Put(key, portal with { IncludedPortalProductArns = [.. portal.IncludedPortalProductArns.Where(a => a != arn)] });
        }
    }

    /// <summary>The display order names only the product's own pages.</summary>
    private static void CheckDisplayOrder(PortalProductDocument product, ProductDisplayOrder order)
    {
        var pages = product.Pages.Values.Select(p => PageArn(product, p)).ToHashSet(StringComparer.Ordinal);
        var endpoints = product.EndpointPages.Values.Select(p => EndpointPageArn(product, p)).ToHashSet(StringComparer.Ordinal);
        foreach (var arn in (order.ProductPageArns ?? []).Concat(order.OverviewPageArn is { } overview ? [overview] : []))
            if (!pages.Contains(arn)) throw BadRequest($"Invalid product page ARN {arn}");
        foreach (var section in order.Contents ?? [])
        {
            if (string.IsNullOrEmpty(section.SectionName)) throw BadRequest("SectionName is required for a section.");
            foreach (var arn in section.ProductRestEndpointPageArns)
                if (!endpoints.Contains(arn)) throw BadRequest($"Invalid product REST endpoint page ARN {arn}");
        }
    }

    private PortalProductDocument ChangeProduct(Scope scope, string productId, Func<PortalProductDocument, PortalProductDocument> change, bool touches = true)
    {
        lock (_gate)
        {
            var next = change(GetProduct(scope, productId));
            if (touches) next = next with { LastModified = Now };
            _products.Put(ProductKey(scope, productId), next);
            return next;
        }
    }

    // ---- product pages ----

    public (PortalProductDocument Product, ProductPage Page) CreatePage(Scope scope, string productId, PageContent content)
    {
        PortalRules.CheckPage(content);
        var page = new ProductPage { ProductPageId = ApiGatewayErrors.NewId(), DisplayContent = content, LastModified = Now };
        var product = ChangeProduct(scope, productId, product =>
        {
            if (product.Pages.Count >= PortalRules.MaxPagesPerProduct)
                throw BadRequest($"A portal product has at most {PortalRules.MaxPagesPerProduct} product pages.");
            return product with { Pages = new(product.Pages) { [page.ProductPageId] = page } };
        });
        return (product, page);
    }

    public (PortalProductDocument Product, ProductPage Page) GetPage(Scope scope, string productId, string pageId)
    {
        var product = GetProduct(scope, productId);
        return (product, product.Pages.GetValueOrDefault(pageId) ?? throw NotFound("ProductPage", pageId));
    }

    public (PortalProductDocument Product, ProductPage Page) UpdatePage(Scope scope, string productId, string pageId, PageContent? content)
    {
        if (content is not null) PortalRules.CheckPage(content);
        ProductPage? updated = null;
        var product = ChangeProduct(scope, productId, product =>
        {
            var page = product.Pages.GetValueOrDefault(pageId) ?? throw NotFound("ProductPage", pageId);
            updated = page with { DisplayContent = content ?? page.DisplayContent, LastModified = Now };
            return product with { Pages = new(product.Pages) { [pageId] = updated } };
        });
        return (product, updated!);
    }

    /// <summary>DeleteProductPage: the page goes, and so does its ARN from the product's display order.</summary>
    public void DeletePage(Scope scope, string productId, string pageId) => ChangeProduct(scope, productId, product =>
    {
        if (!product.Pages.ContainsKey(pageId)) throw NotFound("ProductPage", pageId);
        var arn = PageArn(product, product.Pages[pageId]);
        var pages = new Dictionary<string, ProductPage>(product.Pages);
        pages.Remove(pageId);
        var order = product.DisplayOrder with
        {
            OverviewPageArn = product.DisplayOrder.OverviewPageArn == arn ? null : product.DisplayOrder.OverviewPageArn,
            ProductPageArns = product.DisplayOrder.ProductPageArns?.Where(a => a != arn).ToList(),
        };
        return product with { Pages = pages, DisplayOrder = order };
    });

    // ---- product REST endpoint pages ----

    public (PortalProductDocument Product, ProductRestEndpointPage Page) CreateEndpointPage(Scope scope, string productId, EndpointPageSettings settings)
    {
        var identifier = settings.Identifier ?? throw BadRequest("RestEndpointIdentifier.IdentifierParts is required for a product REST endpoint page.");
        GetProduct(scope, productId);
        var tryIt = PortalRules.CheckTryIt(settings.TryItState) ?? PortalStatus.TryItDisabled;
        if (settings.Overrides is { } overrides) PortalRules.CheckOverrides(overrides);
        var documented = Document(scope, identifier);
        var page = new ProductRestEndpointPage
        {
            ProductRestEndpointPageId = ApiGatewayErrors.NewId(),
            Identifier = identifier,
            Overrides = settings.Overrides,
            Generated = documented.Content,
            RawOperation = documented.RawOperation,
            InvokeUrl = documented.InvokeUrl,
            TryItState = tryIt,
            LastModified = Now,
        };
        var product = ChangeProduct(scope, productId, product =>
        {
            if (product.EndpointPages.Count >= PortalRules.MaxPagesPerProduct)
                throw BadRequest($"A portal product has at most {PortalRules.MaxPagesPerProduct} product REST endpoint pages.");
            if (product.EndpointPages.Values.Any(p => p.Identifier == identifier))
                throw Conflict($"The portal product already has a product REST endpoint page for {identifier.Method} {identifier.Path} on {identifier.RestApiId}/{identifier.Stage}.");
            return product with { EndpointPages = new(product.EndpointPages) { [page.ProductRestEndpointPageId] = page } };
        });
        return (product, page);
    }

    public (PortalProductDocument Product, ProductRestEndpointPage Page) GetEndpointPage(Scope scope, string productId, string pageId)
    {
        var product = GetProduct(scope, productId);
        return (product, product.EndpointPages.GetValueOrDefault(pageId) ?? throw NotFound("ProductRestEndpointPage", pageId));
    }

    /// <summary>UpdateProductRestEndpointPage: new overrides (None drops them), a new try it state, and the content generated again from the method as deployed now.</summary>
    public (PortalProductDocument Product, ProductRestEndpointPage Page) UpdateEndpointPage(Scope scope, string productId, string pageId, EndpointPageSettings settings)
    {
        var tryIt = PortalRules.CheckTryIt(settings.TryItState);
        if (settings.Overrides is { } overrides) PortalRules.CheckOverrides(overrides);
        var (_, current) = GetEndpointPage(scope, productId, pageId);
        var documented = Document(scope, current.Identifier);
        ProductRestEndpointPage? updated = null;
        var product = ChangeProduct(scope, productId, product =>
        {
            var page = product.EndpointPages.GetValueOrDefault(pageId) ?? throw NotFound("ProductRestEndpointPage", pageId);
            updated = page with
            {
                Overrides = settings.NoOverrides ? null : settings.Overrides ?? page.Overrides,
                Generated = documented.Content,
                RawOperation = documented.RawOperation,
                InvokeUrl = documented.InvokeUrl,
                TryItState = tryIt ?? page.TryItState,
                LastModified = Now,
            };
            return product with { EndpointPages = new(product.EndpointPages) { [pageId] = updated } };
        });
        return (product, updated!);
    }

    /// <summary>DeleteProductRestEndpointPage: the page goes, and so does its ARN from the product's sections.</summary>
    public void DeleteEndpointPage(Scope scope, string productId, string pageId) => ChangeProduct(scope, productId, product =>
    {
        if (!product.EndpointPages.ContainsKey(pageId)) throw NotFound("ProductRestEndpointPage", pageId);
        var arn = EndpointPageArn(product, product.EndpointPages[pageId]);
        var pages = new Dictionary<string, ProductRestEndpointPage>(product.EndpointPages);
        pages.Remove(pageId);
        var sections = product.DisplayOrder.Contents?.Select(s => s with { ProductRestEndpointPageArns = [.. s.ProductRestEndpointPageArns.Where(a => a != arn)] }).ToList();
        return product with { EndpointPages = pages, DisplayOrder = product.DisplayOrder with { Contents = sections } };
    });

    /// <summary>The method's documentation from the REST API's OpenAPI 3.0 export of the stage: the method must be deployed there.</summary>
    private DocumentedEndpoint Document(Scope scope, RestEndpointParts identifier)
    {
        PortalRules.CheckIdentifier(identifier);
        ExportedDefinition export;
        try
        {
            export = _restApis.GetExport(scope, identifier.RestApiId, identifier.Stage, "oas30", null, null);
        }
        catch (AwsException e) when (e.Code == "NotFoundException")
        {
            throw NotFoundFrom(e, "RestEndpointIdentifier");
        }
        var invokeUrl = InvokeUrls.Stage(_invokeUrls, identifier.RestApiId, identifier.Stage, defaultStageAtRoot: false).PathForm.TrimEnd('/') + identifier.Path;
        return EndpointDocumentation.From(JsonNode.Parse(export.Body)!.AsObject(), identifier, invokeUrl)
            ?? throw NotFound("RestEndpointIdentifier", $"{identifier.Method} {identifier.Path} on {identifier.RestApiId}/{identifier.Stage}");
    }

    // ---- sharing policies ----

    /// <summary>PutPortalProductSharingPolicy: a resource policy, checked as IAM checks one; stored and returned (cross-account sharing is not enforced).</summary>
    public void PutSharingPolicy(Scope scope, string productId, string document)
    {
        if (document.Length is < 1 or > PortalRules.MaxPolicyLength) throw BadRequest($"PolicyDocument must be 1 to {PortalRules.MaxPolicyLength} characters.");
        try
        {
            PolicyDocument.Validate(document, PolicyDocument.Kind.Resource);
        }
        catch (AwsException e)
        {
            throw BadRequest($"Invalid policy document: {e.Message}");
        }
        ChangeProduct(scope, productId, product => product with { SharingPolicy = document }, touches: false);
    }

    public string GetSharingPolicy(Scope scope, string productId) =>
        GetProduct(scope, productId).SharingPolicy ?? throw NotFound("PortalProductSharingPolicy", productId);

    public void DeleteSharingPolicy(Scope scope, string productId) => ChangeProduct(scope, productId, product =>
        product.SharingPolicy is null ? throw NotFound("PortalProductSharingPolicy", productId) : product with { SharingPolicy = null }, touches: false);
}
