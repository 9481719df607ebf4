using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>
/// The seed's API Gateway commands, verbatim, through the aws CLI, in front of a C# function; then the
/// stage answers real HTTP, once the function allows API Gateway to call it.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ApiGatewaySeedCommandsTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Region = "us-east-1";
    /// <summary>What tests/Functions/DotnetFunctions' HtmlPage returns (as a JSON string).</summary>
    private const string PageOfTheFunction = "<!DOCTYPE html><html><body><h1>Accounts from C#</h1></body></html>";
    private const string LambdaArn = "arn:aws:lambda:us-east-1:000000000000:function:demo-cct-lambda-retrieve-accounts";

    private async Task<string> AwsOkAsync(params string[] args)
    {
        var result = await Clients.AwsAsync(stratus.Url, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }

    [Fact]
    public async Task Seed_commands_build_and_deploy_the_accounts_api()
    {
        var zip = Path.Combine(Path.GetTempPath(), $"html-page-{Guid.NewGuid():N}.zip");
        await File.WriteAllBytesAsync(zip, Convert.FromBase64String(LambdaPackages.Base64("DotnetFunctions")));
        await AwsOkAsync("iam", "create-role", "--role-name", "role-demo-cct", "--assume-role-policy-document",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}""");
        await AwsOkAsync("lambda", "create-function", "--function-name", "demo-cct-lambda-retrieve-accounts", "--runtime", "dotnet10",
            "--handler", "DotnetFunctions::DotnetFunctions.HtmlPage::Handle", "--zip-file", "fileb://" + zip,
            "--role", "arn:aws:iam::000000000000:role/role-demo-cct", "--timeout", "30");
        File.Delete(zip);
        await AwsOkAsync("lambda", "wait", "function-active", "--function-name", "demo-cct-lambda-retrieve-accounts");

        var created = JsonNode.Parse(await AwsOkAsync("apigateway", "create-rest-api", "--name", "apigw-demo-cct",
            "--tags", "Key=Environment,Value=demo-cct-paas"))!;
        Assert.Matches("^[a-z0-9]{10}$", created["id"]!.GetValue<string>());

        var restApiId = (await AwsOkAsync("apigateway", "get-rest-apis", "--query", "items[?name==`apigw-demo-cct`].id", "--output", "text")).Trim();
        Assert.Equal(created["id"]!.GetValue<string>(), restApiId);
        var resourceId = (await AwsOkAsync("apigateway", "get-resources", "--rest-api-id", restApiId, "--query", "items[0].id", "--output", "text")).Trim();
        Assert.Equal(created["rootResourceId"]!.GetValue<string>(), resourceId);

        await AwsOkAsync("apigateway", "put-method", "--rest-api-id", restApiId, "--resource-id", resourceId,
            "--http-method", "GET", "--authorization-type", "NONE");
        await AwsOkAsync("apigateway", "put-method-response", "--rest-api-id", restApiId, "--resource-id", resourceId,
            "--http-method", "GET", "--response-parameters", """{"method.response.header.Content-Type": false}""", "--status-code", "200");
        var integration = JsonNode.Parse(await AwsOkAsync("apigateway", "put-integration", "--rest-api-id", restApiId, "--resource-id", resourceId,
            "--http-method", "GET", "--type", "AWS", "--integration-http-method", "POST",
            "--uri", $"arn:aws:apigateway:{Region}:lambda:path/2015-03-31/functions/{LambdaArn}/invocations"))!;
        Assert.Equal("POST", integration["httpMethod"]!.GetValue<string>());
        var integrationResponse = JsonNode.Parse(await AwsOkAsync("apigateway", "put-integration-response", "--rest-api-id", restApiId,
            "--resource-id", resourceId, "--http-method", "GET", "--status-code", "200", "--selection-pattern", "",
            "--response-parameters", "{\"method.response.header.Content-Type\": \"'text/html'\"}",
            "--response-templates", """{"text/html": "$input.path(\"$\")"}"""))!;
        Assert.Equal("$input.path(\"$\")", integrationResponse["responseTemplates"]!["text/html"]!.GetValue<string>());
        var deployment = JsonNode.Parse(await AwsOkAsync("apigateway", "create-deployment", "--rest-api-id", restApiId, "--stage-name", "demo-cct"))!;

        var stage = JsonNode.Parse(await AwsOkAsync("apigateway", "get-stage", "--rest-api-id", restApiId, "--stage-name", "demo-cct"))!;
        Assert.Equal(deployment["id"]!.GetValue<string>(), stage["deploymentId"]!.GetValue<string>());
        var method = JsonNode.Parse(await AwsOkAsync("apigateway", "get-method", "--rest-api-id", restApiId, "--resource-id", resourceId, "--http-method", "GET"))!;
        Assert.Equal("'text/html'", method["methodIntegration"]!["integrationResponses"]!["200"]!["responseParameters"]!["method.response.header.Content-Type"]!.GetValue<string>());

        // Without the seed's add-permission, API Gateway may not call the function: AWS answers 500.
        using var http = new HttpClient();
        var stageUrl = $"{stratus.Url}/restapis/{restApiId}/demo-cct/_user_request_/";
        var refused = await http.GetAsync(stageUrl);
        Assert.Equal(500, (int)refused.StatusCode);
        Assert.Equal("""{"message":"Internal server error"}""", await refused.Content.ReadAsStringAsync());

        await AwsOkAsync("lambda", "add-permission", "--function-name", "demo-cct-lambda-retrieve-accounts", "--statement-id", "authorize-apigateway",
            "--action", "lambda:InvokeFunction", "--principal", "apigateway.amazonaws.com");

        var page = await http.GetAsync(stageUrl);
        Assert.Equal(200, (int)page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Equal(PageOfTheFunction, await page.Content.ReadAsStringAsync());

        var tested = JsonNode.Parse(await AwsOkAsync("apigateway", "test-invoke-method", "--rest-api-id", restApiId,
            "--resource-id", resourceId, "--http-method", "GET"))!;
        Assert.Equal(200, tested["status"]!.GetValue<int>());
        Assert.Equal(PageOfTheFunction, tested["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_rest_api_is_a_NotFoundException_with_awss_message()
    {
        var result = await Clients.AwsAsync(stratus.Url, "apigateway", "get-resources", "--rest-api-id", "nope123456");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("(NotFoundException)", result.Stderr);
        Assert.Contains("Invalid API identifier specified 000000000000:nope123456", result.Stderr);
    }
}
