using System.IO.Compression;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.Lambda;

/// <summary>Function projects under tests/Functions (built with the tests), zipped as `dotnet lambda package` would.</summary>
public static class LambdaPackages
{
    public static string Base64(string project)
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var output = Path.Combine(RepoPaths.Root, "tests", "Functions", project, "bin", configuration, "net10.0");
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var file in Directory.GetFiles(output))
                zip.CreateEntryFromFile(file, Path.GetFileName(file));
        return Convert.ToBase64String(buffer.ToArray());
    }
}
