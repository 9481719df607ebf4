using System.Text.Json.Nodes;

namespace Stratus.Protocols;

/// <summary>The JSON-shaped error body the JSON, REST-JSON and CBOR protocols share.</summary>
public static class ErrorBodies
{
    /// <param name="codeKey">Where the code goes in the body ("__type"), or null when only a header carries it.</param>
    /// <param name="messageKey">"message" for most services, "Message" for Lambda.</param>
    public static JsonObject Build(AwsException error, string? codeKey, string messageKey)
    {
        var body = new JsonObject();
        if (codeKey is not null) body[codeKey] = error.Code;
        body[messageKey] = error.Message;
        if (error.Fields is not null)
            foreach (var (name, value) in error.Fields) body[name] = value;
        return body;
    }
}
