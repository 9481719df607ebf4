using System.Threading.Channels;

namespace Stratus.Services.Lambda.Engine;

/// <summary>
/// Where a streamed response goes while the function is still writing it (a function URL in RESPONSE_STREAM mode,
/// InvokeWithResponseStream): the Runtime API hands each chunk over as it arrives. The caller that owns the HTTP
/// response reads the chunks on its own request, so a caller that is slow or gone never blocks the runtime; the
/// bytes held for it are bounded by <see cref="MaxBytes"/>, the streamed response size AWS allows by default.
/// </summary>
public sealed class ResponseStream
{
    public const int MaxBytes = 20 * 1024 * 1024;
    private readonly Channel<ReadOnlyMemory<byte>> _chunks = Channel.CreateUnbounded<ReadOnlyMemory<byte>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource<string?> _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the Content-Type the runtime declared once it opens a streaming response.</summary>
    public Task<string?> Opened => _opened.Task;

    /// <summary>The version the invocation runs, set before the function starts (X-Amz-Executed-Version).</summary>
    public string? ExecutedVersion { get; internal set; }

    public ChannelReader<ReadOnlyMemory<byte>> Chunks => _chunks.Reader;

    internal void Open(string? contentType) => _opened.TrySetResult(contentType);

    internal void Write(ReadOnlyMemory<byte> chunk) => _chunks.Writer.TryWrite(chunk);

    internal void Close() => _chunks.Writer.TryComplete();
}
