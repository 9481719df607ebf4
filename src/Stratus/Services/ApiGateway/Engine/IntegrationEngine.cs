using Stratus.Services.ApiGateway.Vtl;
using Stratus.Services.Lambda;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// Runs a routed, authorized method request through its stages: the integration request (parameter
/// mapping and request template), the integration its type names (MOCK, HTTP, HTTP_PROXY, AWS for
/// Lambda, AWS_PROXY), then the integration and method responses; and keeps the execution log.
/// </summary>
public sealed class IntegrationEngine
{
    private readonly TimeProvider _clock;
    private readonly Dictionary<string, IIntegration> _integrations;

    public IntegrationEngine(ILambdaInvoker lambda, HttpClient http, TimeProvider clock, BackendCertificates? certificates = null)
    {
        _clock = clock;
        var endpoint = new HttpEndpoint(http, HttpEndpoint.CreateClient(skipVerification: true), certificates);
        var function = new LambdaFunctionCall(lambda);
        _integrations = new(StringComparer.Ordinal)
        {
            ["MOCK"] = new MockIntegration(),
            ["HTTP"] = new HttpIntegration(endpoint),
            ["HTTP_PROXY"] = new HttpProxyIntegration(endpoint),
            ["AWS"] = new LambdaIntegration(function),
            ["AWS_PROXY"] = new LambdaProxyIntegration(function),
        };
    }

    public async Task<IntegrationOutcome> ExecuteAsync(GatewayTarget target, MatchedRoute route, GatewayRequest request, string requestId, CancellationToken cancellation)
    {
        var run = new RequestContext(target, route, request, requestId, _clock);
        run.Write($"Starting execution for request: {requestId}");
        run.Write($"HTTP Method: {request.HttpMethod}, Resource Path: {request.Path}");
        GatewayResponse response;
        try
        {
            var integration = run.Plan.Integration ?? throw GatewayFailure.Configuration("No integration defined for method");
            response = _integrations.TryGetValue(integration.Type, out var handler)
                ? await handler.RunAsync(run, cancellation)
                : throw GatewayFailure.Configuration($"unsupported integration type {integration.Type}");
        }
        catch (GatewayFailure failure)
        {
            run.Write(failure.Message);
            response = failure.Response;
        }
        catch (VtlException e)
        {
            run.Write($"Execution failed due to configuration error: mapping template failed: {e.Message}");
            response = GatewayResponse.InternalServerError();
        }
        run.Write($"Method completed with status: {response.StatusCode}");
        return new IntegrationOutcome(response, run.IntegrationLatency, run.Log);
    }

    /// <summary>The HTTP client HTTP integrations use: no proxy, no cookies, no redirects followed (API Gateway returns them).</summary>
    public static HttpClient CreateHttpClient() => HttpEndpoint.CreateClient();
}
