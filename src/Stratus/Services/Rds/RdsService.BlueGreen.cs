using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Rds.Engine;

namespace Stratus.Services.Rds;

/// <summary>
/// Blue/green deployments of DB instances: green is a real read replica of blue, made with CreateDBInstanceReadReplica's
/// code. The switchover stops blue taking writes (its server stops), waits until green has applied everything blue wrote,
/// promotes green and gives it blue's identifier, address and port; blue comes back as SOURCE-old1 at an address of its own.
/// </summary>
public sealed partial class RdsService
{
    /// <summary>RDS's default SwitchoverTimeout, in seconds.</summary>
    private const int DefaultSwitchoverTimeout = 300;
    private const string GreenSuffixAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    private readonly ResourceTable<BlueGreenDeployment> _blueGreen;

    public BlueGreenView CreateBlueGreenDeployment(Scope scope, CreateBlueGreenRequest request)
    {
        if (request.Source.Contains(":cluster:", StringComparison.Ordinal)) throw RdsErrors.SourceClusterNotSupported(request.Source);
        var blue = GetInstance(scope, request.Source);
        if (blue.ClusterIdentifier is not null) throw RdsErrors.SourceDatabaseNotSupported(blue.Identifier, $"it is a member of the DB cluster {blue.ClusterIdentifier}");
        if (request.StorageMembersGiven.Count > 0)
            throw RdsErrors.InvalidCombination($"Stratus does not change the green environment's storage ({string.Join(", ", request.StorageMembersGiven)}): its storage is the machine's disk.");
        if (request.TargetClusterParameterGroupName is not null)
            throw RdsErrors.InvalidCombination("TargetDBClusterParameterGroupName applies to a DB cluster source; the source is a DB instance.");
        // Stratus runs one version of each engine, so green runs blue's: a version it does not run is refused as RDS refuses an unknown one.
        if (request.TargetEngineVersion is { } version && EngineVersion(blue.Engine, version) != blue.EngineVersion)
            throw RdsErrors.InvalidCombination($"Stratus runs {blue.Engine} {blue.EngineVersion} only, so the green environment cannot run {version}.");
        if (BlueGreenIn(scope).FirstOrDefault(d => d.BlueResourceId == blue.ResourceId || d.GreenResourceId == blue.ResourceId) is { } existing
            && existing.Status != "SWITCHOVER_COMPLETED")
            throw RdsErrors.BlueGreenAlreadyExists($"The DB instance {blue.Identifier} is already in the blue/green deployment {existing.Identifier}.");
        if (BlueGreenIn(scope).Any(d => d.Name.Equals(request.Name, StringComparison.OrdinalIgnoreCase)))
            throw RdsErrors.BlueGreenAlreadyExists($"A blue/green deployment named {request.Name} already exists.");
        if (blue.ReplicaSourceIdentifier is not null) throw RdsErrors.SourceDatabaseNotSupported(blue.Identifier, "it is a read replica");
        if (ReplicasOf(blue).Count > 0)
            throw RdsErrors.SourceDatabaseNotSupported(blue.Identifier, "it has read replicas, which Stratus does not copy into the green environment");

        var suffix = "-green-" + new string(RandomNumberGenerator.GetItems<char>(GreenSuffixAlphabet, 6));
        var green = CreateReadReplica(scope, new CreateReplicaRequest
        {
            Identifier = blue.Identifier[..Math.Min(blue.Identifier.Length, 63 - suffix.Length)] + suffix,
            SourceIdentifier = blue.Identifier,
            InstanceClass = request.TargetInstanceClass,
            ParameterGroupName = request.TargetParameterGroupName,
            PubliclyAccessible = blue.PubliclyAccessible,
            Port = blue.Port,
            Tags = blue.Tags,
        });
        var deployment = new BlueGreenDeployment
        {
            AccountId = scope.AccountId,
            Region = scope.Region,
            Identifier = NewResourceId("bgd-")[..20].ToLowerInvariant(),
            Name = request.Name,
            BlueResourceId = blue.ResourceId,
            GreenResourceId = green.ResourceId,
            SourceArn = blue.Arn,
            TargetArn = green.Arn,
            Status = "PROVISIONING",
            CreateTime = Now,
            Tags = request.Tags,
        };
        _blueGreen.Put(BlueGreenKey(deployment), deployment);
        return ViewOf(deployment);
    }

    public RdsPage<BlueGreenView> DescribeBlueGreenDeployments(Scope scope, string? identifier, IReadOnlyList<RdsFilter> filters, string? marker, int? maxRecords)
    {
        var max = RdsRules.MaxRecords(maxRecords);
        var views = (identifier is not null ? [GetBlueGreen(scope, identifier)] : BlueGreenIn(scope)).Select(ViewOf);
        foreach (var filter in filters)
        {
            var values = filter.Values.ToHashSet(StringComparer.Ordinal);
            views = filter.Name switch
            {
                "blue-green-deployment-identifier" => views.Where(v => values.Contains(v.Deployment.Identifier)),
                "blue-green-deployment-name" => views.Where(v => values.Contains(v.Deployment.Name)),
                "source" => views.Where(v => values.Contains(v.SourceArn)),
                "target" => views.Where(v => values.Contains(v.TargetArn)),
                _ => throw RdsErrors.InvalidValue($"Unrecognized filter name: {filter.Name}"),
            };
        }
        return Page(views.OrderBy(v => v.Deployment.Identifier, StringComparer.Ordinal).ToList(), v => v.Deployment.Identifier, marker, max);
    }

    /// <summary>
    /// SwitchoverBlueGreenDeployment: answered SWITCHOVER_IN_PROGRESS; the switchover runs after the answer, within
    /// <paramref name="timeoutSeconds"/> for green to catch up, or blue is started again unchanged (rolled back, as RDS does).
    /// </summary>
    public BlueGreenView SwitchoverBlueGreenDeployment(Scope scope, string identifier, int? timeoutSeconds)
    {
        var deployment = GetBlueGreen(scope, identifier);
        if (deployment.Status != "AVAILABLE")
            throw RdsErrors.InvalidBlueGreenState($"The blue/green deployment {deployment.Identifier} is {deployment.Status}; it can be switched over when it is AVAILABLE.");
        var blue = InstanceByResourceId(deployment.BlueResourceId);
        var green = InstanceByResourceId(deployment.GreenResourceId);
        if (blue is not { Status: "available" } || green is not { Status: "available" })
            throw RdsErrors.InvalidBlueGreenState($"The blue/green deployment {deployment.Identifier} can be switched over when both of its DB instances are available.");
        var timeout = TimeSpan.FromSeconds(timeoutSeconds ?? DefaultSwitchoverTimeout);
        var switching = UpdateBlueGreen(deployment, d => d with { Status = "SWITCHOVER_IN_PROGRESS", StatusDetails = null });
        RunForInstance(blue, "blue/green switchover", async (current, token) =>
        {
            var greenGate = OperationLock(green.ResourceId);
            await greenGate.WaitAsync(token);
            try
            {
                await SwitchoverAsync(switching, current, timeout, token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
            {
                _logger.LogError(e, "The switchover of blue/green deployment {Deployment} failed", switching.Identifier);
                UpdateBlueGreen(switching, d => d with { Status = "SWITCHOVER_FAILED", StatusDetails = e.Message });
                await RestartStoppedAsync(switching, token);
            }
            finally
            {
                greenGate.Release();
            }
        });
        return ViewOf(switching);
    }

    private async Task SwitchoverAsync(BlueGreenDeployment deployment, DbInstance blue, TimeSpan timeout, CancellationToken token)
    {
        var fleet = RequireFleet();
        var engine = RequireEngine(blue.Engine);
        var green = InstanceByResourceId(deployment.GreenResourceId) ?? throw new InvalidOperationException("the green DB instance no longer exists");
        var blueServer = Server(blue);
        var greenServer = Server(green);
        var (blueAddress, port) = (blue.Address!, blue.Port);
        blue = Become(blue, "modifying");
        green = Become(green, "modifying");

        // Blue takes no more writes from here: its server stops, so what green must apply is fixed.
        var position = await blueServer.ReplicationPositionAsync(token);
        await fleet.StopAsync(blue.ResourceId);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(timeout);
        bool caughtUp;
        try
        {
            caughtUp = await greenServer.CatchUpAsync(position, deadline.Token);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            caughtUp = false;
        }
        if (!caughtUp)
        {
            await StartServerAsync(blue, token);
            Become(green, "available");
            UpdateBlueGreen(deployment, d => d with
            {
                Status = "AVAILABLE",
                StatusDetails = $"The switchover was rolled back: the green environment had not caught up within {timeout.TotalSeconds} seconds.",
            });
            return;
        }
        await greenServer.PromoteAsync(token);
        await fleet.StopAsync(green.ResourceId);

        // Green takes blue's identifier, address and port; blue becomes SOURCE-old1 (old2, ... when taken).
        var blueName = blue.Identifier;
        var oldName = Enumerable.Range(1, 99).Select(n => $"{blueName}-old{n}")
            .First(n => _instances.Get(InstanceKey(blue.AccountId, blue.Region, n)) is null);
        _instances.Remove(InstanceKey(blue.AccountId, blue.Region, blueName));
        _instances.Remove(InstanceKey(green.AccountId, green.Region, green.Identifier));
        var oldBlue = blue with { Identifier = oldName, Address = null };
        var newBlue = green with { Identifier = blueName, Port = port, ReplicaSourceIdentifier = null, BackupRetentionPeriod = blue.BackupRetentionPeriod };
        _instances.Put(InstanceKey(oldBlue.AccountId, oldBlue.Region, oldName), oldBlue);
        _instances.Put(InstanceKey(newBlue.AccountId, newBlue.Region, blueName), newBlue);
        fleet.ReleaseAddresses(blue.ResourceId);
        var address = await fleet.StartAsync(newBlue.ResourceId, engine, blueAddress, port, newBlue.PubliclyAccessible, token);
        Become(newBlue, "available", i => i with { Address = address });
        Event(newBlue, $"Blue/green deployment {deployment.Identifier}: switched over, this DB instance (formerly {green.Identifier}) now serves {blueName}'s endpoint", "configuration change");
        await StartServerAsync(oldBlue, token);
        Event(InstanceByResourceId(oldBlue.ResourceId)!, $"Blue/green deployment {deployment.Identifier}: switched over, renamed from {blueName}", "configuration change");
        UpdateBlueGreen(deployment, d => d with { Status = "SWITCHOVER_COMPLETED", StatusDetails = null });
    }

    /// <summary>After a failed switchover, each of its instances whose server it had stopped runs again at its recorded address.</summary>
    private async Task RestartStoppedAsync(BlueGreenDeployment deployment, CancellationToken token)
    {
        foreach (var instance in new[] { deployment.BlueResourceId, deployment.GreenResourceId }.Select(InstanceByResourceId).OfType<DbInstance>())
        {
            if (Server(instance).IsRunning) continue;
            try
            {
                await StartServerAsync(instance, token);
            }
            catch (DbStartException e)
            {
                Become(instance, "failed");
                Event(instance, $"The DB instance could not start again after the failed switchover: {e.Message}", "failure");
            }
        }
    }

    /// <summary>
    /// DeleteBlueGreenDeployment: the deployment goes at once; with DeleteTarget the green instance is deleted too
    /// (refused after a switchover, when green has become production), otherwise it stays, replicating from blue.
    /// </summary>
    public BlueGreenView DeleteBlueGreenDeployment(Scope scope, string identifier, bool deleteTarget)
    {
        var deployment = GetBlueGreen(scope, identifier);
        if (deployment.Status == "SWITCHOVER_IN_PROGRESS")
            throw RdsErrors.InvalidBlueGreenState($"The blue/green deployment {deployment.Identifier} is switching over; it can be deleted once the switchover ends.");
        if (deleteTarget && deployment.Status == "SWITCHOVER_COMPLETED")
            throw RdsErrors.InvalidBlueGreenState("DeleteTarget can't be specified once the switchover is completed: the green environment is production now.");
        var view = ViewOf(deployment) with { DeleteTime = Now };
        if (deleteTarget && InstanceByResourceId(deployment.GreenResourceId) is { } green)
            DeleteInstance(scope, green.Identifier, skipFinalSnapshot: true, finalSnapshotIdentifier: null);
        _blueGreen.Remove(BlueGreenKey(deployment));
        return view with { Deployment = deployment with { Status = "DELETING" } };
    }

    /// <summary>The deployment as it stands: PROVISIONING becomes AVAILABLE once green is available (INVALID_CONFIGURATION if it failed).</summary>
    private BlueGreenView ViewOf(BlueGreenDeployment deployment)
    {
        var blue = InstanceByResourceId(deployment.BlueResourceId);
        var green = InstanceByResourceId(deployment.GreenResourceId);
        if (deployment.Status == "PROVISIONING" && green?.Status is "available" or "failed" or null)
            deployment = UpdateBlueGreen(deployment, d => d with { Status = green?.Status == "available" ? "AVAILABLE" : "INVALID_CONFIGURATION" });
        var switchover = deployment.Status switch
        {
            _ when blue is null => "MISSING_SOURCE",
            _ when green is null => "MISSING_TARGET",
            "INVALID_CONFIGURATION" => "SWITCHOVER_FAILED",
            var status => status,
        };
        var task = green?.Status switch
        {
            "creating" => "IN_PROGRESS",
            "failed" or null => "FAILED",
            _ => "COMPLETED",
        };
        return new BlueGreenView(deployment, blue?.Arn ?? deployment.SourceArn, green?.Arn ?? deployment.TargetArn, switchover, task);
    }

    public BlueGreenDeployment GetBlueGreen(Scope scope, string identifier) =>
        _blueGreen.Get(BlueGreenKey(scope.AccountId, scope.Region, identifier)) ?? throw RdsErrors.BlueGreenNotFound(identifier);

    /// <summary>After a restart of Stratus: a switchover cut short is reported failed, as its instances may be half moved.</summary>
    private void RecoverBlueGreen()
    {
        foreach (var deployment in _blueGreen.Values.Where(d => d.Status == "SWITCHOVER_IN_PROGRESS").ToList())
            UpdateBlueGreen(deployment, d => d with { Status = "SWITCHOVER_FAILED", StatusDetails = "Stratus stopped during the switchover." });
    }

    private IEnumerable<BlueGreenDeployment> BlueGreenIn(Scope scope) =>
        _blueGreen.Values.Where(d => d.AccountId == scope.AccountId && d.Region == scope.Region);

    private BlueGreenDeployment? BlueGreenByArnName(Scope scope, string identifier) => _blueGreen.Get(BlueGreenKey(scope.AccountId, scope.Region, identifier));

    private DbInstance? InstanceByResourceId(string resourceId) => _instances.Values.FirstOrDefault(i => i.ResourceId == resourceId);

    private BlueGreenDeployment UpdateBlueGreen(BlueGreenDeployment deployment, Func<BlueGreenDeployment, BlueGreenDeployment> change) =>
        _blueGreen.Update(BlueGreenKey(deployment), change) ?? throw RdsErrors.BlueGreenNotFound(deployment.Identifier);

    private static string BlueGreenKey(string accountId, string region, string identifier) => ResourceTable<BlueGreenDeployment>.Key(accountId, region, identifier);

    private static string BlueGreenKey(BlueGreenDeployment d) => BlueGreenKey(d.AccountId, d.Region, d.Identifier);
}
