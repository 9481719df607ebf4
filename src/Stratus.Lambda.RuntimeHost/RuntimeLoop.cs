namespace Stratus.Lambda.RuntimeHost;

/// <summary>Binds the handler named by _HANDLER, then serves events from the Runtime API until the process is stopped.</summary>
public static class RuntimeLoop
{
    public static int Run()
    {
        var api = new RuntimeApiClient(Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API")
            ?? throw new InvalidOperationException("AWS_LAMBDA_RUNTIME_API is not set: this host runs inside a Lambda execution environment."));
        if (Environment.GetEnvironmentVariable("STRATUS_STANDBY") == "1")
        {
            foreach (var (name, value) in api.Assignment()) Environment.SetEnvironmentVariable(name, value);
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
            api.InitError(e.ErrorType, e.Message);
            return 1;
        }

        while (true)
        {
            var next = api.Next();
            Environment.SetEnvironmentVariable("_X_AMZN_TRACE_ID", next.TraceId);
            Stream output;
            try
            {
                output = handler.InvokeAsync(next).GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                var error = FunctionHandler.Unwrap(e);
                Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ}\t{next.RequestId}\tfail\t{ErrorDocument.From(error)}");
                api.Error(next.RequestId, error);
                continue;
            }
            Console.Out.Flush();
            api.Respond(next.RequestId, output);
        }
    }
}
