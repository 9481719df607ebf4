using System.Net;
using System.Net.Sockets;
using System.Text;
using Stratus.Lambda.RuntimeHost;

namespace Stratus.Tests.Services.Lambda;

/// <summary>The runtime host's HTTP/1.1 client against a socket that answers with canned bytes.</summary>
public sealed class RuntimeHttpConnectionTests : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public RuntimeHttpConnectionTests() => _listener.Start();

    public void Dispose() => _listener.Stop();

    private string Authority => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Accepts one connection, and for each canned response reads one request (head and body) and writes the response in small pieces.</summary>
    private Task<List<string>> ServeAsync(params byte[][] responses) => Task.Run(async () =>
    {
        var requests = new List<string>();
        using var client = await _listener.AcceptTcpClientAsync();
        var stream = client.GetStream();
        foreach (var response in responses)
        {
            requests.Add(await ReadRequestAsync(stream));
            foreach (var piece in response.Chunk(7)) await stream.WriteAsync(piece);
        }
        return requests;
    });

    private static async Task<string> ReadRequestAsync(NetworkStream stream)
    {
        var received = new List<byte>();
        var one = new byte[1];
        while (!Encoding.ASCII.GetString(received.ToArray()).EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            await stream.ReadExactlyAsync(one);
            received.Add(one[0]);
        }
        var head = Encoding.ASCII.GetString(received.ToArray());
        var length = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length: ", StringComparison.Ordinal))?["Content-Length: ".Length..];
        var body = new byte[length is null ? 0 : int.Parse(length)];
        await stream.ReadExactlyAsync(body);
        return head + Encoding.UTF8.GetString(body);
    }

    [Fact]
    public async Task Requests_carry_their_body_and_responses_are_read_by_length_and_by_chunks_on_one_connection()
    {
        var large = new string('x', 100_000);
        var server = ServeAsync(
            Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nlambda-runtime-aws-request-id: r1\r\nContent-Length: 7\r\n\r\n\"event\""),
            Encoding.ASCII.GetBytes("HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"sta\r\n0A;ext=1\r\ntus\":\"OK\"}\r\n0\r\n\r\n"),
            Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {large.Length}\r\n\r\n{large}"));
        var connection = new RuntimeHttpConnection(Authority);

        var next = connection.Send("GET", "/env/2018-06-01/runtime/invocation/next", null, []);
        Assert.Equal(200, next.Status);
        Assert.Equal("r1", next.Header("Lambda-Runtime-Aws-Request-Id"));
        Assert.Equal("\"event\"", Encoding.UTF8.GetString(next.Body));

        var accepted = connection.Send("POST", "/env/2018-06-01/runtime/invocation/r1/error", Encoding.UTF8.GetBytes("{\"a\":1}"), [("Lambda-Runtime-Function-Error-Type", "Boom")]);
        Assert.Equal(202, accepted.Status);
        Assert.Equal("{\"status\":\"OK\"}", Encoding.UTF8.GetString(accepted.Body));

        Assert.Equal(large, Encoding.UTF8.GetString(connection.Send("GET", "/big", null, []).Body));

        var requests = await server;
        Assert.StartsWith($"GET /env/2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {Authority}\r\n", requests[0]);
        Assert.StartsWith("POST /env/2018-06-01/runtime/invocation/r1/error HTTP/1.1\r\n", requests[1]);
        Assert.Contains("\r\nContent-Type: application/json\r\nContent-Length: 7\r\nLambda-Runtime-Function-Error-Type: Boom\r\n\r\n{\"a\":1}", requests[1]);
    }

    [Fact]
    public async Task A_failure_status_a_malformed_status_line_and_a_closed_connection_are_errors()
    {
        var server = ServeAsync(Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope"), Encoding.ASCII.GetBytes("garbage\r\n\r\n"));
        var connection = new RuntimeHttpConnection(Authority);
        var missing = connection.Send("GET", "/a", null, []);
        Assert.Equal("The Runtime API answered 404: nope", Assert.Throws<InvalidOperationException>(missing.EnsureSuccess).Message);
        Assert.Contains("malformed status line", Assert.Throws<IOException>(() => connection.Send("GET", "/b", null, [])).Message);
        await server;

        var closing = Task.Run(async () => (await _listener.AcceptTcpClientAsync()).Dispose());
        var error = Record.Exception(() => new RuntimeHttpConnection(Authority).Send("GET", "/c", null, []));
        await closing;
        Assert.True(error is IOException or SocketException, error?.ToString());
    }
}
