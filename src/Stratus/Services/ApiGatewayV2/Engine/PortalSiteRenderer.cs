using System.Text;
using System.Text.RegularExpressions;
using static Stratus.Services.ApiGatewayV2.Engine.MarkdownRenderer;

namespace Stratus.Services.ApiGatewayV2.Engine;

/// <summary>
/// A portal's static website, rendered when it is published or previewed: a home page listing its products; per product, a page with
/// its overview page, its product pages and its endpoint pages by section (its DisplayOrder first, then the rest); per page, the page.
/// Links are relative to the site's root, which the data plane names with a base element, so one rendering serves both URL forms.
/// An endpoint page with try it enabled has a form that calls the REST API's stage on Stratus's path form (same origin, so no CORS).
/// </summary>
public static partial class PortalSiteRenderer
{
    [GeneratedRegex(@"\{([^}]+)\}")]
    private static partial Regex PathParameter();

    public static PortalSite Render(PortalDocument portal, IReadOnlyList<PortalProductDocument> products, bool tryIt)
    {
        var pages = new Dictionary<string, string>(StringComparer.Ordinal) { [""] = Home(portal, products) };
        foreach (var product in products)
        {
            var root = $"products/{product.PortalProductId}/";
            pages[root.TrimEnd('/')] = Product(portal, product);
            foreach (var page in product.Pages.Values)
                pages[$"{root}pages/{page.ProductPageId}"] = Page(portal, page.DisplayContent.Title,
                    $"<h1>{Escape(page.DisplayContent.Title)}</h1>\n{ToHtml(page.DisplayContent.Body)}", root);
            foreach (var page in product.EndpointPages.Values)
                pages[$"{root}endpoints/{page.ProductRestEndpointPageId}"] = Endpoint(portal, page, root, tryIt);
        }
        return new PortalSite(pages);
    }

    /// <summary>A stored page as served: the document's head begins with the base element naming the site's root on this URL form.</summary>
    public static string Serve(string siteRoot, string page) => $"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<base href=\"{Escape(siteRoot)}\">\n{page}";

    private static string Home(PortalDocument portal, IReadOnlyList<PortalProductDocument> products)
    {
        var body = new StringBuilder();
        body.Append("<h1>").Append(Escape(portal.Content.DisplayName)).Append("</h1>\n");
        if (portal.Content.Description is { Length: > 0 } description) body.Append("<p>").Append(Escape(description)).Append("</p>\n");
        body.Append("<h2>Products</h2>\n<ul class=\"products\">\n");
        foreach (var product in products)
        {
            body.Append("<li><a href=\"products/").Append(product.PortalProductId).Append("/\">").Append(Escape(product.DisplayName)).Append("</a>");
            if (product.Description is { Length: > 0 } productDescription) body.Append(" &mdash; ").Append(Escape(productDescription));
            body.Append("</li>\n");
        }
        body.Append("</ul>\n");
        return Page(portal, portal.Content.DisplayName, body.ToString(), null);
    }

    private static string Product(PortalDocument portal, PortalProductDocument product)
    {
        var body = new StringBuilder();
        body.Append("<h1>").Append(Escape(product.DisplayName)).Append("</h1>\n");
        if (product.Description is { Length: > 0 } description) body.Append("<p>").Append(Escape(description)).Append("</p>\n");
        var order = product.DisplayOrder;
        var pagesByArn = product.Pages.Values.ToDictionary(p => PortalService.PageArn(product, p), StringComparer.Ordinal);
        if (order.OverviewPageArn is { } overviewArn && pagesByArn.TryGetValue(overviewArn, out var overview))
            body.Append("<section class=\"overview\">\n").Append(ToHtml(overview.DisplayContent.Body)).Append("</section>\n");
        var listedPages = (order.ProductPageArns ?? []).Where(pagesByArn.ContainsKey).Select(a => pagesByArn[a]).ToList();
        var pages = listedPages.Concat(product.Pages.Values.Except(listedPages).OrderBy(p => p.DisplayContent.Title, StringComparer.Ordinal)).ToList();
        if (pages.Count > 0)
        {
            body.Append("<h2>Documentation</h2>\n<ul class=\"pages\">\n");
            foreach (var page in pages)
                body.Append("<li><a href=\"products/").Append(product.PortalProductId).Append("/pages/").Append(page.ProductPageId).Append("\">")
                    .Append(Escape(page.DisplayContent.Title)).Append("</a></li>\n");
            body.Append("</ul>\n");
        }
        var endpointsByArn = product.EndpointPages.Values.ToDictionary(p => PortalService.EndpointPageArn(product, p), StringComparer.Ordinal);
        var sections = (order.Contents ?? []).Select(s => (s.SectionName, Pages: s.ProductRestEndpointPageArns.Where(endpointsByArn.ContainsKey).Select(a => endpointsByArn[a]).ToList())).ToList();
        var unlisted = product.EndpointPages.Values.Except(sections.SelectMany(s => s.Pages)).OrderBy(p => p.Identifier.Path, StringComparer.Ordinal)
            .ThenBy(p => p.Identifier.Method, StringComparer.Ordinal).ToList();
        if (unlisted.Count > 0) sections.Add(("Endpoints", unlisted));
        foreach (var (name, endpoints) in sections)
        {
            body.Append("<h2>").Append(Escape(name)).Append("</h2>\n<ul class=\"endpoints\">\n");
            foreach (var endpoint in endpoints)
                body.Append("<li><a href=\"products/").Append(product.PortalProductId).Append("/endpoints/").Append(endpoint.ProductRestEndpointPageId).Append("\"><code>")
                    .Append(Escape(endpoint.Identifier.Method.ToUpperInvariant())).Append("</code> ").Append(Escape(endpoint.Shown.OperationName ?? endpoint.Identifier.Path))
                    .Append("</a></li>\n");
            body.Append("</ul>\n");
        }
        return Page(portal, product.DisplayName, body.ToString(), null);
    }

    private static string Endpoint(PortalDocument portal, ProductRestEndpointPage page, string productRoot, bool tryIt)
    {
        var shown = page.Shown;
        var method = page.Identifier.Method.ToUpperInvariant();
        var body = new StringBuilder();
        body.Append("<h1>").Append(Escape(shown.OperationName ?? page.Identifier.Path)).Append("</h1>\n");
        body.Append("<p class=\"endpoint\"><code>").Append(Escape(method)).Append("</code> <code>").Append(Escape(shown.Endpoint)).Append("</code></p>\n");
        if (shown.Body is { } markdown) body.Append(ToHtml(markdown));
        if (tryIt && page.TryItState == PortalStatus.TryItEnabled) AppendTryIt(body, page, method);
        return Page(portal, shown.OperationName ?? page.Identifier.Path, body.ToString(), productRoot);
    }

    /// <summary>
    /// The try it form: the path's parameters, a query string and a body; it calls the stage's path form relative to the page's origin
    /// (Stratus serves it on every host), and shows the status and the body of the answer.
    /// </summary>
    private static void AppendTryIt(StringBuilder body, ProductRestEndpointPage page, string method)
    {
        var invoke = "/_aws/execute-api/" + Uri.EscapeDataString(page.Identifier.RestApiId) + "/" + Uri.EscapeDataString(page.Identifier.Stage);
        body.Append("<h2>Try it</h2>\n<form class=\"try-it\" data-invoke=\"").Append(Escape(invoke)).Append("\" data-path=\"").Append(Escape(page.Identifier.Path)).Append("\">\n");
        body.Append("<label>Method <select name=\"method\">");
        foreach (var choice in method == "ANY" ? ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] : new[] { method })
            body.Append("<option>").Append(Escape(choice)).Append("</option>");
        body.Append("</select></label>\n");
        foreach (Match parameter in PathParameter().Matches(page.Identifier.Path))
        {
            var name = parameter.Groups[1].Value.TrimEnd('+');
            body.Append("<label>").Append(Escape(name)).Append(" <input data-path-param name=\"").Append(Escape(name)).Append("\" required></label>\n");
        }
        body.Append("<label>Query string <input name=\"query\" placeholder=\"name=value&amp;other=value\"></label>\n");
        body.Append("<label>Body <textarea name=\"body\" rows=\"6\"></textarea></label>\n");
        body.Append("<button type=\"submit\">Try it</button>\n<pre><output></output></pre>\n</form>\n");
        body.Append("""
            <script>
            document.querySelector("form.try-it").addEventListener("submit", async event => {
              event.preventDefault();
              const form = event.target;
              let path = form.dataset.path;
              for (const input of form.querySelectorAll("[data-path-param]")) {
                const greedy = path.includes("{" + input.name + "+}");
                const value = greedy ? input.value.split("/").map(encodeURIComponent).join("/") : encodeURIComponent(input.value);
                path = path.replace("{" + input.name + (greedy ? "+}" : "}"), value);
              }
              const query = form.elements.query.value;
              const init = { method: form.elements.method.value };
              if (!["GET", "HEAD"].includes(init.method) && form.elements.body.value) {
                init.body = form.elements.body.value;
                init.headers = { "Content-Type": "application/json" };
              }
              const output = form.querySelector("output");
              try {
                const response = await fetch(form.dataset.invoke + path + (query ? "?" + query : ""), init);
                output.textContent = response.status + " " + response.statusText + "\n\n" + await response.text();
              } catch (error) {
                output.textContent = String(error);
              }
            });
            </script>

            """);
    }

    /// <summary>A page with the portal's header, theme and navigation; <paramref name="back"/> links up to the product page.</summary>
    private static string Page(PortalDocument portal, string title, string content, string? back)
    {
        var colors = portal.Content.Theme.CustomColors;
        var html = new StringBuilder();
        html.Append("<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
            .Append(Escape(title)).Append(" - ").Append(Escape(portal.Content.DisplayName)).Append("</title>\n<style>\n")
            .Append("body{margin:0;font-family:system-ui,sans-serif;background:").Append(colors.BackgroundColor).Append(";color:").Append(colors.TextColor).Append("}\n")
            .Append("header{background:").Append(colors.HeaderColor).Append(";padding:0.75em 1.5em;display:flex;align-items:center;gap:1em}\n")
            .Append("header img{max-height:2.5em}\nheader a{color:inherit;text-decoration:none;font-weight:600}\n")
            .Append("nav{background:").Append(colors.NavigationColor).Append(";padding:0.5em 1.5em}\n")
            .Append("main{padding:1em 1.5em;max-width:60em}\na{color:").Append(colors.AccentColor).Append("}\n")
            .Append("table{border-collapse:collapse}td,th{border:1px solid;padding:0.25em 0.5em}\npre{overflow:auto}\n")
            .Append("form.try-it label{display:block;margin:0.5em 0}\nform.try-it :invalid{border-color:").Append(colors.ErrorValidationColor).Append("}\n")
            .Append("</style>\n</head>\n<body>\n<header>");
        if (portal.LogoUri is { } logo && SafeUrl(logo) != "#" && logo.Contains("://", StringComparison.Ordinal))
            html.Append("<img src=\"").Append(Escape(logo)).Append("\" alt=\"\">");
        html.Append("<a href=\"./\">").Append(Escape(portal.Content.DisplayName)).Append("</a></header>\n<nav><a href=\"./\">Products</a>");
        if (back is not null) html.Append(" / <a href=\"").Append(Escape(back)).Append("\">Back to the product</a>");
        html.Append("</nav>\n<main>\n").Append(content).Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }
}
