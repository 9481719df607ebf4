using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Serialization;

namespace Stratus.Protocols.Json;

/// <summary>A JSON tree written as YAML: API Gateway's exports answered as application/yaml, CloudFormation's generated templates in YAML.</summary>
public static class JsonAsYaml
{
    public static byte[] Write(JsonNode definition) =>
        System.Text.Encoding.UTF8.GetBytes(new SerializerBuilder().WithQuotingNecessaryStrings().Build().Serialize(Plain(definition)));

    /// <summary>A JSON tree as plain dictionaries, lists and scalars, for the YAML writer.</summary>
    private static object? Plain(JsonNode? node) => node switch
    {
        JsonObject obj => obj.ToDictionary(p => p.Key, p => Plain(p.Value)),
        JsonArray list => list.Select(Plain).ToList(),
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => long.TryParse(value.ToJsonString(), out var integer) ? integer : double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture),
            _ => null,
        },
        _ => null,
    };
}
