using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Stratus.Lambda.RuntimeHost;

/// <summary>A response of the Runtime API: status, headers, and the whole body.</summary>
public sealed class RuntimeHttpResponse(int status, Dictionary<string, string> headers, byte[] body)
{
    public int Status { get; } = status;
    public byte[] Body { get; } = body;

    public string? Header(string name) => headers.GetValueOrDefault(name);

    public void EnsureSuccess()
    {
        if (Status is < 200 or > 299)
            throw new InvalidOperationException($"The Runtime API answered {Status}: {Encoding.UTF8.GetString(Body)}");
    }
}

/// <summary>
/// HTTP/1.1 over one kept-alive loopback socket, blocking, one request at a time: all a runtime needs to talk
/// to its Runtime API. Responses are read by Content-Length or chunked transfer coding.
/// </summary>
public sealed class RuntimeHttpConnection
{
    private readonly string _authority;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private Socket? _socket;
    private int _start, _end;

    public RuntimeHttpConnection(string authority) => _authority = authority;

    public RuntimeHttpResponse Send(string method, string path, ArraySegment<byte>? body, (string Name, string Value)[] headers)
    {
        var socket = _socket ??= Connect();
        var head = new StringBuilder(256)
            .Append(method).Append(' ').Append(path).Append(" HTTP/1.1\r\nHost: ").Append(_authority).Append("\r\n");
        if (body is { } content)
            head.Append("Content-Type: application/json\r\nContent-Length: ").Append(content.Count.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        foreach (var (name, value) in headers) head.Append(name).Append(": ").Append(value).Append("\r\n");
        head.Append("\r\n");
        SendAll(socket, Encoding.ASCII.GetBytes(head.ToString()));
        if (body is { Count: > 0 } payload) SendAll(socket, payload);
        return ReadResponse();
    }

    private static void SendAll(Socket socket, ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0) bytes = bytes[socket.Send(bytes)..];
    }

    private Socket Connect()
    {
        var colon = _authority.LastIndexOf(':');
        var host = _authority[..colon];
        var port = int.Parse(_authority[(colon + 1)..], CultureInfo.InvariantCulture);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port));
        return socket;
    }

    private RuntimeHttpResponse ReadResponse()
    {
        var statusLine = ReadLine();
        var parts = statusLine.Split(' ', 3);
        if (parts.Length < 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
            throw new IOException($"The Runtime API sent a malformed status line: {statusLine}");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var line = ReadLine(); line.Length > 0; line = ReadLine())
        {
            var colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        byte[] body;
        if (headers.TryGetValue("Content-Length", out var length))
            body = ReadExactly(int.Parse(length, CultureInfo.InvariantCulture));
        else if (headers.TryGetValue("Transfer-Encoding", out var coding) && coding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            body = ReadChunked();
        else
            body = [];
        return new RuntimeHttpResponse(status, headers, body);
    }

    private byte[] ReadChunked()
    {
        using var body = new MemoryStream();
        while (true)
        {
            var size = ReadLine().Split(';')[0].Trim();
            var count = int.Parse(size, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (count == 0)
            {
                while (ReadLine().Length > 0)
                {
                    // Trailers: none that a runtime needs.
                }
                return body.ToArray();
            }
            body.Write(ReadExactly(count));
            ReadLine();
        }
    }

    private string ReadLine()
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                var line = Encoding.ASCII.GetString(_buffer, _start, newline - _start).TrimEnd('\r');
                _start = newline + 1;
                return line;
            }
            Fill();
        }
    }

    private byte[] ReadExactly(int count)
    {
        var result = new byte[count];
        var copied = Math.Min(count, _end - _start);
        Buffer.BlockCopy(_buffer, _start, result, 0, copied);
        _start += copied;
        // A large body goes straight from the socket into its array.
        while (copied < count) copied += Receive(result.AsSpan(copied));
        return result;
    }

    /// <summary>Reads more into the buffer, compacting what is unread to its start; a header line longer than the buffer is refused.</summary>
    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            (_end, _start) = (_end - _start, 0);
        }
        if (_end == _buffer.Length) throw new IOException("The Runtime API sent a header line longer than 16 KB.");
        _end += Receive(_buffer.AsSpan(_end));
    }

    private int Receive(Span<byte> into)
    {
        var read = _socket!.Receive(into);
        if (read == 0) throw new IOException("The Runtime API closed the connection.");
        return read;
    }
}
