using Stratus.Protocols;
using Stratus.Services.S3;

namespace Stratus.Tests.Infrastructure;

/// <summary>An S3 for services built in a test that must never read an object.</summary>
public sealed class RefusingObjectReader : IS3ObjectReader
{
    public byte[] ReadObject(Scope scope, string bucket, string key, string? versionId, long maxBytes, Func<long, Exception> tooLarge) =>
        throw new NotSupportedException("this test reads no S3 object");
}
