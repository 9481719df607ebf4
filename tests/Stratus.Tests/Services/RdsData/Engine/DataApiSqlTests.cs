using Stratus.Services.RdsData.Engine;

namespace Stratus.Tests.Services.RdsData.Engine;

/// <summary>The Data API's `:name` parameters in the drivers' `@name` form, with quoted text, comments and casts left as written.</summary>
public sealed class DataApiSqlTests
{
    private static readonly HashSet<string> Names = ["id", "name"];

    [Theory]
    [InlineData("SELECT * FROM t WHERE id = :id AND name = :name", "SELECT * FROM t WHERE id = @id AND name = @name")]
    [InlineData("SELECT ':id', \":id\" FROM t WHERE id=:id", "SELECT ':id', \":id\" FROM t WHERE id=@id")]
    [InlineData("SELECT 1 -- :id\nFROM t /* :name */ WHERE id = :id", "SELECT 1 -- :id\nFROM t /* :name */ WHERE id = @id")]
    [InlineData("SELECT :other, :id", "SELECT :other, @id")]
    [InlineData("SELECT 'it''s :id', :id", "SELECT 'it''s :id', @id")]
    public void Named_parameters_become_the_drivers_form_outside_quotes_and_comments(string sql, string expected) =>
        Assert.Equal(expected, DataApiSql.BindNamedParameters(sql, Names, mySql: true));

    [Fact]
    public void PostgreSQL_casts_dollar_quotes_and_hash_operators_are_not_parameters()
    {
        Assert.Equal("SELECT @id::text, $$ :id $$, 5 # @id", DataApiSql.BindNamedParameters("SELECT :id::text, $$ :id $$, 5 # :id", Names, mySql: false));
        // In MySQL a backslash escapes a quote inside a string, and # starts a comment.
        Assert.Equal("SELECT 'a\\' :id', @id # :id", DataApiSql.BindNamedParameters("SELECT 'a\\' :id', :id # :id", Names, mySql: true));
    }
}
