using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.S3;

/// <summary>
/// Large GETs on plain HTTP/1.1 go by sendfile (Host/FileSendingConnection): the bytes arrive whole and in order, whole
/// and by Range, through boto3 and curl; the connection keeps serving after them; a reader keeps the version it started
/// with; a client that leaves mid-body leaves no file open; TLS connections keep the copying path.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class S3SendFileTests : IAsyncLifetime
{
    private const string Prelude = """
        import hashlib, subprocess, http.client, socket
        from urllib.parse import urlparse
        s3 = client("s3")
        s3.create_bucket(Bucket="sendfile")
        big = os.urandom(24 << 20)
        s3.put_object(Bucket="sendfile", Key="big", Body=big)
        def presigned(key, **params):
            return s3.generate_presigned_url("get_object", Params={"Bucket": "sendfile", "Key": key, **params})
        def digest(data):
            return hashlib.sha256(data).hexdigest()
        def curl(*args):
            return subprocess.run(["curl", "-sS", "--fail", *args], capture_output=True, check=True).stdout

        """;

    private StratusProcess _server = null!;

    public async Task InitializeAsync() => _server = await StratusProcess.StartEphemeralAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_large_object_arrives_whole_and_by_range_through_boto3_and_curl()
    {
        var r = await Clients.Boto3Async(_server.Url, Prelude + """
            out["expected"] = digest(big)
            out["expected_range"] = digest(big[1000:20_001_000])
            out["boto3"] = digest(s3.get_object(Bucket="sendfile", Key="big")["Body"].read())
            out["boto3_range"] = digest(s3.get_object(Bucket="sendfile", Key="big", Range="bytes=1000-20000999")["Body"].read())
            out["curl"] = digest(curl(presigned("big")))
            out["curl_range"] = digest(curl("-H", "Range: bytes=1000-20000999", presigned("big")))
            out["curl_tls"] = digest(curl("-k", presigned("big").replace("http://", "https://")))
            out["curl_tls_range"] = digest(curl("-k", "-H", "Range: bytes=1000-20000999", presigned("big").replace("http://", "https://")))
            """);

        var expected = r["expected"]!.GetValue<string>();
        var expectedRange = r["expected_range"]!.GetValue<string>();
        Assert.Equal(expected, r["boto3"]!.GetValue<string>());
        Assert.Equal(expectedRange, r["boto3_range"]!.GetValue<string>());
        Assert.Equal(expected, r["curl"]!.GetValue<string>());
        Assert.Equal(expectedRange, r["curl_range"]!.GetValue<string>());
        // TLS connections have no sendfile path: file bytes put on the socket there would break the TLS stream.
        Assert.Equal(expected, r["curl_tls"]!.GetValue<string>());
        Assert.Equal(expectedRange, r["curl_tls_range"]!.GetValue<string>());
    }

    [Fact]
    public async Task Two_large_gets_and_a_small_request_share_one_keep_alive_connection()
    {
        var r = await Clients.Boto3Async(_server.Url, Prelude + """
            s3.put_object(Bucket="sendfile", Key="small", Body=b"after the large ones")
            address = urlparse(URL)
            connection = http.client.HTTPConnection(address.hostname, address.port)
            answers, ports = [], []
            for url, headers in [(presigned("big"), {}), (presigned("big"), {"Range": "bytes=5-9000004"}), (presigned("small"), {})]:
                target = urlparse(url)
                connection.request("GET", target.path + "?" + target.query, headers=headers)
                response = connection.getresponse()
                body = response.read()
                ports.append(connection.sock.getsockname()[1])
                answers.append([response.status, digest(body)])
            out["answers"] = answers
            out["expected"] = [[200, digest(big)], [206, digest(big[5:9_000_005])], [200, digest(b"after the large ones")]]
            out["connections"] = len(set(ports))
            """);

        Assert.Equal(r["expected"]!.ToJsonString(), r["answers"]!.ToJsonString());
        Assert.Equal(1, r["connections"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_reader_keeps_the_bytes_it_started_with_when_the_key_is_overwritten_or_deleted_meanwhile()
    {
        var r = await Clients.Boto3Async(_server.Url, Prelude + """
            s3.put_object(Bucket="sendfile", Key="doomed", Body=big)
            address = urlparse(URL)
            readers = {}
            for key in ["big", "doomed"]:
                connection = http.client.HTTPConnection(address.hostname, address.port)
                target = urlparse(presigned(key))
                connection.request("GET", target.path + "?" + target.query)
                response = connection.getresponse()
                readers[key] = (connection, response, response.read(1 << 20))
            s3.put_object(Bucket="sendfile", Key="big", Body=b"new bytes")
            s3.delete_object(Bucket="sendfile", Key="doomed")
            for key, (connection, response, start) in readers.items():
                out[key] = digest(start + response.read()) == digest(big)
                connection.close()
            out["now"] = s3.get_object(Bucket="sendfile", Key="big")["Body"].read().decode()
            """);

        Assert.True(r["big"]!.GetValue<bool>());
        Assert.True(r["doomed"]!.GetValue<bool>());
        Assert.Equal("new bytes", r["now"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_client_that_leaves_mid_body_leaves_no_object_file_open_and_the_server_serving()
    {
        var r = await Clients.Boto3Async(_server.Url, Prelude + $$"""
            def open_object_files():
                count = 0
                for fd in os.listdir("/proc/{{_server.Pid}}/fd"):
                    try:
                        count += "/blobs/" in os.readlink(f"/proc/{{_server.Pid}}/fd/{fd}")
                    except OSError:
                        pass
                return count
            address = urlparse(URL)
            target = urlparse(presigned("big"))
            for _ in range(4):
                leaving = socket.create_connection((address.hostname, address.port))
                leaving.sendall(f"GET {target.path}?{target.query} HTTP/1.1\r\nHost: {address.netloc}\r\n\r\n".encode())
                received = 0
                while received < 2 << 20:
                    received += len(leaving.recv(1 << 16))
                leaving.close()
            deadline = time.time() + 30
            while open_object_files() and time.time() < deadline:
                time.sleep(0.2)
            out["open"] = open_object_files()
            out["after"] = digest(s3.get_object(Bucket="sendfile", Key="big")["Body"].read()) == digest(big)
            """);

        Assert.Equal(0, r["open"]!.GetValue<int>());
        Assert.True(r["after"]!.GetValue<bool>());
    }
}
