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

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}")]
    [InlineData("{\"Outer\":{\"k\":1,\"k\":1}}")]
    [InlineData("{\"a\":\"\\ud800\"}")]
    [InlineData("{\"\\udc00\":1}")]
    [InlineData("{\"a\":[\"ok \\ud83d\\ude00\", \"\\uD800 alone\"]}")]
    [InlineData("{\"a\":")]
    public void Duplicate_members_unpaired_surrogates_and_truncation_are_serialization_errors(string body) =>
        Assert.Equal("SerializationException", Assert.Throws<AwsException>(() => JsonBody.ParseObject(Encoding.UTF8.GetBytes(body))).Code);

    [Fact]
    public void Invalid_utf8_inside_a_json_string_is_a_serialization_error()
    {
        byte[] body = [.. "{\"a\":\""u8, 0xFF, 0xFE, .. "\"}"u8];
        Assert.Equal("SerializationException", Assert.Throws<AwsException>(() => JsonBody.ParseObject(body)).Code);
    }

    [Fact]
    public void Json_nested_past_the_depth_limit_is_a_serialization_error()
    {
        var deep = "{\"a\":" + new string('[', 10_000) + new string(']', 10_000) + "}";
        Assert.Equal("SerializationException", Assert.Throws<AwsException>(() => JsonBody.ParseObject(Encoding.UTF8.GetBytes(deep))).Code);
    }

    [Fact]
    public void Cbor_nested_past_the_depth_limit_even_with_indefinite_lengths_is_a_serialization_error()
    {
        var deep = new byte[] { 0xA1, 0x61, (byte)'a' }.Concat(Enumerable.Repeat((byte)0x9F, 20_000)).Concat(Enumerable.Repeat((byte)0xFF, 20_000)).ToArray();
        Assert.Equal("SerializationException", Assert.Throws<AwsException>(() => CborBody.ReadObject(deep)).Code);
    }

    [Fact]
    public void Cbor_timestamp_past_year_9999_is_a_serialization_error()
    {
        var writer = new CborWriter();
        writer.WriteStartMap(1);
        writer.WriteTextString("Timestamp");
        writer.WriteTag(CborTag.UnixTimeSeconds);
        writer.WriteInt64(99999999999999999);
        writer.WriteEndMap();
        Assert.Equal("SerializationException", Assert.Throws<AwsException>(() => CborBody.ReadObject(writer.Encode())).Code);
    }

    [Fact]
    public void Integer_cbor_timestamps_are_read_too()
    {
        var writer = new CborWriter();
        writer.WriteStartMap(1);
        writer.WriteTextString("Timestamp");
        writer.WriteTag(CborTag.UnixTimeSeconds);
        writer.WriteInt64(1704164645);
        writer.WriteEndMap();
        Assert.Equal(Instant.AddMilliseconds(-500), CborBody.ReadObject(writer.Encode())["Timestamp"]!.GetValue<DateTimeOffset>());
    }

    private static OperationInput Input(JsonObject body) =>
        new(body, new CallContext { AccountId = "000000000000", Region = "us-east-1", RequestId = "r", Http = new Microsoft.AspNetCore.Http.DefaultHttpContext() }, new ValidationStyle("InvalidParameterValue"));

    [Fact]
    public void Untagged_cbor_integers_are_epoch_seconds_where_a_timestamp_belongs()
    {
        var writer = new CborWriter();
        writer.WriteStartMap(1);
        writer.WriteTextString("StartTime");
        writer.WriteInt64(1704164645);
        writer.WriteEndMap();
        Assert.Equal(Instant.AddMilliseconds(-500), Input(CborBody.ReadObject(writer.Encode())).Timestamp("StartTime"));
    }

    [Fact]
    public void A_cbor_nan_where_a_string_belongs_is_a_validation_error()
    {
        var writer = new CborWriter();
        writer.WriteStartMap(1);
        writer.WriteTextString("Namespace");
        writer.WriteHalf(Half.NaN);
        writer.WriteEndMap();
        var error = Assert.Throws<AwsException>(() => Input(CborBody.ReadObject(writer.Encode())).String("Namespace"));
        Assert.Equal("InvalidParameterValue", error.Code);
    }

    [Theory]
    [InlineData("99999999999999999")]
    [InlineData("-99999999999999999")]
    [InlineData("1e400")]
    public void Epoch_timestamps_outside_years_1_to_9999_are_validation_errors(string seconds)
    {
        var fromJson = Assert.Throws<AwsException>(() => Input(JsonBody.ParseObject(Encoding.UTF8.GetBytes($"{{\"Timestamp\":{seconds}}}"))).Timestamp("Timestamp"));
        Assert.Equal("InvalidParameterValue", fromJson.Code);
        var fromQuery = Assert.Throws<AwsException>(() => Input(new JsonObject { ["Timestamp"] = seconds }).Timestamp("Timestamp"));
        Assert.Equal("InvalidParameterValue", fromQuery.Code);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e400")]
    public void Non_finite_doubles_are_validation_errors(string value) =>
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => Input(new JsonObject { ["Value"] = value }).Double("Value")).Code);

    [Fact]
    public void Huge_json_numbers_where_integers_belong_are_validation_errors() =>
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => Input(JsonBody.ParseObject("{\"N\":1e999999}"u8)).Int("N")).Code);
}
