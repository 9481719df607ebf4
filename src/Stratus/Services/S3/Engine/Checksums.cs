using System.Buffers.Binary;
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
        "CRC32C" => new Crc32(Crc32.CastagnoliTable),
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

    /// <summary>Reflected CRC-32 by table, Castagnoli's polynomial (CRC32C), which System.IO.Hashing does not offer.</summary>
    private sealed class Crc32(uint[] table) : Checksum
    {
        public static readonly uint[] CastagnoliTable = Table(0x82F63B78u);
        private uint _crc = 0xFFFFFFFFu;

        public override void Append(ReadOnlySpan<byte> data)
        {
            var crc = _crc;
            foreach (var b in data) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            _crc = crc;
        }

        public override byte[] Finish()
        {
            var digest = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(digest, ~_crc);
            return digest;
        }

        private static uint[] Table(uint polynomial)
        {
            var table = new uint[256];
            for (uint i = 0; i < 256; i++)
            {
                var value = i;
                for (var bit = 0; bit < 8; bit++) value = (value & 1) != 0 ? (value >> 1) ^ polynomial : value >> 1;
                table[i] = value;
            }
            return table;
        }
    }

    /// <summary>CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5), the SDKs' newest default.</summary>
    private sealed class Crc64Nvme : Checksum
    {
        private static readonly ulong[] Table = BuildTable();
        private ulong _crc = ulong.MaxValue;

        public override void Append(ReadOnlySpan<byte> data)
        {
            var crc = _crc;
            foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            _crc = crc;
        }

        public override byte[] Finish()
        {
            var digest = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(digest, ~_crc);
            return digest;
        }

        private static ulong[] BuildTable()
        {
            var table = new ulong[256];
            for (ulong i = 0; i < 256; i++)
            {
                var value = i;
                for (var bit = 0; bit < 8; bit++) value = (value & 1) != 0 ? (value >> 1) ^ 0x9A6C9329AC4BC9B5UL : value >> 1;
                table[i] = value;
            }
            return table;
        }
    }
}
