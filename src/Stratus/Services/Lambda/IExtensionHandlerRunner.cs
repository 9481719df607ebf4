namespace Stratus.Services.Lambda;

/// <summary>
/// Runs a CloudFormation extension's handler code in Lambda's engine and sandbox, as functions run. AWS runs a private
/// type's handlers in CloudFormation's own accounts, not as functions of the type's owner, so these are no functions of
/// the account: ListFunctions, GetFunction and Lambda's metrics never show them.
/// </summary>
public interface IExtensionHandlerRunner
{
    /// <summary>
    /// Stores and unpacks a handler package (a zip) as function code is stored; the id names it to <see cref="InvokeHandlerAsync"/>.
    /// Lambda's errors when the package cannot be stored or the runtime is not one Stratus runs.
    /// </summary>
    string SaveHandlerCode(byte[] zip, string runtime);

    /// <summary>One synchronous invocation of the handler with the payload; Lambda's errors when it cannot run (a runtime Stratus does not run).</summary>
    Task<LambdaInvokeResult> InvokeHandlerAsync(ExtensionHandler handler, ReadOnlyMemory<byte> payload, CancellationToken cancellation);
}

/// <param name="Name">The name the handler runs under (its environment's AWS_LAMBDA_FUNCTION_NAME).</param>
/// <param name="Runtime">A Lambda runtime identifier, from the package's .rpdk-config.</param>
/// <param name="Entrypoint">The handler, from the package's .rpdk-config (module.function).</param>
/// <param name="CodeId">What <see cref="IExtensionHandlerRunner.SaveHandlerCode"/> answered.</param>
/// <param name="RoleArn">The type's execution role: the environment's credentials are its session; none without it.</param>
/// <param name="LogGroupName">The type's LoggingConfig group, where the handler's output goes; without one it is not kept, as on AWS.</param>
public sealed record ExtensionHandler(string AccountId, string Region, string Name, string Runtime, string Entrypoint, string CodeId, string? RoleArn,
    string? LogGroupName);
