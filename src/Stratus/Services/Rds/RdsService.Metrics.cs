using Stratus.Services.CloudWatch;
using Stratus.Services.Rds.Engine;

namespace Stratus.Services.Rds;

/// <summary>
/// The AWS/RDS metrics of every running instance, measured from its server once a minute (and once as soon as it becomes
/// available): DatabaseConnections and, on replicas, ReplicaLag as the server reports them; CPUUtilization, ReadThroughput
/// and WriteThroughput from the server's process tree in /proc; ReadIOPS/WriteIOPS from its block-I/O cgroup;
/// FreeStorageSpace of the file system its data lives on.
/// Only what is measured is published: a value the server or /proc cannot give is left out, never made up.
/// </summary>
public sealed partial class RdsService
{
    public const string MetricsNamespace = "AWS/RDS";
    private static readonly TimeSpan MetricsPeriod = TimeSpan.FromMinutes(1);

    private RdsMetricsSampler? _sampler;

    /// <summary>How ReadIOPS/WriteIOPS are measured here, or why they are not published.</summary>
    public string? StorageCounting => _fleet?.StorageCounting;

    /// <summary>Starts publishing the instances' metrics into CloudWatch; they stop with the service.</summary>
    public void PublishMetrics(IMetricPublisher metrics)
    {
        if (_fleet is null || _sampler is not null) return;
        _sampler = new RdsMetricsSampler(metrics, _clock);
        var token = _shutdown.Token;
        var task = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(MetricsPeriod, _clock);
            try
            {
                do await SampleAllAsync(token);
                while (await timer.WaitForNextTickAsync(token));
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
        }, CancellationToken.None);
        _background.TryAdd(task, 0);
        task.ContinueWith(t => _background.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task SampleAllAsync(CancellationToken token)
    {
        foreach (var instance in _instances.Values.Where(i => i.Status == "available").ToList())
            await SampleAsync(instance, token);
    }

    /// <summary>Samples one instance now (a server that just became available gets its first datapoints without waiting a minute).</summary>
    private void SampleSoon(DbInstance instance)
    {
        if (_sampler is null) return;
        var token = _shutdown.Token;
        var task = Task.Run(() => SampleAsync(instance, token), CancellationToken.None);
        _background.TryAdd(task, 0);
        task.ContinueWith(t => _background.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task SampleAsync(DbInstance instance, CancellationToken token)
    {
        if (_sampler is null || _fleet?.EngineFor(instance.Engine) is not { } engine) return;
        var server = _fleet.Server(instance.ResourceId, engine);
        if (!server.IsRunning) return;
        try
        {
            await _sampler.SampleAsync(instance, server, token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A server restarting or stopping under the sample: the next minute measures again.
            _logger.LogDebug("Sampling the metrics of {Instance} failed: {Message}", instance.Identifier, e.Message);
        }
    }
}
