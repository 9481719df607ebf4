using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.S3;

/// <summary>S3 through boto3 as applications use it: buckets, objects, listing, multipart, checksums, presigned URLs, versioning and configuration.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class S3Boto3Tests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    private const string Prelude = """
        import hashlib, urllib.request, urllib.error, http.client
        from urllib.parse import urlparse
        def s3client(region="us-east-1", key="test", **config):
            return boto3.client("s3", endpoint_url=URL, region_name=region, aws_access_key_id=key, aws_secret_access_key="test",
                                config=Config(retries={"max_attempts": 1}, signature_version="s3v4", **config))
        s3 = s3client()

        """;

    [Fact]
    public async Task Buckets_are_created_listed_located_and_deleted_with_s3s_errors()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            s3.create_bucket(Bucket="b-basic")
            west = s3client(region="eu-west-1")
            west.create_bucket(Bucket="b-west", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
            out["names"] = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("b-")]
            out["location"] = s3.get_bucket_location(Bucket="b-west")["LocationConstraint"]
            out["default_location"] = s3.get_bucket_location(Bucket="b-basic")["LocationConstraint"]
            out["head_region"] = s3.head_bucket(Bucket="b-west")["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"]
            out["again_east"] = s3.create_bucket(Bucket="b-basic")["ResponseMetadata"]["HTTPStatusCode"]
            out["again_west"] = error(west.create_bucket, Bucket="b-west", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
            out["other_account"] = error(s3client(key="111111111111").create_bucket, Bucket="b-basic")
            out["invalid"] = error(s3.create_bucket, Bucket="Bad_Name")
            out["missing"] = error(s3.get_bucket_location, Bucket="b-missing")
            out["head_missing"] = error(s3.head_bucket, Bucket="b-missing")
            s3.put_object(Bucket="b-basic", Key="k", Body=b"x")
            out["not_empty"] = error(s3.delete_bucket, Bucket="b-basic")
            s3.delete_object(Bucket="b-basic", Key="k")
            s3.delete_bucket(Bucket="b-basic")
            out["after_delete"] = error(s3.head_bucket, Bucket="b-basic")
            """);

        Assert.Equal("""["b-basic","b-west"]""", r["names"]!.ToJsonString());
        Assert.Equal("eu-west-1", r["location"]!.GetValue<string>());
        Assert.Null(r["default_location"]);
        Assert.Equal("eu-west-1", r["head_region"]!.GetValue<string>());
        Assert.Equal(200, r["again_east"]!.GetValue<int>());
        Assert.Equal("BucketAlreadyOwnedByYou", r["again_west"]!["code"]!.GetValue<string>());
        Assert.Equal(409, r["again_west"]!["status"]!.GetValue<int>());
        Assert.Equal("BucketAlreadyExists", r["other_account"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidBucketName", r["invalid"]!["code"]!.GetValue<string>());
        Assert.Equal("NoSuchBucket", r["missing"]!["code"]!.GetValue<string>());
        Assert.Equal(404, r["head_missing"]!["status"]!.GetValue<int>());
        Assert.Equal("BucketNotEmpty", r["not_empty"]!["code"]!.GetValue<string>());
        Assert.Equal(404, r["after_delete"]!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Objects_keep_bytes_metadata_and_etags_and_answer_ranges_conditionals_and_copies()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            s3.create_bucket(Bucket="objects")
            body = bytes(range(256)) * 40
            put = s3.put_object(Bucket="objects", Key="dir/with space+plus/é.bin", Body=body, ContentType="application/x-test",
                                Metadata={"Owner": "me"}, CacheControl="max-age=60", Tagging="a=1&b=2")
            out["etag_is_md5"] = put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
            out["put_checksum"] = put.get("ChecksumCRC32")
            got = s3.get_object(Bucket="objects", Key="dir/with space+plus/é.bin", ChecksumMode="ENABLED")
            out["same"] = got["Body"].read() == body
            out["type"], out["meta"], out["cache"], out["tags"] = got["ContentType"], got["Metadata"], got["CacheControl"], got["TagCount"]
            out["get_checksum"] = got.get("ChecksumCRC32")
            part = s3.get_object(Bucket="objects", Key="dir/with space+plus/é.bin", Range="bytes=10-19")
            out["range"] = [part["ResponseMetadata"]["HTTPStatusCode"], part["ContentRange"], list(part["Body"].read())]
            out["suffix"] = list(s3.get_object(Bucket="objects", Key="dir/with space+plus/é.bin", Range="bytes=-3")["Body"].read())
            out["bad_range"] = error(s3.get_object, Bucket="objects", Key="dir/with space+plus/é.bin", Range="bytes=999999-")
            etag = put["ETag"]
            out["if_match_ok"] = s3.head_object(Bucket="objects", Key="dir/with space+plus/é.bin", IfMatch=etag)["ContentLength"]
            out["if_match_bad"] = error(s3.get_object, Bucket="objects", Key="dir/with space+plus/é.bin", IfMatch='"nope"')
            out["if_none_match"] = error(s3.get_object, Bucket="objects", Key="dir/with space+plus/é.bin", IfNoneMatch=etag)
            last = got["LastModified"]
            out["if_modified"] = error(s3.get_object, Bucket="objects", Key="dir/with space+plus/é.bin", IfModifiedSince=last)
            out["conditional_put"] = error(s3.put_object, Bucket="objects", Key="dir/with space+plus/é.bin", Body=b"x", IfNoneMatch="*")
            out["bad_md5"] = error(s3.put_object, Bucket="objects", Key="md5", Body=b"abc", ContentMD5=base64.b64encode(hashlib.md5(b"abd").digest()).decode())
            out["md5_stored"] = error(s3.head_object, Bucket="objects", Key="md5")["status"]
            out["bad_crc"] = error(s3.put_object, Bucket="objects", Key="crc", Body=b"abc", ChecksumCRC32="AAAAAA==")
            for algorithm in ["SHA1", "SHA256"]:
                p = s3.put_object(Bucket="objects", Key="sum-" + algorithm, Body=b"checksummed", ChecksumAlgorithm=algorithm)
                out["sum_" + algorithm] = p.get("Checksum" + algorithm)
            out["sha256_expected"] = base64.b64encode(hashlib.sha256(b"checksummed").digest()).decode()
            out["sha1_expected"] = base64.b64encode(hashlib.sha1(b"checksummed").digest()).decode()
            copy = s3.copy_object(Bucket="objects", Key="copy", CopySource={"Bucket": "objects", "Key": "dir/with space+plus/é.bin"})
            out["copy_etag"] = copy["CopyObjectResult"]["ETag"] == etag
            out["copy_meta"] = s3.head_object(Bucket="objects", Key="copy")["Metadata"]
            s3.copy_object(Bucket="objects", Key="copy2", CopySource="objects/copy", MetadataDirective="REPLACE", Metadata={"new": "yes"}, ContentType="text/plain")
            h = s3.head_object(Bucket="objects", Key="copy2")
            out["replaced"] = [h["Metadata"], h["ContentType"]]
            out["self_copy"] = error(s3.copy_object, Bucket="objects", Key="copy", CopySource="objects/copy")
            out["no_key"] = error(s3.get_object, Bucket="objects", Key="nope")
            out["no_bucket"] = error(s3.put_object, Bucket="nope-bucket", Key="k", Body=b"x")
            out["long_key"] = error(s3.put_object, Bucket="objects", Key="k" * 1025, Body=b"x")
            out["object_tags"] = s3.get_object_tagging(Bucket="objects", Key="dir/with space+plus/é.bin")["TagSet"]
            s3.put_object_tagging(Bucket="objects", Key="copy", Tagging={"TagSet": [{"Key": "t", "Value": "v"}]})
            out["object_tags_after"] = s3.get_object_tagging(Bucket="objects", Key="copy")["TagSet"]
            s3.delete_object(Bucket="objects", Key="copy")
            out["deleted"] = error(s3.head_object, Bucket="objects", Key="copy")["status"]
            out["delete_missing"] = s3.delete_object(Bucket="objects", Key="never")["ResponseMetadata"]["HTTPStatusCode"]
            """);

        Assert.True(r["etag_is_md5"]!.GetValue<bool>());
        Assert.NotNull(r["put_checksum"]);
        Assert.True(r["same"]!.GetValue<bool>());
        Assert.Equal("application/x-test", r["type"]!.GetValue<string>());
        Assert.Equal("""{"owner":"me"}""", r["meta"]!.ToJsonString());
        Assert.Equal("max-age=60", r["cache"]!.GetValue<string>());
        Assert.Equal(2, r["tags"]!.GetValue<int>());
        Assert.Equal(r["put_checksum"]!.GetValue<string>(), r["get_checksum"]!.GetValue<string>());
        Assert.Equal("""[206,"bytes 10-19/10240",[10,11,12,13,14,15,16,17,18,19]]""", r["range"]!.ToJsonString());
        Assert.Equal("[253,254,255]", r["suffix"]!.ToJsonString());
        Assert.Equal("InvalidRange", r["bad_range"]!["code"]!.GetValue<string>());
        Assert.Equal(416, r["bad_range"]!["status"]!.GetValue<int>());
        Assert.Equal(10240, r["if_match_ok"]!.GetValue<int>());
        Assert.Equal("PreconditionFailed", r["if_match_bad"]!["code"]!.GetValue<string>());
        Assert.Equal(412, r["if_match_bad"]!["status"]!.GetValue<int>());
        Assert.Equal(304, r["if_none_match"]!["status"]!.GetValue<int>());
        Assert.Equal(304, r["if_modified"]!["status"]!.GetValue<int>());
        Assert.Equal(412, r["conditional_put"]!["status"]!.GetValue<int>());
        Assert.Equal("BadDigest", r["bad_md5"]!["code"]!.GetValue<string>());
        Assert.Equal(404, r["md5_stored"]!.GetValue<int>());
        Assert.Equal("BadDigest", r["bad_crc"]!["code"]!.GetValue<string>());
        Assert.Equal(r["sha256_expected"]!.GetValue<string>(), r["sum_SHA256"]!.GetValue<string>());
        Assert.Equal(r["sha1_expected"]!.GetValue<string>(), r["sum_SHA1"]!.GetValue<string>());
        Assert.True(r["copy_etag"]!.GetValue<bool>());
        Assert.Equal("""{"owner":"me"}""", r["copy_meta"]!.ToJsonString());
        Assert.Equal("""[{"new":"yes"},"text/plain"]""", r["replaced"]!.ToJsonString());
        Assert.Equal("InvalidRequest", r["self_copy"]!["code"]!.GetValue<string>());
        Assert.Equal("NoSuchKey", r["no_key"]!["code"]!.GetValue<string>());
        Assert.Equal("NoSuchBucket", r["no_bucket"]!["code"]!.GetValue<string>());
        Assert.Equal("KeyTooLongError", r["long_key"]!["code"]!.GetValue<string>());
        Assert.Equal("""[{"Key":"a","Value":"1"},{"Key":"b","Value":"2"}]""", r["object_tags"]!.ToJsonString());
        Assert.Equal("""[{"Key":"t","Value":"v"}]""", r["object_tags_after"]!.ToJsonString());
        Assert.Equal(404, r["deleted"]!.GetValue<int>());
        Assert.Equal(204, r["delete_missing"]!.GetValue<int>());
    }

    [Fact]
    public async Task Listing_pages_through_prefixes_delimiters_markers_and_continuation_tokens()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            s3.create_bucket(Bucket="listing")
            keys = ["a/1", "a/2", "a/b/3", "b/4", "c", "d+e f", "z/9"]
            for k in keys: s3.put_object(Bucket="listing", Key=k, Body=k.encode())
            v2 = s3.get_paginator("list_objects_v2")
            pages = list(v2.paginate(Bucket="listing", Delimiter="/", PaginationConfig={"PageSize": 2}))
            out["v2_pages"] = [[c["Key"] for c in p.get("Contents", [])] + [c["Prefix"] for c in p.get("CommonPrefixes", [])] for p in pages]
            out["v2_all"] = [c["Key"] for p in v2.paginate(Bucket="listing", PaginationConfig={"PageSize": 3}) for c in p.get("Contents", [])]
            out["prefix"] = [c["Key"] for c in s3.list_objects_v2(Bucket="listing", Prefix="a/")["Contents"]]
            nested = s3.list_objects_v2(Bucket="listing", Prefix="a/", Delimiter="/")
            out["nested"] = [[c["Key"] for c in nested["Contents"]], [c["Prefix"] for c in nested["CommonPrefixes"]]]
            out["start_after"] = [c["Key"] for c in s3.list_objects_v2(Bucket="listing", StartAfter="b/4")["Contents"]]
            out["key_count"] = s3.list_objects_v2(Bucket="listing", MaxKeys=2)["KeyCount"]
            v1 = s3.get_paginator("list_objects")
            out["v1_all"] = [c["Key"] for p in v1.paginate(Bucket="listing", PaginationConfig={"PageSize": 2}) for c in p.get("Contents", [])]
            first = s3.list_objects(Bucket="listing", Delimiter="/", MaxKeys=1)
            out["v1_next_marker"] = [first["IsTruncated"], first.get("NextMarker")]
            out["v1_marker"] = [c["Key"] for c in s3.list_objects(Bucket="listing", Marker="c")["Contents"]]
            out["bad_token"] = error(s3.list_objects_v2, Bucket="listing", ContinuationToken="***")
            deleted = s3.delete_objects(Bucket="listing", Delete={"Objects": [{"Key": k} for k in keys[:3]] + [{"Key": "never"}]})
            out["deleted"] = sorted(d["Key"] for d in deleted["Deleted"])
            out["left"] = [c["Key"] for c in s3.list_objects_v2(Bucket="listing")["Contents"]]
            """);

        Assert.Equal("""[["a/","b/"],["c","d\u002Be f"],["z/"]]""", r["v2_pages"]!.ToJsonString());
        Assert.Equal("""["a/1","a/2","a/b/3","b/4","c","d\u002Be f","z/9"]""", r["v2_all"]!.ToJsonString());
        Assert.Equal("""["a/1","a/2","a/b/3"]""", r["prefix"]!.ToJsonString());
        Assert.Equal("""[["a/1","a/2"],["a/b/"]]""", r["nested"]!.ToJsonString());
        Assert.Equal("""["c","d\u002Be f","z/9"]""", r["start_after"]!.ToJsonString());
        Assert.Equal(2, r["key_count"]!.GetValue<int>());
        Assert.Equal(r["v2_all"]!.ToJsonString(), r["v1_all"]!.ToJsonString());
        Assert.Equal("""[true,"a/"]""", r["v1_next_marker"]!.ToJsonString());
        Assert.Equal("""["d\u002Be f","z/9"]""", r["v1_marker"]!.ToJsonString());
        Assert.Equal("InvalidArgument", r["bad_token"]!["code"]!.GetValue<string>());
        Assert.Equal("""["a/1","a/2","a/b/3","never"]""", r["deleted"]!.ToJsonString());
        Assert.Equal("""["b/4","c","d\u002Be f","z/9"]""", r["left"]!.ToJsonString());
    }

    [Fact]
    public async Task Multipart_uploads_assemble_a_20_MB_object_with_s3s_etag_and_refuse_bad_parts()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            from boto3.s3.transfer import TransferConfig
            s3.create_bucket(Bucket="multipart")
            data = os.urandom(20 * 1024 * 1024)
            s3.upload_fileobj(io.BytesIO(data), "multipart", "big.bin", Config=TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024))
            head = s3.head_object(Bucket="multipart", Key="big.bin")
            chunks = [data[i:i + 8 * 1024 * 1024] for i in range(0, len(data), 8 * 1024 * 1024)]
            expected = hashlib.md5(b"".join(hashlib.md5(c).digest() for c in chunks)).hexdigest() + "-" + str(len(chunks))
            out["etag"] = [head["ETag"].strip('"'), expected]
            out["size"] = head["ContentLength"]
            buffer = io.BytesIO()
            s3.download_fileobj("multipart", "big.bin", buffer)
            out["same"] = buffer.getvalue() == data

            up = s3.create_multipart_upload(Bucket="multipart", Key="manual", ChecksumAlgorithm="CRC32")["UploadId"]
            p1 = s3.upload_part(Bucket="multipart", Key="manual", UploadId=up, PartNumber=1, Body=b"a" * (5 * 1024 * 1024), ChecksumAlgorithm="CRC32")
            p2 = s3.upload_part_copy(Bucket="multipart", Key="manual", UploadId=up, PartNumber=2, CopySource="multipart/big.bin", CopySourceRange="bytes=0-99")
            parts = s3.list_parts(Bucket="multipart", Key="manual", UploadId=up)["Parts"]
            out["parts"] = [[p["PartNumber"], p["Size"]] for p in parts]
            out["uploads"] = [u["Key"] for u in s3.list_multipart_uploads(Bucket="multipart")["Uploads"]]
            out["bad_order"] = error(s3.complete_multipart_upload, Bucket="multipart", Key="manual", UploadId=up,
                MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]}, {"PartNumber": 1, "ETag": p1["ETag"]}]})
            out["bad_part"] = error(s3.complete_multipart_upload, Bucket="multipart", Key="manual", UploadId=up,
                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}]})
            done = s3.complete_multipart_upload(Bucket="multipart", Key="manual", UploadId=up,
                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1["ETag"], "ChecksumCRC32": p1["ChecksumCRC32"]},
                                           {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"], "ChecksumCRC32": p2["CopyPartResult"]["ChecksumCRC32"]}]})
            out["done_etag"] = done["ETag"].endswith('-2"')
            out["done_checksum"] = done.get("ChecksumCRC32", "").endswith("-2")
            out["manual_size"] = s3.head_object(Bucket="multipart", Key="manual")["ContentLength"]
            out["gone"] = error(s3.list_parts, Bucket="multipart", Key="manual", UploadId=up)["code"]

            small = s3.create_multipart_upload(Bucket="multipart", Key="small")["UploadId"]
            e1 = s3.upload_part(Bucket="multipart", Key="small", UploadId=small, PartNumber=1, Body=b"tiny")["ETag"]
            e2 = s3.upload_part(Bucket="multipart", Key="small", UploadId=small, PartNumber=2, Body=b"tiny")["ETag"]
            out["too_small"] = error(s3.complete_multipart_upload, Bucket="multipart", Key="small", UploadId=small,
                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})["code"]
            s3.abort_multipart_upload(Bucket="multipart", Key="small", UploadId=small)
            out["aborted"] = error(s3.abort_multipart_upload, Bucket="multipart", Key="small", UploadId=small)
            """);

        Assert.Equal(r["etag"]![1]!.GetValue<string>(), r["etag"]![0]!.GetValue<string>());
        Assert.Equal(20 * 1024 * 1024, r["size"]!.GetValue<int>());
        Assert.True(r["same"]!.GetValue<bool>());
        Assert.Equal("[[1,5242880],[2,100]]", r["parts"]!.ToJsonString());
        Assert.Equal("""["manual"]""", r["uploads"]!.ToJsonString());
        Assert.Equal("InvalidPartOrder", r["bad_order"]!["code"]!.GetValue<string>());
        Assert.Equal("InvalidPart", r["bad_part"]!["code"]!.GetValue<string>());
        Assert.True(r["done_etag"]!.GetValue<bool>());
        Assert.True(r["done_checksum"]!.GetValue<bool>());
        Assert.Equal(5 * 1024 * 1024 + 100, r["manual_size"]!.GetValue<int>());
        Assert.Equal("NoSuchUpload", r["gone"]!.GetValue<string>());
        Assert.Equal("EntityTooSmall", r["too_small"]!.GetValue<string>());
        Assert.Equal("NoSuchUpload", r["aborted"]!["code"]!.GetValue<string>());
        Assert.Equal(404, r["aborted"]!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Presigned_urls_and_virtual_host_addressing_reach_the_same_objects()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            s3.create_bucket(Bucket="presigned")
            put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "presigned", "Key": "up/load.txt"}, ExpiresIn=300)
            out["put"] = urllib.request.urlopen(urllib.request.Request(put_url, data=b"sent by url", method="PUT")).status
            get_url = s3.generate_presigned_url("get_object", Params={"Bucket": "presigned", "Key": "up/load.txt"}, ExpiresIn=300)
            out["get"] = urllib.request.urlopen(get_url).read().decode()
            port = urlparse(URL).port
            def via_host(host, path):
                signed = s3client(s3={"addressing_style": "virtual"})
                url = signed.generate_presigned_url("get_object", Params={"Bucket": "presigned", "Key": "up/load.txt"}, ExpiresIn=300)
                query = urlparse(url).query
                connection = http.client.HTTPConnection("127.0.0.1", port)
                connection.request("GET", path + "?" + query, headers={"Host": host})
                response = connection.getresponse()
                return [response.status, response.read().decode()]
            out["vhost_localhost"] = via_host("presigned.s3.localhost:%d" % port, "/up/load.txt")
            out["vhost_aws"] = via_host("presigned.s3.us-east-1.amazonaws.com", "/up/load.txt")
            anonymous = http.client.HTTPConnection("127.0.0.1", port)
            anonymous.request("GET", "/presigned/up/load.txt")
            response = anonymous.getresponse()
            out["anonymous"] = [response.status, response.read().decode()]
            v2_url = boto3.client("s3", endpoint_url=URL, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                                  config=Config(signature_version="s3")).generate_presigned_url("get_object", Params={"Bucket": "presigned", "Key": "up/load.txt"})
            with urllib.request.urlopen(v2_url) as response:
                out["sigv2"] = [response.status, response.read().decode()]
            """);

        Assert.Equal(200, r["put"]!.GetValue<int>());
        Assert.Equal("sent by url", r["get"]!.GetValue<string>());
        Assert.Equal(200, r["vhost_localhost"]![0]!.GetValue<int>());
        Assert.Equal("sent by url", r["vhost_localhost"]![1]!.GetValue<string>());
        Assert.Equal(200, r["vhost_aws"]![0]!.GetValue<int>());
        Assert.Equal(403, r["anonymous"]![0]!.GetValue<int>());
        Assert.Contains("<Code>AccessDenied</Code>", r["anonymous"]![1]!.GetValue<string>());
        // Signature Version 2 presigning (boto3's signature_version="s3") is served too.
        Assert.Equal("""[200,"sent by url"]""", r["sigv2"]!.ToJsonString());
    }

    [Fact]
    public async Task Versioning_policy_tagging_and_configurations_are_stored_and_returned()
    {
        var r = await Clients.Boto3Async(stratus.Url, Prelude + """
            s3.create_bucket(Bucket="configured")
            out["versioning_before"] = s3.get_bucket_versioning(Bucket="configured").get("Status")
            s3.put_bucket_versioning(Bucket="configured", VersioningConfiguration={"Status": "Enabled"})
            v1 = s3.put_object(Bucket="configured", Key="doc", Body=b"one")["VersionId"]
            v2 = s3.put_object(Bucket="configured", Key="doc", Body=b"two")["VersionId"]
            marker = s3.delete_object(Bucket="configured", Key="doc")
            out["marker"] = marker.get("DeleteMarker")
            out["current"] = error(s3.get_object, Bucket="configured", Key="doc")["code"]
            out["old"] = s3.get_object(Bucket="configured", Key="doc", VersionId=v1)["Body"].read().decode()
            versions = s3.list_object_versions(Bucket="configured")
            out["versions"] = [[v["VersionId"] == v2, v["IsLatest"]] for v in versions["Versions"]]
            out["markers"] = [m["IsLatest"] for m in versions["DeleteMarkers"]]
            s3.delete_object(Bucket="configured", Key="doc", VersionId=marker["VersionId"])
            out["restored"] = s3.get_object(Bucket="configured", Key="doc")["Body"].read().decode()
            out["no_version"] = error(s3.get_object, Bucket="configured", Key="doc", VersionId="A" * 32)["code"]

            out["no_policy"] = error(s3.get_bucket_policy, Bucket="configured")["code"]
            # A new bucket blocks public policies (S3's default since April 2023): the block goes before the public policy below.
            out["new_pab"] = s3.get_public_access_block(Bucket="configured")["PublicAccessBlockConfiguration"]
            s3.delete_public_access_block(Bucket="configured")
            policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::configured/*"}]})
            s3.put_bucket_policy(Bucket="configured", Policy=policy)
            out["policy"] = json.loads(s3.get_bucket_policy(Bucket="configured")["Policy"]) == json.loads(policy)
            out["bad_policy"] = error(s3.put_bucket_policy, Bucket="configured", Policy="not json")["code"]
            s3.delete_bucket_policy(Bucket="configured")
            out["no_tags"] = error(s3.get_bucket_tagging, Bucket="configured")["code"]
            s3.put_bucket_tagging(Bucket="configured", Tagging={"TagSet": [{"Key": "team", "Value": "web"}]})
            out["tags"] = s3.get_bucket_tagging(Bucket="configured")["TagSet"]
            out["no_pab"] = error(s3.get_public_access_block, Bucket="configured")["code"]
            s3.put_public_access_block(Bucket="configured", PublicAccessBlockConfiguration={"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
            out["pab"] = s3.get_public_access_block(Bucket="configured")["PublicAccessBlockConfiguration"]
            out["encryption_default"] = s3.get_bucket_encryption(Bucket="configured")["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
            s3.put_bucket_encryption(Bucket="configured", ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/x"}}]})
            out["encryption"] = s3.get_bucket_encryption(Bucket="configured")["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
            out["no_lifecycle"] = error(s3.get_bucket_lifecycle_configuration, Bucket="configured")["code"]
            s3.put_bucket_lifecycle_configuration(Bucket="configured", LifecycleConfiguration={"Rules": [{"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}}]})
            out["lifecycle"] = s3.get_bucket_lifecycle_configuration(Bucket="configured")["Rules"]
            out["no_cors"] = error(s3.get_bucket_cors, Bucket="configured")["code"]
            s3.put_bucket_cors(Bucket="configured", CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["https://example.com"], "MaxAgeSeconds": 60}]})
            out["cors"] = s3.get_bucket_cors(Bucket="configured")["CORSRules"]
            def preflight(origin, method, headers=None):
                connection = http.client.HTTPConnection(urlparse(URL).hostname, urlparse(URL).port)
                sent = {"Origin": origin, "Access-Control-Request-Method": method}
                if headers: sent["Access-Control-Request-Headers"] = headers
                connection.request("OPTIONS", "/configured/doc", headers=sent)
                response = connection.getresponse()
                body = response.read().decode()
                return [response.status, response.getheader("Access-Control-Allow-Origin"), response.getheader("Access-Control-Allow-Methods"), response.getheader("Access-Control-Max-Age"), body]
            out["preflight"] = preflight("https://example.com", "PUT")[:4]
            out["preflight_origin"] = preflight("https://evil.example", "GET")
            out["preflight_method"] = preflight("https://example.com", "DELETE")[0]
            out["cors_on_get"] = s3.get_object(Bucket="configured", Key="doc")["ResponseMetadata"]["HTTPHeaders"].get("access-control-allow-origin")
            with_origin = s3client()
            with_origin.meta.events.register("before-sign.s3.GetObject", lambda request, **kw: request.headers.__setitem__("Origin", "https://example.com"))
            out["cors_with_origin"] = with_origin.get_object(Bucket="configured", Key="doc")["ResponseMetadata"]["HTTPHeaders"].get("access-control-allow-origin")
            out["malformed"] = error(s3.put_bucket_versioning, Bucket="configured", VersioningConfiguration={"Status": "Maybe"})
            out["no_website"] = error(s3.get_bucket_website, Bucket="configured")["code"]
            s3.put_bucket_website(Bucket="configured", WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "404.html"}})
            out["website"] = s3.get_bucket_website(Bucket="configured")["IndexDocument"]["Suffix"]
            s3.delete_bucket_website(Bucket="configured")
            out["website_deleted"] = error(s3.get_bucket_website, Bucket="configured")["code"]
            acl = s3.get_bucket_acl(Bucket="configured")
            out["acl"] = [[g["Grantee"]["Type"], g["Grantee"]["ID"] == acl["Owner"]["ID"], g["Permission"]] for g in acl["Grants"]]
            out["object_acl"] = s3.get_object_acl(Bucket="configured", Key="doc")["Grants"][0]["Permission"]
            out["object_lock"] = error(s3.get_object_lock_configuration, Bucket="configured")["code"]
            out["retention"] = error(s3.get_object_retention, Bucket="configured", Key="doc")
            out["lock_on_create"] = error(s3.create_bucket, Bucket="locked-bucket", ObjectLockEnabledForBucket=True)["code"]
            attributes = s3.get_object_attributes(Bucket="configured", Key="doc", ObjectAttributes=["ETag", "ObjectSize", "StorageClass"])
            out["attributes"] = [attributes["ETag"] == s3.head_object(Bucket="configured", Key="doc")["ETag"].strip('"'), attributes["ObjectSize"], attributes["StorageClass"]]
            out["not_implemented"] = error(s3.get_bucket_logging, Bucket="configured")
            """);

        Assert.Null(r["versioning_before"]);
        Assert.True(r["marker"]!.GetValue<bool>());
        Assert.Equal("NoSuchKey", r["current"]!.GetValue<string>());
        Assert.Equal("one", r["old"]!.GetValue<string>());
        Assert.Equal("[[true,false],[false,false]]", r["versions"]!.ToJsonString());
        Assert.Equal("[true]", r["markers"]!.ToJsonString());
        Assert.Equal("two", r["restored"]!.GetValue<string>());
        Assert.Equal("NoSuchVersion", r["no_version"]!.GetValue<string>());
        Assert.Equal("NoSuchBucketPolicy", r["no_policy"]!.GetValue<string>());
        Assert.True(r["policy"]!.GetValue<bool>());
        Assert.Equal("MalformedPolicy", r["bad_policy"]!.GetValue<string>());
        Assert.Equal("NoSuchTagSet", r["no_tags"]!.GetValue<string>());
        Assert.Equal("""[{"Key":"team","Value":"web"}]""", r["tags"]!.ToJsonString());
        Assert.Equal("""{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}""", r["new_pab"]!.ToJsonString());
        Assert.Equal("NoSuchPublicAccessBlockConfiguration", r["no_pab"]!.GetValue<string>());
        Assert.Equal("""{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":false,"RestrictPublicBuckets":true}""", r["pab"]!.ToJsonString());
        Assert.Equal("AES256", r["encryption_default"]!.GetValue<string>());
        Assert.Equal("""{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"alias/x"}""", r["encryption"]!.ToJsonString());
        Assert.Equal("NoSuchLifecycleConfiguration", r["no_lifecycle"]!.GetValue<string>());
        Assert.Equal("tmp/", r["lifecycle"]![0]!["Filter"]!["Prefix"]!.GetValue<string>());
        Assert.Equal(7, r["lifecycle"]![0]!["Expiration"]!["Days"]!.GetValue<int>());
        Assert.Equal("NoSuchCORSConfiguration", r["no_cors"]!.GetValue<string>());
        Assert.Equal("""["GET","PUT"]""", r["cors"]![0]!["AllowedMethods"]!.ToJsonString());
        Assert.Equal("""[200,"https://example.com","GET, PUT","60"]""", r["preflight"]!.ToJsonString());
        Assert.Equal(403, r["preflight_origin"]![0]!.GetValue<int>());
        Assert.Contains("<Code>AccessForbidden</Code>", r["preflight_origin"]![4]!.GetValue<string>());
        Assert.Equal(403, r["preflight_method"]!.GetValue<int>());
        Assert.Null(r["cors_on_get"]);
        Assert.Equal("https://example.com", r["cors_with_origin"]!.GetValue<string>());
        Assert.Equal("MalformedXML", r["malformed"]!["code"]!.GetValue<string>());
        Assert.Equal("NoSuchWebsiteConfiguration", r["no_website"]!.GetValue<string>());
        Assert.Equal("index.html", r["website"]!.GetValue<string>());
        Assert.Equal("NoSuchWebsiteConfiguration", r["website_deleted"]!.GetValue<string>());
        Assert.Equal("""[["CanonicalUser",true,"FULL_CONTROL"]]""", r["acl"]!.ToJsonString());
        Assert.Equal("FULL_CONTROL", r["object_acl"]!.GetValue<string>());
        Assert.Equal("ObjectLockConfigurationNotFoundError", r["object_lock"]!.GetValue<string>());
        Assert.Equal("InvalidRequest", r["retention"]!["code"]!.GetValue<string>());
        Assert.Equal("Bucket is missing Object Lock Configuration", r["retention"]!["message"]!.GetValue<string>());
        Assert.Equal("NotImplemented", r["lock_on_create"]!.GetValue<string>());
        Assert.Equal("[true,3,\"STANDARD\"]", r["attributes"]!.ToJsonString());
        Assert.Equal("NotImplemented", r["not_implemented"]!["code"]!.GetValue<string>());
        Assert.Equal(501, r["not_implemented"]!["status"]!.GetValue<int>());
        Assert.Equal("Stratus does not serve the S3 operation GetBucketLogging: server access logging, replication and transfer acceleration are not built.",
            r["not_implemented"]!["message"]!.GetValue<string>());
    }
}
