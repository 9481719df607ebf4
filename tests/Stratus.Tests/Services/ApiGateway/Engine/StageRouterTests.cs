using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGateway.Engine;

namespace Stratus.Tests.Services.ApiGateway.Engine;

public sealed class StageRouterTests
{
    private static ApiMethod M(string verb) => new() { HttpMethod = verb };

    private static readonly StageRouter Router = new(ApiTree.With(
        ("/", M("GET")),
        ("/pets", M("GET")),
        ("/pets/mine", M("GET")),
        ("/pets/{petId}", M("GET")),
        ("/pets/{petId}/toys", M("POST")),
        ("/files/{proxy+}", M("ANY")),
        ("/{proxy+}", M("ANY")),
        ("/orders", M("ANY")),
        ("/orders", M("DELETE"))));

    [Theory]
    [InlineData("GET", "/", "/", "")]
    [InlineData("GET", "/pets", "/pets", "")]
    [InlineData("GET", "/pets/mine", "/pets/mine", "")]
    [InlineData("GET", "/pets/42", "/pets/{petId}", "petId=42")]
    [InlineData("POST", "/pets/42/toys", "/pets/{petId}/toys", "petId=42")]
    [InlineData("GET", "/files/a/b/c.txt", "/files/{proxy+}", "proxy=a/b/c.txt")]
    [InlineData("GET", "/elsewhere/deep", "/{proxy+}", "proxy=elsewhere/deep")]
    [InlineData("POST", "/orders", "/orders", "")]
    [InlineData("DELETE", "/orders", "/orders", "")]
    public void Literal_beats_variable_beats_greedy_and_ANY_is_the_fallback(string verb, string path, string resource, string parameters)
    {
        var match = Router.Match(verb, path);

        Assert.NotNull(match);
        Assert.Equal(resource, match.Resource.Path);
        Assert.Equal(parameters, string.Join('&', match.PathParameters.Select(p => p.Key + "=" + p.Value)));
        Assert.Equal(verb == "DELETE" ? "DELETE" : match.Method.HttpMethod, match.Method.HttpMethod);
    }

    [Fact]
    public void Unknown_paths_and_methods_match_nothing()
    {
        var router = new StageRouter(ApiTree.With(("/pets", M("GET")), ("/pets/{id}", M("GET"))));

        Assert.Null(router.Match("POST", "/pets"));
        Assert.Null(router.Match("GET", "/cars"));
        Assert.Null(router.Match("GET", "/pets/1/2"));
    }

    [Fact]
    public void A_dead_end_literal_branch_backtracks_to_the_variable()
    {
        var router = new StageRouter(ApiTree.With(("/a/b", M("GET")), ("/{x}/c", M("GET"))));

        var match = router.Match("GET", "/a/c");

        Assert.NotNull(match);
        Assert.Equal("/{x}/c", match.Resource.Path);
        Assert.Equal("a", match.PathParameters["x"]);
    }

    [Fact]
    public void A_root_greedy_resource_does_not_answer_the_root()
    {
        var router = new StageRouter(ApiTree.With(("/{proxy+}", M("ANY"))));

        Assert.Null(router.Match("GET", "/"));
    }
}
