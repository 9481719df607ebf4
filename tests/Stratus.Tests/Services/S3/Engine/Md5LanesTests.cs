using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Stratus.Services.S3.Engine;

namespace Stratus.Tests.Services.S3.Engine;

/// <summary>The multi-buffer MD5 against .NET's MD5: every lane count the processor offers, then bodies hashed by the
/// scheduler alone and concurrently, ending at different times.</summary>
public sealed class Md5LanesTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(17)]
    public void Every_lane_of_a_pass_hashes_its_own_message(int blocks)
    {
        for (var lanes = 1; lanes <= Md5Lanes.MaxLanes; lanes++)
        {
            var random = new Random(lanes * 1000 + blocks);
            // A message of 55 bytes mod 64 pads to whole blocks by itself (0x80, then the 8-byte length), so each lane's
            // padded message has exactly `blocks` blocks; each lane starts at a different misalignment.
            var messageLength = blocks * Md5Lanes.BlockBytes - 9;
            var messages = new byte[lanes][];
            var buffers = new byte[lanes][];
            var data = new nint[lanes];
            for (var lane = 0; lane < lanes; lane++)
            {
                messages[lane] = new byte[messageLength];
                random.NextBytes(messages[lane]);
                buffers[lane] = GC.AllocateArray<byte>(blocks * Md5Lanes.BlockBytes + lane, pinned: true);
                var padded = buffers[lane].AsSpan(lane);
                messages[lane].CopyTo(padded);
                padded[messageLength] = 0x80;
                BinaryPrimitives.WriteUInt64LittleEndian(padded[^8..], (ulong)messageLength * 8);
                data[lane] = Marshal.UnsafeAddrOfPinnedArrayElement(buffers[lane], lane);
            }
            var states = Enumerable.Repeat(Md5State.Initial, lanes).ToArray();

            Md5Lanes.Compress(states, data, blocks);

            for (var lane = 0; lane < lanes; lane++)
                Assert.True(MD5.HashData(messages[lane]).AsSpan().SequenceEqual(states[lane].ToDigest()), $"lane {lane} of {lanes}, {blocks} blocks");
        }
    }

    [Fact]
    public void A_body_alone_matches_at_every_padding_boundary()
    {
        var scheduler = new Md5Scheduler(Md5Lanes.MaxLanes);
        var random = new Random(17);
        foreach (var length in new[] { 0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096, 1024 * 1024 + 13 })
        {
            var body = new byte[length];
            random.NextBytes(body);
            using var md5 = scheduler.Open(body.Length, laned: true);
            AppendInPieces(md5, body, random, maxPiece: 300);

            Assert.Equal(Convert.ToHexString(MD5.HashData(body)), Convert.ToHexString(md5.Finish()));
        }
    }

    /// <summary>More bodies than lanes, started together, of different lengths fed in pieces of different sizes: lanes
    /// fill, empty at different times and take the bodies waiting; each digest must still be its own body's.</summary>
    [Theory]
    [InlineData(2, 5)]
    [InlineData(3, 3)]
    [InlineData(8, 11)]
    [InlineData(16, 16)]
    [InlineData(16, 24)]
    public void Concurrent_bodies_ending_at_different_times_each_get_their_own_digest(int maxLanes, int bodies)
    {
        maxLanes = Math.Min(maxLanes, Md5Lanes.MaxLanes);
        var scheduler = new Md5Scheduler(maxLanes);
        var inputs = Enumerable.Range(0, bodies).Select(i =>
        {
            var random = new Random(maxLanes * 100 + i);
            var body = new byte[random.Next(0, 700 * 1024)];
            random.NextBytes(body);
            return body;
        }).ToArray();
        var digests = new byte[bodies][];
        using var start = new Barrier(bodies);

        var threads = Enumerable.Range(0, bodies).Select(i => new Thread(() =>
        {
            // The first body opened while none is open is .NET's own MD5, as a lone PUT's is; the rest take lanes.
            using var md5 = scheduler.Open(declaredLength: null);
            start.SignalAndWait();
            AppendInPieces(md5, inputs[i], new Random(i), maxPiece: 200 * 1024);
            digests[i] = md5.Finish();
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        for (var i = 0; i < bodies; i++)
            Assert.True(MD5.HashData(inputs[i]).AsSpan().SequenceEqual(digests[i]), $"body {i} of {bodies} ({inputs[i].Length} bytes), {maxLanes} lanes");
    }

    /// <summary>A pass waits for the other open bodies' blocks, but only so long: a body whose companions send nothing
    /// (a slow client, a body between blocks) is still hashed, and one closed meanwhile is no longer waited for.</summary>
    [Fact]
    public async Task A_body_whose_companions_send_nothing_is_still_hashed()
    {
        var scheduler = new Md5Scheduler(Md5Lanes.MaxLanes);
        var body = new byte[3 * 1024 * 1024 + 5];
        new Random(23).NextBytes(body);
        using var silent = scheduler.Open(declaredLength: null, laned: true);
        var closed = scheduler.Open(declaredLength: null, laned: true);
        using var md5 = scheduler.Open(declaredLength: null, laned: true);

        var first = md5.AppendAsync(body.AsMemory(0, 1024 * 1024)).AsTask();
        closed.Dispose();
        await first;
        foreach (var piece in body.AsMemory(1024 * 1024).ToArray().Chunk(1024 * 1024)) await md5.AppendAsync(piece);

        Assert.Equal(Convert.ToHexString(MD5.HashData(body)), Convert.ToHexString(md5.Finish()));
    }

    private static void AppendInPieces(Md5Stream md5, byte[] body, Random random, int maxPiece)
    {
        for (var offset = 0; offset < body.Length;)
        {
            var piece = Math.Min(body.Length - offset, random.Next(1, maxPiece + 1));
            md5.AppendAsync(body.AsMemory(offset, piece)).AsTask().Wait();
            offset += piece;
        }
    }
}
