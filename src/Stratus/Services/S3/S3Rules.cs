using System.Net;
using System.Text;

namespace Stratus.Services.S3;

/// <summary>S3's naming rules and size limits, as its documentation states them.</summary>
public static class S3Rules
{
    public const int MaxKeyBytes = 1024;
    /// <summary>5 GiB: the largest single PUT and the largest part.</summary>
    public const long MaxSinglePutBytes = 5L * 1024 * 1024 * 1024;
    /// <summary>5 TiB: the largest object a multipart upload may assemble.</summary>
    public const long MaxObjectBytes = 5L * 1024 * 1024 * 1024 * 1024;
    /// <summary>Every part but the last must be at least 5 MiB.</summary>
    public const long MinPartBytes = 5L * 1024 * 1024;
    public const int MaxPartNumber = 10_000;
    public const int MaxKeysPerPage = 1000;
    public const int MaxObjectTags = 10;
    public const int MaxBucketTags = 50;
    /// <summary>User metadata (names and values of x-amz-meta-*) is limited to 2 KB on S3.</summary>
    public const int MaxMetadataBytes = 2048;
    /// <summary>Configuration documents (lifecycle, CORS, tagging, delete lists) are small; S3 caps policies at 20 KB.</summary>
    public const int MaxConfigurationBytes = 1024 * 1024;
    public const int MaxPolicyBytes = 20 * 1024;

    /// <summary>The general-purpose bucket naming rules.</summary>
    public static void ValidateBucketName(string name)
    {
        var valid = name.Length is >= 3 and <= 63
            && name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '-')
            && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1])
            && !name.Contains("..", StringComparison.Ordinal)
            && !(name.Count(c => c == '.') == 3 && IPAddress.TryParse(name, out _))
            && !name.StartsWith("xn--", StringComparison.Ordinal) && !name.StartsWith("sthree-", StringComparison.Ordinal)
            && !name.EndsWith("-s3alias", StringComparison.Ordinal) && !name.EndsWith("--ol-s3", StringComparison.Ordinal);
        if (!valid) throw S3Errors.InvalidBucketName(name);
    }

    /// <summary>Whether a name could be a bucket at all (for telling an unsigned path-style request apart).</summary>
    public static bool IsPlausibleBucketName(string name)
    {
        try
        {
            ValidateBucketName(name);
            return true;
        }
        catch (Protocols.AwsException)
        {
            return false;
        }
    }

    public static void ValidateKey(string key)
    {
        if (key.Length == 0) throw S3Errors.InvalidArgument("Object key must not be empty.", "key", key);
        var bytes = Encoding.UTF8.GetByteCount(key);
        if (bytes > MaxKeyBytes) throw S3Errors.KeyTooLong(bytes);
    }

    public static void ValidateTags(IReadOnlyDictionary<string, string> tags, int max)
    {
        if (tags.Count > max) throw S3Errors.InvalidTag($"Object tags cannot be greater than {max}");
        foreach (var (key, value) in tags)
        {
            if (key.Length is 0 or > 128) throw S3Errors.InvalidTag("The TagKey you have provided is invalid");
            if (value.Length > 256) throw S3Errors.InvalidTag("The TagValue you have provided is invalid");
        }
    }

    /// <summary>
    /// Refuses header values, and the response-* query parameters GetObject answers as headers, that HTTP cannot carry
    /// back (control characters other than tab): S3 echoes them in responses (stored metadata, overridden Content-Type),
    /// where they would be unwritable or would split the response's headers.
    /// </summary>
    public static void RefuseControlCharacters(IEnumerable<KeyValuePair<string, string>> headers, IEnumerable<KeyValuePair<string, string>> query)
    {
        foreach (var (name, value) in headers.Concat(query.Where(p => p.Key.StartsWith("response-", StringComparison.Ordinal))))
            if (value.AsSpan().ContainsAny(ControlCharacters))
                throw S3Errors.InvalidArgument("Header value cannot contain control characters.", name, value);
    }

    /// <summary>What char.IsControl calls control characters (C0, DEL, C1), tab excepted: a vectorized search on every S3 request.</summary>
    private static readonly System.Buffers.SearchValues<char> ControlCharacters = System.Buffers.SearchValues.Create(
        [.. Enumerable.Range(0, 0xA0).Select(c => (char)c).Where(c => char.IsControl(c) && c != '\t')]);

    public static void ValidatePartNumber(int partNumber)
    {
        if (partNumber is < 1 or > MaxPartNumber)
            throw S3Errors.InvalidArgument($"Part number must be an integer between 1 and {MaxPartNumber}, inclusive", "partNumber", partNumber.ToString());
    }
}
