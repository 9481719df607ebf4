using System.Text.RegularExpressions;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// A schema's reference to another model of the API, written as AWS writes it: <c>https://apigateway.amazonaws.com/restapis/{restapi_id}/models/{model_name}</c>.
/// </summary>
public static partial class ModelReference
{
    [GeneratedRegex("^https://apigateway\\.amazonaws\\.com/restapis/([^/]+)/models/([^/#]+)$")]
    private static partial Regex Url();

    /// <summary>The model name a reference names, or null when it is not a model URL.</summary>
    public static string? Name(string reference) => Url().Match(reference) is { Success: true } match ? match.Groups[2].Value : null;
}
