using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// Kestrel's transport for the Runtime API: Kestrel binds one endpoint (<see cref="EndPoint"/>) and accepts from
/// it, while each execution environment gets a loopback socket listener of its own, opened when the environment
/// starts (a bind and an accept loop: no new server) and closed when it ends. A connection is handed to Kestrel
/// only when the connecting socket belongs to a process of that environment.
/// </summary>
public sealed class EnvironmentListeners : IConnectionListenerFactory, IConnectionListenerFactorySelector, IAsyncDisposable
{
    /// <summary>The one endpoint Kestrel knows: every environment's connections arrive through it.</summary>
    public static readonly EndPoint EndPoint = new EnvironmentsEndPoint();

    private readonly SocketTransportFactory _sockets = new(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance);
    private readonly Channel<ConnectionContext> _accepted = Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions { SingleReader = false });
    private readonly ConcurrentDictionary<int, IConnectionListener> _open = new();

    public bool CanBind(EndPoint endpoint) => endpoint is EnvironmentsEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IConnectionListener>(new MergedListener(endpoint, _accepted.Reader));

    /// <summary>A listener on 127.0.0.1 with a port of the kernel's choosing, for <paramref name="environment"/> alone.</summary>
    public async Task<int> OpenAsync(ExecutionEnvironment environment)
    {
        var listener = await _sockets.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)listener.EndPoint).Port;
        _open[port] = listener;
        _ = AcceptAsync(listener, port, environment);
        return port;
    }

    public void Close(int port)
    {
        if (_open.TryRemove(port, out var listener)) _ = listener.DisposeAsync().AsTask();
    }

    private async Task AcceptAsync(IConnectionListener listener, int port, ExecutionEnvironment environment)
    {
        try
        {
            while (await listener.AcceptAsync() is { } connection)
            {
                if (connection.RemoteEndPoint is IPEndPoint peer && await environment.OwnsSocketAsync(peer.Port, port))
                    await _accepted.Writer.WriteAsync(connection);
                else
                    await connection.DisposeAsync();
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException or ChannelClosedException)
        {
            // The environment ended, or Stratus is stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _accepted.Writer.TryComplete();
        foreach (var port in _open.Keys) Close(port);
        await Task.CompletedTask;
    }

    private sealed class EnvironmentsEndPoint : EndPoint
    {
        public override string ToString() => "lambda-runtime-api";
    }

    /// <summary>
    /// What Kestrel accepts from: the connections every environment's listener let through. Unbinding ends the
    /// pending accept (Kestrel's stop waits for its accept loop to see null).
    /// </summary>
    private sealed class MergedListener(EndPoint endpoint, ChannelReader<ConnectionContext> accepted) : IConnectionListener
    {
        private readonly CancellationTokenSource _unbound = new();

        public EndPoint EndPoint { get; } = endpoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _unbound.Token);
            try
            {
                return await accepted.ReadAsync(stop.Token);
            }
            catch (Exception e) when (e is ChannelClosedException or OperationCanceledException)
            {
                return null;
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            _unbound.Cancel();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            _unbound.Cancel();
            _unbound.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>Which process holds a loopback TCP connection's client end: the kernel's socket tables and each process's descriptors.</summary>
public static class LoopbackPeer
{
    /// <summary>The inode of the established socket whose local port is <paramref name="clientPort"/> and remote port <paramref name="serverPort"/>, or null.</summary>
    public static long? SocketInode(int clientPort, int serverPort)
    {
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 10 || fields[3] != "01") continue;
                if (Port(fields[1]) == clientPort && Port(fields[2]) == serverPort && long.TryParse(fields[9], out var inode)) return inode;
            }
        }
        return null;
    }

    /// <summary>Whether one of <paramref name="processes"/> has the socket open.</summary>
    public static bool HeldByAny(long inode, IEnumerable<int> processes)
    {
        var link = $"socket:[{inode.ToString(CultureInfo.InvariantCulture)}]";
        foreach (var pid in processes)
        {
            try
            {
                foreach (var descriptor in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
                    if (new FileInfo(descriptor).LinkTarget == link) return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended meanwhile.
            }
        }
        return false;
    }

    private static int Port(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon < 0 ? -1 : int.Parse(address.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }
}
