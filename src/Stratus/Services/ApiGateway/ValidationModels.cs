using Stratus.Protocols;

namespace Stratus.Services.ApiGateway;

// Models and request validators: API Gateway's wire shapes (camelCased on the wire).

public sealed class ApiModel
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public string? Schema { get; set; }
    public string ContentType { get; set; } = "";
}

public sealed class RequestValidator
{
    public string Id { get; set; } = "";
    public string? Name { get; set; }
    public bool ValidateRequestBody { get; set; }
    public bool ValidateRequestParameters { get; set; }
}

/// <summary>CreateModel's members, or an AWS::ApiGateway::Model's (whose Schema may be an object).</summary>
public sealed record ModelSettings(string Name, string? Description, string? Schema, string ContentType)
{
    public static ModelSettings Read(IInputReader input) => new(
        input.FromTemplate ? input.String("name") ?? "" : input.Required("name"),
        input.String("description"),
        input.Has("schema") ? input.RequiredDocument("schema") : null,
        input.FromTemplate ? input.String("contentType") ?? "application/json" : input.Required("contentType"));
}

/// <summary>CreateRequestValidator's members, or an AWS::ApiGateway::RequestValidator's.</summary>
public sealed record RequestValidatorSettings(string? Name, bool ValidateRequestBody, bool ValidateRequestParameters)
{
    public static RequestValidatorSettings Read(IInputReader input) =>
        new(input.String("name"), input.Bool("validateRequestBody") ?? false, input.Bool("validateRequestParameters") ?? false);
}

/// <summary>A gateway response: what API Gateway answers, for one response type, when it refuses or fails a request itself.</summary>
public sealed class ApiGatewayResponse
{
    public string ResponseType { get; set; } = "";
    public string? StatusCode { get; set; }
    public Dictionary<string, string>? ResponseParameters { get; set; }
    public Dictionary<string, string>? ResponseTemplates { get; set; }
    public bool DefaultResponse { get; set; }
}

/// <summary>PutGatewayResponse's members, or an AWS::ApiGateway::GatewayResponse's.</summary>
public sealed record GatewayResponseSettings(string ResponseType, string? StatusCode, Dictionary<string, string>? ResponseParameters,
    Dictionary<string, string>? ResponseTemplates)
{
    public static GatewayResponseSettings Read(IInputReader input) => new(
        input.Required(input.FromTemplate ? "ResponseType" : "response_type"), input.String("statusCode"),
        input.StringMap("responseParameters"), input.StringMap("responseTemplates"));
}
