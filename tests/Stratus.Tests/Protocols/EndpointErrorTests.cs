using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Stratus.Protocols;
using Stratus.Protocols.Cbor;
using Stratus.Protocols.Json;
using Stratus.Protocols.RestJson;

namespace Stratus.Tests.Protocols;

/// <summary>Each protocol's success and error shapes, through a service endpoint, in process.</summary>
public sealed class EndpointErrorTests
{
    private static OperationTable Operations() => new()
    {
        { "Echo", i => new JsonObject { ["Name"] = i.Required("Name"), ["Count"] = i.Int("Count") } },
        { "Crash", OperationResult (_) => throw new InvalidOperationException("secret internals") },
        { "Missing", OperationResult (_) => throw new AwsException("ResourceNotFoundException", "Function not found: f", 404) { Fields = new Dictionary<string, string> { ["Type"] = "User" } } },
    };

    private static async Task<(HttpContext Http, string Body)> SendAsync(ServiceEndpoint endpoint, string method, string path, byte[] body, params (string, string)[] headers)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = method;
        var query = path.IndexOf('?');
        http.Request.Path = query < 0 ? path : path[..query];
        if (query >= 0) http.Request.QueryString = new QueryString(path[query..]);
        http.Request.Body = new MemoryStream(body);
        http.Request.ContentLength = body.Length;
        foreach (var (name, value) in headers) http.Request.Headers[name] = value;
        var response = new MemoryStream();
        http.Response.Body = response;
        var call = new CallContext { AccountId = "000000000000", Region = "us-east-1", RequestId = "req-1", Http = http };
        await endpoint.HandleAsync(http, call);
        return (http, Encoding.UTF8.GetString(response.ToArray()));
    }

    [Fact]
    public async Task Json_protocol_answers_and_reports_errors_with_type_header_and_body()
    {
        var endpoint = new ServiceEndpoint("test", Operations(), new AwsJsonProtocol("Test_20200101", "1.1"));

        var ok = await SendAsync(endpoint, "POST", "/", """{"Name":"a","Count":2}"""u8.ToArray(), ("X-Amz-Target", "Test_20200101.Echo"));
        Assert.Equal(200, ok.Http.Response.StatusCode);
        Assert.Equal("application/x-amz-json-1.1", ok.Http.Response.ContentType);
        Assert.Equal("""{"Name":"a","Count":2}""", ok.Body);

        var malformed = await SendAsync(endpoint, "POST", "/", "{\"Name\":"u8.ToArray(), ("X-Amz-Target", "Test_20200101.Echo"));
        Assert.Equal(400, malformed.Http.Response.StatusCode);
        Assert.Equal("SerializationException", malformed.Http.Response.Headers["x-amzn-ErrorType"]);
        Assert.StartsWith("""{"__type":"SerializationException","message":""", malformed.Body);

        var missing = await SendAsync(endpoint, "POST", "/", "{}"u8.ToArray(), ("X-Amz-Target", "Test_20200101.Echo"));
        Assert.Equal("""{"__type":"ValidationException","message":"1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"}""", missing.Body);

        var unknown = await SendAsync(endpoint, "POST", "/", "{}"u8.ToArray(), ("X-Amz-Target", "Test_20200101.Nope"));
        Assert.Equal("UnknownOperationException", unknown.Http.Response.Headers["x-amzn-ErrorType"]);
    }

    [Fact]
    public async Task Unexpected_failures_are_500_internal_failures_without_internals()
    {
        var endpoint = new ServiceEndpoint("test", Operations(), new AwsJsonProtocol("Test_20200101", "1.0"));
        var crash = await SendAsync(endpoint, "POST", "/", "{}"u8.ToArray(), ("X-Amz-Target", "Test_20200101.Crash"));
        Assert.Equal(500, crash.Http.Response.StatusCode);
        Assert.Contains("InternalFailure", crash.Body);
        Assert.Contains("req-1", crash.Body);
        Assert.DoesNotContain("secret internals", crash.Body);
        Assert.DoesNotContain("at Stratus", crash.Body);
    }

    [Fact]
    public async Task Rest_json_binds_labels_and_query_and_reports_errors_in_header_and_body()
    {
        var endpoint = new ServiceEndpoint("test", Operations(), new RestJsonProtocol([
            new RestRoute("GET", "/2020-01-01/things/{Name}", "Echo"),
            new RestRoute("DELETE", "/2020-01-01/things/{Name}", "Missing"),
        ]) { ErrorMessageKey = "Message" });

        var ok = await SendAsync(endpoint, "GET", "/2020-01-01/things/a%3Ab?Count=3", []);
        Assert.Equal("""{"Name":"a:b","Count":3}""", ok.Body);

        var missing = await SendAsync(endpoint, "DELETE", "/2020-01-01/things/x", []);
        Assert.Equal(404, missing.Http.Response.StatusCode);
        Assert.Equal("ResourceNotFoundException", missing.Http.Response.Headers["x-amzn-ErrorType"]);
        Assert.Equal("""{"Message":"Function not found: f","Type":"User"}""", missing.Body);

        var noRoute = await SendAsync(endpoint, "GET", "/2020-01-01/elsewhere", []);
        Assert.Equal(404, noRoute.Http.Response.StatusCode);
        var wrongMethod = await SendAsync(endpoint, "PUT", "/2020-01-01/things/x", []);
        Assert.Equal(405, wrongMethod.Http.Response.StatusCode);
    }

    [Fact]
    public async Task Rpc_v2_cbor_answers_in_cbor_and_marks_query_compatible_errors()
    {
        var endpoint = new ServiceEndpoint("test", Operations(), new RpcV2CborProtocol("TestService") { QueryCompatible = true });

        var ok = await SendAsync(endpoint, "POST", "/service/TestService/operation/Echo",
            CborBody.Write(new JsonObject { ["Name"] = "x" }), ("smithy-protocol", "rpc-v2-cbor"));
        Assert.Equal("rpc-v2-cbor", ok.Http.Response.Headers["smithy-protocol"]);
        Assert.Equal("application/cbor", ok.Http.Response.ContentType);

        var error = await SendAsync(endpoint, "POST", "/service/TestService/operation/Missing", [0xA0], ("smithy-protocol", "rpc-v2-cbor"));
        Assert.Equal(404, error.Http.Response.StatusCode);
        Assert.Equal("ResourceNotFoundException;Sender", error.Http.Response.Headers["x-amzn-query-error"]);

        var garbage = await SendAsync(endpoint, "POST", "/service/TestService/operation/Echo", [0xFF, 0x00], ("smithy-protocol", "rpc-v2-cbor"));
        Assert.Equal(400, garbage.Http.Response.StatusCode);
    }
}
