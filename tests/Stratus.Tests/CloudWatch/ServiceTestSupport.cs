using Microsoft.AspNetCore.Http;
using Stratus.Protocols;

namespace Stratus.Tests.CloudWatch;

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
