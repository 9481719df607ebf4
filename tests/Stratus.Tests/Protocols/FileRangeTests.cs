using Microsoft.AspNetCore.Http;
using Stratus.Protocols;

namespace Stratus.Tests.Protocols;

/// <summary>
/// A window of a file sent as a response body (blob and object GETs, their Ranges): exactly the window's bytes, across
/// several blocks; the file as it was opened even when it is deleted before the body is sent; and an error, not a
/// short body passed off as whole, when the file holds less than the window.
/// </summary>
public sealed class FileRangeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("stratus-filerange-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string WriteFile(int length)
    {
        var content = new byte[length];
        new Random(length).NextBytes(content);
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, content);
        return path;
    }

    private static async Task<byte[]> SendAsync(FileRange range)
    {
        var http = new DefaultHttpContext();
        using var body = new MemoryStream();
        http.Response.Body = body;
        using (range) await range.WriteToAsync(http.Response, CancellationToken.None);
        return body.ToArray();
    }

    [Fact]
    public async Task A_window_spanning_several_blocks_is_sent_byte_for_byte()
    {
        var path = WriteFile(3 * FileRange.BlockBytes + 777);
        var (offset, length) = (1001L, 2 * FileRange.BlockBytes + 500);
        Assert.Equal(File.ReadAllBytes(path).AsSpan((int)offset, length).ToArray(), await SendAsync(FileRange.Open(path, offset, length)));
    }

    [Fact]
    public async Task A_whole_file_is_sent_even_when_deleted_after_it_was_opened()
    {
        var path = WriteFile(FileRange.BlockBytes + 3);
        var expected = File.ReadAllBytes(path);
        var range = FileRange.Open(path, 0, expected.Length);
        File.Delete(path);
        Assert.Equal(expected, await SendAsync(range));
    }

    [Fact]
    public async Task A_file_shorter_than_its_window_is_an_error()
    {
        var path = WriteFile(1000);
        await Assert.ThrowsAsync<IOException>(() => SendAsync(FileRange.Open(path, 500, 1000)));
    }
}
