namespace Stratus.Protocols;

/// <summary>
/// A plain-HTTP connection whose output Stratus sends itself (Host/FileSendingConnection), so a response body can go from
/// a file to the socket by sendfile(2), the kernel's copy from the page cache, instead of through Kestrel's pipe.
/// Absent on TLS connections, whose bytes must be encrypted on the way.
/// </summary>
public interface IConnectionFileSendFeature
{
    /// <summary>
    /// Sends <paramref name="length"/> bytes of <paramref name="file"/> from <paramref name="offset"/> in place of the next
    /// <paramref name="length"/> bytes written to the connection after everything flushed so far: the caller then advances
    /// that many bytes of Kestrel's output without filling them (Kestrel still counts them against Content-Length) and the
    /// connection drops them. The connection takes the file: it disposes it once the window is sent or the connection
    /// has ended without sending it.
    /// </summary>
    void SendInPlaceOfNextBytes(FileStream file, long offset, long length);
}
