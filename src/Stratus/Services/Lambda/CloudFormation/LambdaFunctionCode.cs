using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using Stratus.Services.CloudFormation.Resources;

namespace Stratus.Services.Lambda.CloudFormation;

/// <summary>
/// A template's Code property as a deployment package: inline ZipFile source (index.py / index.js, as
/// AWS packages it for interpreted runtimes), ImageUri, S3Bucket/S3Key/S3ObjectVersion read from
/// Stratus's S3, or Stratus's local convention S3Bucket "stratus-local" with S3Key an absolute path to a
/// .zip file or a directory to zip. Local paths are confined to <paramref name="localCodeRoot"/> (the folder
/// Stratus was started from, or --local-code-root) with every link resolved: a template, whoever sends it,
/// cannot package files elsewhere that Stratus's user can read.
/// </summary>
public sealed class LambdaFunctionCode(S3CodePackages packages, string localCodeRoot)
{
    public const string LocalBucket = "stratus-local";

    public Services.Lambda.FunctionCode Read(ResourceProperties p, Protocols.Scope scope, string operation)
    {
        var code = p.Object("Code") ?? throw p.Missing("Code");
        if (code.String("ImageUri") is { } image) return new Services.Lambda.FunctionCode(null, image);
        if (code.String("ZipFile") is { } source) return new Services.Lambda.FunctionCode(Inline(p, source), null);
        if (code.String("S3Bucket") is { } bucket)
        {
            return bucket == LocalBucket
                ? new Services.Lambda.FunctionCode(Local(p, code.Required("S3Key")), null)
                : new Services.Lambda.FunctionCode(packages.Read(scope, bucket, code.Required("S3Key"), code.String("S3ObjectVersion"), operation), null);
        }
        throw p.Invalid("Code", "one of ZipFile, S3Bucket/S3Key or ImageUri is required");
    }

    /// <summary>An AWS::Lambda::LayerVersion's Content: S3Bucket/S3Key/S3ObjectVersion from Stratus's S3, or the local convention as for functions.</summary>
    public byte[] LayerContent(ResourceProperties p, Protocols.Scope scope)
    {
        var content = p.Object("Content") ?? throw p.Missing("Content");
        var bucket = content.Required("S3Bucket");
        return bucket == LocalBucket
            ? Local(p, content.Required("S3Key"))
            : packages.Read(scope, bucket, content.Required("S3Key"), content.String("S3ObjectVersion"), "PublishLayerVersion");
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

    private byte[] Local(ResourceProperties p, string path)
    {
        if (!Path.IsPathFullyQualified(path)) throw p.Invalid("Code", $"S3Key must be an absolute path on the Stratus machine, not '{path}'");
        var root = RealPath(localCodeRoot) ?? throw p.Invalid("Code", $"the local code root {localCodeRoot} does not exist");
        var real = RealPath(path) ?? throw p.Invalid("Code", $"no .zip file or directory at {path}");
        if (!IsWithin(real, root))
            throw p.Invalid("Code", $"S3Key {path} is outside the local code root {root}: Stratus packages only files under the folder " +
                "it was started from, or the one given with stratus start --local-code-root");
        if (File.Exists(real))
        {
            if (new FileInfo(real).Length > Engine.CodeStore.MaxZippedBytes)
                throw p.Invalid("Code", $"{path} is larger than Lambda's {Engine.CodeStore.MaxZippedBytes} bytes");
            return File.ReadAllBytes(real);
        }
        if (!Directory.Exists(real)) throw p.Invalid("Code", $"no .zip file or directory at {path}");
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            AddDirectory(p, zip, real, real, root);
        return buffer.ToArray();
    }

    /// <summary>Zips a directory's files (their modes kept); a link is followed only when its target is inside the root, and never into a directory.</summary>
    private static void AddDirectory(ResourceProperties p, ZipArchive zip, string directory, string top, string root)
    {
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var name = Path.GetRelativePath(top, entry.FullName);
            if (entry.LinkTarget is not null)
            {
                var target = RealPath(entry.FullName);
                if (target is null || !IsWithin(target, root) || Directory.Exists(target))
                    throw p.Invalid("Code", $"{entry.FullName} is a link {(target is not null && Directory.Exists(target) ? "to a directory" : "outside the local code root " + root)}: Stratus does not follow it");
                zip.CreateEntryFromFile(target, name, CompressionLevel.Optimal);
            }
            else if (entry is DirectoryInfo)
            {
                AddDirectory(p, zip, entry.FullName, top, root);
            }
            else
            {
                zip.CreateEntryFromFile(entry.FullName, name, CompressionLevel.Optimal);
            }
        }
    }

    private static bool IsWithin(string path, string root) =>
        path == root || path.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);

    /// <summary>The path with every link resolved (realpath(3)), null when it does not exist.</summary>
    private static string? RealPath(string path)
    {
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Marshal.FreeHGlobal(resolved);
        }
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054, CA2101 // as the other libc imports in Stratus: no unsafe code for the generated marshalling
    private static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);
#pragma warning restore SYSLIB1054, CA2101
}
