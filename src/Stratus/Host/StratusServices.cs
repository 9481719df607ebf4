using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Services.Iam;
using Stratus.Services.Rds;
using Stratus.Services.Rds.Engine;
using Stratus.Services.Sts;

namespace Stratus.Host;

/// <summary>
/// The composition root: builds each service's domain, wires services to each other through their
/// domain interfaces (never over HTTP), and owns their lifetimes.
/// </summary>
public sealed class StratusServices : IAsyncDisposable
{
    private readonly StateStore _store;

    private StratusServices(StateStore store, IReadOnlyList<IStratusService> all, CredentialResolver credentials, IamService iam, StsService sts)
    {
        _store = store;
        All = all;
        Credentials = credentials;
        Iam = iam;
        Sts = sts;
    }

    public IReadOnlyList<IStratusService> All { get; }
    public CredentialResolver Credentials { get; }
    public IamService Iam { get; }
    public StsService Sts { get; }

    public static StratusServices Compose(StratusOptions options, StateStore store, TimeProvider clock, ILoggerFactory logging)
    {
        var iam = new IamService(store, clock);
        var sts = new StsService(store, clock, iam);
        var sources = new List<ICredentialSource> { iam, sts };
        if (options.RootKey is { } root) sources.Insert(0, new RootCredentialSource(root.AccessKeyId, root.SecretAccessKey));

        var rds = new RdsService(store, clock, MariaDbInstallation.Find(), options.DataDir, options.Host, logging.CreateLogger("Stratus.rds.engine"));

        IStratusService[] all = [new IamApi(iam), new StsApi(sts), new RdsApi(rds)];
        foreach (var service in all) service.Endpoint.Logger = logging.CreateLogger("Stratus." + service.Name);
        return new StratusServices(store, all, new CredentialResolver(sources), iam, sts);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var service in All.OfType<IDisposable>()) service.Dispose();
        _store.Dispose();
        return ValueTask.CompletedTask;
    }
}
