using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Stratus.Tests.Services.Iam;

/// <summary>
/// Reads back the text of a QR code PNG as Stratus draws it (RGB, unfiltered rows, a four-module quiet zone), from
/// the standard rather than from Stratus's encoder: its format bits (BCH-checked), the mask they name, the zigzag of
/// codewords, the Reed-Solomon syndromes (all zero for an intact code) and the byte-mode segment. Single-block
/// symbols only (versions 1 to 5 at level L), which is what a device's otpauth:// URI needs.
/// </summary>
public static class QrCodeReader
{
    public static string Decode(byte[] png)
    {
        var (width, height, rgb) = ReadPng(png);
        Assert.Equal(width, height);
        bool DarkPixel(int x, int y) => rgb[(y * width + x) * 3] < 128;
        var first = 0;
        while (!DarkPixel(first, first)) first++;
        var scale = first / 4;
        Assert.Equal(0, width % scale);
        var size = width / scale - 8;
        Assert.Equal(1, size % 4);
        var version = (size - 17) / 4;
        Assert.InRange(version, 1, 5);
        bool Module(int x, int y) => DarkPixel((x + 4) * scale + scale / 2, (y + 4) * scale + scale / 2);

        var format = 0;
        (int X, int Y)[] formatPositions = [(8, 0), (8, 1), (8, 2), (8, 3), (8, 4), (8, 5), (8, 7), (8, 8), (7, 8), (5, 8), (4, 8), (3, 8), (2, 8), (1, 8), (0, 8)];
        for (var i = 0; i < 15; i++) if (Module(formatPositions[i].X, formatPositions[i].Y)) format |= 1 << i;
        format ^= 0x5412;
        var remainder = format >> 10;
        for (var i = 0; i < 10; i++) remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537);
        Assert.Equal(format & 0x3FF, remainder & 0x3FF);
        Assert.Equal(1, format >> 13);  // level L
        var mask = (format >> 10) & 7;

        bool IsFunction(int x, int y) =>
            (x < 9 && y < 9) || (x >= size - 8 && y < 9) || (x < 9 && y >= size - 8) || x == 6 || y == 6
            || (version >= 2 && Math.Abs(x - (size - 7)) <= 2 && Math.Abs(y - (size - 7)) <= 2);
        bool Masked(int x, int y) => mask switch
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
        var bits = new List<bool>();
        for (var right = size - 1; right >= 1; right -= 2)
        {
            if (right == 6) right = 5;
            var upward = ((right + 1) & 2) == 0;
            for (var step = 0; step < size; step++)
                for (var j = 0; j < 2; j++)
                {
                    int x = right - j, y = upward ? size - 1 - step : step;
                    if (!IsFunction(x, y)) bits.Add(Module(x, y) ^ Masked(x, y));
                }
        }
        var codewords = new byte[bits.Count / 8];
        for (var i = 0; i < codewords.Length * 8; i++) if (bits[i]) codewords[i / 8] |= (byte)(0x80 >> (i % 8));

        int[] ecLengths = [0, 7, 10, 15, 20, 26];
        for (var power = 0; power < ecLengths[version]; power++)
            Assert.Equal(0, Syndrome(codewords, power));

        var bitIndex = 0;
        int Read(int count)
        {
            var value = 0;
            for (var i = 0; i < count; i++, bitIndex++) value = (value << 1) | ((codewords[bitIndex / 8] >> (7 - bitIndex % 8)) & 1);
            return value;
        }
        Assert.Equal(0b0100, Read(4));
        var length = Read(8);
        return Encoding.UTF8.GetString(Enumerable.Range(0, length).Select(_ => (byte)Read(8)).ToArray());
    }

    /// <summary>The codeword polynomial evaluated at α^power in GF(256) (0x11D), by log and antilog tables.</summary>
    private static int Syndrome(byte[] codewords, int power)
    {
        var exp = new int[512];
        var log = new int[256];
        var value = 1;
        for (var i = 0; i < 255; i++)
        {
            exp[i] = exp[i + 255] = value;
            log[value] = i;
            value <<= 1;
            if (value >= 256) value ^= 0x11D;
        }
        var sum = 0;
        foreach (var c in codewords)
            sum = (sum == 0 ? 0 : exp[log[sum] + power % 255]) ^ c;
        return sum;
    }

    private static (int Width, int Height, byte[] Rgb) ReadPng(byte[] png)
    {
        Assert.Equal([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
        int width = 0, height = 0;
        var idat = new MemoryStream();
        for (var offset = 8; offset < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var type = Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = png.AsSpan(offset + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);
                Assert.Equal(2, data[9]);
            }
            else if (type == "IDAT") idat.Write(data);
            offset += 12 + length;
        }
        idat.Position = 0;
        using var zlib = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        zlib.CopyTo(raw);
        var rows = raw.ToArray();
        var rgb = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            Assert.Equal(0, rows[y * (width * 3 + 1)]);
            Array.Copy(rows, y * (width * 3 + 1) + 1, rgb, y * width * 3, width * 3);
        }
        return (width, height, rgb);
    }
}
