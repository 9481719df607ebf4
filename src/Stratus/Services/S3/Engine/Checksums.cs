using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Stratus.Services.S3.Engine;

/// <summary>
/// The flexible checksums S3 accepts (x-amz-checksum-*): computed over the bytes as they stream in,
/// encoded base64 of the big-endian digest as S3 reports them.
/// </summary>
public abstract class Checksum
{
    public static readonly IReadOnlyList<string> Algorithms = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];

    public abstract void Append(ReadOnlySpan<byte> data);
    public abstract byte[] Finish();

    public string FinishBase64() => Convert.ToBase64String(Finish());

    /// <summary>The header S3 carries a checksum in: x-amz-checksum-crc32 for CRC32.</summary>
    public static string HeaderName(string algorithm) => "x-amz-checksum-" + algorithm.ToLowerInvariant();

    public static string? Normalize(string? algorithm) =>
        algorithm is null ? null : Algorithms.FirstOrDefault(a => a.Equals(algorithm, StringComparison.OrdinalIgnoreCase));

    public static Checksum Create(string algorithm) => algorithm switch
    {
        "CRC32" => new Crc32Ieee(),
        "CRC32C" => new Crc32C(),
        "CRC64NVME" => new Crc64Nvme(),
        "SHA1" => new Hash(HashAlgorithmName.SHA1),
        "SHA256" => new Hash(HashAlgorithmName.SHA256),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "not an S3 checksum algorithm"),
    };

    /// <summary>Whether a client-sent value has the digest's length once decoded (S3 refuses others as invalid).</summary>
    public static bool IsWellFormed(string algorithm, string value)
    {
        var expected = algorithm switch { "CRC32" or "CRC32C" => 4, "CRC64NVME" => 8, "SHA1" => 20, _ => 32 };
        Span<byte> buffer = stackalloc byte[64];
        return Convert.TryFromBase64String(value, buffer, out var written) && written == expected;
    }

    private sealed class Hash(HashAlgorithmName name) : Checksum
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(name);
        public override void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);
        public override byte[] Finish() => _hash.GetHashAndReset();
    }

    /// <summary>
    /// CRC-32 (IEEE 802.3), boto3's default checksum, by System.IO.Hashing's vectorized implementation rather than a table
    /// taken a byte at a time: it is computed over every byte of a PUT.
    /// </summary>
    private sealed class Crc32Ieee : Checksum
    {
        private readonly System.IO.Hashing.Crc32 _crc = new();
        public override void Append(ReadOnlySpan<byte> data) => _crc.Append(data);

        public override byte[] Finish()
        {
            var digest = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(digest, _crc.GetCurrentHashAsUInt32());
            return digest;
        }
    }

    /// <summary>
    /// CRC-32C (Castagnoli), eight bytes per step by <see cref="BitOperations.Crc32C(uint, ulong)"/>, the processor's own
    /// CRC32 instruction where it has one (SSE4.2, Arm's CRC32): a table taken a byte at a time costs more per byte than
    /// the MD5 beside it, and the checksum sees every byte of a PUT. System.IO.Hashing offers only CRC-32's polynomial.
    /// </summary>
    private sealed class Crc32C : Checksum
    {
        private uint _crc = uint.MaxValue;

        public override void Append(ReadOnlySpan<byte> data)
        {
            var crc = _crc;
            var whole = data.Length & ~7;
            foreach (var word in MemoryMarshal.Cast<byte, ulong>(data[..whole])) crc = BitOperations.Crc32C(crc, LittleEndian(word));
            foreach (var b in data[whole..]) crc = BitOperations.Crc32C(crc, b);
            _crc = crc;
        }

        public override byte[] Finish()
        {
            var digest = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(digest, ~_crc);
            return digest;
        }
    }

    /// <summary>
    /// CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5), the SDKs' newest default, eight bytes per step by eight
    /// tables (slicing-by-8) rather than one byte per step through one: each step's eight lookups are independent of each
    /// other, where a byte at a time waits on the lookup before it.
    /// </summary>
    private sealed class Crc64Nvme : Checksum
    {
        private const ulong Polynomial = 0x9A6C9329AC4BC9B5UL;
        /// <summary>Tables[k][b]: the CRC of byte b followed by k zero bytes.</summary>
        private static readonly ulong[][] Tables = BuildTables();
        private ulong _crc = ulong.MaxValue;

        public override void Append(ReadOnlySpan<byte> data)
        {
            var crc = _crc;
            var whole = data.Length & ~7;
            var (t0, t1, t2, t3, t4, t5, t6, t7) = (Tables[0], Tables[1], Tables[2], Tables[3], Tables[4], Tables[5], Tables[6], Tables[7]);
            foreach (var word in MemoryMarshal.Cast<byte, ulong>(data[..whole]))
            {
                var x = crc ^ LittleEndian(word);
                crc = t7[x & 0xFF] ^ t6[(x >> 8) & 0xFF] ^ t5[(x >> 16) & 0xFF] ^ t4[(x >> 24) & 0xFF]
                    ^ t3[(x >> 32) & 0xFF] ^ t2[(x >> 40) & 0xFF] ^ t1[(x >> 48) & 0xFF] ^ t0[x >> 56];
            }
            foreach (var b in data[whole..]) crc = t0[(crc ^ b) & 0xFF] ^ (crc >> 8);
            _crc = crc;
        }

        public override byte[] Finish()
        {
            var digest = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(digest, ~_crc);
            return digest;
        }

        private static ulong[][] BuildTables()
        {
            var tables = new ulong[8][];
            tables[0] = new ulong[256];
            for (ulong i = 0; i < 256; i++)
            {
                var value = i;
                for (var bit = 0; bit < 8; bit++) value = (value & 1) != 0 ? (value >> 1) ^ Polynomial : value >> 1;
                tables[0][i] = value;
            }
            for (var k = 1; k < 8; k++)
            {
                tables[k] = new ulong[256];
                for (var i = 0; i < 256; i++) tables[k][i] = (tables[k - 1][i] >> 8) ^ tables[0][tables[k - 1][i] & 0xFF];
            }
            return tables;
        }
    }

    /// <summary>Eight bytes as the reflected CRCs consume them: the first byte lowest.</summary>
    private static ulong LittleEndian(ulong word) => BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word);
}
