using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Tests.Services.ApiGateway;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>Deployed stages answering real HTTP on Stratus's endpoint: MOCK and HTTP_PROXY integrations, matching, and invoke URL forms.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ApiGatewayDataPlaneTests(StratusFixture stratus) : IClassFixture<StratusFixture>, IDisposable
{
    private readonly EchoHttpServer _backend = new();
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _backend.Dispose();
    }

    /// <summary>An API with GET /pets/{petId} (MOCK), ANY /proxy/{proxy+} (HTTP_PROXY to the echo server), deployed to "live".</summary>
    private static string BuildApiScript(string backendUrl) => $$"""
        apigw = client("apigateway")
        api = apigw.create_rest_api(name="data-plane")
        api_id, root = api["id"], api["rootResourceId"]
        pets = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
        pet = apigw.create_resource(restApiId=api_id, parentId=pets["id"], pathPart="{petId}")
        apigw.put_method(restApiId=api_id, resourceId=pet["id"], httpMethod="GET", authorizationType="NONE")
        apigw.put_method_response(restApiId=api_id, resourceId=pet["id"], httpMethod="GET", statusCode="200",
                                  responseParameters={"method.response.header.X-Pet": False})
        apigw.put_method_response(restApiId=api_id, resourceId=pet["id"], httpMethod="GET", statusCode="404")
        apigw.put_integration(restApiId=api_id, resourceId=pet["id"], httpMethod="GET", type="MOCK",
            requestTemplates={"application/json": '{"statusCode": #if($input.params("petId") == "0")404#else 200#end}'})
        apigw.put_integration_response(restApiId=api_id, resourceId=pet["id"], httpMethod="GET", statusCode="200", selectionPattern="",
            responseParameters={"method.response.header.X-Pet": "'mock'"},
            responseTemplates={"application/json": '{"id": "$input.params(\'petId\')", "stage": "$context.stage", "color": "$stageVariables.color", "q": "$input.params(\'q\')"}'})
        apigw.put_integration_response(restApiId=api_id, resourceId=pet["id"], httpMethod="GET", statusCode="404", selectionPattern="404",
            responseTemplates={"application/json": '{"message": "no such pet"}'})
        proxy_parent = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="proxy")
        proxy = apigw.create_resource(restApiId=api_id, parentId=proxy_parent["id"], pathPart="{proxy+}")
        apigw.put_method(restApiId=api_id, resourceId=proxy["id"], httpMethod="ANY", authorizationType="NONE",
                         requestParameters={"method.request.path.proxy": True})
        apigw.put_integration(restApiId=api_id, resourceId=proxy["id"], httpMethod="ANY", type="HTTP_PROXY", integrationHttpMethod="ANY",
            uri="{{backendUrl}}/echo/{proxy}", requestParameters={"integration.request.path.proxy": "method.request.path.proxy"})
        apigw.create_deployment(restApiId=api_id, stageName="live", variables={"color": "green"})
        out["id"] = api_id
        """;

    private async Task<string> DeployAsync() => (await Clients.Boto3Async(stratus.Url, BuildApiScript(_backend.BaseUrl)))["id"]!.GetValue<string>();

    private async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string url, string? host = null, string? body = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (host is not null) request.Headers.Host = host;
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "text/plain");
        request.Headers.Add("X-Custom", "c1");
        var response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    [Fact]
    public async Task Mock_integration_answers_on_every_invoke_url_form()
    {
        var apiId = await DeployAsync();
        var port = new Uri(stratus.Url).Port;
        var byPath = $"{stratus.Url}/restapis/{apiId}/live/_user_request_/pets/7?q=x";
        var byHost = $"http://127.0.0.1:{port}/live/pets/7?q=x";

        foreach (var (url, host) in new[] { (byPath, (string?)null), (byHost, $"{apiId}.execute-api.localhost:{port}"),
                     (byHost, $"{apiId}.execute-api.us-east-1.localhost:{port}"), (byHost, $"{apiId}.execute-api.us-east-1.amazonaws.com") })
        {
            var (status, body, response) = await SendAsync(HttpMethod.Get, url, host);
            Assert.True(status == HttpStatusCode.OK, $"{url} Host {host}: {status} {body}");
            Assert.Equal("""{"id": "7", "stage": "live", "color": "green", "q": "x"}""", body);
            Assert.Equal("mock", response.Headers.GetValues("X-Pet").Single());
            Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        }

        var (missingStatus, missingBody, _) = await SendAsync(HttpMethod.Get, $"{stratus.Url}/restapis/{apiId}/live/_user_request_/pets/0");
        Assert.Equal(HttpStatusCode.NotFound, missingStatus);
        Assert.Equal("""{"message": "no such pet"}""", missingBody);
    }

    [Fact]
    public async Task The_cloudformation_style_https_url_opens_on_the_same_port()
    {
        var apiId = await DeployAsync();
        var port = new Uri(stratus.Url).Port;
        using var trustingAnyCertificate = new HttpClient(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{port}/live/pets/5");
        request.Headers.Host = $"{apiId}.execute-api.us-east-1.localhost:{port}";

        using var response = await trustingAnyCertificate.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"id\": \"5\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unknown_paths_and_methods_are_403_missing_authentication_token()
    {
        var apiId = await DeployAsync();
        var stageUrl = $"{stratus.Url}/restapis/{apiId}/live/_user_request_";

        foreach (var (method, path) in new[] { (HttpMethod.Get, "/nothing-here"), (HttpMethod.Post, "/pets/7"), (HttpMethod.Get, "/pets"), (HttpMethod.Get, "/pets/7/toys") })
        {
            var (status, body, response) = await SendAsync(method, stageUrl + path);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Equal("""{"message":"Missing Authentication Token"}""", body);
            Assert.Equal("MissingAuthenticationTokenException", response.Headers.GetValues("x-amzn-ErrorType").Single());
        }
        var (unknownStage, _, _) = await SendAsync(HttpMethod.Get, $"{stratus.Url}/restapis/{apiId}/nostage/_user_request_/pets/7");
        Assert.Equal(HttpStatusCode.Forbidden, unknownStage);
    }

    [Fact]
    public async Task Http_proxy_integration_round_trips_to_a_loopback_backend()
    {
        var apiId = await DeployAsync();

        var (status, body, response) = await SendAsync(HttpMethod.Post, $"{stratus.Url}/restapis/{apiId}/live/_user_request_/proxy/a/b?x=1&y=2", body: "hello backend");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("yes", response.Headers.GetValues("X-Echo").Single());
        var echo = JsonNode.Parse(body)!;
        Assert.Equal("POST", echo["method"]!.GetValue<string>());
        Assert.Equal("/echo/a/b", echo["path"]!.GetValue<string>());
        Assert.Equal("1", echo["query"]!["x"]!.GetValue<string>());
        Assert.Equal("2", echo["query"]!["y"]!.GetValue<string>());
        Assert.Equal("c1", echo["headers"]!["x-custom"]!.GetValue<string>());
        Assert.Equal("hello backend", echo["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deployed_stages_survive_a_restart()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        var apiId = (await Clients.Boto3Async(server.Url, BuildApiScript(_backend.BaseUrl)))["id"]!.GetValue<string>();

        await server.RestartAsync();

        var (status, body, _) = await SendAsync(HttpMethod.Get, $"{server.Url}/restapis/{apiId}/live/_user_request_/pets/3");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("\"id\": \"3\"", body);
    }
}
