using System.Globalization;
using Stratus.Protocols;
using Stratus.Services.Lambda.Engine;

namespace Stratus.Services.Lambda;

/// <summary>CloudFormation extensions' handlers, run in the engine as functions are (see <see cref="IExtensionHandlerRunner"/>).</summary>
public sealed partial class LambdaService : IExtensionHandlerRunner
{
    /// <summary>
    /// A handler invocation's bound: AWS documents none for the handlers it runs, so Stratus gives each the time a long
    /// synchronous step needs; a longer operation answers IN_PROGRESS and is called back, as the protocol intends.
    /// </summary>
    public const int ExtensionHandlerTimeoutSeconds = 120;
    private const int ExtensionHandlerMemoryMb = 512;

    public string SaveHandlerCode(byte[] zip, string runtime)
    {
        if (!RuntimeCatalog.IsRunnable(runtime)) throw LambdaErrors.RuntimeNotRunnable(runtime, RuntimeCatalog.Runnable);
        return _code.Save(zip, "RegisterType").Id;
    }

    public async Task<LambdaInvokeResult> InvokeHandlerAsync(ExtensionHandler handler, ReadOnlyMemory<byte> payload, CancellationToken cancellation)
    {
        if (!RuntimeCatalog.IsRunnable(handler.Runtime)) throw LambdaErrors.RuntimeNotRunnable(handler.Runtime, RuntimeCatalog.Runnable);
        await _address.Bound.WaitAsync(cancellation);
        var arn = $"arn:aws:lambda:{handler.Region}:{handler.AccountId}:function:{handler.Name}";
        var config = new FunctionConfig
        {
            FunctionName = handler.Name,
            // Without an execution role the engine finds no role to assume and gives the environment the account's plain keys.
            Role = handler.RoleArn ?? $"arn:aws:iam::{handler.AccountId}:root",
            Runtime = handler.Runtime,
            Handler = handler.Entrypoint,
            Timeout = ExtensionHandlerTimeoutSeconds,
            MemorySize = ExtensionHandlerMemoryMb,
            CodeSha256 = Convert.ToBase64String(Convert.FromHexString(handler.CodeId)),
            LastModified = Now,
            RevisionId = handler.CodeId,
            Logging = handler.LogGroupName is { } group ? new FunctionLogging("Text", group, null, null) : null,
        };
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AWS_LAMBDA_FUNCTION_NAME"] = handler.Name,
            ["AWS_LAMBDA_FUNCTION_VERSION"] = config.Version,
            ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = config.MemorySize.ToString(CultureInfo.InvariantCulture),
            ["AWS_LAMBDA_LOG_GROUP_NAME"] = config.LogGroup,
            ["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand",
            ["AWS_REGION"] = handler.Region,
            ["AWS_DEFAULT_REGION"] = handler.Region,
            ["_HANDLER"] = handler.Entrypoint,
            ["AWS_ENDPOINT_URL"] = _address.BaseUrl.ToString().TrimEnd('/'),
        };
        var runnable = new RunnableFunction(handler.AccountId, handler.Region, arn, $"{arn}:extension:{handler.CodeId}:{handler.RoleArn}", config,
            _code.DirectoryOf(handler.CodeId), null, variables, IsExtensionHandler: true);
        var requestId = Guid.NewGuid().ToString();
        var (trace, _) = TraceLineage.Next(null, arn, requestId, _clock.GetUtcNow());
        var record = await _engine.InvokeAsync(runnable, new Invocation(requestId, payload, arn, null, trace),
            UnreservedLimit(Scope.Of(handler.AccountId, handler.Region)));
        return new LambdaInvokeResult(record.Outcome.Payload, record.Outcome.FunctionError, config.Version);
    }
}
