using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Stratus.Host;
using Stratus.Protocols.SigV4;
using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGateway.Engine;

namespace Stratus.Tests.Services.ApiGateway.Engine;

/// <summary>AWS_IAM on a method: unsigned requests refused in both modes, signatures checked with --auth verify.</summary>
public sealed class MethodRequestStageTests
{
    private const string Key = "AKIAROOTEXAMPLE00001";
    private const string Secret = "root-secret-for-tests-only";
    private const string Host = "abcde12345.execute-api.localhost:4566";

    private static readonly ApiMethod Iam = new() { HttpMethod = "GET", AuthorizationType = "AWS_IAM" };
    private const string MethodArn = "arn:aws:execute-api:us-east-1:000000000000:api/prod/GET/items";

    private static MethodRequestStage Stage(AuthMode mode) =>
        new(new CredentialResolver([new RootCredentialSource(Key, Secret)]), new SigV4Verifier(TimeProvider.System), mode);

    private static HttpContext Request(string? key = null, string? secret = null, string service = "execute-api")
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "GET";
        http.Request.Host = new HostString(Host);
        http.Request.Path = "/prod/pets";
        http.Features.Get<IHttpRequestFeature>()!.RawTarget = "/prod/pets";
        if (key is null) return http;

        var amzDate = DateTimeOffset.UtcNow.ToString(SigV4Signer.DateFormat, CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        http.Request.Headers["X-Amz-Date"] = amzDate;
        var canonical = SigV4Signer.CanonicalRequest("GET", "/prod/pets", "", [new("host", Host), new("x-amz-date", amzDate)], "host;x-amz-date",
            SigV4Signer.Hex(SHA256.HashData(Array.Empty<byte>())));
        var scope = $"{date}/us-east-1/{service}/aws4_request";
        var signature = SigV4Signer.Signature(SigV4Signer.SigningKey(secret!, date, "us-east-1", service), SigV4Signer.StringToSign(amzDate, scope, canonical));
        http.Request.Headers.Authorization = $"{SigV4Signer.Algorithm} Credential={key}/{scope}, SignedHeaders=host;x-amz-date, Signature={signature}";
        return http;
    }

    [Theory]
    [InlineData(AuthMode.Accept)]
    [InlineData(AuthMode.Verify)]
    public async Task Methods_without_AWS_IAM_are_open_to_anyone(AuthMode mode)
    {
        var decision = await Stage(mode).AuthorizeAsync(Request(), new ApiMethod { HttpMethod = "GET", AuthorizationType = "NONE" }, "us-east-1", MethodArn);

        Assert.Same(MethodAuthorization.Open, decision);
    }

    [Theory]
    [InlineData(AuthMode.Accept)]
    [InlineData(AuthMode.Verify)]
    public async Task Unsigned_request_to_an_AWS_IAM_method_is_refused_as_AWS_does(AuthMode mode)
    {
        var refusal = (await Stage(mode).AuthorizeAsync(Request(), Iam, "us-east-1", MethodArn)).Refusal!;

        Assert.Equal(403, refusal.StatusCode);
        Assert.Equal("""{"message":"Missing Authentication Token"}""", refusal.BodyText);
        Assert.Contains(new KeyValuePair<string, string>("x-amzn-ErrorType", "MissingAuthenticationTokenException"), refusal.Headers);
    }

    [Fact]
    public async Task Accept_mode_takes_any_signature_and_names_the_caller()
    {
        var decision = await Stage(AuthMode.Accept).AuthorizeAsync(Request("123456789012", "anything"), Iam, "us-east-1", MethodArn);

        Assert.Null(decision.Refusal);
        Assert.Equal(new CallerIdentity("123456789012", "123456789012", null, null), decision.Caller);
    }

    [Fact]
    public async Task Verify_mode_takes_a_correct_signature_and_names_the_caller()
    {
        var decision = await Stage(AuthMode.Verify).AuthorizeAsync(Request(Key, Secret), Iam, "us-east-1", MethodArn);

        Assert.Null(decision.Refusal);
        Assert.Equal(new CallerIdentity(Key, "000000000000", Key, "arn:aws:iam::000000000000:root"), decision.Caller);
    }

    [Fact]
    public async Task Verify_mode_refuses_a_wrong_secret_with_api_gateways_signature_message()
    {
        var refusal = (await Stage(AuthMode.Verify).AuthorizeAsync(Request(Key, "wrong"), Iam, "us-east-1", MethodArn)).Refusal!;

        Assert.Equal(403, refusal.StatusCode);
        Assert.StartsWith("""{"message":"The request signature we calculated does not match the signature you provided.""", refusal.BodyText);
        Assert.Contains(new KeyValuePair<string, string>("x-amzn-ErrorType", "InvalidSignatureException"), refusal.Headers);
    }

    [Fact]
    public async Task Verify_mode_refuses_an_unknown_key_and_a_scope_for_another_service()
    {
        var unknown = (await Stage(AuthMode.Verify).AuthorizeAsync(Request("AKIAUNKNOWN000000000", "x"), Iam, "us-east-1", MethodArn)).Refusal!;
        var otherService = (await Stage(AuthMode.Verify).AuthorizeAsync(Request(Key, Secret, service: "lambda"), Iam, "us-east-1", MethodArn)).Refusal!;

        Assert.Equal("""{"message":"The security token included in the request is invalid."}""", unknown.BodyText);
        Assert.Contains(new KeyValuePair<string, string>("x-amzn-ErrorType", "UnrecognizedClientException"), unknown.Headers);
        Assert.Equal(403, otherService.StatusCode);
        Assert.Contains("execute-api", otherService.BodyText);
    }
}
