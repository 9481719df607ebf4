using Stratus.Services.Iam.Engine;

namespace Stratus.Services.ApiGateway;

/// <summary>
/// What `--auth enforce` authorizes API Gateway's management calls against (Service Authorization
/// Reference, Amazon API Gateway Management and Management V2): the action is the HTTP method
/// (apigateway:GET, POST, PUT, PATCH, DELETE) and the resource the request's path,
/// arn:aws:apigateway:REGION::/restapis/ID/... or ::/apis/ID/..., for REST and HTTP APIs alike.
/// </summary>
public static class ApiGatewayAuthorization
{
    public static AuthorizationTable Table() => new("apigateway",
        unlisted: i => [$"arn:aws:apigateway:{i.Scope.Region}::{i.Call.Http.Request.Path.Value}"],
        actionOf: (_, i) => $"apigateway:{i.Call.Http.Request.Method.ToUpperInvariant()}");
}
