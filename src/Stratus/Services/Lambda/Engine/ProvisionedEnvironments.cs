namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// The execution environments provisioned for one version or alias (PutProvisionedConcurrencyConfig): started ahead
/// of need, kept while the configuration lasts (never recycled for idleness), and used before on-demand ones.
/// </summary>
public sealed class ProvisionedEnvironments(int requested)
{
    private readonly Lock _gate = new();
    private readonly List<ExecutionEnvironment> _allocated = [];
    private readonly List<ExecutionEnvironment> _idle = [];
    private bool _retired;
    private string? _failure;

    public int Requested { get; } = requested;

    /// <summary>What the environments run (with AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency); null until resolved.</summary>
    public RunnableFunction? Function { get; set; }

    /// <summary>Environments started and alive, busy or not: AllocatedProvisionedConcurrentExecutions.</summary>
    public int Allocated
    {
        get { lock (_gate) return _allocated.Count(e => !e.IsDead); }
    }

    /// <summary>Allocated environments not running an invocation now: AvailableProvisionedConcurrentExecutions.</summary>
    public int Available
    {
        get { lock (_gate) return _idle.Count(e => !e.IsDead); }
    }

    /// <summary>AWS's statuses: IN_PROGRESS while environments start, READY once all requested are, FAILED when an init failed.</summary>
    public string Status
    {
        get
        {
            lock (_gate)
            {
                if (_failure is not null) return "FAILED";
                return _allocated.Count(e => !e.IsDead) >= Requested ? "READY" : "IN_PROGRESS";
            }
        }
    }

    public string? StatusReason
    {
        get { lock (_gate) return _failure; }
    }

    public void Fail(string reason)
    {
        lock (_gate) _failure ??= reason;
    }

    /// <summary>A started environment joins; false once retired (the caller discards it).</summary>
    public bool Add(ExecutionEnvironment environment)
    {
        lock (_gate)
        {
            if (_retired) return false;
            _allocated.Add(environment);
            _idle.Add(environment);
            return true;
        }
    }

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

    /// <summary>An environment back from an invocation; false once retired (the caller discards it).</summary>
    public bool Return(ExecutionEnvironment environment)
    {
        lock (_gate)
        {
            if (_retired) return false;
            _idle.Add(environment);
            return true;
        }
    }

    /// <summary>Drops a dead environment; true when the configuration still stands, so a replacement is due.</summary>
    public bool Forget(ExecutionEnvironment environment)
    {
        lock (_gate)
        {
            _allocated.Remove(environment);
            _idle.Remove(environment);
            return !_retired;
        }
    }

    /// <summary>Ends the configuration: the idle environments are handed back to be discarded, busy ones are discarded on return.</summary>
    public List<ExecutionEnvironment> Retire()
    {
        lock (_gate)
        {
            _retired = true;
            var idle = _idle.ToList();
            _idle.Clear();
            _allocated.Clear();
            return idle;
        }
    }
}
