using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Iam.CloudFormation;

/// <summary>
/// Service principals written as "lambda.${AWS::URLSuffix}" (a common template idiom) name the service,
/// not an address. On Stratus AWS::URLSuffix is "localhost:PORT" so execute-api URLs open; in a trust
/// policy that would become "lambda.localhost:PORT", which no service answers to, so it is read back
/// as the service's own name, "lambda.amazonaws.com".
/// </summary>
public static partial class ServicePrincipals
{
    [GeneratedRegex(@"^([a-z0-9.-]+)\.localhost:\d+$")]
    private static partial Regex LocalSuffix();

    public static string Normalize(string policyDocument)
    {
        if (!policyDocument.Contains(".localhost:", StringComparison.Ordinal) || JsonNode.Parse(policyDocument) is not JsonObject document)
            return policyDocument;
        var statements = document["Statement"] switch
        {
            JsonArray list => list.OfType<JsonObject>(),
            JsonObject single => [single],
            _ => [],
        };
        foreach (var principal in statements.Select(s => s["Principal"]).OfType<JsonObject>())
        {
            principal["Service"] = principal["Service"] switch
            {
                JsonArray services => new JsonArray(services.Select(s => (JsonNode?)Rewrite(s)).ToArray()),
                JsonValue service => Rewrite(service),
                var other => other?.DeepClone(),
            };
        }
        return document.ToJsonString();
    }

    private static JsonNode? Rewrite(JsonNode? service) =>
        service is JsonValue v && v.TryGetValue<string>(out var name) && LocalSuffix().Match(name) is { Success: true } local
            ? JsonValue.Create(local.Groups[1].Value + ".amazonaws.com")
            : service?.DeepClone();
}
