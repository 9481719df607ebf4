using Stratus.Host;
using Stratus.Persistence;
using Stratus.Services.ApiGatewayV2;

namespace Stratus.Tests.Host;

/// <summary>Every invoke URL's path form is on the one address Stratus bound, whatever host it was started on.</summary>
public sealed class InvokeUrlsTests
{
    [Theory]
    [InlineData("http://localhost:4566/", "http://localhost:4566")]
    [InlineData("http://127.0.0.1:39001/", "http://127.0.0.1:39001")]
    public void Path_forms_of_REST_and_HTTP_API_stages_use_the_bound_address(string bound, string expectedBase)
    {
        using var store = StateStore.Ephemeral();
        var httpApis = new ApiGatewayV2Service(store, TimeProvider.System, StratusAddress.Known(new Uri(bound)));

        Assert.Equal($"{expectedBase}/_aws/execute-api/abc123", httpApis.PathEndpoint("abc123"));
        var (restPath, restHost) = InvokeUrls.Stage(httpApis, "abc123", "prod", defaultStageAtRoot: false);
        Assert.Equal($"{expectedBase}/_aws/execute-api/abc123/prod/", restPath);
        Assert.Equal($"http://abc123.execute-api.localhost:{new Uri(bound).Port}/prod/", restHost);
        var (httpPath, _) = InvokeUrls.Stage(httpApis, "abc123", "$default", defaultStageAtRoot: true);
        Assert.Equal($"{expectedBase}/_aws/execute-api/abc123/", httpPath);
    }

    [Fact]
    public void A_URL_on_the_bound_address_keeps_its_host()
    {
        var address = StratusAddress.Known(new Uri("http://localhost:4566/"));

        // Function URLs' path form is built the same way (LambdaService.FunctionUrlPathForm).
        Assert.Equal("http://localhost:4566/_aws/lambda-url/abcdef/", address.Url("/_aws/lambda-url/abcdef/"));
    }
}
