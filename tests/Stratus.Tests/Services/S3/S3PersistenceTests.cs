using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.S3;

/// <summary>Objects on disk under the data dir: kept across restarts, and never torn by a kill -9 during an upload.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class S3PersistenceTests
{
    private const string Setup = """
        import urllib.request
        s3 = boto3.client("s3", endpoint_url=URL, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                          config=Config(retries={"max_attempts": 1}))

        """;

    [Fact]
    public async Task Buckets_objects_versions_and_configuration_survive_a_restart()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        await Clients.Boto3Async(server.Url, Setup + """
            s3.create_bucket(Bucket="kept")
            s3.put_bucket_versioning(Bucket="kept", VersioningConfiguration={"Status": "Enabled"})
            s3.put_bucket_tagging(Bucket="kept", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
            out["v1"] = s3.put_object(Bucket="kept", Key="doc.txt", Body=b"first", Metadata={"m": "1"})["VersionId"]
            s3.put_object(Bucket="kept", Key="doc.txt", Body=b"second")
            up = s3.create_multipart_upload(Bucket="kept", Key="pending")["UploadId"]
            s3.upload_part(Bucket="kept", Key="pending", UploadId=up, PartNumber=1, Body=b"part")
            """);

        await server.RestartAsync();

        var r = await Clients.Boto3Async(server.Url, Setup + """
            out["current"] = s3.get_object(Bucket="kept", Key="doc.txt")["Body"].read().decode()
            versions = s3.list_object_versions(Bucket="kept")["Versions"]
            old = [v for v in versions if not v["IsLatest"]][0]["VersionId"]
            first = s3.get_object(Bucket="kept", Key="doc.txt", VersionId=old)
            out["first"] = [first["Body"].read().decode(), first["Metadata"]]
            out["tags"] = s3.get_bucket_tagging(Bucket="kept")["TagSet"]
            out["versioning"] = s3.get_bucket_versioning(Bucket="kept")["Status"]
            out["uploads"] = [[u["Key"], len(s3.list_parts(Bucket="kept", Key=u["Key"], UploadId=u["UploadId"])["Parts"])] for u in s3.list_multipart_uploads(Bucket="kept")["Uploads"]]
            """);
        Assert.Equal("second", r["current"]!.GetValue<string>());
        Assert.Equal("""["first",{"m":"1"}]""", r["first"]!.ToJsonString());
        Assert.Equal("""[{"Key":"k","Value":"v"}]""", r["tags"]!.ToJsonString());
        Assert.Equal("Enabled", r["versioning"]!.GetValue<string>());
        Assert.Equal("""[["pending",1]]""", r["uploads"]!.ToJsonString());
    }

    [Fact]
    public async Task A_bucket_stored_before_s3s_2023_defaults_keeps_no_block_and_its_acls_after_a_restart()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        await Clients.Boto3Async(server.Url, Setup + """
            s3.create_bucket(Bucket="older")
            """);
        await server.StopAsync();
        // The form an older Stratus stored: a bucket without the public access block and ownership controls records.
        var r = await Clients.Boto3Async(server.Url, Setup + $$"""
            import sqlite3
            db = sqlite3.connect("{{server.DataDir}}/state.db")
            body = json.loads(db.execute("SELECT body FROM documents WHERE collection = 's3.buckets' AND key = 'older'").fetchone()[0])
            out["stored"] = sorted(body["Configurations"])
            body["Configurations"] = {}
            db.execute("UPDATE documents SET body = ? WHERE collection = 's3.buckets' AND key = 'older'", (json.dumps(body),))
            db.commit()
            db.close()
            """);
        Assert.Equal("""["ownershipControls","publicAccessBlock"]""", r["stored"]!.ToJsonString());

        await server.RestartAsync();
        r = await Clients.Boto3Async(server.Url, Setup + """
            out["block"] = error(s3.get_public_access_block, Bucket="older")
            out["controls"] = error(s3.get_bucket_ownership_controls, Bucket="older")
            # No block and ACLs enabled, as S3 left buckets that existed before April 2023: a public ACL is accepted and serves.
            s3.put_object(Bucket="older", Key="page.txt", Body=b"page", ACL="public-read")
            with urllib.request.urlopen(URL + "/older/page.txt") as response:
                out["anonymous"] = response.read().decode()
            """);
        Assert.Equal("NoSuchPublicAccessBlockConfiguration", r["block"]!["code"]!.GetValue<string>());
        Assert.Equal("OwnershipControlsNotFoundError", r["controls"]!["code"]!.GetValue<string>());
        Assert.Equal("page", r["anonymous"]!.GetValue<string>());
    }

    [Fact]
    public async Task Acknowledged_small_objects_survive_a_kill_9_with_their_bytes_and_etags()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        // Bodies up to 64 KB are made durable through the state store's WAL, larger ones by their own fsync: sizes on both sides.
        var written = await Clients.Boto3Async(server.Url, Setup + """
            import hashlib
            from concurrent.futures import ThreadPoolExecutor
            s3.create_bucket(Bucket="acked")
            sizes = [0, 1, 1024, 65536, 65537, 1048576]
            def put(i):
                body = hashlib.sha256(str(i).encode()).digest() * (sizes[i % len(sizes)] // 32 + 1)
                body = body[:sizes[i % len(sizes)]]
                etag = s3.put_object(Bucket="acked", Key=f"object-{i}", Body=body)["ETag"]
                return [f"object-{i}", hashlib.md5(body).hexdigest(), etag]
            with ThreadPoolExecutor(8) as pool:
                out["objects"] = list(pool.map(put, range(24)))
            """);
        await server.KillAsync();

        await server.RestartAsync();
        var read = await Clients.Boto3Async(server.Url, Setup + """
            import hashlib
            out["objects"] = []
            for i in range(24):
                got = s3.get_object(Bucket="acked", Key=f"object-{i}")
                out["objects"].append([f"object-{i}", hashlib.md5(got["Body"].read()).hexdigest(), got["ETag"]])
            """);
        Assert.Equal(24, written["objects"]!.AsArray().Count);
        Assert.Equal(written["objects"]!.ToJsonString(), read["objects"]!.ToJsonString());
        // The ETag S3 computes for a single PUT is the body's MD5: checked against the bytes read back.
        Assert.All(read["objects"]!.AsArray(), o => Assert.Equal($"\"{o![1]}\"", o[2]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_kill_9_during_an_upload_leaves_the_previous_version_whole_and_no_partial_file()
    {
        await using var server = await StratusProcess.StartPersistentAsync();
        await Clients.Boto3Async(server.Url, Setup + """
            s3.create_bucket(Bucket="crash")
            s3.put_object(Bucket="crash", Key="object", Body=b"acknowledged" * 1000)
            """);

        // A raw PUT that declares 64 MB and sends half of it, so the server is mid-write when it dies.
        using (var client = new System.Net.Sockets.TcpClient())
        {
            await client.ConnectAsync("127.0.0.1", server.Port);
            var stream = client.GetStream();
            var header = "PUT /crash/object HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 67108864\r\n" +
                "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00\r\n" +
                "x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n\r\n";
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(header));
            var chunk = new byte[1024 * 1024];
            for (var i = 0; i < 32; i++) await stream.WriteAsync(chunk);
            await stream.FlushAsync();
            await Task.Delay(500);
            await server.KillAsync();
        }
        // The partial body is written under the blob id it would have had: a second file beside the acknowledged one's.
        var blobs = Path.Combine(server.DataDir!, "s3", "blobs");
        Assert.Equal(2, Directory.GetFiles(blobs, "*", SearchOption.AllDirectories).Length);

        await server.RestartAsync();
        var r = await Clients.Boto3Async(server.Url, Setup + """
            body = s3.get_object(Bucket="crash", Key="object")["Body"].read()
            out["intact"] = body == b"acknowledged" * 1000
            out["keys"] = [c["Key"] for c in s3.list_objects_v2(Bucket="crash")["Contents"]]
            """);
        Assert.True(r["intact"]!.GetValue<bool>());
        Assert.Equal("""["object"]""", r["keys"]!.ToJsonString());
        Assert.Single(Directory.GetFiles(blobs, "*", SearchOption.AllDirectories));
    }
}
