using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Services.Rds.Engine;

namespace Stratus.Tests.Services.Rds.Engine;

/// <summary>The forwarder behind Aurora's endpoints: each connection goes where the target says at that moment, bytes both ways.</summary>
public sealed class TcpForwarderTests
{
    [Fact]
    public async Task Each_connection_reaches_the_server_chosen_when_it_arrives_and_bytes_flow_both_ways()
    {
        using var first = new EchoServer("first");
        using var second = new EchoServer("second");
        var turn = 0;
        IPEndPoint?[] targets = [first.EndPoint, second.EndPoint];
        await using var forwarder = TcpForwarder.Start("127.0.0.1", 0, () => targets[turn++ % 2], NullLogger.Instance);

        Assert.Equal("first:hello", await ExchangeAsync(forwarder.Listening, "hello"));
        Assert.Equal("second:again", await ExchangeAsync(forwarder.Listening, "again"));
        Assert.Equal("first:third", await ExchangeAsync(forwarder.Listening, "third"));
    }

    [Fact]
    public async Task A_connection_with_no_server_to_go_to_is_closed()
    {
        await using var forwarder = TcpForwarder.Start("127.0.0.1", 0, () => null, NullLogger.Instance);
        using var client = new TcpClient();
        await client.ConnectAsync(forwarder.Listening);
        var buffer = new byte[16];
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        Assert.Equal(0, await client.GetStream().ReadAsync(buffer, timeout.Token));
    }

    private static async Task<string> ExchangeAsync(IPEndPoint endpoint, string message)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(message + "\n"));
        using var reader = new StreamReader(stream);
        return (await reader.ReadLineAsync())!;
    }

    /// <summary>Answers each line with its name in front, then closes.</summary>
    private sealed class EchoServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public EchoServer(string name)
        {
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (true)
                {
                    using var client = await _listener.AcceptTcpClientAsync();
                    var stream = client.GetStream();
                    using var reader = new StreamReader(stream);
                    var line = await reader.ReadLineAsync();
                    await stream.WriteAsync(Encoding.UTF8.GetBytes($"{name}:{line}\n"));
                }
            });
        }

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

        public void Dispose() => _listener.Stop();
    }
}
