using System.Text;
using Amazon.Lambda.Core;

[assembly: LambdaSerializer(typeof(Amazon.Lambda.Serialization.SystemTextJson.DefaultLambdaJsonSerializer))]

namespace DotnetFunctions;

public sealed class Echo
{
    /// <summary>Stream in, stream out: the payload back, upper-cased.</summary>
    public Stream Handle(Stream input, ILambdaContext context)
    {
        using var reader = new StreamReader(input);
        return new MemoryStream(Encoding.UTF8.GetBytes(reader.ReadToEnd().ToUpperInvariant()));
    }
}

public sealed record GreetingRequest(string Name);

public sealed record GreetingResponse(string GreetingText, string RequestId, string FunctionName, bool HasTimeLeft, int MemoryLimitInMb);

public static class Greeter
{
    public static async Task<GreetingResponse> GreetAsync(GreetingRequest request, ILambdaContext context)
    {
        context.Logger.LogLine($"greeting {request.Name}");
        await Task.Yield();
        return new GreetingResponse($"Hello, {request.Name}", context.AwsRequestId, context.FunctionName,
            context.RemainingTime > TimeSpan.Zero, context.MemoryLimitInMB);
    }
}

public sealed class Failing
{
    public Task ThrowAsync() => throw new InvalidOperationException("the order is not valid");
}

public sealed record ProcessFacts(DateTime ProcessStartedUtc, string? FunctionName, string? ExecutionEnv, string? TaskRoot, string? Greeting);

public static class Facts
{
    /// <summary>When this environment's process started and what it was told: proves a pre-started host was given this function.</summary>
    public static ProcessFacts Describe() => new(
        System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime(),
        Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_NAME"),
        Environment.GetEnvironmentVariable("AWS_EXECUTION_ENV"),
        Environment.GetEnvironmentVariable("LAMBDA_TASK_ROOT"),
        Environment.GetEnvironmentVariable("GREETING"));
}

/// <summary>The seed's page contract: the HTML page returned as a JSON string, unwrapped by $input.path('$').</summary>
public sealed class HtmlPage
{
    public const string Html = "<!DOCTYPE html><html><body><h1>Accounts from C#</h1></body></html>";

    public Stream Handle(Stream input) => new MemoryStream(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Html));
}

/// <summary>The same page as an AWS_PROXY integration expects it: a proxy response whose body is the HTML.</summary>
public sealed class ProxyPage
{
    public Stream Handle(Stream input) => new MemoryStream(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
        new Dictionary<string, object> { ["statusCode"] = 200, ["headers"] = new Dictionary<string, string> { ["Content-Type"] = "text/html" }, ["body"] = HtmlPage.Html }));
}
