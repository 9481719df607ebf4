using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Stratus.Protocols;

namespace Stratus.Services.Lambda.Engine;

/// <summary>What the engine needs to run one function version, resolved by the domain.</summary>
/// <param name="CodeDir">The code (a zip function) or the unpacked root file system (an image function, see <paramref name="Image"/>).</param>
/// <param name="PoolKey">Function ARN, version and configuration revision: environments are only reused for the same one.</param>
/// <param name="OptDir">The function's layers merged (see <see cref="LayerMount"/>), mounted at /opt; null without layers.</param>
/// <param name="IsExtensionHandler">A CloudFormation extension's handler (<see cref="IExtensionHandlerRunner"/>): no function of the account, so no Lambda metrics.</param>
public sealed record RunnableFunction(
    string AccountId,
    string Region,
    string FunctionArn,
    string PoolKey,
    FunctionConfig Config,
    string CodeDir,
    int? ReservedConcurrency,
    IReadOnlyDictionary<string, string> Variables,
    ImageLaunch? Image = null,
    string? OptDir = null,
    bool IsExtensionHandler = false);

/// <summary>One finished invocation, for the logs and metrics written off the invoke path.</summary>
public sealed record InvocationRecord(RunnableFunction Function, Invocation Invocation, InvocationOutcome Outcome, ExecutionEnvironment? Environment,
    double DurationMs, double? InitDurationMs, DateTimeOffset Started, int ConcurrentExecutions);

/// <summary>
/// Runs invocations in execution environments: warm reuse (most recently used first, so idle ones age
/// out), cold starts when none is free, scale-out up to the concurrency limits, timeouts, and recycling.
/// The invoke path takes no lock beyond a per-version pool's push/pop.
/// </summary>
public sealed class LambdaEngine : IAsyncDisposable
{
    private readonly RuntimeApiServer _api;
    private readonly RuntimeLauncher _launcher;
    private readonly LambdaSettings _settings;
    private readonly Action<InvocationRecord> _finished;
    private readonly Func<FunctionConfig, IReadOnlyDictionary<string, string>> _credentials;
    private readonly ConcurrentDictionary<string, EnvironmentPool> _pools = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<int>> _inFlightByFunction = new(StringComparer.Ordinal);
    private readonly Timer _idleSweep;
    private readonly ConcurrentQueue<ExecutionEnvironment> _standbyHosts = new();
    private readonly ConcurrentDictionary<string, ProvisionedEnvironments> _provisioned = new(StringComparer.Ordinal);
    /// <summary>A standby host's limit until a function is assigned to it and it takes that function's size.</summary>
    private const int LargestMemorySizeMb = 10240;
    private int _unreservedInFlight;
    private int _standbyStarting;

    private LambdaEngine(RuntimeApiServer api, RuntimeLauncher launcher, LambdaSettings settings, Action<InvocationRecord> finished,
        Func<FunctionConfig, IReadOnlyDictionary<string, string>> credentials)
    {
        _credentials = credentials;
        _api = api;
        _launcher = launcher;
        _settings = settings;
        _finished = finished;
        var sweep = TimeSpan.FromSeconds(Math.Clamp(settings.IdleTimeout.TotalSeconds / 4, 1, 60));
        _idleSweep = new Timer(_ => RecycleIdle(), null, sweep, sweep);
    }

    /// <param name="credentials">An environment's AWS credentials, asked once per environment.</param>
    public static async Task<LambdaEngine> StartAsync(string workDir, LambdaSettings settings, Action<InvocationRecord> finished,
        Func<FunctionConfig, IReadOnlyDictionary<string, string>> credentials) =>
        new(await RuntimeApiServer.StartAsync(),
            new RuntimeLauncher(workDir, settings.EnforceMemory ? MemoryLimits.Detect() : MemoryLimits.Disabled("turned off by STRATUS_LAMBDA_MEMORY_LIMITS=off")),
            settings, finished, credentials);

    /// <summary>What isolates functions, or what does not and why (the health page).</summary>
    public string Isolation => $"{_launcher.SandboxDescription}; memory limits {_launcher.MemoryLimits.Description}; {_launcher.MemoryLimits.ProcessLimitDescription}; {_launcher.SdkDescription}";

    /// <summary>Runs the invocation to its end: a caller that goes away does not stop it, as on AWS.</summary>
    /// <param name="provisioned">The provisioned environments of the qualifier invoked: an idle one of them runs the
    /// invocation before any on-demand one, as AWS serves a qualifier's invokes from its provisioned concurrency first.</param>
    public async Task<InvocationRecord> InvokeAsync(RunnableFunction function, Invocation invocation, int unreservedLimit,
        ProvisionedEnvironments? provisioned = null)
    {
        var concurrent = Acquire(function, unreservedLimit);
        if (provisioned?.TakeIdle() is { } ready)
        {
            try
            {
                return Finished(provisioned.Function!, invocation, await RunProvisionedAsync(provisioned, ready, invocation), ready, null, concurrent,
                    DateTimeOffset.UtcNow, Stopwatch.GetTimestamp());
            }
            finally
            {
                Release(function);
            }
        }
        var started = DateTimeOffset.UtcNow;
        var startTimestamp = Stopwatch.GetTimestamp();
        ExecutionEnvironment? environment = null;
        double? initDuration = null;
        InvocationOutcome? outcome = null;
        try
        {
            var pool = _pools.GetOrAdd(function.PoolKey, _ => new EnvironmentPool());
            environment = pool.TakeIdle();
            if (environment is null)
            {
                (environment, outcome) = await ColdStartAsync(function, invocation.RequestId, invocation);
                initDuration = environment?.InitDurationMs;
            }
            if (outcome is null)
            {
                outcome = await RunAsync(environment!, function, invocation);
                if (!environment!.IsDead) pool.Return(environment, Stopwatch.GetTimestamp());
                else Discard(environment);
            }
        }
        finally
        {
            Release(function);
        }
        return Finished(function, invocation, outcome, environment, initDuration, concurrent, started, startTimestamp);
    }

    private InvocationRecord Finished(RunnableFunction function, Invocation invocation, InvocationOutcome outcome, ExecutionEnvironment? environment,
        double? initDuration, int concurrent, DateTimeOffset started, long startTimestamp)
    {
        var duration = invocation.StartedTimestamp != 0 && invocation.CompletedTimestamp != 0
            ? Stopwatch.GetElapsedTime(invocation.StartedTimestamp, invocation.CompletedTimestamp)
            : Stopwatch.GetElapsedTime(startTimestamp);
        var record = new InvocationRecord(function, invocation, outcome, environment, duration.TotalMilliseconds, initDuration, started, concurrent);
        _finished(record);
        return record;
    }

    private async Task<InvocationOutcome> RunAsync(ExecutionEnvironment environment, RunnableFunction function, Invocation invocation)
    {
        var timeout = TimeSpan.FromSeconds(function.Config.Timeout);
        invocation.DeadlineUnixMs = DateTimeOffset.UtcNow.Add(timeout).ToUnixTimeMilliseconds();
        invocation.StartedTimestamp = Stopwatch.GetTimestamp();
        environment.Dispatch(invocation);
        try
        {
            return await invocation.Completion.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            environment.Kill();
            var outcome = InvocationOutcome.Failure("Sandbox.Timedout",
                $"RequestId: {invocation.RequestId} Error: Task timed out after {function.Config.Timeout.ToString("0.00", CultureInfo.InvariantCulture)} seconds");
            invocation.AddOutput($"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {invocation.RequestId} Task timed out after {function.Config.Timeout.ToString("0.00", CultureInfo.InvariantCulture)} seconds");
            invocation.Complete(outcome);
            return outcome;
        }
    }

    private async Task<InvocationOutcome> RunProvisionedAsync(ProvisionedEnvironments provisioned, ExecutionEnvironment environment, Invocation invocation)
    {
        var outcome = await RunAsync(environment, provisioned.Function!, invocation);
        if (environment.IsDead || !provisioned.Return(environment))
        {
            Discard(environment);
            // AWS keeps the requested number allocated: an environment lost to a crash or a timeout is replaced.
            if (provisioned.Forget(environment)) _ = StartProvisionedAsync(provisioned);
        }
        return outcome;
    }

    /// <summary>
    /// Starts the requested number of environments for a version or alias ahead of its invokes, their init run at once
    /// with AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency (in <paramref name="function"/>'s variables), replacing
    /// what the key had. The function is awaited first: an image function's root file system may still be unpacking.
    /// </summary>
    public ProvisionedEnvironments Provision(string key, Task<RunnableFunction> function, int count)
    {
        var provisioned = new ProvisionedEnvironments(count);
        if (_provisioned.TryRemove(key, out var previous)) foreach (var environment in previous.Retire()) Discard(environment);
        _provisioned[key] = provisioned;
        _ = Task.Run(async () =>
        {
            try
            {
                provisioned.Function = await function;
            }
            catch (Exception e) when (e is AwsException or IOException or InvalidOperationException)
            {
                provisioned.Fail(e.Message);
                return;
            }
            for (var i = 0; i < count; i++) _ = StartProvisionedAsync(provisioned);
        });
        return provisioned;
    }

    public ProvisionedEnvironments? Provisioned(string key) => _provisioned.GetValueOrDefault(key);

    /// <summary>Stops a key's provisioned environments: idle ones now, busy ones when their invocation ends.</summary>
    public void Deprovision(string key)
    {
        if (_provisioned.TryRemove(key, out var provisioned)) foreach (var environment in provisioned.Retire()) Discard(environment);
    }

    private async Task StartProvisionedAsync(ProvisionedEnvironments provisioned)
    {
        var (environment, failure) = await ColdStartAsync(provisioned.Function!, "provisioned-concurrency", null);
        if (failure is not null || environment is null)
        {
            // AWS's reason for a provisioned environment whose init failed.
            provisioned.Fail("FUNCTION_ERROR_INIT_FAILURE");
            return;
        }
        if (!provisioned.Add(environment)) Discard(environment);
    }

    /// <summary>A new environment, ready for its first event; or the error its start failed with (it is then discarded).</summary>
    /// <param name="invocation">The invocation that waits for it, which takes what a failed init wrote; null for a provisioned start.</param>
    private async Task<(ExecutionEnvironment? Environment, InvocationOutcome? Failure)> ColdStartAsync(RunnableFunction function, string requestId,
        Invocation? invocation)
    {
        if ((function.Image is null ? _launcher.CannotStart(function.Config, function.CodeDir, function.OptDir) : CannotStartImage(function.Image)) is { } reason)
            return (null, InvocationOutcome.Failure("Runtime.InvalidEntrypoint", $"RequestId: {requestId} Error: {reason}"));

        // The stream name is public (logs) while the id names the environment's scratch folders and cgroup: they differ.
        // In a LoggingConfig log group, which functions may share, AWS puts the function's name in the stream's name.
        var owner = function.Config.Logging?.LogGroup is null ? "" : function.Config.FunctionName;
        var stream = $"{DateTimeOffset.UtcNow:yyyy/MM/dd}/{owner}[{function.Config.Version}]{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}";
        var variables = new Dictionary<string, string>(function.Variables, StringComparer.Ordinal) { ["AWS_LAMBDA_LOG_STREAM_NAME"] = stream };
        foreach (var (name, value) in _credentials(function.Config)) variables[name] = value;
        var environment = UsesDotnetHost(function.Config) ? AssignStandbyHost(function, stream, variables) : null;
        if (environment is null)
        {
            environment = new ExecutionEnvironment(NewId(), function.Config, function.FunctionArn, stream, Stopwatch.GetTimestamp());
            try
            {
                var runtimeApi = await _api.RegisterAsync(environment);
                environment.Attach(function.Image is { } image
                    ? _launcher.StartImage(environment, function.CodeDir, image, runtimeApi, variables)
                    : _launcher.Start(environment, function.CodeDir, runtimeApi, variables, function.OptDir));
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                Discard(environment);
                return (null, InvocationOutcome.Failure("Runtime.InvalidEntrypoint", $"RequestId: {requestId} Error: {e.Message}"));
            }
        }

        InvocationOutcome? failure;
        try
        {
            failure = await environment.Initialized.WaitAsync(_settings.InitTimeout);
        }
        catch (TimeoutException)
        {
            failure = InvocationOutcome.Failure("Runtime.Unknown",
                $"RequestId: {requestId} Error: Init timed out after {_settings.InitTimeout.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} seconds");
        }
        environment.InitDurationMs = Stopwatch.GetElapsedTime(environment.StartedTimestamp).TotalMilliseconds;
        if (failure is null) return (environment, null);
        if (invocation is not null) environment.TakeInitOutput(invocation);
        Discard(environment);
        return (environment, failure);
    }

    /// <summary>Why an image function cannot start: AWS's error when neither the image nor ImageConfig gives a command.</summary>
    private static string? CannotStartImage(ImageLaunch image) =>
        image.Command.Count == 0 ? "Couldn't find valid entrypoint: the image sets neither ENTRYPOINT nor CMD and ImageConfig gives neither." : null;

    /// <summary>Why image functions cannot run on this machine (bubblewrap missing or unable to sandbox), or null.</summary>
    public string? ImageSandboxUnavailable => _launcher.ImageSandboxUnavailable;

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static bool UsesDotnetHost(FunctionConfig config) =>
        RuntimeCatalog.IsDotnet(config.Runtime ?? "") && config.Handler?.Contains("::", StringComparison.Ordinal) == true;

    /// <summary>
    /// A pre-started .NET runtime host, given this function: its code is linked into the host's task root and
    /// its variables handed over, so the cold start skips process and runtime start-up. Null when none is ready.
    /// Using one starts its replacement in the background.
    /// </summary>
    private ExecutionEnvironment? AssignStandbyHost(RunnableFunction function, string stream, Dictionary<string, string> variables)
    {
        // A standby host was started before any function was known, so without the /opt a function's layers need.
        if (_settings.StandbyDotnetHosts == 0 || function.OptDir is not null) return null;
        ExecutionEnvironment? standby = null;
        while (standby is null && _standbyHosts.TryDequeue(out var candidate))
            if (!candidate.IsDead) standby = candidate;
        ReplenishStandbyHosts();
        if (standby is null) return null;
        try
        {
            _launcher.Populate(standby, function.CodeDir);
            standby.Cgroup?.Limit(function.Config.MemorySize);
        }
        catch (IOException)
        {
            Discard(standby);
            return null;
        }
        variables["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + function.Config.Runtime;
        standby.Assign(function.Config, function.FunctionArn, stream, variables);
        return standby;
    }

    private void ReplenishStandbyHosts()
    {
        if (_standbyHosts.Count + Volatile.Read(ref _standbyStarting) >= _settings.StandbyDotnetHosts) return;
        Interlocked.Increment(ref _standbyStarting);
        _ = Task.Run(async () =>
        {
            var placeholder = new FunctionConfig { FunctionName = "", Role = "", LastModified = "", Runtime = "dotnet10", Handler = "standby::standby::standby",
                MemorySize = LargestMemorySizeMb };
            var standby = new ExecutionEnvironment(NewId(), placeholder, "", "", Stopwatch.GetTimestamp());
            try
            {
                Directory.CreateDirectory(_launcher.StandbyTaskRoot(standby));
                standby.Attach(_launcher.StartStandbyDotnetHost(standby, await _api.RegisterAsync(standby)));
                _standbyHosts.Enqueue(standby);
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                Discard(standby);
            }
            finally
            {
                Interlocked.Decrement(ref _standbyStarting);
            }
        });
    }

    private int Acquire(RunnableFunction function, int unreservedLimit)
    {
        var counter = _inFlightByFunction.GetOrAdd(function.FunctionArn, _ => new StrongBox<int>());
        var mine = Interlocked.Increment(ref counter.Value);
        if (function.ReservedConcurrency is { } reserved)
        {
            if (mine <= reserved) return mine;
            Interlocked.Decrement(ref counter.Value);
            throw Throttled("ReservedFunctionConcurrentInvocationLimitExceeded");
        }
        if (Interlocked.Increment(ref _unreservedInFlight) <= unreservedLimit) return mine;
        Interlocked.Decrement(ref _unreservedInFlight);
        Interlocked.Decrement(ref counter.Value);
        throw Throttled("ConcurrentInvocationLimitExceeded");
    }

    private void Release(RunnableFunction function)
    {
        if (_inFlightByFunction.TryGetValue(function.FunctionArn, out var counter)) Interlocked.Decrement(ref counter.Value);
        if (function.ReservedConcurrency is null) Interlocked.Decrement(ref _unreservedInFlight);
    }

    public static AwsException Throttled(string reason) => new("TooManyRequestsException", "Rate Exceeded.", 429)
    {
        Fields = new Dictionary<string, string> { ["Type"] = "User", ["Reason"] = reason },
    };

    /// <summary>Stops reusing a function's environments (after an update or delete): idle ones die now, busy ones when they finish.</summary>
    public void Retire(string functionArn)
    {
        foreach (var (key, pool) in _pools)
        {
            if (!key.StartsWith(functionArn + ":", StringComparison.Ordinal)) continue;
            if (_pools.TryRemove(key, out _))
                foreach (var environment in pool.Retire()) Discard(environment);
        }
    }

    private void RecycleIdle()
    {
        var cutoff = Stopwatch.GetTimestamp() - (long)(_settings.IdleTimeout.TotalSeconds * Stopwatch.Frequency);
        foreach (var pool in _pools.Values)
            foreach (var environment in pool.TakeIdleSince(cutoff)) Discard(environment);
    }

    private void Discard(ExecutionEnvironment environment)
    {
        environment.Kill();
        _api.Unregister(environment);
        _launcher.CleanUp(environment);
    }

    public async ValueTask DisposeAsync()
    {
        await _idleSweep.DisposeAsync();
        foreach (var pool in _pools.Values) pool.Retire();
        _pools.Clear();
        foreach (var provisioned in _provisioned.Values) provisioned.Retire();
        _provisioned.Clear();
        foreach (var environment in _api.Environments.ToList()) Discard(environment);
        await _api.DisposeAsync();
        _launcher.MemoryLimits.Dispose();
    }

    /// <summary>The idle environments of one function version and configuration.</summary>
    private sealed class EnvironmentPool
    {
        private readonly Lock _gate = new();
        private readonly List<ExecutionEnvironment> _idle = [];
        private bool _retired;

        public ExecutionEnvironment? TakeIdle()
        {
            lock (_gate)
            {
                while (_idle.Count > 0)
                {
                    var environment = _idle[^1];
                    _idle.RemoveAt(_idle.Count - 1);
                    if (!environment.IsDead) return environment;
                }
                return null;
            }
        }

        public void Return(ExecutionEnvironment environment, long now)
        {
            environment.IdleSinceTimestamp = now;
            lock (_gate)
            {
                if (!_retired)
                {
                    _idle.Add(environment);
                    return;
                }
            }
            environment.Kill();
        }

        public List<ExecutionEnvironment> TakeIdleSince(long cutoff)
        {
            lock (_gate)
            {
                var stale = _idle.Where(e => e.IdleSinceTimestamp < cutoff || e.IsDead).ToList();
                _idle.RemoveAll(stale.Contains);
                return stale;
            }
        }

        public List<ExecutionEnvironment> Retire()
        {
            lock (_gate)
            {
                _retired = true;
                var all = _idle.ToList();
                _idle.Clear();
                return all;
            }
        }
    }
}

/// <summary>Engine tunables, from STRATUS_LAMBDA_* environment variables.</summary>
public sealed record LambdaSettings
{
    /// <summary>The account's concurrent executions, sized for the machine unless set.</summary>
    public int AccountConcurrency { get; init; } = Math.Max(20, Environment.ProcessorCount * 50);
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);
    public TimeSpan InitTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>.NET runtime hosts kept started ahead of need once a .NET function has run (cold starts then skip process start-up).</summary>
    public int StandbyDotnetHosts { get; init; } = 1;
    /// <summary>Whether functions are held to their memory size (where the kernel lets Stratus make memory cgroups).</summary>
    public bool EnforceMemory { get; init; } = true;
    /// <summary>The wait before an Event invocation's first retry; the second waits twice as long (AWS: one and two minutes).</summary>
    public TimeSpan EventRetryDelay { get; init; } = TimeSpan.FromMinutes(1);

    public int MinimumUnreserved => Math.Max(1, AccountConcurrency / 10);

    public static LambdaSettings FromEnvironment()
    {
        var settings = new LambdaSettings();
        if (Number("STRATUS_LAMBDA_CONCURRENCY") is { } concurrency) settings = settings with { AccountConcurrency = (int)concurrency };
        if (Number("STRATUS_LAMBDA_IDLE_SECONDS") is { } idle) settings = settings with { IdleTimeout = TimeSpan.FromSeconds(idle) };
        if (Number("STRATUS_LAMBDA_EVENT_RETRY_SECONDS") is { } retry) settings = settings with { EventRetryDelay = TimeSpan.FromSeconds(retry) };
        if (Environment.GetEnvironmentVariable("STRATUS_LAMBDA_DOTNET_STANDBY") is { } standby && int.TryParse(standby, out var hosts) && hosts >= 0)
            settings = settings with { StandbyDotnetHosts = hosts };
        if (string.Equals(Environment.GetEnvironmentVariable("STRATUS_LAMBDA_MEMORY_LIMITS"), "off", StringComparison.OrdinalIgnoreCase))
            settings = settings with { EnforceMemory = false };
        return settings;
    }

    private static double? Number(string name) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;
}
