using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>
/// Response streaming end to end: a custom runtime posts its response in the Runtime API's streaming mode, and a
/// function URL in RESPONSE_STREAM mode and boto3's invoke_with_response_stream deliver its first chunk while the
/// function is still running (it waits for the client's signal, sent only once that chunk has been read).
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class LambdaResponseStreamingTests(TunedLambdaFixture stratus) : IClassFixture<TunedLambdaFixture>
{
    /// <summary>
    /// Python both tests share: a client that reads a streamed response's first chunk, then signals the function (on a
    /// port it passes in the event) that it may send the rest, through the function URL and through boto3.
    /// </summary>
    private const string StreamingClient = """
        import http.client, socket, urllib.parse
        def signal_listener():
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            listener.settimeout(60)
            return listener, listener.getsockname()[1]
        def signal(listener):
            connection, _ = listener.accept()
            connection.sendall(b"!")
            connection.close()
            listener.close()
        def stream_through_url(config):
            listener, port = signal_listener()
            url_id = config["FunctionUrl"].split("//")[1].split(".")[0]
            target = urllib.parse.urlparse(URL)
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
            connection.request("GET", "/_aws/lambda-url/" + url_id + "/stream?port=" + str(port))
            response = connection.getresponse()
            out["url_status"] = response.status
            out["url_header"] = response.getheader("x-streamed")
            first = b""
            while b";" not in first:
                piece = response.read1(1024)
                if not piece:
                    break
                first += piece
            out["url_first"] = first.decode()
            signal(listener)
            out["url_rest"] = response.read().decode()
            connection.close()
        def stream_through_invoke(name):
            listener, port = signal_listener()
            stream = lam.invoke_with_response_stream(FunctionName=name, Payload=json.dumps({"port": port}).encode())
            events = []
            for event in stream["EventStream"]:
                if "PayloadChunk" in event:
                    chunk = event["PayloadChunk"]["Payload"].decode()
                    events.append({"chunk": chunk})
                    if chunk == "first chunk;":
                        signal(listener)
                else:
                    events.append({"complete": event.get("InvokeComplete")})
            out["events"] = events
            return stream

        """;

    [Fact]
    public async Task Function_url_and_InvokeWithResponseStream_relay_chunks_before_the_function_ends()
    {
        var result = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + StreamingClient + """
            BOOTSTRAP = '''#!/usr/bin/env python3
            import base64, http.client, json, os, socket
            host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
            while True:
                api = http.client.HTTPConnection(host, int(port))
                api.request("GET", "/2018-06-01/runtime/invocation/next")
                answer = api.getresponse()
                event = json.loads(answer.read())
                request_id = answer.getheader("Lambda-Runtime-Aws-Request-Id")
                if event.get("fail"):
                    # A failure met mid-stream, told in the trailers as AWS's runtimes send it (base64 of the error document).
                    error = base64.b64encode(json.dumps({"errorType": "Function.Broken", "errorMessage": "it broke"}).encode())
                    with socket.create_connection((host, int(port))) as raw:
                        raw.sendall(b"POST /2018-06-01/runtime/invocation/" + request_id.encode() + b"/response HTTP/1.1\\r\\nHost: runtime\\r\\n"
                                    b"Lambda-Runtime-Function-Response-Mode: streaming\\r\\nTransfer-Encoding: chunked\\r\\nContent-Type: text/plain\\r\\n"
                                    b"Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\\r\\n\\r\\n"
                                    b"5\\r\\npart;\\r\\n0\\r\\nLambda-Runtime-Function-Error-Type: Function.Broken\\r\\n"
                                    b"Lambda-Runtime-Function-Error-Body: " + error + b"\\r\\n\\r\\n")
                        raw.recv(4096)
                    continue
                url = "rawPath" in event
                signal_port = int(event["queryStringParameters"]["port"]) if url else event.get("port")
                def body():
                    if url:
                        yield json.dumps({"statusCode": 201, "headers": {"x-streamed": "yes"}}).encode() + bytes(8)
                    yield b"first chunk;"
                    if signal_port is None:
                        yield b"second chunk unwaited"
                        return
                    with socket.create_connection(("127.0.0.1", signal_port), timeout=50) as signal:
                        try:
                            heard = signal.recv(1) == b"!"
                        except socket.timeout:
                            heard = False
                    yield b"second chunk after signal" if heard else b"second chunk without signal"
                content_type = "application/vnd.awslambda.http-integration-response" if url else "text/plain"
                api.request("POST", "/2018-06-01/runtime/invocation/" + request_id + "/response", body=body(), encode_chunked=True,
                            headers={"Lambda-Runtime-Function-Response-Mode": "streaming", "Content-Type": content_type})
                api.getresponse().read()
            '''
            create("streamer", {"bootstrap": BOOTSTRAP}, runtime="provided.al2023", handler="streamer.handler", executable=("bootstrap",), Timeout=60)
            config = lam.create_function_url_config(FunctionName="streamer", AuthType="NONE", InvokeMode="RESPONSE_STREAM")
            out["mode"] = config["InvokeMode"]
            lam.add_permission(FunctionName="streamer", StatementId="public-url", Action="lambda:InvokeFunctionUrl", Principal="*", FunctionUrlAuthType="NONE")

            stream_through_url(config)

            stream = stream_through_invoke("streamer")
            out["stream_status"] = stream["StatusCode"]
            out["stream_version"] = stream["ExecutedVersion"]

            failed = lam.invoke_with_response_stream(FunctionName="streamer", Payload=b'{"fail": true}')
            out["failed"] = [{k: (v["Payload"].decode() if k == "PayloadChunk" else v) for k, v in e.items()} for e in failed["EventStream"]]
            out["buffered"] = invoke("streamer", {})
            out["buffered_failure"] = invoke("streamer", {"fail": True})

            create("whole", {"app.py": "def handler(event, context):\n    return {'whole': True}\n"})
            whole = lam.invoke_with_response_stream(FunctionName="whole", Payload=b"{}", LogType="Tail")
            out["whole"] = [{k: (json.loads(v["Payload"]) if k == "PayloadChunk" else sorted(v)) for k, v in e.items()} for e in whole["EventStream"]]
            out["missing"] = error(lam.invoke_with_response_stream, FunctionName="nobody-here", Payload=b"{}")
            """);

        Assert.Equal("RESPONSE_STREAM", result["mode"]!.GetValue<string>());
        Assert.Equal(201, result["url_status"]!.GetValue<int>());
        Assert.Equal("yes", result["url_header"]!.GetValue<string>());
        Assert.Equal("first chunk;", result["url_first"]!.GetValue<string>());
        // The function sent its second chunk only after the client, holding the first, signalled it.
        Assert.Equal("second chunk after signal", result["url_rest"]!.GetValue<string>());

        Assert.Equal(200, result["stream_status"]!.GetValue<int>());
        Assert.Equal("$LATEST", result["stream_version"]!.GetValue<string>());
        var events = result["events"]!.AsArray();
        Assert.Equal(3, events.Count);
        Assert.Equal("first chunk;", events[0]!["chunk"]!.GetValue<string>());
        Assert.Equal("second chunk after signal", events[1]!["chunk"]!.GetValue<string>());
        Assert.Null(events[2]!["complete"]!["ErrorCode"]);

        var failed = result["failed"]!.AsArray();
        Assert.Equal(2, failed.Count);
        Assert.Equal("part;", failed[0]!["PayloadChunk"]!.GetValue<string>());
        Assert.Equal("Function.Broken", failed[1]!["InvokeComplete"]!["ErrorCode"]!.GetValue<string>());
        Assert.Equal("it broke", failed[1]!["InvokeComplete"]!["ErrorDetails"]!.GetValue<string>());

        // Invoke takes a streamed response whole, and the trailers' error as the function's error.
        Assert.Null(result["buffered"]!["error"]);
        Assert.Equal("first chunk;second chunk unwaited", result["buffered"]!["payload"]!.GetValue<string>());
        Assert.Equal("Unhandled", result["buffered_failure"]!["error"]!.GetValue<string>());
        Assert.Equal("Function.Broken", result["buffered_failure"]!["payload"]!["errorType"]!.GetValue<string>());

        var whole = result["whole"]!.AsArray();
        Assert.Equal(2, whole.Count);
        Assert.True(whole[0]!["PayloadChunk"]!["whole"]!.GetValue<bool>());
        Assert.Equal("""["LogResult"]""", whole[1]!["InvokeComplete"]!.ToJsonString());
        Assert.Equal("ResourceNotFoundException", result["missing"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Node_handlers_wrapped_with_streamifyResponse_stream_through_the_url_and_InvokeWithResponseStream()
    {
        var result = await Clients.Boto3Async(stratus.Url, LambdaScripts.Prelude + StreamingClient + """
            HANDLER = '''const net = require('net');
            class Broken extends Error { constructor(message) { super(message); this.name = 'Function.Broken'; } }
            // Resolves true once the test, holding the first chunk, sends '!' on the signal port.
            const signalled = port => new Promise(resolve => {
              const socket = net.connect(port, '127.0.0.1');
              socket.setTimeout(50000, () => { socket.destroy(); resolve(false); });
              socket.on('data', data => { socket.destroy(); resolve(data.toString() === '!'); });
              socket.on('error', () => resolve(false));
            });
            exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
              if (event.fail) {
                responseStream.write('part;');
                await new Promise(resolve => setTimeout(resolve, 10));
                throw new Broken('it broke');
              }
              const url = 'rawPath' in event;
              const port = url ? Number(event.queryStringParameters.port) : event.port;
              if (url) responseStream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 201, headers: { 'x-streamed': 'yes' } });
              responseStream.write('first chunk;');
              if (!port) {
                responseStream.end('second chunk unwaited from ' + context.functionName);
                return;
              }
              responseStream.write((await signalled(port)) ? 'second chunk after signal' : 'second chunk without signal');
              responseStream.end();
            });
            '''
            create("node-streamer", {"index.js": HANDLER}, runtime="nodejs20.x", handler="index.handler", Timeout=60)
            config = lam.create_function_url_config(FunctionName="node-streamer", AuthType="NONE", InvokeMode="RESPONSE_STREAM")
            lam.add_permission(FunctionName="node-streamer", StatementId="public-url", Action="lambda:InvokeFunctionUrl", Principal="*", FunctionUrlAuthType="NONE")

            stream_through_url(config)

            stream_through_invoke("node-streamer")

            failed = lam.invoke_with_response_stream(FunctionName="node-streamer", Payload=b'{"fail": true}')
            out["failed"] = [{k: (v["Payload"].decode() if k == "PayloadChunk" else v) for k, v in e.items()} for e in failed["EventStream"]]
            out["buffered"] = invoke("node-streamer", {})
            """);

        Assert.Equal(201, result["url_status"]!.GetValue<int>());
        Assert.Equal("yes", result["url_header"]!.GetValue<string>());
        Assert.Equal("first chunk;", result["url_first"]!.GetValue<string>());
        // The handler wrote its second chunk only after the client, holding the first, signalled it.
        Assert.Equal("second chunk after signal", result["url_rest"]!.GetValue<string>());

        var events = result["events"]!.AsArray();
        Assert.Equal("first chunk;", events[0]!["chunk"]!.GetValue<string>());
        Assert.Equal("second chunk after signal", events[1]!["chunk"]!.GetValue<string>());
        Assert.Null(events[^1]!["complete"]!["ErrorCode"]);

        var failed = result["failed"]!.AsArray();
        Assert.Equal("part;", failed[0]!["PayloadChunk"]!.GetValue<string>());
        Assert.Equal("Function.Broken", failed[^1]!["InvokeComplete"]!["ErrorCode"]!.GetValue<string>());
        Assert.Equal("it broke", failed[^1]!["InvokeComplete"]!["ErrorDetails"]!.GetValue<string>());

        Assert.Null(result["buffered"]!["error"]);
        Assert.Equal("first chunk;second chunk unwaited from node-streamer", result["buffered"]!["payload"]!.GetValue<string>());
    }
}
