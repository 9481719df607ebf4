using Microsoft.AspNetCore.Http;

namespace Stratus.Protocols;

/// <summary>
/// A window of a file sent as a response body (a blob, an object, a Range of one). Kestrel has no sendfile, and its
/// SendFileAsync copies through a 16 KB buffer with a write and flush each. On a plain-HTTP/1.1 connection a window of
/// at least <see cref="MinFileSendBytes"/> goes by sendfile(2) (<see cref="IConnectionFileSendFeature"/>); otherwise (TLS,
/// HTTP/2, small windows) this reads the file straight into the response's own pipe memory in blocks of up to
/// <see cref="BlockBytes"/> (one copy, the kernel's, and one socket send per block). The file is opened when the range
/// is made, so a file replaced or deleted meanwhile is still sent whole, as it was when the request was answered.
/// </summary>
public sealed class FileRange : IDisposable
{
    public const int BlockBytes = 1024 * 1024;

    /// <summary>
    /// The smallest window sent by sendfile: below one block the copy costs less than the extra flush that puts the
    /// response's head on the socket before the file.
    /// </summary>
    public const long MinFileSendBytes = BlockBytes;

    private readonly FileStream _file;
    private bool _fileHandedOver;

    private FileRange(FileStream file, long offset, long length)
    {
        _file = file;
        Offset = offset;
        Length = length;
    }

    public long Offset { get; }
    public long Length { get; }

    public static FileRange Open(string path, long offset, long length) =>
        new(new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            // Asynchronous: sendfile's SendPacketsElement takes no other; the copy's reads are positional either way.
            Options = FileOptions.SequentialScan | FileOptions.Asynchronous,
            BufferSize = 0,
        }), offset, length);

    /// <summary>Writes the window to the response, waiting for the client to take each block (the pipe's backpressure).</summary>
    public Task WriteToAsync(HttpResponse response, CancellationToken cancellation)
    {
        var http = response.HttpContext;
        // The placeholders must reach the connection as raw body bytes: HTTP/1.1 with the window's Content-Length, not chunked.
        if (Length >= MinFileSendBytes && response.ContentLength == Length && HttpProtocol.IsHttp11(http.Request.Protocol)
            && http.Features.Get<IConnectionFileSendFeature>() is { } connection)
            return SendFileAsync(response, connection, cancellation);
        return CopyAsync(response, cancellation);
    }

    private async Task SendFileAsync(HttpResponse response, IConnectionFileSendFeature connection, CancellationToken cancellation)
    {
        var writer = response.BodyWriter;
        // The head flushed first, so the window starts exactly where the body does.
        await response.StartAsync(cancellation);
        await writer.FlushAsync(cancellation);
        // The connection owns the file from here: it closes it once the window is sent or the connection ends, so a
        // request that ends early (a client gone) never closes it under a send in flight.
        connection.SendInPlaceOfNextBytes(_file, Offset, Length);
        _fileHandedOver = true;
        var remaining = Length;
        while (remaining > 0)
        {
            // Placeholders: counted by Kestrel against Content-Length, never filled, dropped by the connection.
            var block = (int)Math.Min(remaining, BlockBytes);
            var placeholder = Math.Min(block, writer.GetMemory(block).Length);
            writer.Advance(placeholder);
            remaining -= placeholder;
            var flushed = await writer.FlushAsync(cancellation);
            if (flushed.IsCompleted || flushed.IsCanceled) return;
        }
    }

    private async Task CopyAsync(HttpResponse response, CancellationToken cancellation)
    {
        var writer = response.BodyWriter;
        var (position, remaining) = (Offset, Length);
        while (remaining > 0)
        {
            var memory = writer.GetMemory((int)Math.Min(remaining, BlockBytes));
            // A read from the page cache, as sendfile's would be: synchronous, with no thread hop per block.
            var read = RandomAccess.Read(_file.SafeFileHandle, memory.Span[..(int)Math.Min(memory.Length, remaining)], position);
            if (read == 0) throw new IOException($"the file ended {remaining} bytes before the range it was to serve");
            writer.Advance(read);
            (position, remaining) = (position + read, remaining - read);
            var flushed = await writer.FlushAsync(cancellation);
            if (flushed.IsCompleted || flushed.IsCanceled) return;
        }
    }

    public void Dispose()
    {
        if (!_fileHandedOver) _file.Dispose();
    }
}
