using Stratus.Tests.Infrastructure;
using Stratus.Tests.Services.Events;
using Stratus.Tests.Services.Lambda;

namespace Stratus.Tests.Services.S3;

/// <summary>Bucket notifications through boto3: the configuration round-trips, and object writes and deletes reach the function as S3's event records.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class S3NotificationTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Object_events_reach_the_configured_function_with_the_record_s3_sends()
    {
        var r = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + EventScripts.Prelude + """
            s3 = boto3.client("s3", endpoint_url=URL, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                              config=Config(signature_version="s3v4", retries={"max_attempts": 1}))
            function = create("s3-worker", {"app.py": WORKER})["FunctionArn"]
            lam.add_permission(FunctionName="s3-worker", StatementId="s3", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
                               SourceArn="arn:aws:s3:::notify-bucket", SourceAccount="000000000000")
            s3.create_bucket(Bucket="notify-bucket")
            out["empty"] = {k: v for k, v in s3.get_bucket_notification_configuration(Bucket="notify-bucket").items() if k != "ResponseMetadata"}
            s3.put_bucket_notification_configuration(Bucket="notify-bucket", NotificationConfiguration={"LambdaFunctionConfigurations": [
                {"Id": "incoming", "LambdaFunctionArn": function, "Events": ["s3:ObjectCreated:*"],
                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}},
                {"LambdaFunctionArn": function, "Events": ["s3:ObjectRemoved:*"]}]})
            configured = s3.get_bucket_notification_configuration(Bucket="notify-bucket")["LambdaFunctionConfigurations"]
            out["configured"] = [[c["LambdaFunctionArn"] == function, c["Events"], c.get("Filter"), bool(c.get("Id"))] for c in configured]
            out["queue"] = error(s3.put_bucket_notification_configuration, Bucket="notify-bucket", NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": "arn:aws:sqs:us-east-1:000000000000:q", "Events": ["s3:ObjectCreated:*"]}]})
            out["restore"] = error(s3.put_bucket_notification_configuration, Bucket="notify-bucket", NotificationConfiguration={
                "LambdaFunctionConfigurations": [{"LambdaFunctionArn": function, "Events": ["s3:ObjectRestore:*"]}]})
            put = s3.put_object(Bucket="notify-bucket", Key="in/my photo+1.jpg", Body=b"hello world")
            s3.put_object(Bucket="notify-bucket", Key="out/skipped.txt", Body=b"x")
            s3.copy_object(Bucket="notify-bucket", Key="in/copy.jpg", CopySource={"Bucket": "notify-bucket", "Key": "in/my photo+1.jpg"})
            first = received("s3-worker", 2)
            s3.delete_object(Bucket="notify-bucket", Key="in/my photo+1.jpg")
            got = received("s3-worker", 3)
            time.sleep(1)
            got = received("s3-worker", 4, timeout=0)
            out["etag"] = put["ETag"].strip('"')
            out["records"] = [e["Records"] for e in got]
            """);

        Assert.Equal("{}", r["empty"]!.ToJsonString());
        Assert.Equal("""[[true,["s3:ObjectCreated:*"],{"Key":{"FilterRules":[{"Name":"Prefix","Value":"in/"}]}},true],[true,["s3:ObjectRemoved:*"],null,true]]""",
            r["configured"]!.ToJsonString());
        Assert.Equal("InvalidArgument", (string?)r["queue"]!["code"]);
        Assert.Contains("Stratus does not serve SQS, SNS or EventBridge destinations", (string?)r["queue"]!["message"]);
        Assert.Equal("InvalidArgument", (string?)r["restore"]!["code"]);

        // Put and Copy under in/, then the delete; the object outside the prefix sent nothing.
        var records = r["records"]!.AsArray().Select(e => Assert.Single(e!.AsArray())!).ToList();
        Assert.Equal(["ObjectCreated:Copy", "ObjectCreated:Put", "ObjectRemoved:Delete"], records.Select(x => (string)x["eventName"]!).Order(StringComparer.Ordinal));
        var put = records.Single(x => (string)x["eventName"]! == "ObjectCreated:Put");
        Assert.Equal(["2.1", "aws:s3", "us-east-1"], new[] { "eventVersion", "eventSource", "awsRegion" }.Select(f => (string)put[f]!));
        Assert.Equal("notify-bucket", (string?)put["s3"]!["bucket"]!["name"]);
        Assert.Equal("arn:aws:s3:::notify-bucket", (string?)put["s3"]!["bucket"]!["arn"]);
        Assert.Equal("incoming", (string?)put["s3"]!["configurationId"]);
        Assert.Equal("in/my+photo%2B1.jpg", (string?)put["s3"]!["object"]!["key"]);
        Assert.Equal(11, (long)put["s3"]!["object"]!["size"]!);
        Assert.Equal((string?)r["etag"], (string?)put["s3"]!["object"]!["eTag"]);
        var removed = records.Single(x => (string)x["eventName"]! == "ObjectRemoved:Delete");
        Assert.Equal("in/my+photo%2B1.jpg", (string?)removed["s3"]!["object"]!["key"]);
        Assert.Null(removed["s3"]!["object"]!["size"]);
    }
}
