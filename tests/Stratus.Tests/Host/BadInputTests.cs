using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Host;

/// <summary>Requests no AWS client would send: each gets a clear 4xx in the right shape, and the server keeps serving.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class BadInputTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private static readonly HttpClient Http = new();

    private static string Scope(string service) =>
        $"AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0000";

    private async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, HttpContent? content, string? service, params (string, string)[] headers)
    {
        using var request = new HttpRequestMessage(method, stratus.Url + path) { Content = content };
        if (service is not null) request.Headers.TryAddWithoutValidation("Authorization", Scope(service));
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        var response = await Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    private static FormUrlEncodedContent Form(params (string, string)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2)));

    [Fact]
    public async Task A_service_stratus_does_not_serve_is_named_in_the_error()
    {
        var (status, body, response) = await SendAsync(HttpMethod.Get, "/", null, "sqs");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("UnknownServiceException", response.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.Contains("does not serve the 'sqs' service", body);
        Assert.Contains("iam", body);
    }

    [Fact]
    public async Task An_unsigned_request_without_any_hint_is_explained()
    {
        var (status, body, _) = await SendAsync(HttpMethod.Post, "/", new StringContent("hello"), null);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("could not tell which AWS service", body);
    }

    [Fact]
    public async Task Unsigned_query_requests_are_routed_by_version()
    {
        var (status, body, _) = await SendAsync(HttpMethod.Post, "/", Form(("Action", "GetCallerIdentity"), ("Version", "2011-06-15")), null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">", body);
        Assert.Contains("<Account>000000000000</Account>", body);
    }

    [Fact]
    public async Task Unknown_actions_and_missing_parameters_are_query_errors()
    {
        var unknown = await SendAsync(HttpMethod.Post, "/", Form(("Action", "LaunchRocket"), ("Version", "2010-05-08")), "iam");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Contains("<Code>InvalidAction</Code>", unknown.Body);
        Assert.Contains("<RequestId>", unknown.Body);
        Assert.False(string.IsNullOrEmpty(unknown.Response.Headers.GetValues("x-amzn-RequestId").Single()));

        var missingAction = await SendAsync(HttpMethod.Post, "/", Form(("Version", "2010-05-08")), "iam");
        Assert.Contains("<Code>MissingAction</Code>", missingAction.Body);

        var missing = await SendAsync(HttpMethod.Post, "/", Form(("Action", "CreateRole"), ("Version", "2010-05-08"), ("RoleName", "half")), "iam");
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Contains("<Code>ValidationError</Code>", missing.Body);
        Assert.Contains("assumeRolePolicyDocument", missing.Body);

        var notCreated = await SendAsync(HttpMethod.Post, "/", Form(("Action", "GetRole"), ("Version", "2010-05-08"), ("RoleName", "half")), "iam");
        Assert.Contains("<Code>NoSuchEntity</Code>", notCreated.Body);

        var wrongType = await SendAsync(HttpMethod.Post, "/", Form(("Action", "ListRoles"), ("Version", "2010-05-08"), ("MaxItems", "many")), "iam");
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.Status);
        Assert.Contains("maxItems", wrongType.Body);
    }

    [Fact]
    public async Task Binary_garbage_and_oversized_bodies_get_4xx_and_the_server_keeps_serving()
    {
        var garbage = new ByteArrayContent(Enumerable.Range(0, 4096).Select(i => (byte)(i * 37)).ToArray());
        garbage.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        var (garbageStatus, _, _) = await SendAsync(HttpMethod.Post, "/", garbage, "iam");
        Assert.Equal(HttpStatusCode.BadRequest, garbageStatus);

        var huge = new ByteArrayContent(new byte[11 * 1024 * 1024]);
        huge.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        var (hugeStatus, hugeBody, _) = await SendAsync(HttpMethod.Post, "/", huge, "iam");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, hugeStatus);
        Assert.Contains("<Code>RequestEntityTooLargeException</Code>", hugeBody);

        var health = JsonNode.Parse(await Http.GetStringAsync(stratus.Url + "/_stratus/health"))!;
        Assert.Equal("running", health["status"]!.GetValue<string>());
        Assert.Equal("running", health["services"]!["iam"]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_json_target_nobody_serves_is_refused()
    {
        var content = new StringContent("{}", Encoding.UTF8, "application/x-amz-json-1.1");
        var (status, body, _) = await SendAsync(HttpMethod.Post, "/", content, null, ("X-Amz-Target", "Nobody_20990101.DoThing"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("UnknownServiceException", body);
    }
}
