using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Protocols.SigV4;
using Stratus.Services.Iam.Engine;

namespace Stratus.Host;

/// <summary>
/// Stratus itself: one Kestrel endpoint in front of every service, the state store they share, and
/// the engines they run, started and stopped together.
/// </summary>
public sealed class StratusServer : IAsyncDisposable
{
    private const long MaxRequestBytes = 128L * 1024 * 1024;
    private readonly WebApplication _app;
    private readonly StratusServices _services;

    private StratusServer(WebApplication app, StratusServices services, Uri baseUrl, ConsoleAccess consoleAccess)
    {
        _app = app;
        _services = services;
        BaseUrl = baseUrl;
        ConsoleAccess = consoleAccess;
    }

    public Uri BaseUrl { get; }
    /// <summary>Who may see /_stratus/: everyone in accept mode, holders of the console token in verify mode.</summary>
    public ConsoleAccess ConsoleAccess { get; }
    public StratusServices Services => _services;

    public static async Task<StratusServer> StartAsync(StratusOptions options, CancellationToken cancellation = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        var clock = TimeProvider.System;
        var certificate = OptionalTls.CreateDevelopmentCertificate(clock, Regions.Known);
        // A socket's unsent output may reach two of FileRange's blocks (Kestrel's default is 64 KB): the next block of a
        // blob or an object is read, and encrypted where TLS is spoken, while the kernel sends the one before, instead of
        // each flush waiting for the socket to drain below 32 KB before the next block starts.
        // A receive goes straight into a buffer instead of first waiting for data with an empty one: Kestrel receives into
        // its 4 KB pool blocks, and with the wait every 4 KB of a request body cost two receive calls (a 100 MB PutObject
        // made 51,932 of them); the price is one 4 KB block held by each idle connection.
        builder.WebHost.UseSockets(sockets =>
        {
            sockets.MaxWriteBufferSize = 2 * FileRange.BlockBytes;
            sockets.WaitForDataBeforeAllocatingBuffer = false;
        });
        // Each receive takes at most one block of the connection's memory pool: 64 KB blocks instead of Kestrel's 4 KB
        // (ConnectionBlockPool). The transport takes the pool factory from the services, the last one registered.
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>, ConnectionBlockPoolFactory>();
        // The services are composed once Kestrel is configured; no connection arrives before they are.
        StratusServices? composed = null;
        bool RequiresClientCertificate(string serverName) => composed?.CustomDomains.RequiresClientCertificate(serverName) ?? false;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxRequestBytes;
            if (options.Host is "localhost") kestrel.ListenLocalhost(options.Port, listen => listen.UseOptionalTls(certificate, RequiresClientCertificate, FileSendingConnection.Around));
            else kestrel.Listen(IPAddress.Parse(options.Host), options.Port, listen => listen.UseOptionalTls(certificate, RequiresClientCertificate, FileSendingConnection.Around));
        });

        var store = options.DataDir is null ? StateStore.Ephemeral() : StateStore.Open(options.DataDir);
        var app = builder.Build();
        var address = new StratusAddress();
        var services = StratusServices.Compose(options, store, clock, app.Services.GetRequiredService<ILoggerFactory>(), address);
        composed = services;
        var registry = new ServiceRegistry(services.All);
        var router = new RequestRouter(registry, services.Credentials, options, new SigV4Verifier(clock), new RequestAuthorizer(services.Iam, clock, services.Authorizations),
            new AccessRecorder(services.Iam, services.Authorizations));
        var health = new HealthEndpoint(registry, options, clock, new InvokeUrls(services.ApiGateway, services.ApiGatewayV2, services.Lambda));
        var access = ConsoleAccess.For(options);

        // Longest paths first, so /_stratus/cost/... is not taken by the console at /_stratus.
        var pages = services.Pages.OrderByDescending(p => p.Path.Length).ToArray();
        // WebSocket APIs' connections upgrade on the same port (ApiGatewayV2's WebSocketSessions).
        app.UseWebSockets();
        app.Run(http => AnsweredWhenDurableAsync(store, http, Handle));
        Task Handle(HttpContext http)
        {
            if (HttpMethods.IsGet(http.Request.Method))
            {
                if (http.Request.Path.StartsWithSegments(ConsoleAccess.LoginPath)) return access.LoginAsync(http);
                if (http.Request.Path.StartsWithSegments("/_stratus/health")) return health.WriteAsync(http, detailed: access.Allows(http.Request));
                if (pages.FirstOrDefault(p => p.Matches(http.Request.Path)) is { } page)
                    return page.AuthorizesItself || access.Allows(http.Request) ? page.Handler(http) : access.RefuseAsync(http);
            }
            foreach (var interceptor in services.Interceptors)
                if (interceptor.Claims(http.Request)) return interceptor.HandleAsync(http);
            return router.RouteAsync(http);
        }

        try
        {
            await app.StartAsync(cancellation);
        }
        catch
        {
            await services.DisposeAsync();
            store.Dispose();
            throw;
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var baseUrl = new Uri(bound.Replace("[::]", "localhost"));
        address.Bind(baseUrl);
        return new StratusServer(app, services, baseUrl, access);
    }

    /// <summary>
    /// Runs a request so that it answers success only once what it committed to the state file is on the disk: the
    /// response's headers wait for the WAL's group commit (a call that wrote nothing waits for nothing), and so does the
    /// end of a response that committed while its body streamed. A failed sync fails the request instead of answering it.
    /// </summary>
    private static async Task AnsweredWhenDurableAsync(StateStore store, HttpContext http, RequestDelegate handle)
    {
        var commits = store.TrackCommits();
        http.Response.OnStarting(() => store.WhenDurableAsync(commits));
        await handle(http);
        await store.WhenDurableAsync(commits);
    }

    public Task WaitForShutdownAsync(CancellationToken cancellation) => _app.WaitForShutdownAsync(cancellation);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _services.DisposeAsync();
        await _app.DisposeAsync();
    }
}
