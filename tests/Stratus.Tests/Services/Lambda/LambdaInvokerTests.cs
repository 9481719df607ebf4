using System.IO.Compression;
using System.Text;
using Stratus.Host;
using Stratus.Protocols;
using Stratus.Services.Iam;
using Stratus.Services.Lambda;

using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>ILambdaInvoker, as API Gateway and other services call it in-process: the resource policy decides.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaInvokerTests : IAsyncLifetime
{
    private const string Account = StratusOptions.DefaultAccountId;
    private const string Region = StratusOptions.DefaultRegion;
    private const string ApiSource = "arn:aws:execute-api:us-east-1:000000000000:api1/demo-cct/GET/";
    private StratusServer _server = null!;

    private LambdaService Lambda => _server.Services.Lambda;

    public async Task InitializeAsync()
    {
        _server = await StratusServer.StartAsync(new StratusOptions { Port = 0 });
        var role = _server.Services.Iam.CreateRole(Scope.Of(Account, Region), "invoker-role", new RoleSettings(null,
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}""",
            null, null), []);
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        using (var writer = new StreamWriter(zip.CreateEntry("app.py").Open()))
            writer.Write("def handler(event, context):\n    return {'path': event.get('path'), 'arn': context.invoked_function_arn}\n");
        Lambda.CreateFunction(Scope.Of(Account, Region), "accounts", new FunctionSettings { Runtime = "python3.12", Handler = "app.handler", Role = role.Arn },
            new FunctionCode(buffer.ToArray(), null), null, [], publish: false);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<LambdaInvokeResult> InvokeAsApiGatewayAsync(string function, string? sourceArn = ApiSource) =>
        ((ILambdaInvoker)Lambda).InvokeAsync(new LambdaInvokeRequest(Account, Region, function, null,
            Encoding.UTF8.GetBytes("""{"path":"/accounts"}"""), "apigateway.amazonaws.com", sourceArn), CancellationToken.None);

    [Fact]
    public async Task Service_callers_need_a_matching_resource_policy_statement()
    {
        var refused = await Assert.ThrowsAsync<AwsException>(() => InvokeAsApiGatewayAsync("accounts"));
        Assert.Equal("AccessDeniedException", refused.Code);
        Assert.Contains("apigateway.amazonaws.com is not authorized to perform: lambda:InvokeFunction", refused.Message);

        Lambda.AddPermission(Scope.Of(Account, Region), "accounts", null, "authorize-apigateway", "lambda:InvokeFunction", "apigateway.amazonaws.com",
            "arn:aws:execute-api:us-east-1:000000000000:api1/*", null, null, null, null);

        var result = await InvokeAsApiGatewayAsync("accounts");
        Assert.Null(result.FunctionError);
        Assert.Equal("$LATEST", result.ExecutedVersion);
        Assert.Equal("""{"path": "/accounts", "arn": "arn:aws:lambda:us-east-1:000000000000:function:accounts"}""", Encoding.UTF8.GetString(result.Payload.Span));

        var otherApi = await Assert.ThrowsAsync<AwsException>(() => InvokeAsApiGatewayAsync("accounts", "arn:aws:execute-api:us-east-1:000000000000:api2/demo/GET/"));
        Assert.Equal("AccessDeniedException", otherApi.Code);

        var byArn = await InvokeAsApiGatewayAsync("arn:aws:lambda:us-east-1:000000000000:function:accounts");
        Assert.Null(byArn.FunctionError);
    }

    [Fact]
    public async Task Unknown_functions_and_throttles_surface_as_Lambda_errors()
    {
        var missing = await Assert.ThrowsAsync<AwsException>(() => InvokeAsApiGatewayAsync("nothing-here"));
        Assert.Equal("ResourceNotFoundException", missing.Code);

        Lambda.AddPermission(Scope.Of(Account, Region), "accounts", null, "any-api", "lambda:InvokeFunction", "apigateway.amazonaws.com", null, null, null, null, null);
        Lambda.PutFunctionConcurrency(Scope.Of(Account, Region), "accounts", 0);
        var throttled = await Assert.ThrowsAsync<AwsException>(() => InvokeAsApiGatewayAsync("accounts"));
        Assert.Equal("TooManyRequestsException", throttled.Code);
        Assert.Equal(429, throttled.StatusCode);
        Assert.Equal("ReservedFunctionConcurrentInvocationLimitExceeded", throttled.Fields!["Reason"]);
    }
}
