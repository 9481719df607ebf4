using Stratus.Services.Lambda;

namespace Stratus.Tests.Infrastructure;

/// <summary>A Lambda for services built in a test that must never invoke a function.</summary>
public sealed class RefusingLambda : ILambdaInvoker
{
    public Task<LambdaInvokeResult> InvokeAsync(LambdaInvokeRequest request, CancellationToken cancellation) =>
        throw new NotSupportedException("this test invokes no function");
}
