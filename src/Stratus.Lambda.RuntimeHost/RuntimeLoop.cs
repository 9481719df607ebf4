namespace Stratus.Lambda.RuntimeHost;

/// <summary>Binds the handler named by _HANDLER, then serves events from the Runtime API until the process is stopped.</summary>
public static class RuntimeLoop
{
    /// <summary>
    /// A pre-started host binds and invokes a handler of its own once while it waits, so that loading an
    /// assembly in a load context, reflecting over it, invoking and setting variables are compiled and their
    /// types loaded before a function is assigned: the assigned function's cold start then pays only for its own code.
    /// </summary>
    private static void WarmUp()
    {
        var handler = FunctionHandler.Bind($"{typeof(WarmUpFunction).Assembly.GetName().Name}::{typeof(WarmUpFunction).FullName}::{nameof(WarmUpFunction.Echo)}",
            AppContext.BaseDirectory);
        using var output = handler.InvokeAsync(new NextInvocation("warm-up", 0, "", null, "{}"u8.ToArray())).GetAwaiter().GetResult();
        output.CopyTo(Stream.Null);
        Environment.SetEnvironmentVariable("STRATUS_WARM_UP", "1");
        Environment.SetEnvironmentVariable("STRATUS_WARM_UP", null);
    }

    public static int Run()
    {
        var api = new RuntimeApiClient(Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API")
            ?? throw new InvalidOperationException("AWS_LAMBDA_RUNTIME_API is not set: this host runs inside a Lambda execution environment."));
        if (Environment.GetEnvironmentVariable("STRATUS_STANDBY") == "1")
        {
            WarmUp();
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

/// <summary>
/// The handler a pre-started host warms up with: what most functions' first invoke touches (text decoding
/// and casing, a response stream), so that its cost is paid before a function is waiting.
/// </summary>
public static class WarmUpFunction
{
    public static Stream Echo(Stream input)
    {
        using var reader = new StreamReader(input);
        return new MemoryStream(System.Text.Encoding.UTF8.GetBytes(reader.ReadToEnd().ToUpperInvariant()));
    }
}
