using Microsoft.Extensions.Time.Testing;
using Stratus.Host;
using Stratus.Tests.Services.CloudWatch;

namespace Stratus.Tests.Host;

public sealed class SignedLinksTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    private static (string Expires, string Signature) Query(string link)
    {
        var parts = link[(link.IndexOf('?') + 1)..].Split('&').Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
        return (parts["Expires"], parts["Signature"]);
    }

    [Fact]
    public void A_link_is_good_for_ten_minutes_for_its_own_path_and_only_under_its_key()
    {
        var links = new SignedLinks([1, 2, 3], _clock);
        var (expires, signature) = Query(links.Sign("/_stratus/lambda/code/abc"));

        Assert.Null(links.Refusal("/_stratus/lambda/code/abc", expires, signature));
        Assert.Equal("The request signature we calculated does not match the signature you provided.", links.Refusal("/_stratus/lambda/code/abd", expires, signature));
        Assert.NotNull(new SignedLinks([9], _clock).Refusal("/_stratus/lambda/code/abc", expires, signature));
        Assert.Equal("Query-string authentication requires the Signature and Expires parameters", links.Refusal("/_stratus/lambda/code/abc", null, null));

        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Null(links.Refusal("/_stratus/lambda/code/abc", expires, signature));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("Request has expired", links.Refusal("/_stratus/lambda/code/abc", expires, signature));
    }
}
