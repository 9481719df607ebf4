using System.Globalization;
using System.Text;

namespace Stratus.Protocols.SigV4;

/// <summary>
/// Decodes an <c>aws-chunked</c> body as SDKs send it for streaming uploads: chunks of
/// <c>hex-size[;chunk-signature=...]\r\n data \r\n</c>, a zero-size chunk, then trailer lines
/// (<c>x-amz-checksum-crc32:...</c>) and a blank line. Reads the payload without buffering it whole;
/// the trailers are known once the payload has been read to its end. Header lines are bounded, so a
/// body without line ends cannot make it buffer without limit.
/// </summary>
public sealed class AwsChunkedStream(Stream inner, Func<string> malformed) : ReadOnlyStream
{
    private const int MaxLineBytes = 4096;
    private const int MaxTrailerLines = 16;
    /// <summary>
    /// The framing is read through this buffer in small steps: what a step reads past a line is chunk data, copied once
    /// more on its way out, where data read while the buffer is empty goes straight to the caller. A chunk's header line
    /// with its signature is under 100 bytes; a 64 KB buffer carried most of each 64 KB chunk through the extra copy.
    /// </summary>
    private readonly byte[] _buffer = new byte[256];
    private readonly Dictionary<string, string> _trailers = new(StringComparer.OrdinalIgnoreCase);
    private int _position;
    private int _length;
    private long _chunkRemaining;
    private bool _finished;

    /// <summary>Trailer headers, complete once <see cref="ReadAsync(Memory{byte}, CancellationToken)"/> has returned 0.</summary>
    public IReadOnlyDictionary<string, string> Trailers => _trailers;

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_finished || destination.Length == 0) return 0;
        if (_chunkRemaining == 0)
        {
            var header = await ReadLineAsync(cancellationToken);
            var semicolon = header.IndexOf(';');
            var sizeText = semicolon < 0 ? header : header[..semicolon];
            if (!long.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
                throw Malformed();
            if (size == 0)
            {
                await ReadTrailersAsync(cancellationToken);
                _finished = true;
                return 0;
            }
            _chunkRemaining = size;
        }
        int count;
        if (_position < _length)
        {
            count = (int)Math.Min(Math.Min(destination.Length, _length - _position), _chunkRemaining);
            _buffer.AsMemory(_position, count).CopyTo(destination);
            _position += count;
        }
        else
        {
            // Nothing buffered: the chunk's data goes from the request straight to the caller, not through the buffer
            // (most of a large upload's bytes; only the framing between chunks is buffered).
            count = await inner.ReadAsync(destination[..(int)Math.Min(destination.Length, _chunkRemaining)], cancellationToken);
            if (count == 0) throw Malformed();
        }
        _chunkRemaining -= count;
        if (_chunkRemaining == 0)
            if (await ReadLineAsync(cancellationToken) != "") throw Malformed();
        return count;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    private async Task ReadTrailersAsync(CancellationToken cancellation)
    {
        for (var lines = 0; ; lines++)
        {
            if (lines > MaxTrailerLines) throw Malformed();
            // The body may simply end after the last chunk when no trailer was announced.
            if (_position == _length && !await FillAsync(cancellation)) return;
            var line = await ReadLineAsync(cancellation);
            if (line.Length == 0) return;
            var colon = line.IndexOf(':');
            if (colon <= 0) throw Malformed();
            _trailers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellation)
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_position == _length && !await FillAsync(cancellation)) throw Malformed();
            var buffered = _buffer.AsSpan(_position, _length - _position);
            var end = buffered.IndexOf((byte)'\r');
            var text = end < 0 ? buffered : buffered[..end];
            if (line.Length + text.Length > MaxLineBytes) throw Malformed();
            line.Append(Encoding.Latin1.GetString(text));
            _position += text.Length;
            if (end < 0) continue;
            _position++;
            if (_position == _length && !await FillAsync(cancellation)) throw Malformed();
            if (_buffer[_position++] != '\n') throw Malformed();
            return line.ToString();
        }
    }

    private async Task<bool> FillAsync(CancellationToken cancellation)
    {
        _length = await inner.ReadAsync(_buffer, cancellation);
        _position = 0;
        return _length > 0;
    }

    private AwsException Malformed() => new("IncompleteBody", malformed());
}
