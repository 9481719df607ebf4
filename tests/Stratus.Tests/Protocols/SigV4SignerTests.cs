using Stratus.Protocols.SigV4;

namespace Stratus.Tests.Protocols;

/// <summary>The worked example of AWS's SigV4 documentation (IAM ListUsers, 2015-08-30), value for value.</summary>
public sealed class SigV4SignerTests
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    private static string DocumentedCanonicalRequest() => SigV4Signer.CanonicalRequest("GET", "/",
        SigV4Signer.CanonicalQuery("Version=2010-05-08&Action=ListUsers"),
        [
            new("content-type", SigV4Signer.CanonicalHeaderValue("application/x-www-form-urlencoded; charset=utf-8")),
            new("host", "iam.amazonaws.com"),
            new("x-amz-date", "20150830T123600Z"),
        ],
        "content-type;host;x-amz-date",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    [Fact]
    public void Canonical_request_matches_the_documented_one()
    {
        Assert.Equal("""
            GET
            /
            Action=ListUsers&Version=2010-05-08
            content-type:application/x-www-form-urlencoded; charset=utf-8
            host:iam.amazonaws.com
            x-amz-date:20150830T123600Z

            content-type;host;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """.ReplaceLineEndings("\n"), DocumentedCanonicalRequest());
    }

    [Fact]
    public void String_to_sign_signing_key_and_signature_match_the_documented_ones()
    {
        var stringToSign = SigV4Signer.StringToSign("20150830T123600Z", "20150830/us-east-1/iam/aws4_request", DocumentedCanonicalRequest());
        Assert.Equal("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59", stringToSign);

        var key = SigV4Signer.SigningKey(Secret, "20150830", "us-east-1", "iam");
        Assert.Equal("c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9", SigV4Signer.Hex(key));
        Assert.Equal("5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7", SigV4Signer.Signature(key, stringToSign));
    }

    [Theory]
    [InlineData("a b", "a%20b")]
    [InlineData("arn:aws:lambda", "arn%3Aaws%3Alambda")]
    [InlineData("~-_.", "~-_.")]
    [InlineData("é", "%C3%A9")]
    public void Uri_encoding_keeps_only_unreserved_characters(string raw, string encoded) =>
        Assert.Equal(encoded, SigV4Signer.UriEncode(raw, keepSlash: false));

    [Fact]
    public void Canonical_query_sorts_by_key_then_value_and_drops_the_signature() =>
        Assert.Equal("a=1&a=2&b=x%20y", SigV4Signer.CanonicalQuery("b=x+y&a=2&X-Amz-Signature=abc&a=1"));

    [Fact]
    public void Credential_scope_names_key_region_and_service()
    {
        var credential = SigV4Credential.Parse("AKIDEXAMPLE/20150830/eu-west-1/monitoring/aws4_request");
        Assert.Equal(new SigV4Credential("AKIDEXAMPLE", "20150830", "eu-west-1", "monitoring"), credential);
        Assert.Null(SigV4Credential.Parse("AKIDEXAMPLE/20150830/eu-west-1/monitoring"));
    }
}
