using System.Reflection;

namespace Stratus.Lambda.RuntimeHost;

/// <summary>
/// The function's own ILambdaContext interface (from its Amazon.Lambda.Core), implemented at run time:
/// members are answered by name, so any assembly with those names binds.
/// </summary>
public class LambdaContext : DispatchProxy
{
    private NextInvocation _next = null!;
    private Type _interface = null!;

    public static object Create(Type contextInterface, NextInvocation next)
    {
        var proxy = typeof(DispatchProxy).GetMethod(nameof(DispatchProxy.Create), 2, [])!
            .MakeGenericMethod(contextInterface, typeof(LambdaContext)).Invoke(null, null)!;
        var context = (LambdaContext)proxy;
        context._next = next;
        context._interface = contextInterface;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var name = targetMethod?.Name ?? "";
        return name switch
        {
            "get_AwsRequestId" => _next.RequestId,
            "get_FunctionName" => Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_NAME"),
            "get_FunctionVersion" => Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_VERSION"),
            "get_InvokedFunctionArn" => _next.InvokedFunctionArn,
            "get_LogGroupName" => Environment.GetEnvironmentVariable("AWS_LAMBDA_LOG_GROUP_NAME"),
            "get_LogStreamName" => Environment.GetEnvironmentVariable("AWS_LAMBDA_LOG_STREAM_NAME"),
            "get_MemoryLimitInMB" => int.TryParse(Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), out var mb) ? mb : 128,
            "get_RemainingTime" => TimeSpan.FromMilliseconds(Math.Max(0, _next.DeadlineUnixMs - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())),
            "get_Logger" => targetMethod!.ReturnType.IsInterface ? LambdaLogger.Create(targetMethod.ReturnType) : null,
            _ => targetMethod is null ? null : Default(targetMethod.ReturnType),
        };
    }

    private static object? Default(Type type) => type.IsValueType && type != typeof(void) ? Activator.CreateInstance(type) : null;

    public override string ToString() => $"{_interface.Name} for {_next.RequestId}";
}

/// <summary>The function's ILambdaLogger: every Log* call writes its message to the function's output.</summary>
public class LambdaLogger : DispatchProxy
{
    public static object Create(Type loggerInterface) =>
        typeof(DispatchProxy).GetMethod(nameof(DispatchProxy.Create), 2, [])!
            .MakeGenericMethod(loggerInterface, typeof(LambdaLogger)).Invoke(null, null)!;

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod?.Name.StartsWith("Log", StringComparison.Ordinal) == true && args is { Length: > 0 })
            Console.WriteLine(args[^1]?.ToString());
        return null;
    }
}
