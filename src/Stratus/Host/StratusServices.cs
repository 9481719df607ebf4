using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Services.CloudWatch;
using Stratus.Services.Iam;
using Stratus.Services.Lambda;
using Stratus.Services.Lambda.Engine;
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

    private readonly string? _ephemeralWorkDir;

    private StratusServices(StateStore store, IReadOnlyList<IStratusService> all, CredentialResolver credentials, IamService iam, StsService sts,
        LambdaService lambda, string? ephemeralWorkDir)
    {
        _store = store;
        _ephemeralWorkDir = ephemeralWorkDir;
        Lambda = lambda;
        All = all;
        Credentials = credentials;
        Iam = iam;
        Sts = sts;
    }

    public IReadOnlyList<IStratusService> All { get; }
    public CredentialResolver Credentials { get; }
    public IamService Iam { get; }
    public StsService Sts { get; }
    public LambdaService Lambda { get; }

    public static StratusServices Compose(StratusOptions options, StateStore store, TimeProvider clock, ILoggerFactory logging)
    {
        var iam = new IamService(store, clock);
        var sts = new StsService(store, clock, iam);
        var sources = new List<ICredentialSource> { iam, sts };
        if (options.RootKey is { } root) sources.Insert(0, new RootCredentialSource(root.AccessKeyId, root.SecretAccessKey));

        // Function code and runtime clients live under the data dir; an ephemeral Stratus uses a temp dir it removes on shutdown.
        var ephemeralWorkDir = options.DataDir is null ? Directory.CreateTempSubdirectory("stratus-lambda-").FullName : null;
        var lambda = LambdaService.Start(store, clock, iam, sts, new NoLogWriter(), new NoMetricPublisher(),
            ephemeralWorkDir ?? Path.Combine(options.DataDir!, "lambda"), LambdaSettings.FromEnvironment(), $"http://{options.Host}:{options.Port}");

        IStratusService[] all = [new IamApi(iam), new StsApi(sts), new LambdaApi(lambda)];
        foreach (var service in all) service.Endpoint.Logger = logging.CreateLogger("Stratus." + service.Name);
        return new StratusServices(store, all, new CredentialResolver(sources), iam, sts, lambda, ephemeralWorkDir);
    }

    /// <summary>Tells services that hand Stratus's address to what they run (Lambda's AWS_ENDPOINT_URL) where it listens.</summary>
    public void Started(Uri baseUrl) => Lambda.SetStratusUrl(baseUrl.ToString());

    public async ValueTask DisposeAsync()
    {
        await Lambda.DisposeAsync();
        foreach (var service in All.OfType<IDisposable>()) service.Dispose();
        _store.Dispose();
        if (_ephemeralWorkDir is not null)
        {
            try { Directory.Delete(_ephemeralWorkDir, recursive: true); }
            catch (IOException) { }
        }
    }

    // Until CloudWatch and Logs are composed here, Lambda's logs and metrics go nowhere.
    private sealed class NoLogWriter : ILogWriter
    {
        public void Append(string accountId, string region, string logGroup, string logStream, IReadOnlyList<LogLine> lines) { }
    }

    private sealed class NoMetricPublisher : IMetricPublisher
    {
        public void Publish(MetricDatum datum) { }
    }
}
