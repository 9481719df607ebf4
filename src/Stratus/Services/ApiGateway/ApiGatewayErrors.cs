using System.Security.Cryptography;
using Stratus.Protocols;

namespace Stratus.Services.ApiGateway;

/// <summary>API Gateway's error codes and its id format.</summary>
public static class ApiGatewayErrors
{
    public static AwsException NotFound(string message) => new("NotFoundException", message, 404);
    public static AwsException Conflict(string message) => new("ConflictException", message, 409);
    public static AwsException BadRequest(string message) => new("BadRequestException", message, 400);

    public static AwsException NotServed(string operation, string reason) => BadRequest($"Stratus does not serve the API Gateway operation {operation}: {reason}");

    public static readonly ValidationStyle Validation = new("BadRequestException");

    /// <summary>How API Gateway answers a member breaking the published model's constraints (<see cref="ApiGatewayRules"/>).</summary>
    public static readonly ValidationStyle MemberValidation = ValidationStyle.Smithy;

    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>Ten lowercase alphanumerics, as AWS's REST API, resource and deployment ids.</summary>
    public static string NewId() => RandomNumberGenerator.GetString(IdAlphabet, 10);
}
