using Stratus.Services.ApiGateway.Vtl;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>The parameters an integration request carries besides the client's: mapped by <c>integration.request.*</c>.</summary>
public sealed record MappedParameters(Dictionary<string, string> Path, List<KeyValuePair<string, string>> Query, List<KeyValuePair<string, string>> Headers);

/// <summary>The integration request: the method request's parameters mapped, and its body through the request template.</summary>
internal static class IntegrationRequestStage
{
    public static MappedParameters MapParameters(RequestContext run)
    {
        var mapped = new MappedParameters(new(StringComparer.Ordinal), [], []);
        foreach (var mapping in run.Plan.RequestParameters)
        {
            if (mapping.Source(run) is not { } value) continue;
            switch (mapping.Location)
            {
                case ParameterLocation.Path: mapped.Path[mapping.Name] = value; break;
                case ParameterLocation.QueryString: mapped.Query.Add(new(mapping.Name, value)); break;
                case ParameterLocation.Header: mapped.Headers.Add(new(mapping.Name, value)); break;
            }
        }
        return mapped;
    }

    /// <summary>The request body after the request template, or null to pass the body through unchanged.</summary>
    public static string? MapBody(RequestContext run)
    {
        var integration = run.Plan.Integration!;
        var contentType = MediaTypes.Of(run.Header("Content-Type")) ?? "application/json";
        // contentHandling CONVERT_TO_TEXT hands a binary payload on as base64 text, to the template or through.
        var convertToText = integration.ContentHandling == "CONVERT_TO_TEXT" && run.Target.IsBinary(contentType);
        var converted = convertToText ? Convert.ToBase64String(run.Request.Body) : null;
        if (run.Plan.RequestTemplates.TryGetValue(contentType, out var template))
            return template is null ? converted : template.Render(run, converted is null ? run.Body : new JsonPayload(converted), run.ContextVariable());
        var passThrough = integration.PassthroughBehavior switch
        {
            "NEVER" => false,
            "WHEN_NO_TEMPLATES" => run.Plan.RequestTemplates.Count == 0,
            _ => true,
        };
        if (!passThrough)
            throw new GatewayFailure($"Request Content-Type {contentType} has no mapping template and passthrough behavior is {integration.PassthroughBehavior}",
                GatewayResponse.Message(415, "Unsupported Media Type", "UnsupportedMediaTypeException"));
        return integration.Type == "MOCK" ? "" : converted;
    }
}
