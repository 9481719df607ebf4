using System.Formats.Cbor;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Protocols.Cbor;
using Stratus.Protocols.Json;

namespace Stratus.Tests.Protocols;

public sealed class JsonAndCborTests
{
    private static readonly DateTimeOffset Instant = new(2024, 1, 2, 3, 4, 5, 500, TimeSpan.Zero);

    [Fact]
    public void Json_writes_timestamps_as_epoch_seconds_and_skips_nulls() =>
        Assert.Equal("""{"When":1704164645.5,"Name":"a<b"}""",
            Encoding.UTF8.GetString(JsonBody.Write(new JsonObject { ["When"] = Instant, ["Missing"] = null, ["Name"] = "a<b" })));

    [Theory]
    [InlineData("{\"a\":")]
    [InlineData("[1,2]")]
    [InlineData("nope")]
    public void Malformed_or_non_object_json_is_a_serialization_error(string body)
    {
        var error = Assert.Throws<AwsException>(() => JsonBody.ParseObject(Encoding.UTF8.GetBytes(body)));
        Assert.Equal("SerializationException", error.Code);
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public void Empty_json_body_is_an_empty_input() => Assert.Empty(JsonBody.ParseObject(""u8));

    [Fact]
    public void Cbor_round_trips_maps_lists_numbers_and_timestamps_as_tag_1()
    {
        var bytes = CborBody.Write(new JsonObject
        {
            ["Namespace"] = "AWS/Lambda",
            ["Values"] = new JsonArray(1, 2.5),
            ["Timestamp"] = Instant,
            ["Flag"] = true,
        });

        var reader = new CborReader(bytes);
        reader.ReadStartMap();
        Assert.Equal("Namespace", reader.ReadTextString());
        Assert.Equal("AWS/Lambda", reader.ReadTextString());
        Assert.Equal("Values", reader.ReadTextString());
        reader.ReadStartArray();
        Assert.Equal(1, reader.ReadInt64());
        Assert.Equal(2.5, reader.ReadDouble());
        reader.ReadEndArray();
        Assert.Equal("Timestamp", reader.ReadTextString());
        Assert.Equal(CborTag.UnixTimeSeconds, reader.ReadTag());
        Assert.Equal(1704164645.5, reader.ReadDouble());

        var back = CborBody.ReadObject(bytes);
        Assert.Equal(Instant, back["Timestamp"]!.GetValue<DateTimeOffset>());
        Assert.Equal(2.5, back["Values"]![1]!.GetValue<double>());
        Assert.True(back["Flag"]!.GetValue<bool>());
    }

    [Fact]
    public void Cbor_reads_what_botocore_sends_for_an_empty_input() => Assert.Empty(CborBody.ReadObject(new byte[] { 0xA0 }));

    [Theory]
    [InlineData(new byte[] { 0xA1, 0x61 })]
    [InlineData(new byte[] { 0x82, 0x01, 0x02 })]
    [InlineData(new byte[] { 0xA0, 0x00 })]
    public void Truncated_non_map_or_trailing_cbor_is_a_serialization_error(byte[] body) =>
        Assert.Equal("SerializationException", Assert.Throws<AwsException>(() => CborBody.ReadObject(body)).Code);
}
