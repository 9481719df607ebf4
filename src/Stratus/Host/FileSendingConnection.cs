using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Stratus.Protocols;

namespace Stratus.Host;

/// <summary>
/// Serves a plain-HTTP connection with Stratus sending its output: Kestrel writes its responses into a pipe of ours, and
/// its bytes go to the socket in order, except where a response registered a window of a file
/// (<see cref="IConnectionFileSendFeature"/>): there the file goes by sendfile(2) and the placeholder bytes Kestrel
/// wrote for it are dropped. Kestrel's own socket sender stays idle, and it closes the socket once this has sent
/// everything. One connection moving a large object is otherwise bounded by its copies (the file into Kestrel's pipe,
/// the pipe into the socket); sendfile leaves the kernel's one.
/// </summary>
public static class FileSendingConnection
{
    public static ConnectionDelegate Around(ConnectionDelegate next) => connection => ServeAsync(connection, next);

    private static async Task ServeAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is not { } socket)
        {
            await next(connection);
            return;
        }
        var pool = connection.Features.Get<IMemoryPoolFeature>()?.MemoryPool ?? MemoryPool<byte>.Shared;
        var output = new SocketOutput(connection, socket, pool);
        var transport = connection.Transport;
        connection.Transport = new DuplexPipe(transport.Input, output.Writer);
        connection.Features.Set<IConnectionFileSendFeature>(output);
        var sending = output.SendAsync();
        try
        {
            await next(connection);
        }
        finally
        {
            // Everything Kestrel wrote goes out before its transport closes the socket.
            await output.Writer.CompleteAsync();
            await sending;
            connection.Features.Set<IConnectionFileSendFeature>(null);
            connection.Transport = transport;
        }
    }

    private sealed class SocketOutput : IConnectionFileSendFeature
    {
        /// <summary>What one sendfile request may carry (SendPacketsElement counts in int).</summary>
        private const int MaxFileSendBytes = 1 << 30;

        private readonly ConnectionContext _connection;
        private readonly Socket _socket;
        private readonly Pipe _pipe;
        private readonly Queue<FileWindow> _registered = new();
        private readonly Lock _lock = new();
        private bool _closed;

        public SocketOutput(ConnectionContext connection, Socket socket, MemoryPool<byte> pool)
        {
            _connection = connection;
            _socket = socket;
            // Up to two blocks unsent, as the socket transport's own output is configured (StratusServer). The sends run on
            // the thread pool, not inline on the thread that flushes: inline, small responses at 16 connections measured
            // 0.7-0.8x the copying build's rate (docs/performance.md), each request's thread also making its socket send.
            _pipe = new Pipe(new PipeOptions(pool, readerScheduler: PipeScheduler.ThreadPool, writerScheduler: PipeScheduler.Inline,
                pauseWriterThreshold: 2 * FileRange.BlockBytes, resumeWriterThreshold: FileRange.BlockBytes, useSynchronizationContext: false));
            Writer = new CountingWriter(_pipe.Writer);
        }

        public CountingWriter Writer { get; }

        public void SendInPlaceOfNextBytes(FileStream file, long offset, long length)
        {
            var window = new FileWindow(Writer.Written, file, offset, length);
            lock (_lock)
            {
                if (!_closed)
                {
                    _registered.Enqueue(window);
                    return;
                }
            }
            file.Dispose();
        }

        /// <summary>
        /// Sends the pipe's bytes in order until Kestrel completes it; a failed send aborts the connection. Inside a window,
        /// the placeholders that have arrived are sent as that many of the file's next bytes and only then dropped, so
        /// Kestrel's flushes complete at the pace the client takes the file, and its minimum response data rate
        /// (240 B/s after a 5 s grace) judges the client as it does on the copying path.
        /// </summary>
        public async Task SendAsync()
        {
            FileWindow? window = null;
            long windowSent = 0, position = 0;
            var reader = _pipe.Reader;
            try
            {
                while (true)
                {
                    var read = await reader.ReadAsync();
                    var buffer = read.Buffer;
                    while (!buffer.IsEmpty)
                    {
                        if (window is not null)
                        {
                            var count = Math.Min(window.Length - windowSent, buffer.Length);
                            await SendFileAsync(window.File, window.Offset + windowSent, count);
                            (buffer, position, windowSent) = (buffer.Slice(count), position + count, windowSent + count);
                            if (windowSent < window.Length) continue;
                            await window.File.DisposeAsync();
                            (window, windowSent) = (null, 0);
                            continue;
                        }
                        var next = NextWindow();
                        var plain = next is null ? buffer.Length : Math.Min(buffer.Length, next.Start - position);
                        if (plain < 0) throw new InvalidOperationException("a file window was registered behind bytes already sent");
                        if (plain > 0)
                        {
                            await SendBytesAsync(buffer.Slice(0, plain));
                            (buffer, position) = (buffer.Slice(plain), position + plain);
                            continue;
                        }
                        window = TakeWindow();
                    }
                    reader.AdvanceTo(read.Buffer.End);
                    if (read.IsCompleted || read.IsCanceled) break;
                }
            }
            catch (Exception e)
            {
                // The client went away (or the socket failed): the request sees its connection aborted, and its writes
                // complete (the reader is done) instead of throwing.
                _connection.Abort(new ConnectionAbortedException("the connection's output could not be sent", e));
            }
            finally
            {
                window?.File.Dispose();
                lock (_lock)
                {
                    _closed = true;
                    while (_registered.TryDequeue(out var unsent)) unsent.File.Dispose();
                }
                await reader.CompleteAsync();
            }
        }

        private FileWindow? NextWindow()
        {
            lock (_lock) return _registered.TryPeek(out var window) ? window : null;
        }

        private FileWindow TakeWindow()
        {
            lock (_lock) return _registered.Dequeue();
        }

        private async ValueTask SendBytesAsync(ReadOnlySequence<byte> bytes)
        {
            // A stream socket's send completes once all of the memory is sent.
            foreach (var memory in bytes) await _socket.SendAsync(memory, SocketFlags.None);
        }

        /// <summary>
        /// Bytes of a window by sendfile(2): on Linux, SendPacketsAsync sends a file element with sendfile from the element's
        /// offset, through the handle the response opened (a key overwritten or deleted meanwhile is still sent whole).
        /// </summary>
        private async Task SendFileAsync(FileStream file, long offset, long count)
        {
            while (count > 0)
            {
                var part = (int)Math.Min(count, MaxFileSendBytes);
                using var send = new SocketAsyncEventArgs { SendPacketsElements = [new SendPacketsElement(file, offset, part)] };
                var completion = new TaskCompletionSource<SocketError>(TaskCreationOptions.RunContinuationsAsynchronously);
                send.Completed += (_, e) => completion.TrySetResult(e.SocketError);
                if (!_socket.SendPacketsAsync(send)) completion.TrySetResult(send.SocketError);
                if (await completion.Task is var error && error != SocketError.Success) throw new SocketException((int)error);
                (offset, count) = (offset + part, count - part);
            }
        }
    }

    /// <summary>A registered window: the file's bytes to send when the stream reaches <paramref name="Start"/>.</summary>
    private sealed record FileWindow(long Start, FileStream File, long Offset, long Length);

    /// <summary>The pipe's writer as Kestrel sees it, counting what it writes: a file window's place in the stream.</summary>
    private sealed class CountingWriter(PipeWriter inner) : PipeWriter
    {
        private long _written;

        public long Written => Volatile.Read(ref _written);

        public override void Advance(int bytes)
        {
            inner.Advance(bytes);
            Volatile.Write(ref _written, _written + bytes);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);
        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellation = default) => inner.FlushAsync(cancellation);
        public override void CancelPendingFlush() => inner.CancelPendingFlush();
        public override void Complete(Exception? exception = null) => inner.Complete(exception);
        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;
        public override long UnflushedBytes => inner.UnflushedBytes;
    }
}
