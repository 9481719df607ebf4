using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Stratus.Services.S3.Engine;

/// <summary>An MD5 chaining value (RFC 1321 section 3.3: the buffer A, B, C, D), carried from one block to the next.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct Md5State
{
    public uint A, B, C, D;

    public static Md5State Initial => new() { A = 0x67452301, B = 0xefcdab89, C = 0x98badcfe, D = 0x10325476 };

    /// <summary>The digest: A, B, C, D, each low-order byte first (RFC 1321 section 3.5).</summary>
    public readonly byte[] ToDigest()
    {
        var digest = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(digest.AsSpan(0), A);
        BinaryPrimitives.WriteUInt32LittleEndian(digest.AsSpan(4), B);
        BinaryPrimitives.WriteUInt32LittleEndian(digest.AsSpan(8), C);
        BinaryPrimitives.WriteUInt32LittleEndian(digest.AsSpan(12), D);
        return digest;
    }
}

/// <summary>
/// MD5's compression function (RFC 1321 section 3.4) over several independent messages at once, one SIMD lane per
/// message: MD5 is serial within one message (each step needs the one before), so one stream cannot go faster than one
/// core's chain of dependent adds and rotates, but the PUTs of concurrent connections are independent messages, and
/// 16 lanes of 32-bit words (AVX-512) or 8 (AVX2) advance 16 or 8 of them for about the instructions one costs.
/// Each lane's 64-byte blocks are loaded as rows and transposed so that vector i holds word i of every lane's block.
/// One lane alone runs the same rounds on plain 32-bit words.
/// </summary>
[SkipLocalsInit]
public static unsafe class Md5Lanes
{
    public const int BlockBytes = 64;

    /// <summary>How many messages one pass can hash together on this processor: 16, 8, or 1 (no usable vectors).</summary>
    public static int MaxLanes { get; } =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? 16 : Vector256.IsHardwareAccelerated && Avx2.IsSupported ? 8 : 1;

    /// <summary>T[i] = floor(2^32 * |sin(i + 1)|), RFC 1321 section 3.4.</summary>
    private static readonly uint[] SineTable = [.. Enumerable.Range(1, 64).Select(i => (uint)(long)(4294967296.0 * Math.Abs(Math.Sin(i))))];

    /// <summary>Which word of the block step i adds: i in round 1, 5i+1, 3i+5 and 7i (mod 16) in rounds 2, 3 and 4.</summary>
    private static readonly byte[] WordOfStep = [.. Enumerable.Range(0, 64).Select(i => (byte)((i / 16) switch
    {
        0 => i,
        1 => 5 * i + 1,
        2 => 3 * i + 5,
        _ => 7 * i,
    } % 16))];

    /// <summary>Hashes whole 64-byte blocks of one message into <paramref name="state"/>.</summary>
    public static void Compress(ref Md5State state, ReadOnlySpan<byte> blocks)
    {
        if (blocks.Length % BlockBytes != 0) throw new ArgumentException("whole 64-byte blocks only", nameof(blocks));
        fixed (byte* data = blocks)
        {
            var lane = (nint)data;
            Compress(new Span<Md5State>(ref state), new ReadOnlySpan<nint>(in lane), blocks.Length / BlockBytes);
        }
    }

    /// <summary>
    /// Hashes <paramref name="blocks"/> 64-byte blocks of each lane's message, lane i starting at the pinned address
    /// <paramref name="data"/>[i], into <paramref name="states"/>[i]; at most <see cref="MaxLanes"/> lanes.
    /// </summary>
    public static void Compress(Span<Md5State> states, ReadOnlySpan<nint> data, long blocks)
    {
        if (states.Length != data.Length || states.Length > MaxLanes) throw new ArgumentException("one state per lane, at most MaxLanes");
        if (states.Length == 0 || blocks == 0) return;
        if (states.Length == 1) Compress<ScalarLane, uint>(states, data, blocks);
        else if (states.Length <= 8 && Avx2.IsSupported) Compress<Avx2Lanes, Vector256<uint>>(states, data, blocks);
        else Compress<Avx512Lanes, Vector512<uint>>(states, data, blocks);
    }

    private static void Compress<TLanes, TVector>(Span<Md5State> states, ReadOnlySpan<nint> data, long blocks)
        where TLanes : struct, ILanes<TVector> where TVector : unmanaged
    {
        // Lanes no message fills hash lane 0's bytes again and are not kept: the vector instructions cost the same.
        var width = TLanes.Width;
        var rows = stackalloc nint[width];
        var a = stackalloc uint[width];
        var b = stackalloc uint[width];
        var c = stackalloc uint[width];
        var d = stackalloc uint[width];
        for (var lane = 0; lane < width; lane++)
        {
            var used = lane < states.Length ? lane : 0;
            rows[lane] = data[used];
            (a[lane], b[lane], c[lane], d[lane]) = (states[used].A, states[used].B, states[used].C, states[used].D);
        }
        var (va, vb, vc, vd) = (TLanes.Load(a), TLanes.Load(b), TLanes.Load(c), TLanes.Load(d));
        var words = stackalloc TVector[16];
        for (long block = 0; block < blocks; block++)
        {
            TLanes.LoadWords(rows, words);
            for (var lane = 0; lane < width; lane++) rows[lane] += BlockBytes;
            (va, vb, vc, vd) = Rounds<TLanes, TVector>(va, vb, vc, vd, words);
        }
        TLanes.Store(va, a);
        TLanes.Store(vb, b);
        TLanes.Store(vc, c);
        TLanes.Store(vd, d);
        for (var lane = 0; lane < states.Length; lane++) states[lane] = new Md5State { A = a[lane], B = b[lane], C = c[lane], D = d[lane] };
    }

    /// <summary>The 64 steps of RFC 1321 section 3.4 over one block, four rounds of sixteen, then added to the input value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TVector, TVector, TVector, TVector) Rounds<TLanes, TVector>(TVector a, TVector b, TVector c, TVector d, TVector* x)
        where TLanes : struct, ILanes<TVector> where TVector : unmanaged
    {
        var (a0, b0, c0, d0) = (a, b, c, d);
        var t = SineTable;
        var k = WordOfStep;
        for (var i = 0; i < 16; i += 4)
        {
            a = Step<TLanes, TVector>(a, b, TLanes.F(b, c, d), x[k[i]], t[i], 7);
            d = Step<TLanes, TVector>(d, a, TLanes.F(a, b, c), x[k[i + 1]], t[i + 1], 12);
            c = Step<TLanes, TVector>(c, d, TLanes.F(d, a, b), x[k[i + 2]], t[i + 2], 17);
            b = Step<TLanes, TVector>(b, c, TLanes.F(c, d, a), x[k[i + 3]], t[i + 3], 22);
        }
        for (var i = 16; i < 32; i += 4)
        {
            a = Step<TLanes, TVector>(a, b, TLanes.G(b, c, d), x[k[i]], t[i], 5);
            d = Step<TLanes, TVector>(d, a, TLanes.G(a, b, c), x[k[i + 1]], t[i + 1], 9);
            c = Step<TLanes, TVector>(c, d, TLanes.G(d, a, b), x[k[i + 2]], t[i + 2], 14);
            b = Step<TLanes, TVector>(b, c, TLanes.G(c, d, a), x[k[i + 3]], t[i + 3], 20);
        }
        for (var i = 32; i < 48; i += 4)
        {
            a = Step<TLanes, TVector>(a, b, TLanes.H(b, c, d), x[k[i]], t[i], 4);
            d = Step<TLanes, TVector>(d, a, TLanes.H(a, b, c), x[k[i + 1]], t[i + 1], 11);
            c = Step<TLanes, TVector>(c, d, TLanes.H(d, a, b), x[k[i + 2]], t[i + 2], 16);
            b = Step<TLanes, TVector>(b, c, TLanes.H(c, d, a), x[k[i + 3]], t[i + 3], 23);
        }
        for (var i = 48; i < 64; i += 4)
        {
            a = Step<TLanes, TVector>(a, b, TLanes.I(b, c, d), x[k[i]], t[i], 6);
            d = Step<TLanes, TVector>(d, a, TLanes.I(a, b, c), x[k[i + 1]], t[i + 1], 10);
            c = Step<TLanes, TVector>(c, d, TLanes.I(d, a, b), x[k[i + 2]], t[i + 2], 15);
            b = Step<TLanes, TVector>(b, c, TLanes.I(c, d, a), x[k[i + 3]], t[i + 3], 21);
        }
        return (TLanes.Add(a, a0), TLanes.Add(b, b0), TLanes.Add(c, c0), TLanes.Add(d, d0));
    }

    /// <summary>a = b + ((a + f(b, c, d) + X[k] + T[i]) &lt;&lt;&lt; s).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Step<TLanes, TVector>(TVector a, TVector b, TVector f, TVector word, uint sine, [ConstantExpected] byte shift)
        where TLanes : struct, ILanes<TVector> where TVector : unmanaged =>
        TLanes.Add(b, TLanes.RotateLeft(TLanes.Add(TLanes.Add(a, f), TLanes.Add(word, TLanes.Broadcast(sine))), shift));

    /// <summary>One vector of 32-bit lanes and what MD5 needs of it.</summary>
    private interface ILanes<TVector> where TVector : unmanaged
    {
        static abstract int Width { get; }
        static abstract TVector Load(uint* values);
        static abstract void Store(TVector vector, uint* values);
        static abstract TVector Broadcast(uint value);
        static abstract TVector Add(TVector left, TVector right);
        static abstract TVector RotateLeft(TVector value, [ConstantExpected] byte count);
        /// <summary>F(X,Y,Z) = XY v not(X) Z.</summary>
        static abstract TVector F(TVector x, TVector y, TVector z);
        /// <summary>G(X,Y,Z) = XZ v Y not(Z).</summary>
        static abstract TVector G(TVector x, TVector y, TVector z);
        /// <summary>H(X,Y,Z) = X xor Y xor Z.</summary>
        static abstract TVector H(TVector x, TVector y, TVector z);
        /// <summary>I(X,Y,Z) = Y xor (X v not(Z)).</summary>
        static abstract TVector I(TVector x, TVector y, TVector z);
        /// <summary>The sixteen little-endian words of the 64-byte block at each row's address: words[i] holds word i of every lane.</summary>
        static abstract void LoadWords(nint* rows, TVector* words);
    }

    private readonly struct ScalarLane : ILanes<uint>
    {
        public static int Width => 1;
        public static uint Load(uint* values) => *values;
        public static void Store(uint vector, uint* values) => *values = vector;
        public static uint Broadcast(uint value) => value;
        public static uint Add(uint left, uint right) => left + right;
        public static uint RotateLeft(uint value, [ConstantExpected] byte count) => uint.RotateLeft(value, count);
        public static uint F(uint x, uint y, uint z) => (x & y) | (~x & z);
        public static uint G(uint x, uint y, uint z) => (x & z) | (y & ~z);
        public static uint H(uint x, uint y, uint z) => x ^ y ^ z;
        public static uint I(uint x, uint y, uint z) => y ^ (x | ~z);

        public static void LoadWords(nint* rows, uint* words)
        {
            var block = new ReadOnlySpan<byte>((void*)rows[0], BlockBytes);
            for (var i = 0; i < 16; i++) words[i] = BinaryPrimitives.ReadUInt32LittleEndian(block[(4 * i)..]);
        }
    }

    /// <summary>Eight lanes (AVX2); rotates by AVX-512VL's vprold where the processor has it.</summary>
    private readonly struct Avx2Lanes : ILanes<Vector256<uint>>
    {
        public static int Width => 8;
        public static Vector256<uint> Load(uint* values) => Vector256.Load(values);
        public static void Store(Vector256<uint> vector, uint* values) => vector.Store(values);
        public static Vector256<uint> Broadcast(uint value) => Vector256.Create(value);
        public static Vector256<uint> Add(Vector256<uint> left, Vector256<uint> right) => left + right;

        public static Vector256<uint> RotateLeft(Vector256<uint> value, [ConstantExpected] byte count) =>
            Avx512F.VL.IsSupported ? Avx512F.VL.RotateLeft(value, count) : (value << count) | (value >>> (32 - count));

        public static Vector256<uint> F(Vector256<uint> x, Vector256<uint> y, Vector256<uint> z) => Vector256.ConditionalSelect(x, y, z);
        public static Vector256<uint> G(Vector256<uint> x, Vector256<uint> y, Vector256<uint> z) => Vector256.ConditionalSelect(z, x, y);
        public static Vector256<uint> H(Vector256<uint> x, Vector256<uint> y, Vector256<uint> z) => x ^ y ^ z;
        public static Vector256<uint> I(Vector256<uint> x, Vector256<uint> y, Vector256<uint> z) => y ^ (x | ~z);

        /// <summary>Two 8x8 transposes of 32-bit words (words 0-7, then 8-15): interleave pairs of rows, then pairs of
        /// pairs, then swap 128-bit halves.</summary>
        public static void LoadWords(nint* rows, Vector256<uint>* words)
        {
            var r = stackalloc Vector256<uint>[8];
            var t = stackalloc Vector256<uint>[8];
            var u = stackalloc Vector256<uint>[8];
            for (var half = 0; half < 2; half++)
            {
                for (var lane = 0; lane < 8; lane++) r[lane] = Vector256.Load((uint*)rows[lane] + 8 * half);
                for (var pair = 0; pair < 4; pair++)
                {
                    t[2 * pair] = Avx2.UnpackLow(r[2 * pair], r[2 * pair + 1]);
                    t[2 * pair + 1] = Avx2.UnpackHigh(r[2 * pair], r[2 * pair + 1]);
                }
                // u[4g + w] holds, for rows 4g..4g+3, word w in its low half and word w + 4 in its high half.
                for (var g = 0; g < 2; g++)
                {
                    u[4 * g] = Avx2.UnpackLow(t[4 * g].AsUInt64(), t[4 * g + 2].AsUInt64()).AsUInt32();
                    u[4 * g + 1] = Avx2.UnpackHigh(t[4 * g].AsUInt64(), t[4 * g + 2].AsUInt64()).AsUInt32();
                    u[4 * g + 2] = Avx2.UnpackLow(t[4 * g + 1].AsUInt64(), t[4 * g + 3].AsUInt64()).AsUInt32();
                    u[4 * g + 3] = Avx2.UnpackHigh(t[4 * g + 1].AsUInt64(), t[4 * g + 3].AsUInt64()).AsUInt32();
                }
                for (var w = 0; w < 4; w++)
                {
                    words[8 * half + w] = Avx2.Permute2x128(u[w], u[4 + w], 0x20);
                    words[8 * half + w + 4] = Avx2.Permute2x128(u[w], u[4 + w], 0x31);
                }
            }
        }
    }

    /// <summary>Sixteen lanes (AVX-512F): the round functions as one vpternlogd each.</summary>
    private readonly struct Avx512Lanes : ILanes<Vector512<uint>>
    {
        public static int Width => 16;
        public static Vector512<uint> Load(uint* values) => Vector512.Load(values);
        public static void Store(Vector512<uint> vector, uint* values) => vector.Store(values);
        public static Vector512<uint> Broadcast(uint value) => Vector512.Create(value);
        public static Vector512<uint> Add(Vector512<uint> left, Vector512<uint> right) => left + right;
        public static Vector512<uint> RotateLeft(Vector512<uint> value, [ConstantExpected] byte count) => Avx512F.RotateLeft(value, count);

        // vpternlogd's immediate is the function's truth table over x = 0xF0, y = 0xCC, z = 0xAA.
        public static Vector512<uint> F(Vector512<uint> x, Vector512<uint> y, Vector512<uint> z) => Avx512F.TernaryLogic(x, y, z, 0xCA);
        public static Vector512<uint> G(Vector512<uint> x, Vector512<uint> y, Vector512<uint> z) => Avx512F.TernaryLogic(x, y, z, 0xE4);
        public static Vector512<uint> H(Vector512<uint> x, Vector512<uint> y, Vector512<uint> z) => Avx512F.TernaryLogic(x, y, z, 0x96);
        public static Vector512<uint> I(Vector512<uint> x, Vector512<uint> y, Vector512<uint> z) => Avx512F.TernaryLogic(x, y, z, 0x39);

        /// <summary>A 16x16 transpose of 32-bit words: interleave pairs of rows, then pairs of pairs, leaving u[4g + w]
        /// with words w, w+4, w+8, w+12 of rows 4g..4g+3 in its four 128-bit quarters; then two rounds of vshufi32x4
        /// gather quarter m of u[w], u[4 + w], u[8 + w], u[12 + w] into word w + 4m.</summary>
        public static void LoadWords(nint* rows, Vector512<uint>* words)
        {
            var t = stackalloc Vector512<uint>[16];
            for (var pair = 0; pair < 8; pair++)
            {
                var (even, odd) = (Vector512.Load((uint*)rows[2 * pair]), Vector512.Load((uint*)rows[2 * pair + 1]));
                t[2 * pair] = Avx512F.UnpackLow(even, odd);
                t[2 * pair + 1] = Avx512F.UnpackHigh(even, odd);
            }
            var u = stackalloc Vector512<uint>[16];
            for (var g = 0; g < 4; g++)
            {
                u[4 * g] = Avx512F.UnpackLow(t[4 * g].AsUInt64(), t[4 * g + 2].AsUInt64()).AsUInt32();
                u[4 * g + 1] = Avx512F.UnpackHigh(t[4 * g].AsUInt64(), t[4 * g + 2].AsUInt64()).AsUInt32();
                u[4 * g + 2] = Avx512F.UnpackLow(t[4 * g + 1].AsUInt64(), t[4 * g + 3].AsUInt64()).AsUInt32();
                u[4 * g + 3] = Avx512F.UnpackHigh(t[4 * g + 1].AsUInt64(), t[4 * g + 3].AsUInt64()).AsUInt32();
            }
            for (var w = 0; w < 4; w++)
            {
                var low01 = Avx512F.Shuffle4x128(u[w], u[4 + w], 0x44);
                var high01 = Avx512F.Shuffle4x128(u[w], u[4 + w], 0xEE);
                var low23 = Avx512F.Shuffle4x128(u[8 + w], u[12 + w], 0x44);
                var high23 = Avx512F.Shuffle4x128(u[8 + w], u[12 + w], 0xEE);
                words[w] = Avx512F.Shuffle4x128(low01, low23, 0x88);
                words[w + 4] = Avx512F.Shuffle4x128(low01, low23, 0xDD);
                words[w + 8] = Avx512F.Shuffle4x128(high01, high23, 0x88);
                words[w + 12] = Avx512F.Shuffle4x128(high01, high23, 0xDD);
            }
        }
    }
}
