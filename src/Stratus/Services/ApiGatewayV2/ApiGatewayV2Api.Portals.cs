using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Protocols.RestJson;
using static Stratus.Services.ApiGatewayV2.ApiGatewayV2Errors;

namespace Stratus.Services.ApiGatewayV2;

/// <summary>API Gateway portals' wire operations: portals, portal products, product pages, product REST endpoint pages, sharing policies.</summary>
public sealed partial class ApiGatewayV2Api
{
    private const string Portal = "/v2/portals/{portalId}";
    private const string Product = "/v2/portalproducts/{portalProductId}";

    private static readonly RestRoute[] PortalRoutes =
    [
        new("POST", "/v2/portals", "CreatePortal", successStatus: 201),
        new("GET", "/v2/portals", "ListPortals"),
        new("GET", Portal, "GetPortal"),
        new("PATCH", Portal, "UpdatePortal"),
        new("DELETE", Portal, "DeletePortal", successStatus: 204),
        new("POST", Portal + "/preview", "PreviewPortal", successStatus: 202),
        new("POST", Portal + "/publish", "PublishPortal", successStatus: 202),
        new("DELETE", Portal + "/publish", "DisablePortal", successStatus: 204),
        new("POST", "/v2/portalproducts", "CreatePortalProduct", successStatus: 201),
        new("GET", "/v2/portalproducts", "ListPortalProducts"),
        new("GET", Product, "GetPortalProduct"),
        new("PATCH", Product, "UpdatePortalProduct"),
        new("DELETE", Product, "DeletePortalProduct", successStatus: 204),
        new("PUT", Product + "/sharingpolicy", "PutPortalProductSharingPolicy"),
        new("GET", Product + "/sharingpolicy", "GetPortalProductSharingPolicy"),
        new("DELETE", Product + "/sharingpolicy", "DeletePortalProductSharingPolicy", successStatus: 204),
        new("POST", Product + "/productpages", "CreateProductPage", successStatus: 201),
        new("GET", Product + "/productpages", "ListProductPages"),
        new("GET", Product + "/productpages/{productPageId}", "GetProductPage"),
        new("PATCH", Product + "/productpages/{productPageId}", "UpdateProductPage"),
        new("DELETE", Product + "/productpages/{productPageId}", "DeleteProductPage", successStatus: 204),
        new("POST", Product + "/productrestendpointpages", "CreateProductRestEndpointPage", successStatus: 201),
        new("GET", Product + "/productrestendpointpages", "ListProductRestEndpointPages"),
        new("GET", Product + "/productrestendpointpages/{productRestEndpointPageId}", "GetProductRestEndpointPage"),
        new("PATCH", Product + "/productrestendpointpages/{productRestEndpointPageId}", "UpdateProductRestEndpointPage"),
        new("DELETE", Product + "/productrestendpointpages/{productRestEndpointPageId}", "DeleteProductRestEndpointPage", successStatus: 204),
    ];

    private void AddPortalOperations(OperationTable table)
    {
        table.Add("CreatePortal", i => PortalWire(_portals.CreatePortal(i.Scope, ReadPortal(i, creating: true))));
        table.Add("ListPortals", i => Paged(i, _portals.ListPortals(i.Scope), PortalWire));
        table.Add("GetPortal", i => PortalWire(_portals.GetPortal(i.Scope, PortalId(i))));
        table.Add("UpdatePortal", i => PortalWire(_portals.UpdatePortal(i.Scope, PortalId(i), ReadPortal(i, creating: false))));
        table.Add("DeletePortal", i => Done(() => _portals.DeletePortal(i.Scope, PortalId(i))));
        table.Add("PreviewPortal", i => Done(() => _portals.PreviewPortal(i.Scope, PortalId(i))));
        table.Add("PublishPortal", i => Done(() => _portals.PublishPortal(i.Scope, PortalId(i), i.String("description"))));
        table.Add("DisablePortal", i => Done(() => _portals.DisablePortal(i.Scope, PortalId(i))));

        table.Add("CreatePortalProduct", i => ProductWire(_portals.CreateProduct(i.Scope, ReadProduct(i))));
        table.Add("ListPortalProducts", i =>
        {
            if (i.String("resourceOwner") is { } owner && owner != "SELF") throw CrossAccountNotServed();
            return Paged(i, _portals.ListProducts(i.Scope), ProductSummaryWire);
        });
        table.Add("GetPortalProduct", i => ProductWire(_portals.GetProduct(i.Scope, OwnProductId(i))));
        table.Add("UpdatePortalProduct", i => ProductWire(_portals.UpdateProduct(i.Scope, ProductId(i), ReadProduct(i))));
        table.Add("DeletePortalProduct", i => Done(() => _portals.DeleteProduct(i.Scope, ProductId(i))));
        table.Add("PutPortalProductSharingPolicy", i => Done(() => _portals.PutSharingPolicy(i.Scope, ProductId(i), i.Required("policyDocument"))));
        table.Add("GetPortalProductSharingPolicy", i => new JsonObject
        {
            ["policyDocument"] = _portals.GetSharingPolicy(i.Scope, ProductId(i)),
            ["portalProductId"] = ProductId(i),
        });
        table.Add("DeletePortalProductSharingPolicy", i => Done(() => _portals.DeleteSharingPolicy(i.Scope, ProductId(i))));

        table.Add("CreateProductPage", i => PageWire(_portals.CreatePage(i.Scope, ProductId(i), ReadPageContent(i) ?? throw i.Style.Missing("displayContent"))));
        table.Add("ListProductPages", i =>
        {
            var product = _portals.GetProduct(i.Scope, OwnProductId(i));
            return Paged(i, [.. product.Pages.Values.OrderBy(p => p.ProductPageId, StringComparer.Ordinal)], page => new JsonObject
            {
                ["lastModified"] = Timestamp(page.LastModified),
                ["pageTitle"] = page.DisplayContent.Title,
                ["productPageArn"] = PortalService.PageArn(product, page),
                ["productPageId"] = page.ProductPageId,
            });
        });
        table.Add("GetProductPage", i => PageWire(_portals.GetPage(i.Scope, OwnProductId(i), i.Required("productPageId"))));
        table.Add("UpdateProductPage", i => PageWire(_portals.UpdatePage(i.Scope, ProductId(i), i.Required("productPageId"), ReadPageContent(i))));
        table.Add("DeleteProductPage", i => Done(() => _portals.DeletePage(i.Scope, ProductId(i), i.Required("productPageId"))));

        table.Add("CreateProductRestEndpointPage", i => EndpointPageWire(_portals.CreateEndpointPage(i.Scope, ProductId(i), ReadEndpointPage(i)), raw: false));
        table.Add("ListProductRestEndpointPages", i =>
        {
            var product = _portals.GetProduct(i.Scope, OwnProductId(i));
            return Paged(i, [.. product.EndpointPages.Values.OrderBy(p => p.ProductRestEndpointPageId, StringComparer.Ordinal)], page =>
            {
                var wire = EndpointPageWire((product, page), raw: false);
                var content = wire["displayContent"]!.AsObject();
                wire.Remove("displayContent");
                wire["endpoint"] = content["endpoint"]!.DeepClone();
                if (content["operationName"] is { } name) wire["operationName"] = name.DeepClone();
                return wire;
            });
        });
        table.Add("GetProductRestEndpointPage", i => EndpointPageWire(_portals.GetEndpointPage(i.Scope, OwnProductId(i), i.Required("productRestEndpointPageId")),
            raw: string.Equals(i.String("includeRawDisplayContent"), "true", StringComparison.OrdinalIgnoreCase)));
        table.Add("UpdateProductRestEndpointPage", i => EndpointPageWire(_portals.UpdateEndpointPage(i.Scope, ProductId(i), i.Required("productRestEndpointPageId"),
            ReadEndpointPage(i)), raw: false));
        table.Add("DeleteProductRestEndpointPage", i => Done(() => _portals.DeleteEndpointPage(i.Scope, ProductId(i), i.Required("productRestEndpointPageId"))));
    }

    private static string PortalId(OperationInput i) => i.Required("portalId");
    private static string ProductId(OperationInput i) => i.Required("portalProductId");

    /// <summary>The product id of a read that may name another owner (resourceOwnerAccountId): Stratus reads only the caller's own products.</summary>
    private static string OwnProductId(OperationInput i) =>
        i.String("resourceOwnerAccountId") is { } owner && owner != i.Scope.AccountId ? throw CrossAccountNotServed() : ProductId(i);

    private static AwsException CrossAccountNotServed() =>
        PortalNotServed("portal products of other accounts", "sharing policies are stored and returned, but products are not shared across accounts");

    // ---- reading ----

    private static PortalSettings ReadPortal(OperationInput i, bool creating)
    {
        if (i.Object("authorization") is { } authorization)
        {
            if (authorization["cognitoConfig"] is not null)
                throw PortalNotServed("Authorization.CognitoConfig", "Stratus has no Amazon Cognito user pools to sign portal users in; use Authorization.None");
            if (authorization["none"] is null) throw BadRequest("Authorization must have exactly one of CognitoConfig or None.");
        }
        else if (creating) throw i.Style.Missing("authorization");
        if (i.Object("endpointConfiguration") is { } endpoint)
        {
            if (endpoint["acmManaged"] is not null)
                throw PortalNotServed("EndpointConfiguration.AcmManaged (custom domain names)",
                    "a portal's custom domain is a CloudFront distribution, which Stratus does not serve; use EndpointConfiguration.None");
            if (endpoint["none"] is null) throw BadRequest("EndpointConfiguration must have exactly one of AcmManaged or None.");
        }
        else if (creating) throw i.Style.Missing("endpointConfiguration");
        var content = i.Object("portalContent") is { } c ? ReadContent(i.Nested(c)) : creating ? throw i.Style.Missing("portalContent") : null;
        return new PortalSettings(content, i.Has("includedPortalProductArns") ? [.. i.Strings("includedPortalProductArns")] : null,
            i.String("logoUri"), i.String("rumAppMonitorName"), i.Has("tags") ? i.StringMap("tags") : null);
    }

    private static PortalContent ReadContent(OperationInput c)
    {
        var theme = c.Nested(c.Object("theme") ?? throw c.Style.Missing("theme"));
        var colors = theme.Nested(theme.Object("customColors") ?? throw theme.Style.Missing("customColors"));
        return new PortalContent
        {
            Description = c.String("description"),
            DisplayName = c.Required("displayName"),
            Theme = new PortalTheme
            {
                CustomColors = new PortalColors
                {
                    AccentColor = colors.Required("accentColor"),
                    BackgroundColor = colors.Required("backgroundColor"),
                    ErrorValidationColor = colors.Required("errorValidationColor"),
                    HeaderColor = colors.Required("headerColor"),
                    NavigationColor = colors.Required("navigationColor"),
                    TextColor = colors.Required("textColor"),
                },
                LogoLastUploaded = theme.Timestamp("logoLastUploaded"),
            },
        };
    }

    private static PortalProductSettings ReadProduct(OperationInput i)
    {
        ProductDisplayOrder? order = null;
        if (i.Object("displayOrder") is { } o)
        {
            var input = i.Nested(o);
            order = new ProductDisplayOrder
            {
                Contents = input.Has("contents") ? [.. input.List("contents").Select(s => s is JsonObject section ? ReadSection(input.Nested(section)) : throw input.Style.Invalid("contents", "must be a list of sections"))] : null,
                OverviewPageArn = input.String("overviewPageArn"),
                ProductPageArns = input.Has("productPageArns") ? [.. input.Strings("productPageArns")] : null,
            };
        }
        return new PortalProductSettings(i.String("displayName"), i.String("description"), order, i.Has("tags") ? i.StringMap("tags") : null);
    }

    private static ProductSection ReadSection(OperationInput s) => new()
    {
        ProductRestEndpointPageArns = [.. s.Strings("productRestEndpointPageArns")],
        SectionName = s.Required("sectionName"),
    };

    private static PageContent? ReadPageContent(OperationInput i) =>
        i.Object("displayContent") is { } c ? new PageContent { Body = i.Nested(c).Required("body"), Title = i.Nested(c).Required("title") } : null;

    private static EndpointPageSettings ReadEndpointPage(OperationInput i)
    {
        RestEndpointParts? identifier = null;
        if (i.Object("restEndpointIdentifier") is { } id && id["identifierParts"] is JsonObject parts)
        {
            var p = i.Nested(parts);
            identifier = new RestEndpointParts
            {
                Method = p.Required("method"), Path = p.Required("path"), RestApiId = p.Required("restApiId"), Stage = p.Required("stage"),
            };
        }
        EndpointOverrides? overrides = null;
        var none = false;
        if (i.Object("displayContent") is { } content)
        {
            none = content["none"] is not null;
            if (content["overrides"] is JsonObject o)
            {
                if (none) throw BadRequest("DisplayContent must have exactly one of None or Overrides.");
                var input = i.Nested(o);
                overrides = new EndpointOverrides { Body = input.String("body"), Endpoint = input.String("endpoint"), OperationName = input.String("operationName") };
            }
        }
        return new EndpointPageSettings(identifier, overrides, none, i.String("tryItState"));
    }

    // ---- writing ----

    private JsonObject PortalWire(PortalDocument portal)
    {
        var endpoint = new JsonObject { ["portalDefaultDomainName"] = _portals.DefaultDomainName(portal) };
        var wire = new JsonObject
        {
            ["authorization"] = new JsonObject { ["none"] = new JsonObject() },
            ["endpointConfiguration"] = endpoint,
            ["includedPortalProductArns"] = new JsonArray([.. portal.IncludedPortalProductArns.Select(a => JsonValue.Create(a))]),
            ["lastModified"] = Timestamp(portal.LastModified),
            ["portalArn"] = PortalService.PortalArn(portal.Region, portal.AccountId, portal.PortalId),
            ["portalContent"] = Wire(portal.Content),
            ["portalId"] = portal.PortalId,
            ["publishStatus"] = portal.PublishStatus,
            ["tags"] = new JsonObject(portal.Tags.Select(t => new KeyValuePair<string, JsonNode?>(t.Key, t.Value))),
        };
        if (portal.LastPublished is { } published) wire["lastPublished"] = Timestamp(published);
        if (portal.LastPublishedDescription is { } description) wire["lastPublishedDescription"] = description;
        if (portal.LogoUri is { } logo) wire["logoUri"] = logo;
        if (portal.RumAppMonitorName is { } rum) wire["rumAppMonitorName"] = rum;
        if (portal.Preview is not null)
            wire["preview"] = new JsonObject { ["previewStatus"] = PortalStatus.PreviewReady, ["previewUrl"] = _portals.PreviewUrl(portal.PortalId) };
        return wire;
    }

    private static JsonObject ProductSummaryWire(PortalProductDocument product)
    {
        var wire = new JsonObject
        {
            ["displayName"] = product.DisplayName,
            ["lastModified"] = Timestamp(product.LastModified),
            ["portalProductArn"] = PortalService.ProductArn(product),
            ["portalProductId"] = product.PortalProductId,
            ["tags"] = new JsonObject(product.Tags.Select(t => new KeyValuePair<string, JsonNode?>(t.Key, t.Value))),
        };
        if (product.Description is { } description) wire["description"] = description;
        return wire;
    }

    private static JsonObject ProductWire(PortalProductDocument product)
    {
        var wire = ProductSummaryWire(product);
        wire["displayOrder"] = Wire(product.DisplayOrder);
        return wire;
    }

    private static JsonObject PageWire((PortalProductDocument Product, ProductPage Page) found) => new()
    {
        ["displayContent"] = Wire(found.Page.DisplayContent),
        ["lastModified"] = Timestamp(found.Page.LastModified),
        ["productPageArn"] = PortalService.PageArn(found.Product, found.Page),
        ["productPageId"] = found.Page.ProductPageId,
    };

    private static JsonObject EndpointPageWire((PortalProductDocument Product, ProductRestEndpointPage Page) found, bool raw)
    {
        var page = found.Page;
        var wire = new JsonObject
        {
            ["displayContent"] = Wire(page.Shown),
            ["lastModified"] = Timestamp(page.LastModified),
            ["productRestEndpointPageArn"] = PortalService.EndpointPageArn(found.Product, page),
            ["productRestEndpointPageId"] = page.ProductRestEndpointPageId,
            ["restEndpointIdentifier"] = new JsonObject { ["identifierParts"] = Wire(page.Identifier) },
            ["status"] = PortalStatus.Available,
            ["tryItState"] = page.TryItState,
        };
        if (raw) wire["rawDisplayContent"] = page.RawOperation;
        return wire;
    }

    private static JsonObject Paged<T>(OperationInput i, IReadOnlyList<T> all, Func<T, JsonObject> wire)
    {
        var (items, next) = PortalService.Page(all, i.String("maxResults"), i.String("nextToken"));
        var result = new JsonObject { ["items"] = new JsonArray([.. items.Select(wire)]) };
        if (next is not null) result["nextToken"] = next;
        return result;
    }

    private static JsonNode Timestamp(DateTimeOffset at) => JsonSerializer.SerializeToNode(at, WireJson.Options)!;
}
