using System.Net;
using System.Net.Sockets;
using System.Text;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Protocols;

/// <summary>
/// A request sent with Expect: 100-continue and refused before its body was asked for (here: too large by its
/// Content-Length): its client never sends the body, so a server keeping the connection would read the client's next
/// request as that body and hang. Every protocol answers such a refusal with Connection: close and closes, as AWS does;
/// the next request on that connection then fails at once, and a client reconnects, instead of waiting forever.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ExpectContinueTests : IAsyncLifetime
{
    private const long Oversized = 300L * 1024 * 1024;
    private StratusProcess _stratus = null!;

    public async Task InitializeAsync() => _stratus = await StratusProcess.StartEphemeralAsync();

    public async Task DisposeAsync() => await _stratus.DisposeAsync();

    private static string Authorization(string service) =>
        $"Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00\r\n";

    public static TheoryData<string, string> Refused => new()
    {
        { "json", $"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: Logs_20140328.PutLogEvents\r\nContent-Type: application/x-amz-json-1.1\r\n{Authorization("logs")}" },
        { "query", $"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n{Authorization("iam")}" },
        { "rest-json", $"POST /2015-03-31/functions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n{Authorization("lambda")}" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_refusal_before_the_body_closes_the_connection_so_the_next_request_is_not_eaten(string protocol, string head)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _stratus.Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{head}Expect: 100-continue\r\nContent-Length: {Oversized}\r\n\r\n"), timeout.Token);

        var response = await ReadHeadAsync(stream, timeout.Token);
        Assert.True(response.StartsWith("HTTP/1.1 413", StringComparison.Ordinal), $"{protocol}: {response}");
        Assert.Contains("connection: close", response.ToLowerInvariant());

        // The next request on the same connection: answered by a closed connection, never swallowed as the body.
        var next = Encoding.ASCII.GetBytes("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
            Authorization("sts") + "Content-Length: 43\r\n\r\nAction=GetCallerIdentity&Version=2011-06-15");
        try
        {
            await stream.WriteAsync(next, timeout.Token);
            Assert.Equal(0, await stream.ReadAsync(new byte[4096], timeout.Token));
        }
        catch (IOException)
        {
            // Reset by the server that closed: as good as the end of the stream.
        }
        Assert.False(timeout.IsCancellationRequested, $"{protocol}: the connection hung");
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream, CancellationToken cancellation)
    {
        var head = new StringBuilder();
        var buffer = new byte[4096];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, cancellation);
            if (read == 0) break;
            head.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }
        return head.ToString();
    }
}
