using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Stratus.Services.Rds.Engine;

/// <summary>
/// A loopback TCP listener that hands each connection to a server chosen when it arrives: an Aurora cluster's writer
/// endpoint (the current writer, so it follows a failover) or reader endpoint (the readers in turn). Bytes are copied
/// both ways untouched, so any client of the engine works through it; a connection with no server to go to is closed.
/// </summary>
public sealed class TcpForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<IPEndPoint?> _target;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly Task _accepting;

    private TcpForwarder(IPEndPoint listen, Func<IPEndPoint?> target, ILogger logger)
    {
        _target = target;
        _logger = logger;
        _listener = new TcpListener(listen);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    public IPEndPoint Listening => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Listens at once; <paramref name="target"/> is asked for a server for each new connection.</summary>
    public static TcpForwarder Start(string address, int port, Func<IPEndPoint?> target, ILogger logger) =>
        new(new IPEndPoint(IPAddress.Parse(address), port), target, logger);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested) return;
                continue;
            }
            _ = Task.Run(() => ForwardAsync(client));
        }
    }

    private async Task ForwardAsync(Socket client)
    {
        _open.TryAdd(client, 0);
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _open.TryAdd(server, 0);
        try
        {
            if (_target() is not { } target) return;
            client.NoDelay = true;
            server.NoDelay = true;
            await server.ConnectAsync(target, _stop.Token);
            await using var clientStream = new NetworkStream(client, ownsSocket: false);
            await using var serverStream = new NetworkStream(server, ownsSocket: false);
            // Either side closing ends the pair, as a direct connection would end.
            await Task.WhenAny(PumpAsync(clientStream, server), PumpAsync(serverStream, client));
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            _logger.LogDebug("Forwarded connection ended: {Message}", e.Message);
        }
        finally
        {
            Close(client);
            Close(server);
        }
    }

    private async Task PumpAsync(NetworkStream from, Socket to)
    {
        try
        {
            var buffer = new byte[16384];
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0) return;
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private void Close(Socket socket)
    {
        _open.TryRemove(socket, out _);
        socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var socket in _open.Keys) socket.Dispose();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
