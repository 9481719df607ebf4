using System.IO.Compression;
using System.Text;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Lambda.CloudFormation;

/// <summary>
/// A template's Code property as a deployment package: inline ZipFile source (index.py / index.js, as
/// AWS packages it for interpreted runtimes), ImageUri, or Stratus's local convention
/// S3Bucket "stratus-local" with S3Key an absolute path to a .zip file or a directory to zip.
/// </summary>
public static class LambdaFunctionCode
{
    public const string LocalBucket = "stratus-local";

    public static Services.Lambda.FunctionCode Read(ResourceProperties p)
    {
        var code = p.Object("Code") ?? throw p.Missing("Code");
        if (code.String("ImageUri") is { } image) return new Services.Lambda.FunctionCode(null, image);
        if (code.String("ZipFile") is { } source) return new Services.Lambda.FunctionCode(Inline(p, source), null);
        if (code.String("S3Bucket") is { } bucket)
        {
            if (bucket != LocalBucket)
                throw p.Invalid("Code", $"Stratus serves no S3 buckets: use S3Bucket \"{LocalBucket}\" with S3Key an absolute path to a .zip file or a directory, or ZipFile, or ImageUri");
            return new Services.Lambda.FunctionCode(Local(p, code.Required("S3Key")), null);
        }
        throw p.Invalid("Code", "one of ZipFile, S3Bucket/S3Key or ImageUri is required");
    }

    private static byte[] Inline(ResourceProperties p, string source)
    {
        var runtime = p.String("Runtime") ?? "";
        var file = runtime.StartsWith("python", StringComparison.Ordinal) ? "index.py"
            : runtime.StartsWith("nodejs", StringComparison.Ordinal) ? "index.js"
            : throw p.Invalid("Code", $"ZipFile can only be used with interpreted runtimes (python, nodejs), not '{runtime}'");
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            var entry = zip.CreateEntry(file);
            // Readable by the sandboxed function whatever its user.
            entry.ExternalAttributes = Convert.ToInt32("644", 8) << 16;
            using var writer = new StreamWriter(entry.Open(), new UTF8Encoding(false));
            writer.Write(source);
        }
        return buffer.ToArray();
    }

    private static byte[] Local(ResourceProperties p, string path)
    {
        if (!Path.IsPathFullyQualified(path)) throw p.Invalid("Code", $"S3Key must be an absolute path on the Stratus machine, not '{path}'");
        if (File.Exists(path)) return File.ReadAllBytes(path);
        if (!Directory.Exists(path)) throw p.Invalid("Code", $"no .zip file or directory at {path}");
        using var buffer = new MemoryStream();
        ZipFile.CreateFromDirectory(path, buffer, CompressionLevel.Optimal, includeBaseDirectory: false);
        return buffer.ToArray();
    }
}
