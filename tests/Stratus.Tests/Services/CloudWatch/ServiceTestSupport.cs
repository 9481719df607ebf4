using Microsoft.AspNetCore.Http;
using Stratus.Protocols;

namespace Stratus.Tests.Services.CloudWatch;

public static class TestCalls
{
    /// <summary>A wire call's context, for tests that drive an Api's input readers directly.</summary>
    public static CallContext Wire(string account = "111122223333", string region = "us-east-1") => new()
    {
        AccountId = account,
        Region = region,
        RequestId = Guid.NewGuid().ToString(),
        Http = new DefaultHttpContext(),
    };

    public static Scope Call(string account = "111122223333", string region = "us-east-1") => Scope.Of(account, region);
}
