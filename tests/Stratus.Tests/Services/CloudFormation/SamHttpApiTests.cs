using System.Text.Json.Nodes;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Tests.Services.CloudFormation;

/// <summary>SAM's HttpApi events and AWS::Serverless::HttpApi expanded to the resources SAM documents as generated.</summary>
public sealed class SamHttpApiTests
{
    private static JsonObject Resources(string body) => (JsonObject)Template.Parse(body).Root["Resources"]!;

    private const string SamTemplate = """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Hello:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              Runtime: python3.12
              InlineCode: x
              Events:
                Root: {Type: HttpApi}
                Item: {Type: HttpApi, Properties: {Path: "/items/{id}", Method: get, PayloadFormatVersion: "1.0"}}
                Admin: {Type: HttpApi, Properties: {ApiId: !Ref Admin, Path: /admin, Method: ANY}}
          Admin:
            Type: AWS::Serverless::HttpApi
            Properties:
              StageName: live
              CorsConfiguration: {AllowOrigins: [https://app.example], MaxAge: 60}
        """;

    [Fact]
    public void Http_api_events_build_the_implicit_and_explicit_apis_with_stages_and_permissions()
    {
        var resources = Resources(SamTemplate);
        Assert.Equal(string.Join(",", new[]
        {
            "Admin:AWS::ApiGatewayV2::Api", "AdminliveStage:AWS::ApiGatewayV2::Stage", "Hello:AWS::Lambda::Function",
            "HelloAdminPermission:AWS::Lambda::Permission", "HelloItemPermission:AWS::Lambda::Permission", "HelloRole:AWS::IAM::Role",
            "HelloRootPermission:AWS::Lambda::Permission", "ServerlessHttpApi:AWS::ApiGatewayV2::Api",
            "ServerlessHttpApiApiGatewayDefaultStage:AWS::ApiGatewayV2::Stage",
        }.Order(StringComparer.Ordinal)), string.Join(",", resources.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key}:{r.Value!["Type"]}")));

        var paths = resources["ServerlessHttpApi"]!["Properties"]!["Body"]!["paths"]!;
        var root = paths["/$default"]!["x-amazon-apigateway-any-method"]!["x-amazon-apigateway-integration"]!;
        Assert.Equal("aws_proxy", (string)root["type"]!);
        Assert.Equal("2.0", (string)root["payloadFormatVersion"]!);
        Assert.Equal("1.0", (string)paths["/items/{id}"]!["get"]!["x-amazon-apigateway-integration"]!["payloadFormatVersion"]!);

        var stage = resources["ServerlessHttpApiApiGatewayDefaultStage"]!["Properties"]!;
        Assert.Equal("$default", (string)stage["StageName"]!);
        Assert.True((bool)stage["AutoDeploy"]!);

        var admin = resources["Admin"]!["Properties"]!["Body"]!;
        Assert.NotNull(admin["paths"]!["/admin"]!["x-amazon-apigateway-any-method"]);
        Assert.Equal("""{"allowOrigins":["https://app.example"],"maxAge":60}""", admin["x-amazon-apigateway-cors"]!.ToJsonString());

        var itemPermission = resources["HelloItemPermission"]!["Properties"]!["SourceArn"]!["Fn::Sub"]![0]!.ToString();
        Assert.EndsWith("${__ApiId__}/*/GET/items/*", itemPermission);
        Assert.EndsWith("${__ApiId__}/*", resources["HelloRootPermission"]!["Properties"]!["SourceArn"]!["Fn::Sub"]![0]!.ToString());
    }
}
