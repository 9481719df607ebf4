using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Protocols.SigV4;
using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.ApiGatewayV2;
using Stratus.Services.CloudWatch;
using Stratus.Services.Logs;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>Walks botocore's apigateway model: each operation is served, or refused by name with a reason README lists.</summary>
public sealed class ApiGatewayModelCoverageTests
{
    [Fact]
    public void Every_operation_of_the_model_is_served_or_listed_as_not_served_in_README()
    {
        using var store = StateStore.Ephemeral();
        var clock = TimeProvider.System;
        var lambda = new RefusingLambda();
        using var metrics = new CloudWatchService(store, clock, lambda, NullLogger.Instance);
        using var logs = new LogsService(store, clock, metrics, NullLogger.Instance, lambda, () => null);
        var gateway = new ApiGatewayService(store, clock);
        var dataPlane = new ApiGatewayDataPlane(gateway, new MethodRequestStage(new CredentialResolver([]), new SigV4Verifier(clock), AuthMode.Accept),
            new LambdaAuthorizer(lambda, clock), new IntegrationEngine(lambda, new HttpClient(), clock), metrics, logs, clock, new GatewayThrottles(clock), NullLogger.Instance);
        var api = new ApiGatewayApi(gateway, dataPlane, new CustomDomainNames(store, clock, gateway, new ApiGatewayV2Service(store, clock, StratusAddress.Known(new Uri("http://127.0.0.1:1"))), new RefusingObjectReader()), NullLogger.Instance);
        ModelCoverage.AssertServedOrListed("apigateway", api.Endpoint.Operations.Names, ApiGatewayNotServed.Operations);
    }
}
