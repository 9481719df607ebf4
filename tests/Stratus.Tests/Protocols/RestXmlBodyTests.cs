using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Stratus.Protocols;
using Stratus.Protocols.RestXml;

namespace Stratus.Tests.Protocols;

public sealed class RestXmlBodyTests
{
    [Fact]
    public void An_error_echoing_a_control_character_is_still_a_well_formed_document()
    {
        // S3 echoes a refused header's value in its message: a control character there made the error unwritable (a 500).
        var error = new AwsException("InvalidArgument", "Invalid canned ACL: bad\u0001value") { Fields = new Dictionary<string, string> { ["ArgumentValue"] = "bad\u0001value\ud800" } };

        var document = XElement.Parse(Encoding.UTF8.GetString(RestXmlBody.Error(error, "req-1")));

        Assert.Equal("Invalid canned ACL: bad\uFFFDvalue", document.Element("Message")!.Value);
        Assert.Equal("bad\uFFFDvalue\uFFFD", document.Element("ArgumentValue")!.Value);
    }

    [Fact]
    public void Stored_text_xml_cannot_carry_is_replaced_and_what_it_can_is_kept()
    {
        // A key or tag stored through another protocol (JSON carries U+0001) must not make a listing unwritable.
        var written = RestXmlBody.Write(new JsonObject { ["ListBucketResult"] = new JsonObject { ["Contents"] = new JsonArray(
            new JsonObject { ["Key"] = "a\u0001b" }, new JsonObject { ["Key"] = "tab\there \U0001F600" }) } }, "http://s3.amazonaws.com/doc/2006-03-01/");

        var keys = XElement.Parse(Encoding.UTF8.GetString(written)).Descendants().Where(e => e.Name.LocalName == "Key").Select(e => e.Value);

        Assert.Equal(["a\uFFFDb", "tab\there \U0001F600"], keys);
    }
}
