using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Stratus.Tests.Infrastructure;

/// <summary>
/// A loopback HTTP server a test starts for Stratus to call (an integration's backend, an OpenID issuer): it binds a free
/// port on 127.0.0.1 and answers each request with <see cref="AnswerAsync"/> until disposed.
/// </summary>
public abstract class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _loop;

    protected LoopbackHttpServer()
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

    /// <summary>http://127.0.0.1:PORT, without a trailing slash.</summary>
    public string BaseUrl { get; } = "";

    /// <summary>Sets the response's status and headers and returns its body; the base writes and closes it.</summary>
    protected abstract Task<byte[]> AnswerAsync(HttpListenerContext context);

    /// <summary>The request's body as UTF-8 text.</summary>
    protected static async Task<string> BodyAsync(HttpListenerRequest request)
    {
        using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

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
            var bytes = await AnswerAsync(context);
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public virtual void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
        GC.SuppressFinalize(this);
    }
}
