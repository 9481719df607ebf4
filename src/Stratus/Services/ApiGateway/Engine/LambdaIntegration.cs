using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.ApiGateway.Vtl;
using Stratus.Services.Lambda;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>AWS (Lambda): the templated request is the function's event; its result, or its error message, goes through the integration response.</summary>
internal sealed class LambdaIntegration(LambdaFunctionCall function) : IIntegration
{
    public async Task<GatewayResponse> RunAsync(RequestContext run, CancellationToken cancellation)
    {
        var mapped = IntegrationRequestStage.MapBody(run);
        var payload = mapped is null ? run.Request.Body : Encoding.UTF8.GetBytes(mapped);
        // A function's event is JSON: a GET passed through without a body arrives as an empty object.
        if (payload.Length == 0) payload = "{}"u8.ToArray();
        var result = await function.InvokeAsync(run, payload, cancellation);
        var answer = new JsonPayload(Encoding.UTF8.GetString(result.Payload.Span));
        string? errorMessage = null;
        if (result.FunctionError is not null)
        {
            errorMessage = answer.Object?["errorMessage"] is JsonValue message ? message.ToString() : answer.Text;
            run.Write($"Lambda execution failed with status 200 due to customer function error: {errorMessage}");
        }
        return IntegrationResponseStage.Answer(run, new IntegrationOutput("200", answer, [], errorMessage));
    }
}

/// <summary>AWS_PROXY (Lambda): the version 1.0 proxy event in, the proxy response contract out.</summary>
internal sealed class LambdaProxyIntegration(LambdaFunctionCall function) : IIntegration
{
    public async Task<GatewayResponse> RunAsync(RequestContext run, CancellationToken cancellation)
    {
        var result = await function.InvokeAsync(run, Encoding.UTF8.GetBytes(LambdaProxyContract.Event(run).ToJsonString()), cancellation);
        var answer = new JsonPayload(Encoding.UTF8.GetString(result.Payload.Span));
        if (result.FunctionError is not null)
            throw new GatewayFailure($"Lambda execution failed with status 200 due to customer function error: {answer.Text}",
                GatewayResponse.Message(502, "Internal server error"));
        return LambdaProxyContract.Response(answer) ?? throw new GatewayFailure(
            $"Execution failed due to configuration error: Malformed Lambda proxy response: {answer.Text}", GatewayResponse.Message(502, "Internal server error"));
    }
}

/// <summary>Invokes the function an integration URI names, as API Gateway's service principal, within the integration's timeout.</summary>
internal sealed class LambdaFunctionCall(ILambdaInvoker lambda)
{
    public const string ServicePrincipal = "apigateway.amazonaws.com";

    public async Task<LambdaInvokeResult> InvokeAsync(RequestContext run, byte[] payload, CancellationToken cancellation)
    {
        var function = run.Plan.FunctionFor(run.Target)
            ?? throw GatewayFailure.Configuration("the integration URI is not a Lambda function invocation");
        var functionArn = function.Split(':');
        var (account, region) = functionArn.Length >= 7 && functionArn[0] == "arn"
            ? (functionArn[4], functionArn[3])
            : (run.Target.AccountId, run.Target.Region);
        var resourcePath = run.Route.Resource.Path.TrimStart('/');
        var sourceArn = $"arn:aws:execute-api:{run.Target.Region}:{run.Target.AccountId}:{run.Target.ApiId}/{run.Target.StageName}/{run.Route.Method.HttpMethod}/{resourcePath}";
        var integration = run.Plan.Integration!;
        run.Write($"Sending request to {integration.Uri}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(integration.TimeoutInMillis);
        var watch = Stopwatch.StartNew();
        try
        {
            // WaitAsync holds the integration timeout even if the function keeps running past it.
            var result = await lambda.InvokeAsync(new LambdaInvokeRequest(account, region, function, null, payload, ServicePrincipal, sourceArn), timeout.Token)
                .WaitAsync(timeout.Token);
            run.IntegrationLatency = watch.Elapsed;
            run.Write($"Received response. Integration latency: {watch.ElapsedMilliseconds} ms");
            return result;
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw GatewayFailure.Timeout();
        }
        catch (AwsException e)
        {
            run.IntegrationLatency = watch.Elapsed;
            throw GatewayFailure.Configuration($"Lambda invocation failed with status {e.StatusCode}: {e.Code}: {e.Message}");
        }
    }
}
