using Stratus.Protocols;

namespace Stratus.Services.ApiGatewayV2;

/// <summary>API Gateway v2's errors: NotFoundException carries the kind of resource, as its model's shape does.</summary>
public static class ApiGatewayV2Errors
{
    public static readonly ValidationStyle Validation = new("BadRequestException");

    public static AwsException BadRequest(string message) => new("BadRequestException", message, 400);
    public static AwsException Conflict(string message) => new("ConflictException", message, 409);

    public static AwsException NotFound(string resourceType, string id) =>
        new AwsException("NotFoundException", $"Invalid {resourceType} identifier specified {id}", 404) { Fields = new Dictionary<string, string> { ["resourceType"] = resourceType } };

    public static AwsException ApiNotFound(string apiId) => NotFound("API", apiId);

    /// <summary>A part of WebSocket APIs Stratus does not build, refused by name rather than half built.</summary>
    public static AwsException WebSocketNotServed(string what) => BadRequest($"Stratus does not serve {what}.");

    public static AwsException NotServedOperation(string operation, string reason) =>
        BadRequest($"Stratus does not serve the apigatewayv2 operation {operation}: {reason}");

    public static AwsException NotServed(string what) => BadRequest($"Stratus does not serve {what} on HTTP APIs.");

    /// <summary>Another service's NotFoundException (a REST API's or stage's), answered with apigatewayv2's resourceType.</summary>
    public static AwsException NotFoundFrom(AwsException e, string resourceType) =>
        new("NotFoundException", e.Message, 404) { Fields = new Dictionary<string, string> { ["resourceType"] = resourceType } };

    /// <summary>A portal setting that needs a service Stratus does not have, refused by name rather than recorded as if it worked.</summary>
    public static AwsException PortalNotServed(string what, string reason) => BadRequest($"Stratus does not serve {what} for portals: {reason}");
}
