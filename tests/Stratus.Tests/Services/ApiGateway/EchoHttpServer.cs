using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// A loopback HTTP server that answers every request with what it received as JSON (method, path, query,
/// headers, body) and an "X-Echo" header, for HTTP and HTTP_PROXY integrations to call.
/// </summary>
public sealed class EchoHttpServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _loop;

    public EchoHttpServer()
    {
        // HttpListener cannot bind port 0: probe for a free port, and probe again if another test took it meanwhile.
        for (var attempt = 1; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            _listener = new HttpListener();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                _listener.Start();
                BaseUrl = $"http://127.0.0.1:{port}";
                break;
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                _listener.Close();
            }
        }
        _loop = Task.Run(ServeAsync);
    }

    public string BaseUrl { get; } = "";

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
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
            var bytes = Encoding.UTF8.GetBytes(echo.ToJsonString());
            context.Response.StatusCode = context.Request.Url.AbsolutePath.StartsWith("/status/") ? int.Parse(context.Request.Url.AbsolutePath[8..]) : 200;
            context.Response.ContentType = "application/json";
            context.Response.Headers["X-Echo"] = "yes";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
