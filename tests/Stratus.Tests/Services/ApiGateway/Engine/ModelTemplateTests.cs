using System.Text.Json.Nodes;
using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.ApiGateway.Vtl;

namespace Stratus.Tests.Services.ApiGateway.Engine;

/// <summary>GetModelTemplate's generated templates are valid Velocity: Stratus's own engine renders them into JSON of the model's shape.</summary>
public sealed class ModelTemplateTests
{
    private static readonly JsonObject Pet = JsonNode.Parse("""
        {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "vaccinated": {"type": "boolean"}}}
        """)!.AsObject();

    private static string Render(string template, string body) =>
        VtlTemplate.Parse(template).Render(new Dictionary<string, object?>
        {
            ["input"] = new InputVariable(body, new Dictionary<string, string>(), new Dictionary<string, string>(), new Dictionary<string, string>()),
            ["util"] = UtilVariable.Instance,
            ["context"] = new Dictionary<string, object?>(),
            ["stageVariables"] = new Dictionary<string, object?>(),
        });

    [Fact]
    public void An_array_of_a_referenced_model_is_walked_with_foreach_and_renders_the_payload_as_JSON()
    {
        var pets = JsonNode.Parse("""
            {"type": "object", "properties": {
              "owner": {"type": "string"},
              "pets": {"type": "array", "items": {"$ref": "https://apigateway.amazonaws.com/restapis/abc123/models/Pet"}}}}
            """)!.AsObject();

        var template = ModelTemplate.Generate(pets, name => name == "Pet" ? Pet : null);

        Assert.StartsWith("#set($inputRoot = $input.path('$'))", template);
        Assert.Contains("#foreach(", template);
        Assert.Contains("#if($foreach.hasNext),#end", template);
        var rendered = JsonNode.Parse(Render(template,
            """{"owner": "ana", "pets": [{"id": 1, "name": "rex", "vaccinated": true, "extra": "dropped"}, {"id": 2, "name": "tom", "vaccinated": false}]}"""))!;
        Assert.Equal("ana", rendered["owner"]!.GetValue<string>());
        Assert.Equal(2, rendered["pets"]!.AsArray().Count);
        Assert.Equal(1, rendered["pets"]![0]!["id"]!.GetValue<int>());
        Assert.Equal("tom", rendered["pets"]![1]!["name"]!.GetValue<string>());
        Assert.False(rendered["pets"]![1]!["vaccinated"]!.GetValue<bool>());
        Assert.Null(rendered["pets"]![0]!["extra"]);
    }

    [Fact]
    public void A_self_referring_model_stops_at_the_depth_bound()
    {
        var node = JsonNode.Parse("""
            {"type": "object", "properties": {"value": {"type": "string"}, "next": {"$ref": "https://apigateway.amazonaws.com/restapis/abc123/models/Node"}}}
            """)!.AsObject();

        var template = ModelTemplate.Generate(node, name => name == "Node" ? node : null);

        var nested = template.Split("\"next\" :").Length - 1;
        Assert.InRange(nested, 2, ModelTemplate.MaxDepth);
        Assert.Contains("$inputRoot.next.next.value", template);
    }
}
