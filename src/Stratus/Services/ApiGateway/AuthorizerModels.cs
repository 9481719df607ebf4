using Stratus.Protocols;

namespace Stratus.Services.ApiGateway;

/// <summary>A REST API's authorizer: API Gateway's wire shape (camelCased on the wire), kept in the API's document and frozen into each deployment.</summary>
public sealed class ApiAuthorizer
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Type { get; set; } = "";
    public List<string>? ProviderARNs { get; set; }
    public string? AuthType { get; set; }
    public string? AuthorizerUri { get; set; }
    public string? AuthorizerCredentials { get; set; }
    public string? IdentitySource { get; set; }
    public string? IdentityValidationExpression { get; set; }
    public int? AuthorizerResultTtlInSeconds { get; set; }
}

/// <summary>CreateAuthorizer's members, or an AWS::ApiGateway::Authorizer's (whose Name CloudFormation may generate).</summary>
public sealed record AuthorizerSettings(string Name, string Type, List<string>? ProviderArns, string? AuthType, string? AuthorizerUri,
    string? AuthorizerCredentials, string? IdentitySource, string? IdentityValidationExpression, int? AuthorizerResultTtlInSeconds)
{
    public static AuthorizerSettings Read(IInputReader input) => new(
        input.FromTemplate ? input.String("name") ?? "" : input.Required("name"),
        input.Required("type"),
        input.Strings("providerARNs") is { Count: > 0 } providers ? providers.ToList() : null,
        input.String("authType"), input.String("authorizerUri"), input.String("authorizerCredentials"),
        input.String("identitySource"), input.String("identityValidationExpression"), input.Int("authorizerResultTtlInSeconds"));
}
