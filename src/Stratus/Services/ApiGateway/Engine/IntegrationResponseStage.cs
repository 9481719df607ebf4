using System.Globalization;
using System.Text;
using Stratus.Services.ApiGateway.Vtl;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// The integration response: picks the response by selection pattern, maps its headers and its body
/// through the response template, then hands on to the method response.
/// </summary>
internal static class IntegrationResponseStage
{
    public static GatewayResponse Answer(RequestContext run, IntegrationOutput output)
    {
        var chosen = Select(run, output)
            ?? throw GatewayFailure.Configuration("No match for output mapping and no default output mapping");
        run.Write($"Selected integration response {chosen.Response.StatusCode}");

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var mapping in chosen.Headers)
            if (mapping.Source(run, output) is { } value) headers.Add(new(mapping.Name, value));

        var body = output.Body.Text;
        string? templateType = null;
        var status = int.Parse(chosen.Response.StatusCode, CultureInfo.InvariantCulture);
        if (chosen.Templates.Count > 0)
        {
            var (type, template) = SelectTemplate(run.Header("Accept"), chosen.Templates);
            templateType = type;
            if (template is not null)
            {
                var context = run.ContextVariable();
                body = template.Render(run, output.Body, context);
                status = ApplyResponseOverride(context, status, headers);
            }
        }
        return MethodResponseStage.Respond(chosen.Response, status, headers, body, templateType);
    }

    /// <summary>Lambda responses are selected by their error message (none when the function succeeded); HTTP and MOCK by status code.</summary>
    private static IntegrationResponsePlan? Select(RequestContext run, IntegrationOutput output)
    {
        var subject = run.Plan.Integration!.Type == "AWS" ? output.ErrorMessage : output.Status;
        return (subject is null ? null : run.Plan.Responses.FirstOrDefault(r => r.HasSelectionPattern && r.Selects(subject)))
            ?? run.Plan.Responses.FirstOrDefault(r => !r.HasSelectionPattern);
    }

    /// <summary>The template for the first Accept type that has one; else application/json's, else the first.</summary>
    private static KeyValuePair<string, MappingTemplate?> SelectTemplate(string? accept, IReadOnlyList<KeyValuePair<string, MappingTemplate?>> templates)
    {
        foreach (var wanted in (accept ?? "").Split(',').Select(MediaTypes.Of).OfType<string>())
            foreach (var template in templates)
                if (string.Equals(template.Key, wanted, StringComparison.OrdinalIgnoreCase)) return template;
        foreach (var template in templates)
            if (template.Key == "application/json") return template;
        return templates[0];
    }

    /// <summary>What a response template set in <c>$context.responseOverride.status</c> and <c>.header.NAME</c>.</summary>
    private static int ApplyResponseOverride(Dictionary<string, object?> context, int status, List<KeyValuePair<string, string>> headers)
    {
        if (context.GetValueOrDefault("responseOverride") is not Dictionary<string, object?> overrides) return status;
        if (overrides.GetValueOrDefault("header") is Dictionary<string, object?> overridden)
            foreach (var (name, value) in overridden.Where(h => h.Value is not null))
            {
                headers.RemoveAll(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));
                headers.Add(new(name, VtlValues.ToText(value)));
            }
        return VtlValues.AsLong(overrides.GetValueOrDefault("status")) is { } code && code is >= 100 and <= 599 ? (int)code : status;
    }
}

/// <summary>The method response: the status and headers the integration response chose, the body in its content handling.</summary>
internal static class MethodResponseStage
{
    public static GatewayResponse Respond(IntegrationResponse chosen, int status, List<KeyValuePair<string, string>> headers, string body, string? templateType)
    {
        if (!headers.Any(h => string.Equals(h.Key, "Content-Type", StringComparison.OrdinalIgnoreCase)))
            headers.Add(new("Content-Type", templateType ?? "application/json"));
        return new GatewayResponse(status, headers, chosen.ContentHandling == "CONVERT_TO_BINARY" ? FromBase64(body) : Encoding.UTF8.GetBytes(body));
    }

    private static byte[] FromBase64(string body)
    {
        try
        {
            return Convert.FromBase64String(body);
        }
        catch (FormatException)
        {
            throw GatewayFailure.Configuration("CONVERT_TO_BINARY on a body that is not base64");
        }
    }
}
