using Stratus.Protocols;

namespace Stratus.Services.ApiGateway;

/// <summary>
/// A custom domain name as stored: one namespace shared by REST APIs (apigateway) and HTTP APIs (apigatewayv2), as on AWS, where a
/// domain name created through either API is read and mapped through both.
/// </summary>
public sealed record CustomDomain
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string DomainName { get; init; }
    /// <summary>AWS's "d-" id, which also names the regional domain name the data plane answers on.</summary>
    public required string DomainNameId { get; init; }
    /// <summary>The ACM certificate ARN the caller named: recorded, never checked, since Stratus does not serve ACM.</summary>
    public string? CertificateArn { get; init; }
    public string? CertificateName { get; init; }
    public required string SecurityPolicy { get; init; }
    public required DateTimeOffset CreatedDate { get; init; }
    public Dictionary<string, string> Tags { get; init; } = [];
    public List<DomainMapping> Mappings { get; init; } = [];
    /// <summary>How the data plane routes the domain's requests (<see cref="RoutingModes"/>); domains stored before routing rules keep AWS's default.</summary>
    public string RoutingMode { get; init; } = RoutingModes.ApiMappingOnly;
    public List<RoutingRule> RoutingRules { get; init; } = [];
    /// <summary>Mutual TLS, when the domain requires client certificates: the truststore as it was read.</summary>
    public MutualTlsAuthentication? MutualTls { get; init; }

    /// <summary>The regional domain name AWS gives (d-xxxx.execute-api.{region}.amazonaws.com) under Stratus's *.localhost names, so it opens too.</summary>
    public string RegionalDomainName => $"{DomainNameId}.execute-api.{Region}.localhost";

    public string Arn => $"arn:aws:apigateway:{Region}::/domainnames/{DomainName}";
}

/// <summary>
/// One base path mapping (REST) or API mapping (HTTP APIs): requests whose path starts with <see cref="BasePath"/> ("" for none) go to
/// the API's stage with the base path taken off. A REST mapping without a stage takes the stage from the next path segment.
/// </summary>
public sealed record DomainMapping
{
    public required string Id { get; init; }
    public required string BasePath { get; init; }
    public required string ApiId { get; init; }
    public string? Stage { get; init; }
}

/// <summary>CreateDomainName's members, from apigateway, apigatewayv2 or either template type, reduced to what Stratus serves.</summary>
public sealed record DomainNameSettings(string DomainName, string? EndpointType, string? CertificateArn, string? CertificateName,
    string? SecurityPolicy, Dictionary<string, string>? Tags, string? RoutingMode, MutualTlsSettings? MutualTls)
{
    /// <summary>apigateway's CreateDomainName, or an AWS::ApiGateway::DomainName.</summary>
    public static DomainNameSettings ReadRest(IInputReader input)
    {
        var types = input.Object("endpointConfiguration") is { } configuration ? configuration.Strings("types") : [];
        return new(input.Required("domainName"), types.Count == 0 ? null : string.Join(",", types),
            input.String("regionalCertificateArn") ?? input.String("certificateArn"),
            input.String("regionalCertificateName") ?? input.String("certificateName"),
            input.String("securityPolicy"), ApiGatewayTags.Read(input), RoutingModes.FromRest(input.String("routingMode")), MutualTlsSettings.Read(input));
    }

    /// <summary>apigatewayv2's CreateDomainName, or an AWS::ApiGatewayV2::DomainName: AWS takes exactly one configuration.</summary>
    public static DomainNameSettings ReadHttp(IInputReader input)
    {
        var configurations = input.Objects("domainNameConfigurations");
        if (configurations.Count > 1) throw ApiGatewayErrors.BadRequest("Only one domain name configuration is supported");
        var configuration = configurations.FirstOrDefault();
        return new(input.Required("domainName"), configuration?.String("endpointType") ?? "REGIONAL", configuration?.String("certificateArn"),
            configuration?.String("certificateName"), configuration?.String("securityPolicy"),
            // AWS::ApiGatewayV2::DomainName's Tags is a map, as the wire's.
            input.StringMap("tags"), RoutingModes.FromHttp(input.String("routingMode")), MutualTlsSettings.Read(input));
    }
}
