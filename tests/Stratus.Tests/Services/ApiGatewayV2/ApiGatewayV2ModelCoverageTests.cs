using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Host;
using Stratus.Persistence;
using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGatewayV2;
using Stratus.Services.ApiGatewayV2.Engine;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGatewayV2;

/// <summary>Walks botocore's apigatewayv2 model: each operation is served, or refused by name with a reason README lists.</summary>
public sealed class ApiGatewayV2ModelCoverageTests
{
    [Fact]
    public void Every_operation_of_the_model_is_served_or_listed_as_not_served_in_README()
    {
        using var store = StateStore.Ephemeral();
        var http = new ApiGatewayV2Service(store, TimeProvider.System, StratusAddress.Known(new Uri("http://127.0.0.1:1")));
        var restApis = new ApiGatewayService(store, TimeProvider.System);
        var domains = new CustomDomainNames(store, TimeProvider.System, restApis, http, new RefusingObjectReader());
        var portals = new PortalService(store, TimeProvider.System, StratusAddress.Known(new Uri("http://127.0.0.1:1")), restApis, http);
        var api = new ApiGatewayV2Api(http, domains, new LambdaRequestAuthorizer(new RefusingLambda(), TimeProvider.System), portals, NullLogger.Instance);
        ModelCoverage.AssertServedOrListed("apigatewayv2", api.Endpoint.Operations.Names, ApiGatewayV2NotServed.Operations);
    }
}
