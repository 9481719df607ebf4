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
    [Fact]
    public void Domain_builds_sam_logical_ids_and_refuses_what_sam_refuses()
    {
        var resources = Resources("""
            Transform: AWS::Serverless-2016-10-31
            Parameters:
              Name: {Type: String}
            Resources:
              Orders:
                Type: AWS::Serverless::HttpApi
                Properties:
                  Domain: {DomainName: !Ref Name, CertificateArn: arn:aws:acm:us-east-1:000000000000:certificate/c, BasePath: ["/", "/a-b_c/d/"]}
              Shop:
                Type: AWS::Serverless::Api
                Properties:
                  StageName: v1
                  Domain: {DomainName: shop.example.com, CertificateArn: arn:aws:acm:us-east-1:000000000000:certificate/c, EndpointConfiguration: EDGE, BasePath: /items/}
            """);
        // SAM hashes an intrinsic domain name as its compact, key-sorted JSON: sha1('{"Ref":"Name"}')[:10].
        var httpDomain = "ApiGatewayDomainNameV2" + Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData("""{"Ref":"Name"}"""u8.ToArray()))[..10];
        Assert.Equal("AWS::ApiGatewayV2::DomainName", (string)resources[httpDomain]!["Type"]!);
        Assert.Null(resources["OrdersApiMapping"]!["Properties"]!["ApiMappingKey"]);
        var keyed = resources["OrdersabcdApiMapping"]!["Properties"]!;
        Assert.Equal("a-b_c/d", (string)keyed["ApiMappingKey"]!);
        Assert.Equal("""{"Ref":"OrdersApiGatewayDefaultStage"}""", keyed["Stage"]!.ToJsonString());
        var restDomain = "ApiGatewayDomainName" + Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData("shop.example.com"u8.ToArray()))[..10];
        var rest = resources[restDomain]!["Properties"]!;
        Assert.Equal("""{"DomainName":"shop.example.com","CertificateArn":"arn:aws:acm:us-east-1:000000000000:certificate/c","EndpointConfiguration":{"Types":["EDGE"]}}""", rest.ToJsonString());
        Assert.Equal("""{"DomainName":{"Ref":"%s"},"RestApiId":{"Ref":"Shop"},"Stage":{"Ref":"Shopv1Stage"},"BasePath":"items"}""".Replace("%s", restDomain),
            resources["ShopitemsBasePathMapping"]!["Properties"]!.ToJsonString());

        const string Http = """
            Transform: AWS::Serverless-2016-10-31
            Resources:
              Orders:
                Type: AWS::Serverless::HttpApi
                Properties:
                  Domain: %s
            """;
        Assert.Contains("Invalid Basepath name provided.", Assert.ThrowsAny<Exception>(() =>
            Resources(Http.Replace("%s", "{DomainName: a.example.com, CertificateArn: c, BasePath: [a.b]}"))).Message);
        Assert.Contains("EndpointConfiguration for Custom Domains must be one of ['REGIONAL'].", Assert.ThrowsAny<Exception>(() =>
            Resources(Http.Replace("%s", "{DomainName: a.example.com, CertificateArn: c, EndpointConfiguration: EDGE}"))).Message);
        Assert.Contains("Custom Domains only works if both DomainName and CertificateArn are provided.", Assert.ThrowsAny<Exception>(() =>
            Resources(Http.Replace("%s", "{DomainName: a.example.com}"))).Message);
        Assert.Contains("Stratus does not build the Domain property Route53.", Assert.ThrowsAny<Exception>(() =>
            Resources(Http.Replace("%s", "{DomainName: a.example.com, CertificateArn: c, Route53: {HostedZoneId: Z1}}"))).Message);
    }

    [Fact]
    public void Domain_passes_MutualTlsAuthentication_to_the_domain_name_resource()
    {
        var resources = Resources("""
            Transform: AWS::Serverless-2016-10-31
            Resources:
              Orders:
                Type: AWS::Serverless::HttpApi
                Properties:
                  Domain: {DomainName: m.example.com, CertificateArn: c, MutualTlsAuthentication: {TruststoreUri: s3://b/ca.pem, TruststoreVersion: "2"}}
              Shop:
                Type: AWS::Serverless::Api
                Properties:
                  StageName: v1
                  Domain: {DomainName: n.example.com, CertificateArn: c, MutualTlsAuthentication: {TruststoreUri: s3://b/ca.pem}}
            """);
        string Hash(string name) => Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..10];
        Assert.Equal("""{"TruststoreUri":"s3://b/ca.pem","TruststoreVersion":"2"}""",
            resources["ApiGatewayDomainNameV2" + Hash("m.example.com")]!["Properties"]!["MutualTlsAuthentication"]!.ToJsonString());
        Assert.Equal("""{"TruststoreUri":"s3://b/ca.pem"}""",
            resources["ApiGatewayDomainName" + Hash("n.example.com")]!["Properties"]!["MutualTlsAuthentication"]!.ToJsonString());
    }
}
