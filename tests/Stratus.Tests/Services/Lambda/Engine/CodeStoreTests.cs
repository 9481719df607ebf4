using System.IO.Compression;
using System.Security.Cryptography;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.Lambda.Engine;

namespace Stratus.Tests.Services.Lambda.Engine;

/// <summary>Storing a package: what is wrong with the caller's zip, and what is wrong with Stratus's own disk, answered apart.</summary>
public sealed class CodeStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("stratus-code-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static byte[] Zip(params string[] names)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var name in names)
                using (var writer = new StreamWriter(archive.CreateEntry(name).Open()))
                    writer.Write("print('hi')");
        return buffer.ToArray();
    }

    [Fact]
    public void A_disk_failure_while_storing_is_a_service_exception_not_a_bad_zip()
    {
        var store = new CodeStore(_root, Durability.Durable);
        var zip = Zip("index.py");
        // A folder where the zip's file must go: the write fails as a full or broken disk would, on a valid package.
        Directory.CreateDirectory(store.ZipOf(Convert.ToHexStringLower(SHA256.HashData(zip))));

        var error = Assert.Throws<AwsException>(() => store.Save(zip, "CreateFunction"));

        Assert.Equal("ServiceException", error.Code);
        Assert.Equal(500, error.StatusCode);
        Assert.Equal("Service", error.Fields!["Type"]);
        Assert.DoesNotContain(Directory.GetDirectories(_root), d => d.Contains(".staging-", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("../escaped.py")]
    [InlineData("index.py", "index.py")]
    [InlineData("lib", "lib/inner.py")]
    public void A_package_that_cannot_unpack_for_what_it_holds_is_the_callers_bad_zip(params string[] names)
    {
        var store = new CodeStore(_root, Durability.Durable);

        var error = Assert.Throws<AwsException>(() => store.Save(Zip(names), "CreateFunction"));

        Assert.Equal("InvalidParameterValueException", error.Code);
        Assert.StartsWith("Could not unzip uploaded file.", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public void A_valid_package_is_stored_with_its_zip_and_its_tree()
    {
        var store = new CodeStore(_root, Durability.Durable);

        var code = store.Save(Zip("index.py", "lib/inner.py"), "CreateFunction");

        Assert.True(File.Exists(store.ZipOf(code.Id)));
        Assert.True(File.Exists(Path.Combine(store.DirectoryOf(code.Id), "lib", "inner.py")));
    }
}
