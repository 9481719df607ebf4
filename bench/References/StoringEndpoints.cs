using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;

namespace Stratus.Bench.References;

/// <summary>
/// The machine's floor for a request that stores its body: Kestrel, the body read whole, and nothing else but the
/// storing. `discard` stores nothing; `files` writes each body to a new file of its own and removes the one it replaces,
/// as an object store keeping a file per object does; `journal` appends each body to one file and answers once an
/// fdatasync that began after the append has returned, many requests sharing one (group commit), as a durable write
/// must. Stratus does the same storing plus its protocol's work, so its rate beside these is what its own code costs.
/// </summary>
public sealed class StoringEndpoints : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("stratus-bench-store-").FullName;
    private readonly SafeFileHandle _journal;
    private readonly Lock _appending = new();
    private long _journalLength;
    private readonly Channel<TaskCompletionSource> _waiting = Channel.CreateUnbounded<TaskCompletionSource>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, string> _fileOfPath = new(StringComparer.Ordinal);

    public StoringEndpoints()
    {
        for (var folder = 0; folder < 256; folder++) Directory.CreateDirectory(Path.Combine(_directory, folder.ToString("x2")));
        _journal = File.OpenHandle(Path.Combine(_directory, "journal"), FileMode.CreateNew, FileAccess.Write);
        new Thread(FlushJournal) { IsBackground = true, Name = "journal flush" }.Start();
    }

    public async Task DiscardAsync(HttpContext http) => await Echo.ReadBodyAsync(http);

    public async Task StoreFileAsync(HttpContext http)
    {
        var body = await Echo.ReadBodyAsync(http);
        var id = Guid.NewGuid().ToString("N");
        var path = Path.Combine(_directory, id[..2], id);
        using (var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write))
            RandomAccess.Write(file, body, 0);
        string? replaced;
        lock (_fileOfPath)
        {
            _fileOfPath.TryGetValue(http.Request.Path.Value!, out replaced);
            _fileOfPath[http.Request.Path.Value!] = path;
        }
        if (replaced is not null) File.Delete(replaced);
    }

    public async Task AppendDurablyAsync(HttpContext http)
    {
        var body = await Echo.ReadBodyAsync(http);
        long offset;
        lock (_appending)
        {
            offset = _journalLength;
            _journalLength += body.Length;
        }
        RandomAccess.Write(_journal, body, offset);
        var synced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting.Writer.TryWrite(synced);
        await synced.Task;
    }

    /// <summary>Takes every request waiting, syncs once for all of them, answers them, and again.</summary>
    private void FlushJournal()
    {
        var batch = new List<TaskCompletionSource>();
        while (_waiting.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (_waiting.Reader.TryRead(out var waiter)) batch.Add(waiter);
            if (fdatasync((int)_journal.DangerousGetHandle()) != 0) throw new IOException($"fdatasync failed: {Marshal.GetLastPInvokeError()}");
            foreach (var waiter in batch) waiter.SetResult();
            batch.Clear();
        }
    }

    public void Dispose()
    {
        _waiting.Writer.Complete();
        _journal.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int fdatasync(int fd);
}
