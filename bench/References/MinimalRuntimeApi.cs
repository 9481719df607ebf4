using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;

namespace Stratus.Bench.References;

/// <summary>
/// The least a Lambda Runtime API needs to do, in front of one function process: queue each invoke as an event,
/// hand it to the process's GET /next, and answer the invoke with what the process posts back. What Stratus does
/// beyond this (accounts, concurrency, scaling, logs, metrics) is what the comparison shows.
/// </summary>
public sealed class MinimalRuntimeApi(string[] command, IReadOnlyDictionary<string, string> variables, string address)
{
    private const string Prefix = "/2018-06-01/runtime/invocation";
    private const string FunctionArn = "arn:aws:lambda:us-east-1:000000000000:function:echo";
    private static readonly byte[] ColdStartEvent = "\"ping\""u8.ToArray();
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _restarting = new(1, 1);
    private FunctionProcess? _current;

    private sealed record Pending(byte[] Payload)
    {
        public string RequestId { get; } = Guid.NewGuid().ToString();
        public TaskCompletionSource<(int Status, byte[] Body)> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>One started process with its own event queue, so a replaced process can never take a newer one's event.</summary>
    private sealed class FunctionProcess(Process process)
    {
        public Process Process { get; } = process;
        public Channel<Pending> Events { get; } = Channel.CreateUnbounded<Pending>();
        public TaskCompletionSource FirstNext { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Map(WebApplication app)
    {
        app.MapGet($"{Prefix}/next", NextAsync);
        app.MapPost($"{Prefix}/{{id}}/response", http => CompleteAsync(http, StatusCodes.Status200OK));
        app.MapPost($"{Prefix}/{{id}}/error", http => CompleteAsync(http, StatusCodes.Status502BadGateway));
        app.MapPost("/invoke", InvokeAsync);
        app.MapPost("/restart", RestartAsync);
    }

    public void Launch() => Start();

    public void Stop()
    {
        if (_current is not { } function) return;
        function.Events.Writer.TryComplete();
        if (!function.Process.HasExited) function.Process.Kill(entireProcessTree: true);
        function.Process.WaitForExit();
    }

    private FunctionProcess Start()
    {
        var start = new ProcessStartInfo(command[0]) { UseShellExecute = false };
        foreach (var arg in command.Skip(1)) start.ArgumentList.Add(arg);
        // Only what a function's environment is given, as Stratus does: inherited variables can cost start-up time
        // (NODE_EXTRA_CA_CERTS alone makes Node read a whole CA bundle).
        start.Environment.Clear();
        start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (var (name, value) in variables) start.Environment[name] = value;
        start.Environment["AWS_LAMBDA_RUNTIME_API"] = address;
        var function = new FunctionProcess(new Process { StartInfo = start });
        _current = function;
        function.Process.Start();
        return function;
    }

    private async Task InvokeAsync(HttpContext http)
    {
        var (status, body) = await InvokeAsync(_current!, await Echo.ReadBodyAsync(http));
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = body.Length;
        await http.Response.Body.WriteAsync(body, http.RequestAborted);
    }

    private async Task<(int Status, byte[] Body)> InvokeAsync(FunctionProcess function, byte[] payload)
    {
        var pending = new Pending(payload);
        _pending[pending.RequestId] = pending;
        await function.Events.Writer.WriteAsync(pending);
        return await pending.Outcome.Task;
    }

    private async Task NextAsync(HttpContext http)
    {
        var function = _current!;
        function.FirstNext.TrySetResult();
        Pending next;
        try
        {
            next = await function.Events.Reader.ReadAsync(http.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            return;
        }
        var headers = http.Response.Headers;
        headers["Lambda-Runtime-Aws-Request-Id"] = next.RequestId;
        headers["Lambda-Runtime-Deadline-Ms"] = DateTimeOffset.UtcNow.AddSeconds(30).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        headers["Lambda-Runtime-Invoked-Function-Arn"] = FunctionArn;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = next.Payload.Length;
        await http.Response.Body.WriteAsync(next.Payload, http.RequestAborted);
    }

    private async Task CompleteAsync(HttpContext http, int status)
    {
        var body = await Echo.ReadBodyAsync(http);
        if (!_pending.TryRemove((string)http.Request.RouteValues["id"]!, out var pending))
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        pending.Outcome.TrySetResult((status, body));
        http.Response.StatusCode = StatusCodes.Status202Accepted;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync("{\"status\":\"OK\"}");
    }

    /// <summary>
    /// A cold start: the running process is stopped, a fresh one started with its first event already queued (as an
    /// invoke that finds no environment would be), and the answer is the time from start to its first GET /next and
    /// to its response, in milliseconds.
    /// </summary>
    private async Task RestartAsync(HttpContext http)
    {
        await _restarting.WaitAsync();
        try
        {
            Stop();
            var clock = Stopwatch.StartNew();
            var function = Start();
            var response = InvokeAsync(function, ColdStartEvent).WaitAsync(TimeSpan.FromSeconds(30));
            await function.FirstNext.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var next = clock.Elapsed.TotalMilliseconds;
            var (status, _) = await response;
            var answered = clock.Elapsed.TotalMilliseconds;
            http.Response.StatusCode = status;
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(FormattableString.Invariant($"{{\"nextMs\":{next:F2},\"responseMs\":{answered:F2}}}"));
        }
        finally
        {
            _restarting.Release();
        }
    }
}
