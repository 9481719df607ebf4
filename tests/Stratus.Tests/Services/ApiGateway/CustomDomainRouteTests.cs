using Stratus.Services.ApiGateway;

namespace Stratus.Tests.Services.ApiGateway;

/// <summary>How a custom domain's path picks its mapping: the longest base path made of whole leading segments, else the empty one.</summary>
public sealed class CustomDomainRouteTests
{
    private static readonly CustomDomain Domain = new()
    {
        AccountId = "000000000000",
        Region = "us-east-1",
        DomainName = "api.example.com",
        DomainNameId = "d-0123456789",
        SecurityPolicy = "TLS_1_2",
        CreatedDate = DateTimeOffset.UnixEpoch,
        Mappings =
        [
            new() { Id = "none", BasePath = "", ApiId = "root" },
            new() { Id = "v1", BasePath = "v1", ApiId = "one", Stage = "prod" },
            new() { Id = "admin", BasePath = "v1/admin", ApiId = "admin", Stage = "prod" },
        ],
    };

    [Theory]
    [InlineData("/v1/admin/users", "admin", "/users")]
    [InlineData("/v1/admin", "admin", "/")]
    [InlineData("/v1/administrators", "v1", "/administrators")]
    [InlineData("/v1", "v1", "/")]
    [InlineData("/v1x/pets", "none", "/v1x/pets")]
    [InlineData("/", "none", "/")]
    public void The_longest_whole_segment_base_path_wins_and_is_taken_off(string path, string mappingId, string rest)
    {
        var (mapping, remaining) = CustomDomainNames.Route(Domain, path)!.Value;
        Assert.Equal(mappingId, mapping.Id);
        Assert.Equal(rest, remaining);
    }

    [Fact]
    public void Without_an_empty_base_path_an_unmatched_path_has_no_route()
    {
        var domain = Domain with { Mappings = [.. Domain.Mappings.Where(m => m.BasePath.Length > 0)] };
        Assert.Null(CustomDomainNames.Route(domain, "/v2/pets"));
    }
}
