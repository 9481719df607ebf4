using System.Text.Json.Nodes;
using Stratus.Services.ApiGateway.Engine;

namespace Stratus.Tests.Services.ApiGateway.Engine;

/// <summary>Draft 4 model schemas checking request bodies, as a request validator applies them.</summary>
public sealed class ModelSchemaTests
{
    private const string Pet = """
        {
          "$schema": "http://json-schema.org/draft-04/schema#",
          "type": "object",
          "required": ["name", "price"],
          "additionalProperties": false,
          "properties": {
            "name": {"type": "string", "minLength": 1, "pattern": "^[A-Za-z ]+$"},
            "price": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1000},
            "kind": {"enum": ["dog", "cat"]},
            "tags": {"type": "array", "items": {"$ref": "#/definitions/tag"}, "maxItems": 2, "uniqueItems": true}
          },
          "definitions": {"tag": {"type": "string", "maxLength": 5}}
        }
        """;

    [Theory]
    [InlineData("""{"name": "Rex", "price": 10}""", true)]
    [InlineData("""{"name": "Rex", "price": 10, "kind": "cat", "tags": ["a", "b"]}""", true)]
    [InlineData("""{"name": "Rex"}""", false)] // price required
    [InlineData("""{"name": "Rex", "price": 0}""", false)] // draft 4 exclusiveMinimum
    [InlineData("""{"name": "Rex", "price": 1000.5}""", false)]
    [InlineData("""{"name": "Rex", "price": "10"}""", false)]
    [InlineData("""{"name": "R3x", "price": 10}""", false)] // pattern
    [InlineData("""{"name": "Rex", "price": 10, "kind": "cow"}""", false)]
    [InlineData("""{"name": "Rex", "price": 10, "owner": "me"}""", false)] // additionalProperties
    [InlineData("""{"name": "Rex", "price": 10, "tags": ["toolong"]}""", false)] // $ref'd maxLength
    [InlineData("""{"name": "Rex", "price": 10, "tags": ["a", "a"]}""", false)] // uniqueItems
    [InlineData("""[1, 2]""", false)]
    public void Body_is_checked_against_the_model(string body, bool accepted) =>
        Assert.Equal(accepted, ModelSchema.Accepts(JsonNode.Parse(Pet)!.AsObject(), JsonNode.Parse(body)));

    [Fact]
    public void Self_referring_schema_stops_at_the_depth_limit()
    {
        var schema = JsonNode.Parse("""{"$ref": "#"}""")!.AsObject();
        Assert.False(ModelSchema.Accepts(schema, JsonNode.Parse("{}")));
    }

    [Fact]
    public void Integer_and_combinators_follow_draft_4()
    {
        var schema = JsonNode.Parse("""{"oneOf": [{"type": "integer"}, {"type": "string"}], "not": {"enum": [7]}}""")!.AsObject();
        Assert.True(ModelSchema.Accepts(schema, JsonNode.Parse("3")));
        Assert.False(ModelSchema.Accepts(schema, JsonNode.Parse("3.5")));
        Assert.False(ModelSchema.Accepts(schema, JsonNode.Parse("7")));
        Assert.True(ModelSchema.Accepts(schema, JsonNode.Parse("\"x\"")));
    }

    [Fact]
    public void A_reference_to_another_model_is_checked_against_that_model_with_its_own_local_definitions()
    {
        var pet = JsonNode.Parse(Pet)!.AsObject();
        var order = JsonNode.Parse("""
            {"type": "object", "required": ["pet"], "properties": {"pet": {"$ref": "https://apigateway.amazonaws.com/restapis/abc123/models/Pet"}}}
            """)!.AsObject();
        JsonObject? Models(string name) => name == "Pet" ? pet : null;

        Assert.True(ModelSchema.Accepts(order, JsonNode.Parse("""{"pet": {"name": "Rex", "price": 10, "tags": ["a"]}}"""), Models));
        Assert.False(ModelSchema.Accepts(order, JsonNode.Parse("""{"pet": {"name": "Rex"}}"""), Models));
        Assert.False(ModelSchema.Accepts(order, JsonNode.Parse("""{"pet": {"name": "Rex", "price": 10, "tags": ["toolong"]}}"""), Models));
        // A model that is not there accepts nothing, as a reference that does not resolve.
        Assert.False(ModelSchema.Accepts(order, JsonNode.Parse("""{"pet": {"name": "Rex", "price": 10}}"""), _ => null));
    }

    [Fact]
    public void A_cycle_of_model_references_ends_at_the_depth_bound()
    {
        var loop = JsonNode.Parse("""{"$ref": "https://apigateway.amazonaws.com/restapis/abc123/models/Loop"}""")!.AsObject();

        Assert.False(ModelSchema.Accepts(loop, JsonNode.Parse("{}"), _ => loop));
    }
}
