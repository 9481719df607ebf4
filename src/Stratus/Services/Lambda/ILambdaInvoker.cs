namespace Stratus.Services.Lambda;

/// <summary>
/// How other services (API Gateway, CloudWatch alarm actions, CloudFormation) invoke a function: through
/// Lambda's domain, never over HTTP. The function's resource policy must allow <see cref="LambdaInvokeRequest.CallerPrincipal"/>
/// (e.g. apigateway.amazonaws.com) for <see cref="LambdaInvokeRequest.SourceArn"/>, as on AWS.
/// Unknown functions, refused permissions and throttles are thrown as AwsException with Lambda's codes.
/// </summary>
public interface ILambdaInvoker
{
    Task<LambdaInvokeResult> InvokeAsync(LambdaInvokeRequest request, CancellationToken cancellation);
}

/// <param name="Function">A function name, partial ARN or full ARN, as Lambda's Invoke accepts.</param>
/// <param name="CallerPrincipal">The service principal invoking, or null for a call made with the account's own credentials.</param>
/// <param name="Asynchronous">Queue the event as an asynchronous invocation (InvocationType Event, retried as Lambda retries those), as
/// EventBridge and S3 invoke; the result then carries no payload.</param>
/// <param name="DryRun">Only check that the function exists and its policy allows the caller (InvocationType DryRun), as
/// CloudWatch Logs checks a subscription's function when the filter is put.</param>
/// <param name="TraceHeader">The X-Ray trace header of the request that led to this invoke, so recursive loop detection counts the chain.</param>
public sealed record LambdaInvokeRequest(
    string AccountId,
    string Region,
    string Function,
    string? Qualifier,
    ReadOnlyMemory<byte> Payload,
    string? CallerPrincipal,
    string? SourceArn,
    bool Asynchronous = false,
    bool DryRun = false,
    string? TraceHeader = null);

/// <param name="FunctionError">"Unhandled" when the function failed (its payload is then the error document), else null.</param>
public sealed record LambdaInvokeResult(ReadOnlyMemory<byte> Payload, string? FunctionError, string ExecutedVersion);
