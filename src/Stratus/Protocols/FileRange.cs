using Microsoft.AspNetCore.Http;
using Microsoft.Win32.SafeHandles;

namespace Stratus.Protocols;

/// <summary>
/// A window of a file sent as a response body (a blob, an object, a Range of one). Kestrel has no sendfile, and its
/// SendFileAsync copies through a 16 KB buffer with a write and flush each; this reads the file straight into the
/// response's own pipe memory in blocks of up to <see cref="BlockBytes"/> (one copy, the kernel's, and one socket
/// send per block). The file is opened when the range is made, so a file replaced or deleted meanwhile is still
/// read whole, as it was when the request was answered.
/// </summary>
public sealed class FileRange : IDisposable
{
    public const int BlockBytes = 1024 * 1024;

    private readonly SafeFileHandle _file;

    private FileRange(SafeFileHandle file, long offset, long length)
    {
        _file = file;
        Offset = offset;
        Length = length;
    }

    public long Offset { get; }
    public long Length { get; }

    public static FileRange Open(string path, long offset, long length) =>
        new(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan), offset, length);

    /// <summary>Writes the window to the response, waiting for the client to take each block (the pipe's backpressure).</summary>
    public async Task WriteToAsync(HttpResponse response, CancellationToken cancellation)
    {
        var writer = response.BodyWriter;
        var (position, remaining) = (Offset, Length);
        while (remaining > 0)
        {
            var memory = writer.GetMemory((int)Math.Min(remaining, BlockBytes));
            // A read from the page cache, as sendfile's would be: synchronous, with no thread hop per block.
            var read = RandomAccess.Read(_file, memory.Span[..(int)Math.Min(memory.Length, remaining)], position);
            if (read == 0) throw new IOException($"the file ended {remaining} bytes before the range it was to serve");
            writer.Advance(read);
            (position, remaining) = (position + read, remaining - read);
            var flushed = await writer.FlushAsync(cancellation);
            if (flushed.IsCompleted || flushed.IsCanceled) return;
        }
    }

    public void Dispose() => _file.Dispose();
}
