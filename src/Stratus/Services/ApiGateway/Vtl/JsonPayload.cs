using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Services.ApiGateway.Vtl;

/// <summary>
/// A body as mappings read it: its text, and its JSON parsed at most once, on first use, however many
/// of <c>$input</c>, response parameters, error messages and the proxy contract look at it.
/// </summary>
public sealed class JsonPayload(string text)
{
    private JsonNode? _root;
    private bool _parsed;

    public string Text { get; } = text;

    /// <summary>As <c>$input.path('$')</c> sees it: an empty body is <c>{}</c>, one that is not JSON a string.</summary>
    public JsonNode? Root
    {
        get
        {
            if (_parsed) return _root;
            _parsed = true;
            if (string.IsNullOrWhiteSpace(Text)) _root = new JsonObject();
            else
            {
                try { _root = JsonNode.Parse(Text); }
                catch (JsonException) { _root = JsonValue.Create(Text); }
            }
            return _root;
        }
    }

    /// <summary>The body's JSON object, or null when it is not one.</summary>
    public JsonObject? Object => Root as JsonObject;
}
