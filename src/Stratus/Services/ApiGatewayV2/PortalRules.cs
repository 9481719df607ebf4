using static Stratus.Services.ApiGatewayV2.ApiGatewayV2Errors;

namespace Stratus.Services.ApiGatewayV2;

/// <summary>The constraints botocore's apigatewayv2 model puts on portals, portal products and their pages, and Stratus's bounds.</summary>
public static class PortalRules
{
    /// <summary>The model's PolicyDocument bound.</summary>
    public const int MaxPolicyLength = 307200;
    /// <summary>Stratus's bounds on what one publication renders (AWS publishes no per-portal limit in the model).</summary>
    public const int MaxProductsPerPortal = 50;
    public const int MaxPagesPerProduct = 200;

    public static void CheckContent(PortalContent content)
    {
        Length("PortalContent.DisplayName", content.DisplayName, 3, 255);
        if (content.Description is { } description) Length("PortalContent.Description", description, 0, 1024);
        var colors = content.Theme.CustomColors;
        foreach (var (name, value) in new[] { ("AccentColor", colors.AccentColor), ("BackgroundColor", colors.BackgroundColor),
            ("ErrorValidationColor", colors.ErrorValidationColor), ("HeaderColor", colors.HeaderColor), ("NavigationColor", colors.NavigationColor),
            ("TextColor", colors.TextColor) })
        {
            Length("CustomColors." + name, value, 1, 16);
            // The colours go into the site's style sheet: a CSS colour is letters, digits, '#', '(', ')', ',', '.', '%' and spaces.
            if (!value.All(c => char.IsAsciiLetterOrDigit(c) || c is '#' or '(' or ')' or ',' or '.' or '%' or ' '))
                throw BadRequest($"Invalid CustomColors.{name}: {value} is not a CSS colour.");
        }
    }

    public static void CheckPortalStrings(PortalSettings settings)
    {
        if (settings.LogoUri is { } logo) Length("LogoUri", logo, 0, 1092);
        if (settings.RumAppMonitorName is { } rum) Length("RumAppMonitorName", rum, 0, 255);
    }

    public static void CheckProduct(string displayName, string? description)
    {
        Length("DisplayName", displayName, 1, 255);
        if (description is not null) Length("Description", description, 0, 1024);
    }

    public static void CheckPage(PageContent content)
    {
        Length("DisplayContent.Title", content.Title, 1, 255);
        Length("DisplayContent.Body", content.Body, 1, 32768);
    }

    public static void CheckOverrides(EndpointOverrides overrides)
    {
        if (overrides.Body is { } body) Length("Overrides.Body", body, 1, 32768);
        if (overrides.Endpoint is { } endpoint) Length("Overrides.Endpoint", endpoint, 1, 1024);
        if (overrides.OperationName is { } name) Length("Overrides.OperationName", name, 1, 255);
    }

    public static void CheckIdentifier(RestEndpointParts parts)
    {
        Length("IdentifierParts.RestApiId", parts.RestApiId, 1, 50);
        Length("IdentifierParts.Stage", parts.Stage, 1, 128);
        Length("IdentifierParts.Method", parts.Method, 1, 20);
        Length("IdentifierParts.Path", parts.Path, 1, 4096);
        if (!parts.Path.StartsWith('/')) throw BadRequest($"Invalid IdentifierParts.Path {parts.Path}: a resource path starts with '/'.");
    }

    public static string? CheckTryIt(string? state) => state switch
    {
        null or PortalStatus.TryItEnabled or PortalStatus.TryItDisabled => state,
        _ => throw BadRequest($"Invalid TryItState {state}: it must be ENABLED or DISABLED."),
    };

    private static void Length(string member, string value, int min, int max)
    {
        if (value.Length < min || value.Length > max) throw BadRequest($"{member} must be {min} to {max} characters.");
    }
}
