// The hasher alone, 16 streams hashed at once on the cores this process gets: .NET's MD5 (OpenSSL) on a thread per
// stream, as the server hashed them before, beside the same streams through Md5Scheduler, and the lanes' compression
// function alone on one thread. For each: MB/s aggregate (wall) and CPU seconds per GB (process CPU, the figure a
// loaded machine distorts least). Every digest is checked against .NET's MD5. The "paced" rows wait 5 ms after each
// block, as bodies arriving from sockets do, so that fewer lanes are full in each pass.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Stratus.Services.S3.Engine;

const int Streams = 16;
const int BlockBytes = 1024 * 1024;
var megabytesPerStream = args.Length > 0 ? int.Parse(args[0]) : 64;
var blocks = Enumerable.Range(0, Streams).Select(i =>
{
    var block = GC.AllocateArray<byte>(BlockBytes, pinned: true);
    new Random(i).NextBytes(block);
    return block;
}).ToArray();
var expected = blocks.Select(block =>
{
    using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    for (var i = 0; i < megabytesPerStream; i++) md5.AppendData(block);
    return Convert.ToHexString(md5.GetHashAndReset());
}).ToArray();

Console.WriteLine($"{Streams} streams x {megabytesPerStream} MB, {Environment.ProcessorCount} cores, lanes up to {Md5Lanes.MaxLanes}");
for (var round = 0; round < 3; round++)
{
    Measure("OpenSSL MD5, a thread per stream", Streams, () => OnThreads(() => new LibraryHash()));
    Measure("Md5Scheduler, a thread per stream", Streams, () => OnThreads(() => new Scheduled(Md5Scheduler.Shared.Open(declaredLength: null, laned: true))));
    Measure("OpenSSL MD5, a thread per stream, paced", Streams, () => OnThreads(() => new LibraryHash(), pause: 5));
    Measure("Md5Scheduler, a thread per stream, paced", Streams, () => OnThreads(() => new Scheduled(Md5Scheduler.Shared.Open(declaredLength: null, laned: true)), pause: 5));
    foreach (var lanes in new[] { 1, 8, 16 }.Where(l => l <= Md5Lanes.MaxLanes))
        Measure($"Md5Lanes.Compress, {lanes} lane(s) on one thread", lanes, () => CompressOnOneThread(lanes));
}

void Measure(string name, int streams, Action run)
{
    var process = Process.GetCurrentProcess();
    var cpu = process.TotalProcessorTime;
    var wall = Stopwatch.StartNew();
    run();
    wall.Stop();
    process.Refresh();
    var gigabytes = streams * (double)megabytesPerStream / 1024;
    Console.WriteLine($"{name,-48} {streams * megabytesPerStream / wall.Elapsed.TotalSeconds,8:F0} MB/s  {(process.TotalProcessorTime - cpu).TotalSeconds / gigabytes,6:F3} CPU s/GB");
}

void OnThreads(Func<IHash> open, int pause = 0)
{
    var threads = Enumerable.Range(0, Streams).Select(i => new Thread(() =>
    {
        using var md5 = open();
        for (var n = 0; n < megabytesPerStream; n++)
        {
            md5.Append(blocks[i]);
            if (pause > 0) Thread.Sleep(pause);
        }
        Check(i, md5.Finish());
    })).ToList();
    threads.ForEach(t => t.Start());
    threads.ForEach(t => t.Join());
}

void CompressOnOneThread(int lanes)
{
    var states = Enumerable.Repeat(Md5State.Initial, lanes).ToArray();
    var data = blocks.Take(lanes).Select(b => Marshal.UnsafeAddrOfPinnedArrayElement(b, 0)).ToArray();
    for (var n = 0; n < megabytesPerStream; n++) Md5Lanes.Compress(states, data, BlockBytes / Md5Lanes.BlockBytes);
}

void Check(int stream, byte[] digest)
{
    if (Convert.ToHexString(digest) != expected[stream]) throw new InvalidOperationException($"stream {stream}: wrong digest");
}

interface IHash : IDisposable
{
    void Append(byte[] block);
    byte[] Finish();
}

sealed class LibraryHash : IHash
{
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    public void Append(byte[] block) => _md5.AppendData(block);
    public byte[] Finish() => _md5.GetHashAndReset();
    public void Dispose() => _md5.Dispose();
}

sealed class Scheduled(Md5Stream md5) : IHash
{
    public void Append(byte[] block) => md5.AppendAsync(block).AsTask().Wait();
    public byte[] Finish() => md5.Finish();
    public void Dispose() => md5.Dispose();
}
