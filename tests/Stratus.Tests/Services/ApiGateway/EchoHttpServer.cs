using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// A loopback HTTP server that answers every request with what it received as JSON (method, path, query,
/// headers, body) and an "X-Echo" header, for HTTP and HTTP_PROXY integrations to call.
/// </summary>
public sealed class EchoHttpServer : LoopbackHttpServer
{
    protected override async Task<byte[]> AnswerAsync(HttpListenerContext context)
    {
        var body = await BodyAsync(context.Request);
        var headers = new JsonObject();
        foreach (var name in context.Request.Headers.AllKeys.OfType<string>()) headers[name.ToLowerInvariant()] = context.Request.Headers[name];
        var query = new JsonObject();
        foreach (var name in context.Request.QueryString.AllKeys.OfType<string>()) query[name] = context.Request.QueryString[name];
        var echo = new JsonObject
        {
            ["method"] = context.Request.HttpMethod,
            ["path"] = context.Request.Url!.AbsolutePath,
            ["query"] = query,
            ["headers"] = headers,
            ["body"] = body,
        };
        context.Response.StatusCode = context.Request.Url.AbsolutePath.StartsWith("/status/") ? int.Parse(context.Request.Url.AbsolutePath[8..]) : 200;
        context.Response.ContentType = "application/json";
        context.Response.Headers["X-Echo"] = "yes";
        return Encoding.UTF8.GetBytes(echo.ToJsonString());
    }
}
