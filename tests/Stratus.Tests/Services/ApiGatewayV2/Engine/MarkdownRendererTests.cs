using Stratus.Services.ApiGatewayV2.Engine;

namespace Stratus.Tests.Services.ApiGatewayV2.Engine;

/// <summary>Portal pages' markdown: the blocks and inlines rendered, raw HTML and script URLs never passed through, nesting bounded.</summary>
public class MarkdownRendererTests
{
    [Fact]
    public void Blocks_render_as_their_elements()
    {
        var html = MarkdownRenderer.ToHtml("# Title\n\nSome *text*\nacross lines.\n\n- one\n- two\n\n1. first\n2. second\n\n> quoted\n\n---\n\n```json\n{\"a\": \"<b>\"}\n```\n");
        Assert.Contains("<h1>Title</h1>", html);
        Assert.Contains("<p>Some <em>text</em>\nacross lines.</p>", html);
        Assert.Contains("<ul>\n<li>one</li>\n<li>two</li>\n</ul>", html);
        Assert.Contains("<ol>\n<li>first</li>\n<li>second</li>\n</ol>", html);
        Assert.Contains("<blockquote><p>quoted</p></blockquote>", html);
        Assert.Contains("<hr>", html);
        Assert.Contains("<pre><code class=\"language-json\">{&quot;a&quot;: &quot;&lt;b&gt;&quot;}\n</code></pre>", html);
    }

    [Fact]
    public void Pipe_tables_render_with_header_and_escaped_pipes()
    {
        var html = MarkdownRenderer.ToHtml("| Name | In |\n| --- | --- |\n| a\\|b | `path` |\n");
        Assert.Contains("<thead><tr><th>Name</th><th>In</th></tr></thead>", html);
        Assert.Contains("<tr><td>a|b</td><td><code>path</code></td></tr>", html);
    }

    [Fact]
    public void Inlines_render_and_code_spans_stay_literal()
    {
        var html = MarkdownRenderer.ToHtml("**bold** and `*not em*` and [link](https://example.com/a) and ![logo](/logo.png)");
        Assert.Equal("<p><strong>bold</strong> and <code>*not em*</code> and <a href=\"https://example.com/a\">link</a> and <img src=\"/logo.png\" alt=\"logo\"></p>\n", html);
    }

    [Fact]
    public void Raw_html_is_escaped_and_script_urls_are_dropped()
    {
        var html = MarkdownRenderer.ToHtml("<script>alert(1)</script>\n\n[x](javascript:alert(1)) ![y](data:text/html,hi)");
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;", html);
        Assert.DoesNotContain("javascript:", html);
        Assert.DoesNotContain("data:", html);
    }

    [Fact]
    public void Deep_inline_nesting_is_bounded()
    {
        var deep = string.Concat(Enumerable.Repeat("[*", 2000)) + "x" + string.Concat(Enumerable.Repeat("*](a)", 2000));
        var html = MarkdownRenderer.ToHtml(deep);
        Assert.StartsWith("<p>", html);
    }
}
