using System.Text;
using System.Text.Json.Nodes;
using Stratus.Protocols;
using Stratus.Protocols.Query;

namespace Stratus.Tests.Protocols;

public sealed class QueryProtocolTests
{
    [Fact]
    public void Flattened_members_become_lists_and_structures()
    {
        var json = QueryParameters.ToJson([
            new("Action", "CreateRole"),
            new("RoleName", "r"),
            new("Tags.member.2.Key", "b"),
            new("Tags.member.1.Key", "a"),
            new("Tags.member.1.Value", "1"),
            new("VpcSecurityGroupIds.VpcSecurityGroupId.1", "sg-1"),
            new("Attributes.entry.1.key", "k"),
            new("Attributes.entry.1.value", "v"),
            new("Empty", ""),
        ]);

        Assert.Equal("""{"RoleName":"r","Tags":[{"Key":"a","Value":"1"},{"Key":"b"}],"VpcSecurityGroupIds":["sg-1"],"Attributes":[{"key":"k","value":"v"}],"Empty":""}""",
            json.ToJsonString());
    }

    [Fact]
    public void Response_is_the_documented_envelope_with_result_and_request_id()
    {
        var body = XmlBody.Response("GetUser", "https://iam.amazonaws.com/doc/2010-05-08/",
            new JsonObject
            {
                ["User"] = new JsonObject { ["UserName"] = "Bob", ["CreateDate"] = new DateTimeOffset(2013, 10, 2, 17, 1, 44, TimeSpan.Zero) },
                ["Tags"] = new JsonArray(new JsonObject { ["Key"] = "k" }),
            },
            "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE", XmlShape.Default);

        Assert.Equal(
            "<GetUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetUserResult><User><UserName>Bob</UserName>" +
            "<CreateDate>2013-10-02T17:01:44.000Z</CreateDate></User><Tags><member><Key>k</Key></member></Tags></GetUserResult>" +
            "<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></GetUserResponse>",
            Encoding.UTF8.GetString(body));
    }

    [Fact]
    public void Operations_without_output_have_only_response_metadata() =>
        Assert.Equal(
            "<DeleteRoleResponse xmlns=\"ns\"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteRoleResponse>",
            Encoding.UTF8.GetString(XmlBody.Response("DeleteRole", "ns", null, "r", XmlShape.Default)));

    [Fact]
    public void Named_list_members_follow_the_service_model()
    {
        var shape = new XmlShape { ListMemberNames = new Dictionary<string, string> { ["DBInstances"] = "DBInstance" } };
        var body = XmlBody.Response("DescribeDBInstances", "ns",
            new JsonObject { ["DBInstances"] = new JsonArray(new JsonObject { ["DBInstanceIdentifier"] = "db" }) }, "r", shape);
        Assert.Contains("<DBInstances><DBInstance><DBInstanceIdentifier>db</DBInstanceIdentifier></DBInstance></DBInstances>", Encoding.UTF8.GetString(body));
    }

    [Fact]
    public void Errors_have_the_documented_shape_with_sender_or_receiver_fault()
    {
        var sender = Encoding.UTF8.GetString(XmlBody.Error("ns", new AwsException("NoSuchEntity", "gone", 404), "r1"));
        Assert.Equal("<ErrorResponse xmlns=\"ns\"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>gone</Message></Error><RequestId>r1</RequestId></ErrorResponse>", sender);

        var receiver = Encoding.UTF8.GetString(XmlBody.Error("ns", new AwsException("InternalFailure", "oops", 500), "r2"));
        Assert.Contains("<Type>Receiver</Type>", receiver);
    }
}
