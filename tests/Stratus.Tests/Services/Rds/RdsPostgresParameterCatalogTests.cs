using Stratus.Services.Rds;

namespace Stratus.Tests.Services.Rds;

/// <summary>The PostgreSQL parameter table: chosen by family, with RDS's names, apply types and ranges (some starting at -1).</summary>
public sealed class RdsPostgresParameterCatalogTests
{
    [Fact]
    public void A_postgres_family_has_its_own_table_and_a_mysql_family_keeps_its_own()
    {
        Assert.Equal("static", RdsParameterCatalog.Find("postgres15", "max_connections")!.ApplyType);
        Assert.Equal("dynamic", RdsParameterCatalog.Find("postgres15", "work_mem")!.ApplyType);
        Assert.Null(RdsParameterCatalog.Find("postgres15", "sql_mode"));
        Assert.NotNull(RdsParameterCatalog.Find("mysql8.0", "sql_mode"));
        Assert.Null(RdsParameterCatalog.Find("mysql8.0", "work_mem"));
        var names = RdsParameterCatalog.For("postgres15").Select(p => p.Name).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.True(names.Count >= 25, $"{names.Count} parameters");
    }

    [Theory]
    [InlineData("log_min_duration_statement", "-1", true)]
    [InlineData("log_min_duration_statement", "-2", false)]
    [InlineData("log_min_duration_statement", "250", true)]
    [InlineData("work_mem", "63", false)]
    [InlineData("work_mem", "8192", true)]
    [InlineData("log_statement", "ddl", true)]
    [InlineData("log_statement", "some", false)]
    [InlineData("autovacuum", "0", true)]
    [InlineData("random_page_cost", "1.1", true)]
    [InlineData("timezone", "Europe/Paris", true)]
    public void Values_are_checked_against_the_ranges_and_lists_RDS_gives(string name, string value, bool allowed) =>
        Assert.Equal(allowed, RdsParameterCatalog.Find("postgres15", name)!.Allows(value));
}
