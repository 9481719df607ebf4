using Stratus.Services.Lambda;

namespace Stratus.Tests.Infrastructure;

/// <summary>A Lambda for services built in a test that must never invoke a function or an extension's handler.</summary>
public sealed class RefusingLambda : ILambdaInvoker, IExtensionHandlerRunner
{
    public Task<LambdaInvokeResult> InvokeAsync(LambdaInvokeRequest request, CancellationToken cancellation) =>
        throw new NotSupportedException("this test invokes no function");

    public string SaveHandlerCode(byte[] zip, string runtime) => throw new NotSupportedException("this test registers no extension");

    public Task<LambdaInvokeResult> InvokeHandlerAsync(ExtensionHandler handler, ReadOnlyMemory<byte> payload, CancellationToken cancellation) =>
        throw new NotSupportedException("this test runs no extension handler");
}
