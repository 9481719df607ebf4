using Stratus.Services.CloudWatch.Engine.Imaging;

namespace Stratus.Services.Iam.Engine;

/// <summary>
/// A QR code (ISO/IEC 18004) of bytes: byte mode, error correction level L, the smallest version from 1 to 13 that
/// holds them, Reed-Solomon error correction over GF(256), and of the eight masks the one with the lowest penalty
/// score, as the standard has encoders choose. What IAM's CreateVirtualMFADevice draws its otpauth:// URI into.
/// </summary>
public sealed class QrCode
{
    /// <summary>Level L's blocks per version (index 1..13): error correction codewords per block, then (count, data codewords) groups.</summary>
    private static readonly (int EcPerBlock, (int Count, int Data)[] Groups)[] LevelL =
    [
        default,
        (7, [(1, 19)]), (10, [(1, 34)]), (15, [(1, 55)]), (20, [(1, 80)]), (26, [(1, 108)]),
        (18, [(2, 68)]), (20, [(2, 78)]), (24, [(2, 97)]), (30, [(2, 116)]), (18, [(2, 68), (2, 69)]),
        (20, [(4, 81)]), (24, [(2, 92), (2, 93)]), (26, [(4, 107)]),
    ];

    /// <summary>Alignment pattern centres per version (index 2..13); version 1 has none.</summary>
    private static readonly int[][] AlignmentCentres =
    [
        [], [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34],
        [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50], [6, 30, 54], [6, 32, 58], [6, 34, 62],
    ];

    public const int MaxVersion = 13;
    private const int LevelLFormatBits = 1;

    private readonly bool[,] _dark;
    private readonly bool[,] _function;

    public int Version { get; }
    /// <summary>Modules per side: 17 + 4 × version.</summary>
    public int Size { get; }

    public bool IsDark(int x, int y) => _dark[y, x];

    private QrCode(int version)
    {
        Version = version;
        Size = 17 + 4 * version;
        _dark = new bool[Size, Size];
        _function = new bool[Size, Size];
    }

    /// <summary>The code for the bytes; ArgumentException when they exceed version 13-L's 425 bytes.</summary>
    public static QrCode Encode(ReadOnlySpan<byte> data)
    {
        var length = data.Length;
        var version = Enumerable.Range(1, MaxVersion).FirstOrDefault(v => DataCapacityBits(v) >= 4 + CountBits(v) + 8 * length);
        if (version == 0) throw new ArgumentException($"{data.Length} bytes exceed what a version {MaxVersion} QR code holds.", nameof(data));
        var code = new QrCode(version);
        code.DrawFunctionPatterns();
        code.PlaceCodewords(Codewords(version, data));
        var mask = Enumerable.Range(0, 8).MinBy(m =>
        {
            code.ApplyMask(m);
            code.DrawFormatBits(m);
            var penalty = code.Penalty();
            code.ApplyMask(m);  // masking is its own inverse
            return penalty;
        });
        code.ApplyMask(mask);
        code.DrawFormatBits(mask);
        return code;
    }

    /// <summary>The code drawn as a PNG: <paramref name="scale"/> pixels per module within the standard's four-module quiet zone.</summary>
    public byte[] ToPng(int scale)
    {
        const int quietZone = 4;
        var side = (Size + 2 * quietZone) * scale;
        var canvas = new RgbCanvas(side, side, Rgb.White);
        var black = new Rgb(0, 0, 0);
        for (var y = 0; y < Size; y++)
            for (var x = 0; x < Size; x++)
                if (_dark[y, x]) canvas.FillRectangle((x + quietZone) * scale, (y + quietZone) * scale, scale, scale, black);
        return PngEncoder.Encode(canvas);
    }

    private static int CountBits(int version) => version < 10 ? 8 : 16;

    private static int DataCodewords(int version) => LevelL[version].Groups.Sum(g => g.Count * g.Data);

    private static int DataCapacityBits(int version) => DataCodewords(version) * 8;

    /// <summary>Mode indicator 0100 (byte), the count, the bytes, a terminator, padding to whole codewords and then 0xEC 0x11 alternately; split into blocks, each with its error correction, and interleaved.</summary>
    private static byte[] Codewords(int version, ReadOnlySpan<byte> data)
    {
        var bits = new List<bool>();
        void Append(int value, int length)
        {
            for (var i = length - 1; i >= 0; i--) bits.Add(((value >> i) & 1) != 0);
        }
        Append(0b0100, 4);
        Append(data.Length, CountBits(version));
        foreach (var b in data) Append(b, 8);
        var capacity = DataCapacityBits(version);
        Append(0, Math.Min(4, capacity - bits.Count));
        Append(0, (8 - bits.Count % 8) % 8);
        for (var pad = 0xEC; bits.Count < capacity; pad ^= 0xEC ^ 0x11) Append(pad, 8);
        var dataCodewords = new byte[bits.Count / 8];
        for (var i = 0; i < bits.Count; i++)
            if (bits[i]) dataCodewords[i >> 3] |= (byte)(0x80 >> (i & 7));

        var (ecLength, groups) = LevelL[version];
        var blocks = new List<byte[]>();
        var offset = 0;
        foreach (var (count, length) in groups)
            for (var n = 0; n < count; n++, offset += length) blocks.Add(dataCodewords[offset..(offset + length)]);
        var corrections = blocks.Select(b => ReedSolomon.Remainder(b, ecLength)).ToList();
        var result = new List<byte>();
        for (var i = 0; i < blocks.Max(b => b.Length); i++)
            result.AddRange(blocks.Where(b => i < b.Length).Select(b => b[i]));
        for (var i = 0; i < ecLength; i++)
            result.AddRange(corrections.Select(c => c[i]));
        return [.. result];
    }

    private void SetFunction(int x, int y, bool dark)
    {
        _dark[y, x] = dark;
        _function[y, x] = true;
    }

    private void DrawFunctionPatterns()
    {
        for (var i = 0; i < Size; i++)
        {
            SetFunction(6, i, i % 2 == 0);
            SetFunction(i, 6, i % 2 == 0);
        }
        DrawFinder(3, 3);
        DrawFinder(Size - 4, 3);
        DrawFinder(3, Size - 4);
        var centres = AlignmentCentres[Version];
        foreach (var cy in centres)
            foreach (var cx in centres)
            {
                // Not over the finders' corners.
                if ((cx == 6 && cy == 6) || (cx == 6 && cy == centres[^1]) || (cx == centres[^1] && cy == 6)) continue;
                for (var dy = -2; dy <= 2; dy++)
                    for (var dx = -2; dx <= 2; dx++)
                        SetFunction(cx + dx, cy + dy, Math.Max(Math.Abs(dx), Math.Abs(dy)) != 1);
            }
        DrawFormatBits(0);  // reserves the format areas; the chosen mask's bits replace these
        DrawVersionBits();
    }

    /// <summary>A finder (7×7 rings dark, light, dark 3×3 core) with its light separator, clipped to the symbol.</summary>
    private void DrawFinder(int cx, int cy)
    {
        for (var dy = -4; dy <= 4; dy++)
            for (var dx = -4; dx <= 4; dx++)
            {
                int x = cx + dx, y = cy + dy;
                if (x < 0 || x >= Size || y < 0 || y >= Size) continue;
                var ring = Math.Max(Math.Abs(dx), Math.Abs(dy));
                SetFunction(x, y, ring != 2 && ring != 4);
            }
    }

    /// <summary>The 15 format bits (level and mask, BCH(15,5) with generator 0x537, XORed with 0x5412), twice, and the dark module.</summary>
    private void DrawFormatBits(int mask)
    {
        var data = (LevelLFormatBits << 3) | mask;
        var remainder = data;
        for (var i = 0; i < 10; i++) remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537);
        var bits = ((data << 10) | remainder) ^ 0x5412;
        bool Bit(int i) => ((bits >> i) & 1) != 0;
        for (var i = 0; i <= 5; i++) SetFunction(8, i, Bit(i));
        SetFunction(8, 7, Bit(6));
        SetFunction(8, 8, Bit(7));
        SetFunction(7, 8, Bit(8));
        for (var i = 9; i < 15; i++) SetFunction(14 - i, 8, Bit(i));
        for (var i = 0; i < 8; i++) SetFunction(Size - 1 - i, 8, Bit(i));
        for (var i = 8; i < 15; i++) SetFunction(8, Size - 15 + i, Bit(i));
        SetFunction(8, Size - 8, true);
    }

    /// <summary>Versions 7 and up: the 18 version bits (BCH(18,6) with generator 0x1F25), beside the two finders they sit between.</summary>
    private void DrawVersionBits()
    {
        if (Version < 7) return;
        var remainder = Version;
        for (var i = 0; i < 12; i++) remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25);
        var bits = (Version << 12) | remainder;
        for (var i = 0; i < 18; i++)
        {
            var dark = ((bits >> i) & 1) != 0;
            int a = Size - 11 + i % 3, b = i / 3;
            SetFunction(a, b, dark);
            SetFunction(b, a, dark);
        }
    }

    /// <summary>The codewords' bits, most significant first, in two-module columns zigzagging up and down from the bottom right, skipping the vertical timing column.</summary>
    private void PlaceCodewords(byte[] codewords)
    {
        var i = 0;
        for (var right = Size - 1; right >= 1; right -= 2)
        {
            if (right == 6) right = 5;
            var upward = ((right + 1) & 2) == 0;
            for (var step = 0; step < Size; step++)
                for (var j = 0; j < 2; j++)
                {
                    var x = right - j;
                    var y = upward ? Size - 1 - step : step;
                    if (_function[y, x] || i >= codewords.Length * 8) continue;
                    _dark[y, x] = ((codewords[i >> 3] >> (7 - (i & 7))) & 1) != 0;
                    i++;
                }
        }
    }

    private void ApplyMask(int mask)
    {
        for (var y = 0; y < Size; y++)
            for (var x = 0; x < Size; x++)
            {
                if (_function[y, x]) continue;
                var invert = mask switch
                {
                    0 => (x + y) % 2 == 0,
                    1 => y % 2 == 0,
                    2 => x % 3 == 0,
                    3 => (x + y) % 3 == 0,
                    4 => (x / 3 + y / 2) % 2 == 0,
                    5 => x * y % 2 + x * y % 3 == 0,
                    6 => (x * y % 2 + x * y % 3) % 2 == 0,
                    _ => ((x + y) % 2 + x * y % 3) % 2 == 0,
                };
                if (invert) _dark[y, x] = !_dark[y, x];
            }
    }

    /// <summary>The standard's four penalty rules: runs of five or more, 2×2 blocks, finder-like 1:1:3:1:1 patterns with four light modules beside them, and imbalance of dark and light.</summary>
    private int Penalty()
    {
        var penalty = 0;
        for (var line = 0; line < Size; line++)
        {
            penalty += LinePenalty(k => _dark[line, k]);
            penalty += LinePenalty(k => _dark[k, line]);
        }
        for (var y = 0; y < Size - 1; y++)
            for (var x = 0; x < Size - 1; x++)
                if (_dark[y, x] == _dark[y, x + 1] && _dark[y, x] == _dark[y + 1, x] && _dark[y, x] == _dark[y + 1, x + 1]) penalty += 3;
        var darkCount = 0;
        foreach (var module in _dark) if (module) darkCount++;
        var percent = darkCount * 100 / (Size * Size);
        return penalty + Math.Abs(percent - 50) / 5 * 10;
    }

    private int LinePenalty(Func<int, bool> module)
    {
        var penalty = 0;
        var run = 1;
        for (var k = 1; k <= Size; k++)
        {
            if (k < Size && module(k) == module(k - 1))
            {
                run++;
                continue;
            }
            if (run >= 5) penalty += 3 + run - 5;
            run = 1;
        }
        bool[] finderLike = [true, false, true, true, true, false, true];
        for (var k = 0; k + 7 <= Size; k++)
        {
            if (!finderLike.Select((dark, n) => module(k + n) == dark).All(match => match)) continue;
            bool LightRun(int from) => from >= 0 && from + 4 <= Size && Enumerable.Range(from, 4).All(n => !module(n));
            if (LightRun(k - 4) || LightRun(k + 7)) penalty += 40;
        }
        return penalty;
    }

    /// <summary>Reed-Solomon over GF(256) with the field polynomial x⁸+x⁴+x³+x²+1 (0x11D) and generator ∏(x − αⁱ), i from 0.</summary>
    private static class ReedSolomon
    {
        public static byte[] Remainder(byte[] data, int degree)
        {
            var generator = Generator(degree);
            var remainder = new byte[degree];
            foreach (var b in data)
            {
                var factor = (byte)(b ^ remainder[0]);
                Array.Copy(remainder, 1, remainder, 0, degree - 1);
                remainder[degree - 1] = 0;
                for (var i = 0; i < degree; i++) remainder[i] ^= Multiply(generator[i], factor);
            }
            return remainder;
        }

        /// <summary>The generator's coefficients below its leading 1, highest power first.</summary>
        private static byte[] Generator(int degree)
        {
            var coefficients = new byte[degree];
            coefficients[degree - 1] = 1;
            byte root = 1;
            for (var i = 0; i < degree; i++)
            {
                for (var j = 0; j < degree; j++)
                {
                    coefficients[j] = Multiply(coefficients[j], root);
                    if (j + 1 < degree) coefficients[j] ^= coefficients[j + 1];
                }
                root = Multiply(root, 2);
            }
            return coefficients;
        }

        private static byte Multiply(byte x, byte y)
        {
            var product = 0;
            for (var i = 7; i >= 0; i--)
            {
                product = (product << 1) ^ ((product >> 7) * 0x11D);
                product ^= ((y >> i) & 1) * x;
            }
            return (byte)product;
        }
    }
}
