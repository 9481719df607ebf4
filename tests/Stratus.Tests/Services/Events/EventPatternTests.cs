using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Services.Events.Engine;

namespace Stratus.Tests.Services.Events;

/// <summary>Event patterns matched as EventBridge matches them, one matcher kind at a time, and refused as it refuses them.</summary>
public sealed class EventPatternTests
{
    private const string Event = """
        {"version":"0","id":"1","detail-type":"Order Placed","source":"com.shop","account":"123456789012","time":"2026-12-05T10:00:00Z",
         "region":"us-east-1","resources":["arn:aws:s3:::uploads"],
         "detail":{"state":"RUNNING","size":42,"price":9.5,"tags":["red","blue"],"ip":"10.0.3.7","customer":{"tier":"GOLD","name":null},
                   "file":"photos/2026/cat.JPG","ok":true}}
        """;

    private static bool Matches(string pattern) => EventPattern.Parse(pattern).Matches(JsonNode.Parse(Event));

    [Theory]
    [InlineData("""{"source":["com.shop"]}""", true)]
    [InlineData("""{"source":["com.other","com.shop"]}""", true)]
    [InlineData("""{"source":["com.other"]}""", false)]
    [InlineData("""{"detail":{"size":[42]}}""", true)]
    [InlineData("""{"detail":{"size":[42.0]}}""", true)]
    [InlineData("""{"detail":{"size":["42"]}}""", false)]
    [InlineData("""{"detail":{"ok":[true]}}""", true)]
    [InlineData("""{"detail":{"customer":{"name":[null]}}}""", true)]
    [InlineData("""{"detail":{"tags":["blue"]}}""", true)]
    [InlineData("""{"detail":{"tags":["green"]}}""", false)]
    [InlineData("""{"resources":["arn:aws:s3:::uploads"]}""", true)]
    public void Exact_values_match_strings_numbers_booleans_null_and_array_elements(string pattern, bool expected) =>
        Assert.Equal(expected, Matches(pattern));

    [Theory]
    [InlineData("""{"detail":{"file":[{"prefix":"photos/"}]}}""", true)]
    [InlineData("""{"detail":{"file":[{"prefix":"Photos/"}]}}""", false)]
    [InlineData("""{"detail":{"file":[{"prefix":{"equals-ignore-case":"PHOTOS/"}}]}}""", true)]
    [InlineData("""{"detail":{"file":[{"suffix":".JPG"}]}}""", true)]
    [InlineData("""{"detail":{"file":[{"suffix":".jpg"}]}}""", false)]
    [InlineData("""{"detail":{"file":[{"suffix":{"equals-ignore-case":".jpg"}}]}}""", true)]
    [InlineData("""{"detail":{"state":[{"equals-ignore-case":"running"}]}}""", true)]
    [InlineData("""{"detail":{"file":[{"wildcard":"photos/*/cat.*"}]}}""", true)]
    [InlineData("""{"detail":{"file":[{"wildcard":"photos/*/dog.*"}]}}""", false)]
    [InlineData("""{"detail":{"file":[{"wildcard":"*"}]}}""", true)]
    public void Prefix_suffix_ignore_case_and_wildcard(string pattern, bool expected) => Assert.Equal(expected, Matches(pattern));

    [Theory]
    [InlineData("""{"detail":{"state":[{"anything-but":"STOPPED"}]}}""", true)]
    [InlineData("""{"detail":{"state":[{"anything-but":["RUNNING","STOPPED"]}]}}""", false)]
    [InlineData("""{"detail":{"size":[{"anything-but":[1,2]}]}}""", true)]
    [InlineData("""{"detail":{"state":[{"anything-but":{"prefix":"RUN"}}]}}""", false)]
    [InlineData("""{"detail":{"state":[{"anything-but":{"suffix":"ED"}}]}}""", true)]
    [InlineData("""{"detail":{"state":[{"anything-but":{"equals-ignore-case":["running"]}}]}}""", false)]
    [InlineData("""{"detail":{"missing":[{"anything-but":"x"}]}}""", false)]
    public void Anything_but_excludes_values_prefixes_and_suffixes_and_never_matches_an_absent_field(string pattern, bool expected) =>
        Assert.Equal(expected, Matches(pattern));

    [Theory]
    [InlineData("""{"detail":{"size":[{"numeric":[">",40,"<=",42]}]}}""", true)]
    [InlineData("""{"detail":{"size":[{"numeric":["<",42]}]}}""", false)]
    [InlineData("""{"detail":{"price":[{"numeric":["=",9.5]}]}}""", true)]
    [InlineData("""{"detail":{"state":[{"numeric":[">",0]}]}}""", false)]
    [InlineData("""{"detail":{"ip":[{"cidr":"10.0.0.0/16"}]}}""", true)]
    [InlineData("""{"detail":{"ip":[{"cidr":"10.1.0.0/16"}]}}""", false)]
    public void Numeric_ranges_and_cidr(string pattern, bool expected) => Assert.Equal(expected, Matches(pattern));

    [Theory]
    [InlineData("""{"detail":{"state":[{"exists":true}]}}""", true)]
    [InlineData("""{"detail":{"missing":[{"exists":true}]}}""", false)]
    [InlineData("""{"detail":{"missing":[{"exists":false}]}}""", true)]
    [InlineData("""{"detail":{"state":[{"exists":false}]}}""", false)]
    [InlineData("""{"detail":{"customer":[{"exists":true}]}}""", true)]
    [InlineData("""{"nothing":{"deeper":[{"exists":false}]}}""", true)]
    public void Exists_tests_presence(string pattern, bool expected) => Assert.Equal(expected, Matches(pattern));

    [Theory]
    [InlineData("""{"source":["com.shop"],"$or":[{"detail":{"state":["STOPPED"]}},{"detail":{"size":[{"numeric":[">",10]}]}}]}""", true)]
    [InlineData("""{"$or":[{"detail":{"state":["STOPPED"]}},{"detail":{"size":[{"numeric":[">",100]}]}}]}""", false)]
    [InlineData("""{"source":["com.other"],"$or":[{"detail":{"state":["RUNNING"]}},{"detail":{"ok":[true]}}]}""", false)]
    public void Or_matches_when_any_alternative_does_and_every_other_field_matches(string pattern, bool expected) =>
        Assert.Equal(expected, Matches(pattern));

    [Theory]
    [InlineData("[]", "Filter is not an object")]
    [InlineData("{}", "Empty objects are not allowed")]
    [InlineData("""{"source":"com.shop"}""", "\"source\" must be an object or an array")]
    [InlineData("""{"source":[]}""", "Empty arrays are not allowed")]
    [InlineData("""{"source":[{"regex":"x"}]}""", "Unrecognized match type regex")]
    [InlineData("""{"source":[{"numeric":[">","a"]}]}""", "Value of > must be a number.")]
    [InlineData("""{"source":[{"exists":"yes"}]}""", "exists match pattern must be either true or false.")]
    [InlineData("""{"source":[{"wildcard":"a**b"}]}""", "Consecutive wildcard characters at pos 1")]
    [InlineData("""{"$or":[{"source":["a"]}]}""", "Value of $or must be an array of at least 2 objects")]
    [InlineData("not json", "the pattern is not valid JSON")]
    [InlineData("""{"size":[1e400]}""", "Value is not a valid number: 1e400")]
    public void Invalid_patterns_are_refused_with_invalid_event_pattern_exception(string pattern, string reason)
    {
        var e = Assert.Throws<AwsException>(() => EventPattern.Parse(pattern));
        Assert.Equal("InvalidEventPatternException", e.Code);
        Assert.StartsWith("Event pattern is not valid. Reason: " + reason, e.Message);
    }

    [Fact]
    public void A_number_beyond_double_in_the_event_matches_no_number()
    {
        var pattern = EventPattern.Parse("""{"size":[{"numeric":[">",0]}]}""");
        Assert.False(pattern.Matches(JsonNode.Parse("""{"size":1e400}""")));
        Assert.True(pattern.Matches(JsonNode.Parse("""{"size":1e300}""")));
    }

    [Fact]
    public void Patterns_nested_deeper_than_the_limit_are_refused()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 70)) + "[1]" + new string('}', 70);
        Assert.Equal("InvalidEventPatternException", Assert.Throws<AwsException>(() => EventPattern.Parse(deep)).Code);
    }
}
