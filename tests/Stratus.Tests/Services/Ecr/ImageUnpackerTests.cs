using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Stratus.Services.Ecr.Engine;
using ZstdSharp;

namespace Stratus.Tests.Services.Ecr;

/// <summary>Image layers built here as tar streams, applied as a container runtime would, and every way out of the root refused.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ImageUnpackerTests : IDisposable
{
    private const UnixFileMode Mode0755 = (UnixFileMode)0b111_101_101;
    private const UnixFileMode Mode0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode Mode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _scratch = Directory.CreateTempSubdirectory("stratus-unpack-test-").FullName;
    private readonly string _root;

    public ImageUnpackerTests() => _root = Path.Combine(_scratch, "rootfs");

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private ImageUnpacker Unpacker() => new(_root, 1024 * 1024, 10_000);

    [Fact]
    public void Whiteouts_remove_lower_layer_files_and_opaque_directories_keep_only_their_own_layer()
    {
        var unpacker = Unpacker();
        unpacker.ApplyTar(Layer(t =>
        {
            Dir(t, "a");
            File(t, "a/keep", "keep");
            File(t, "a/gone", "gone");
            Dir(t, "o");
            File(t, "o/old", "old");
            Dir(t, "o/sub");
            File(t, "o/sub/older", "older");
            File(t, "top", "first");
        }));
        unpacker.ApplyTar(Layer(t =>
        {
            File(t, "a/.wh.gone", "");
            Dir(t, "o");
            File(t, "o/.wh..wh..opq", "");
            File(t, "o/new", "new");
            File(t, "top", "second");
        }));
        unpacker.Finish();

        Assert.Equal("keep", Read("a/keep"));
        Assert.False(Exists("a/gone"));
        Assert.False(Exists("a/.wh.gone"));
        Assert.False(Exists("o/old"));
        Assert.False(Exists("o/sub"));
        Assert.False(Exists("o/.wh..wh..opq"));
        Assert.Equal("new", Read("o/new"));
        Assert.Equal("second", Read("top"));
    }

    [Fact]
    public void Hard_links_share_content_symlinks_are_kept_as_written_and_modes_are_readable_by_anyone()
    {
        var unpacker = Unpacker();
        unpacker.ApplyTar(Layer(t =>
        {
            Dir(t, "bin", Mode0700);
            File(t, "bin/busybox", "#!/bin/true", Mode0700 | UnixFileMode.SetUser);
            File(t, "bin/secret", "s", Mode0600);
            t.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "bin/sh") { LinkName = "bin/busybox" });
            t.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/ls") { LinkName = "busybox" });
            t.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "etc-passwd") { LinkName = "/etc/passwd" });
            t.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "dev-null") { DeviceMajor = 1, DeviceMinor = 3 });
            t.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, "pipe"));
        }));
        unpacker.Finish();

        Assert.Equal("#!/bin/true", Read("bin/sh"));
        Assert.Equal("busybox", new FileInfo(Path.Combine(_root, "bin/ls")).LinkTarget);
        Assert.Equal("/etc/passwd", new FileInfo(Path.Combine(_root, "etc-passwd")).LinkTarget);
        Assert.False(Exists("dev-null"));
        Assert.False(Exists("pipe"));
        var busybox = System.IO.File.GetUnixFileMode(Path.Combine(_root, "bin/busybox"));
        Assert.True(busybox.HasFlag(UnixFileMode.OtherRead | UnixFileMode.OtherExecute), busybox.ToString());
        Assert.False(busybox.HasFlag(UnixFileMode.SetUser), "setuid must be dropped");
        var secret = System.IO.File.GetUnixFileMode(Path.Combine(_root, "bin/secret"));
        Assert.True(secret.HasFlag(UnixFileMode.OtherRead) && !secret.HasFlag(UnixFileMode.OtherExecute), secret.ToString());
        var bin = System.IO.File.GetUnixFileMode(Path.Combine(_root, "bin"));
        Assert.True(bin.HasFlag(UnixFileMode.OtherRead | UnixFileMode.OtherExecute), bin.ToString());
        // One inode: writing through one name shows through the other.
        System.IO.File.AppendAllText(Path.Combine(_root, "bin/busybox"), "!");
        Assert.Equal("#!/bin/true!", Read("bin/sh"));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("/../escape")]
    public void Entries_naming_a_path_above_the_root_are_refused(string name)
    {
        var error = Assert.Throws<InvalidDataException>(() => Unpacker().ApplyTar(Layer(t => File(t, name, "x"))));
        Assert.Contains("outside", error.Message);
        Assert.False(System.IO.File.Exists(Path.Combine(_scratch, "escape")));
    }

    [Fact]
    public void Nothing_is_written_through_a_symlink_even_one_pointing_inside_the_root()
    {
        var outside = Directory.CreateDirectory(Path.Combine(_scratch, "outside")).FullName;
        var unpacker = Unpacker();
        unpacker.ApplyTar(Layer(t =>
        {
            t.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "out") { LinkName = outside });
            t.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "up") { LinkName = "../outside" });
        }));

        Assert.Throws<InvalidDataException>(() => unpacker.ApplyTar(Layer(t => File(t, "out/evil", "x"))));
        Assert.Throws<InvalidDataException>(() => unpacker.ApplyTar(Layer(t => File(t, "up/evil", "x"))));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public void A_file_replacing_a_symlink_replaces_the_link_not_its_target()
    {
        var target = Path.Combine(_scratch, "target");
        System.IO.File.WriteAllText(target, "untouched");
        var unpacker = Unpacker();
        unpacker.ApplyTar(Layer(t => t.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "f") { LinkName = target })));
        unpacker.ApplyTar(Layer(t => File(t, "f", "replaced")));

        Assert.Equal("untouched", System.IO.File.ReadAllText(target));
        Assert.Null(new FileInfo(Path.Combine(_root, "f")).LinkTarget);
        Assert.Equal("replaced", Read("f"));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("link-to-passwd")]
    [InlineData("missing")]
    public void Hard_links_to_anything_but_a_file_inside_the_root_are_refused(string linkName)
    {
        var unpacker = Unpacker();
        unpacker.ApplyTar(Layer(t => t.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "link-to-passwd") { LinkName = "/etc/passwd" })));

        Assert.Throws<InvalidDataException>(() => unpacker.ApplyTar(Layer(t => t.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "evil") { LinkName = linkName }))));
        Assert.False(Exists("evil"));
    }

    [Fact]
    public void Gzip_zstd_and_plain_tar_layer_blobs_are_told_apart_by_their_content()
    {
        var plain = Layer(t => File(t, "plain", "p")).ToArray();
        var gzip = Compress(Layer(t => File(t, "gzip", "g")), s => new GZipStream(s, CompressionLevel.Fastest, leaveOpen: true));
        var zstd = Compress(Layer(t => File(t, "zstd", "z")), s => new CompressionStream(s, leaveOpen: true));
        var unpacker = Unpacker();
        foreach (var (name, bytes) in new[] { ("plain", plain), ("gzip", gzip), ("zstd", zstd) })
        {
            var path = Path.Combine(_scratch, name + ".layer");
            System.IO.File.WriteAllBytes(path, bytes);
            unpacker.ApplyLayer(path);
        }

        Assert.Equal("p", Read("plain"));
        Assert.Equal("g", Read("gzip"));
        Assert.Equal("z", Read("zstd"));
    }

    [Fact]
    public void A_layer_expanding_beyond_the_size_bound_is_refused()
    {
        var unpacker = new ImageUnpacker(_root, maxBytes: 10, maxEntries: 100);
        Assert.Throws<InvalidDataException>(() => unpacker.ApplyTar(Layer(t => File(t, "big", new string('x', 11)))));
    }

    private bool Exists(string relative)
    {
        var path = Path.Combine(_root, relative);
        return System.IO.File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;
    }

    private string Read(string relative) => System.IO.File.ReadAllText(Path.Combine(_root, relative));

    private static MemoryStream Layer(Action<TarWriter> write)
    {
        var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true)) write(writer);
        buffer.Position = 0;
        return buffer;
    }

    private static void Dir(TarWriter tar, string name, UnixFileMode mode = Mode0755) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = mode });

    private static void File(TarWriter tar, string name, string content, UnixFileMode mode = Mode0755) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = mode, DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });

    private static byte[] Compress(MemoryStream tar, Func<Stream, Stream> compressor)
    {
        var output = new MemoryStream();
        using (var compressing = compressor(output)) tar.CopyTo(compressing);
        return output.ToArray();
    }
}
