using Microsoft.AspNetCore.Http;
using Stratus.Protocols;

namespace Stratus.Tests.CloudWatch;

/// <summary>A clock tests move by hand, so period boundaries and alarm evaluations are exact.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;
    public override DateTimeOffset GetUtcNow() => Now;
}

public static class TestCalls
{
    public static CallContext Call(string account = "111122223333", string region = "us-east-1") => new()
    {
        AccountId = account,
        Region = region,
        RequestId = Guid.NewGuid().ToString(),
        Http = new DefaultHttpContext(),
    };
}
