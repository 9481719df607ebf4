using Microsoft.Extensions.Logging;
using Stratus.WebConsole;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.CloudWatch;
using Stratus.Services.Iam;
using Stratus.Services.Lambda;
using Stratus.Services.Logs;
using Stratus.Services.Sts;

namespace Stratus.Host;

/// <summary>
/// The composition root: builds each service's domain, wires services to each other through their
/// domain interfaces (never over HTTP), and owns their lifetimes.
/// </summary>
public sealed class StratusServices : IAsyncDisposable
{
    private readonly StateStore _store;

    private StratusServices(StateStore store, IReadOnlyList<IStratusService> all, CredentialResolver credentials, IamService iam, StsService sts,
        CloudWatchService cloudWatch, LogsService logs, IReadOnlyList<IStratusPage> pages)
    {
        _store = store;
        All = all;
        Credentials = credentials;
        Iam = iam;
        Sts = sts;
        CloudWatch = cloudWatch;
        Logs = logs;
        Pages = pages;
    }

    public IReadOnlyList<IStratusService> All { get; }
    public CredentialResolver Credentials { get; }
    public IamService Iam { get; }
    public StsService Sts { get; }
    /// <summary>Where Lambda and API Gateway publish their metrics.</summary>
    public CloudWatchService CloudWatch { get; }
    /// <summary>Where Lambda writes its functions' logs.</summary>
    public LogsService Logs { get; }
    /// <summary>The pages for people under /_stratus/.</summary>
    public IReadOnlyList<IStratusPage> Pages { get; }

    public static StratusServices Compose(StratusOptions options, StateStore store, TimeProvider clock, ILoggerFactory logging)
    {
        var iam = new IamService(store, clock);
        var sts = new StsService(store, clock, iam);
        var sources = new List<ICredentialSource> { iam, sts };
        if (options.RootKey is { } root) sources.Insert(0, new RootCredentialSource(root.AccessKeyId, root.SecretAccessKey));

        var lambdaForAlarms = new LateBoundLambdaInvoker();
        var cloudWatch = new CloudWatchService(store, clock, lambdaForAlarms, logging.CreateLogger("Stratus.cloudwatch"));

        var logs = new LogsService(store, clock, cloudWatch, logging.CreateLogger("Stratus.logs"));

        IStratusService[] all = [new IamApi(iam), new StsApi(sts), new CloudWatchApi(cloudWatch), new LogsApi(logs)];
        foreach (var service in all) service.Endpoint.Logger = logging.CreateLogger("Stratus." + service.Name);
        IStratusPage[] pages = [new StratusConsole(all, cloudWatch, logs, clock)];
        return new StratusServices(store, all, new CredentialResolver(sources), iam, sts, cloudWatch, logs, pages);
    }

    /// <summary>
    /// CloudWatch is built before Lambda (which publishes its metrics into it), so alarm actions reach
    /// Lambda through this: set <see cref="Target"/> once Lambda exists. Until then actions fail with a clear reason.
    /// </summary>
    private sealed class LateBoundLambdaInvoker : ILambdaInvoker
    {
        public ILambdaInvoker? Target { get; set; }

        public Task<LambdaInvokeResult> InvokeAsync(LambdaInvokeRequest request, CancellationToken cancellation) =>
            Target?.InvokeAsync(request, cancellation)
            ?? throw new AwsException("ServiceUnavailableException", $"Lambda is not available in this Stratus yet, so {request.Function} cannot be invoked.", 503);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var service in All.OfType<IDisposable>()) service.Dispose();
        _store.Dispose();
        return ValueTask.CompletedTask;
    }
}
