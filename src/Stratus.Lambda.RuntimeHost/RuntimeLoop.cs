namespace Stratus.Lambda.RuntimeHost;

/// <summary>Binds the handler named by _HANDLER, then serves events from the Runtime API until the process is stopped.</summary>
public static class RuntimeLoop
{
    public static async Task<int> RunAsync()
    {
        var api = new RuntimeApiClient(Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API")
            ?? throw new InvalidOperationException("AWS_LAMBDA_RUNTIME_API is not set: this host runs inside a Lambda execution environment."));
        if (Environment.GetEnvironmentVariable("STRATUS_STANDBY") == "1")
        {
            foreach (var (name, value) in await api.AssignmentAsync()) Environment.SetEnvironmentVariable(name, value);
            // Stratus narrowed this host's memory cgroup to the function's size before the assignment: the GC sizes its heap to it.
            GC.RefreshMemoryLimit();
        }

        FunctionHandler handler;
        try
        {
            handler = FunctionHandler.Bind(Environment.GetEnvironmentVariable("_HANDLER") ?? "",
                Environment.GetEnvironmentVariable("LAMBDA_TASK_ROOT") ?? Directory.GetCurrentDirectory());
        }
        catch (HandlerBindingException e)
        {
            Console.WriteLine($"{e.ErrorType}: {e.Message}");
            await api.InitErrorAsync(e.ErrorType, e.Message);
            return 1;
        }

        while (true)
        {
            var next = await api.NextAsync();
            Environment.SetEnvironmentVariable("_X_AMZN_TRACE_ID", next.TraceId);
            Stream output;
            try
            {
                output = await handler.InvokeAsync(next);
            }
            catch (Exception e)
            {
                var error = FunctionHandler.Unwrap(e);
                Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ}\t{next.RequestId}\tfail\t{ErrorDocument.From(error)}");
                await api.ErrorAsync(next.RequestId, error);
                continue;
            }
            await Console.Out.FlushAsync();
            await api.RespondAsync(next.RequestId, output);
        }
    }
}
