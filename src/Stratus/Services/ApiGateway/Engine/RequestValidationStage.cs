using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Stratus.Protocols.Json;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// The method request's validation, as the method's request validator asks: required request parameters (the method's
/// <c>requestParameters</c> marked true) must be present, and the body must satisfy the model <c>requestModels</c> names for its
/// content type (else the model for <c>$default</c>). AWS answers 400 with its own sentences, checking parameters first.
/// </summary>
public static class RequestValidationStage
{
    public static TypedRefusal? Refusal(DeploymentDocument deployment, ApiMethod method, GatewayRequest request)
    {
        if (method.RequestValidatorId is not { } validatorId || deployment.RequestValidators.GetValueOrDefault(validatorId) is not { } validator) return null;
        if (validator.ValidateRequestParameters && MissingParameters(method, request) is { Count: > 0 } missing)
            return new("BAD_REQUEST_PARAMETERS", GatewayResponse.Message(400, $"Missing required request parameters: [{string.Join(", ", missing)}]", "BadRequestException"));
        if (validator.ValidateRequestBody && !BodyMatchesModel(deployment, method, request))
            return new("BAD_REQUEST_BODY", GatewayResponse.Message(400, "Invalid request body", "BadRequestException"));
        return null;
    }

    private static List<string> MissingParameters(ApiMethod method, GatewayRequest request)
    {
        var missing = new List<string>();
        foreach (var (parameter, required) in method.RequestParameters ?? [])
        {
            if (!required) continue;
            var present = parameter switch
            {
                _ when parameter.StartsWith("method.request.header.", StringComparison.Ordinal) =>
                    request.Headers.Any(h => string.Equals(h.Key, parameter["method.request.header.".Length..], StringComparison.OrdinalIgnoreCase)),
                _ when parameter.StartsWith("method.request.querystring.", StringComparison.Ordinal) =>
                    request.Query.Any(q => q.Key == parameter["method.request.querystring.".Length..]),
                // A path parameter is there whenever the route matched.
                _ => true,
            };
            if (!present) missing.Add(parameter[(parameter.LastIndexOf('.') + 1)..]);
        }
        return missing;
    }

    private static bool BodyMatchesModel(DeploymentDocument deployment, ApiMethod method, GatewayRequest request)
    {
        var contentType = MediaTypes.Of(request.Headers.FirstOrDefault(h => string.Equals(h.Key, "Content-Type", StringComparison.OrdinalIgnoreCase)).Value)
            ?? "application/json";
        var models = method.RequestModels ?? [];
        var modelName = models.GetValueOrDefault(contentType) ?? models.GetValueOrDefault("$default");
        if (modelName is null || deployment.Models.GetValueOrDefault(modelName)?.Schema is not { } schemaText) return true;
        try
        {
            // An empty body is no JSON document at all, so no model accepts it.
            return request.Body.Length > 0 && ModelSchema.Accepts((JsonObject)JsonBody.Parse(schemaText)!, JsonBody.Parse(request.Body),
                name => deployment.Models.GetValueOrDefault(name)?.Schema is { } referred ? JsonBody.Parse(referred) as JsonObject : null);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or RegexMatchTimeoutException)
        {
            // A body that is not JSON, or a schema pattern that does not compile or runs too long, fails validation as on AWS.
            return false;
        }
    }
}
