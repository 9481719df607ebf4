using System.Text;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Protocols.Query;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>The shared protocol pieces CloudWatch relies on: numbers sent as integers, and maps in Query XML.</summary>
public sealed class CloudWatchWireShapeTests
{
    [Fact]
    public void Doubles_sent_as_integers_or_strings_are_read_as_doubles()
    {
        var input = new OperationInput(new JsonObject { ["Whole"] = JsonValue.Create(5L), ["Real"] = 2.5, ["Text"] = "1e3", ["Bad"] = "x" },
            TestCalls.Wire(), ValidationStyle.Smithy);

        Assert.Equal(5, input.Double("Whole"));
        Assert.Equal(2.5, input.Double("Real"));
        Assert.Equal(1000, input.Double("Text"));
        Assert.Equal("ValidationException", Assert.Throws<AwsException>(() => input.Double("Bad")).Code);
    }

    [Fact]
    public void Query_XML_writes_model_maps_as_entries()
    {
        var shape = new XmlShape { MapNames = new HashSet<string> { "ExtendedStatistics" } };
        var body = new JsonObject { ["Datapoints"] = new JsonArray(new JsonObject { ["ExtendedStatistics"] = new JsonObject { ["p99"] = 7.5 } }) };

        var xml = Encoding.UTF8.GetString(XmlBody.Response("GetMetricStatistics", "urn:test", body, "req-1", shape));

        Assert.Contains("<Datapoints><member><ExtendedStatistics><entry><key>p99</key><value>7.5</value></entry></ExtendedStatistics></member></Datapoints>", xml);
    }
}
