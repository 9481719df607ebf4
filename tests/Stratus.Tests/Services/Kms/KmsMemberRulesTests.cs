using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.Kms;

namespace Stratus.Tests.Services.Kms;

/// <summary>KMS's declared member rules: ValidationException in Smithy's wording, before the operation runs.</summary>
public sealed class KmsMemberRulesTests
{
    private static AwsException Refusal(string operation, JsonObject input) =>
        Assert.Throws<AwsException>(() => KmsRules.Members.Check(operation, input, ValidationStyle.Smithy));

    [Fact]
    public void A_byte_count_out_of_range_is_refused_with_its_bound()
    {
        var error = Refusal("GenerateRandom", new JsonObject { ["NumberOfBytes"] = 0 });
        Assert.Equal("ValidationException", error.Code);
        Assert.Equal("1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1", error.Message);
        Assert.Equal("1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
            Refusal("GenerateRandom", new JsonObject { ["NumberOfBytes"] = 1025 }).Message);
    }

    [Fact]
    public void An_empty_key_id_an_unknown_algorithm_and_a_bad_alias_are_named()
    {
        Assert.Equal("1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1",
            Refusal("DescribeKey", new JsonObject { ["KeyId"] = "" }).Message);
        Assert.Equal("1 validation error detected: Value 'HMAC_MD5' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [HMAC_SHA_224, HMAC_SHA_256, HMAC_SHA_384, HMAC_SHA_512]",
            Refusal("GenerateMac", new JsonObject { ["KeyId"] = "k", ["Message"] = "AA==", ["MacAlgorithm"] = "HMAC_MD5" }).Message);
        Assert.Equal("1 validation error detected: Value 'alias/has space' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
            Refusal("CreateAlias", new JsonObject { ["AliasName"] = "alias/has space", ["TargetKeyId"] = "k" }).Message);
    }

    [Fact]
    public void Tag_items_are_named_by_their_place_in_the_list()
    {
        var tags = new JsonArray(new JsonObject { ["TagKey"] = "ok", ["TagValue"] = "v" }, new JsonObject { ["TagKey"] = "", ["TagValue"] = "v" });
        Assert.Equal("1 validation error detected: Value '' at 'tags.2.member.tagKey' failed to satisfy constraint: Member must have length greater than or equal to 1",
            Refusal("TagResource", new JsonObject { ["KeyId"] = "k", ["Tags"] = tags }).Message);
    }
}
