using Stratus.Services.Rds.Engine.Export;

namespace Stratus.Tests.Services.Rds.Engine.Export;

/// <summary>The MySQL/MariaDB and PostgreSQL types a snapshot export maps to Parquet, as AWS's conversion tables map them, and ExportOnly matching.</summary>
public sealed class ExportTypeMappingTests
{
    [Theory]
    [InlineData("int", "int(11)", ParquetColumnType.Int32)]
    [InlineData("int", "int(10) unsigned", ParquetColumnType.Int64)]
    [InlineData("bigint", "bigint(20)", ParquetColumnType.Int64)]
    [InlineData("bigint", "bigint(20) unsigned", ParquetColumnType.Decimal)]
    [InlineData("tinyint", "tinyint(4)", ParquetColumnType.Int32)]
    [InlineData("year", "year(4)", ParquetColumnType.Int32)]
    [InlineData("float", "float", ParquetColumnType.Double)]
    [InlineData("date", "date", ParquetColumnType.Date)]
    [InlineData("datetime", "datetime(6)", ParquetColumnType.Timestamp)]
    [InlineData("timestamp", "timestamp", ParquetColumnType.Timestamp)]
    [InlineData("time", "time", ParquetColumnType.Time)]
    [InlineData("bit", "bit(3)", ParquetColumnType.Binary)]
    [InlineData("blob", "blob", ParquetColumnType.Binary)]
    [InlineData("enum", "enum('a','b')", ParquetColumnType.String)]
    [InlineData("longtext", "longtext", ParquetColumnType.String)]
    public void MySql_types_map_as_AWS_maps_them(string dataType, string columnType, ParquetColumnType expected) =>
        Assert.Equal(expected, ExportTypeMapping.MySql("c", dataType, columnType, 10, 2).Type);

    [Fact]
    public void A_MySql_decimal_keeps_its_precision_and_one_wider_than_dotnet_goes_as_text()
    {
        var money = ExportTypeMapping.MySql("m", "decimal", "decimal(10,2)", 10, 2);
        Assert.Equal((ParquetColumnType.Decimal, 10, 2), (money.Type, money.Precision, money.Scale));
        var unsigned = ExportTypeMapping.MySql("u", "bigint", "bigint(20) unsigned", 20, 0);
        Assert.Equal((20, 0), (unsigned.Precision, unsigned.Scale));
        var wide = ExportTypeMapping.MySql("w", "decimal", "decimal(40,5)", 40, 5);
        Assert.Equal((ParquetColumnType.String, "CAST(`w` AS CHAR)"), (wide.Type, wide.Select));
    }

    [Theory]
    [InlineData("bigint", ParquetColumnType.Int64)]
    [InlineData("integer", ParquetColumnType.Int32)]
    [InlineData("smallint", ParquetColumnType.Int16)]
    [InlineData("real", ParquetColumnType.Float)]
    [InlineData("double precision", ParquetColumnType.Double)]
    [InlineData("boolean", ParquetColumnType.Boolean)]
    [InlineData("bytea", ParquetColumnType.Binary)]
    [InlineData("numeric", ParquetColumnType.String)]
    [InlineData("timestamp without time zone", ParquetColumnType.String)]
    [InlineData("ARRAY", ParquetColumnType.String)]
    [InlineData("uuid", ParquetColumnType.String)]
    public void Postgres_types_map_as_AWS_maps_them(string dataType, ParquetColumnType expected) =>
        Assert.Equal(expected, ExportTypeMapping.Postgres("c", dataType).Type);

    [Fact]
    public void Postgres_text_types_are_selected_in_their_text_form_with_the_name_quoted() =>
        Assert.Equal("\"we\"\"ird\"::text", ExportTypeMapping.Postgres("we\"ird", "numeric").Select);

    [Fact]
    public void ExportOnly_names_a_database_a_schema_or_a_table_and_the_folder_replaces_what_AWS_replaces()
    {
        var mysql = new ExportTable("shop", "shop", "orders", "`shop`.`orders`", []);
        Assert.True(mysql.IsNamedBy("shop", schemaIsDatabase: true));
        Assert.True(mysql.IsNamedBy("shop.orders", schemaIsDatabase: true));
        Assert.False(mysql.IsNamedBy("shop.people", schemaIsDatabase: true));
        var postgres = new ExportTable("app", "sales", "my items", "\"sales\".\"my items\"", []);
        Assert.True(postgres.IsNamedBy("app.sales", schemaIsDatabase: false));
        Assert.False(postgres.IsNamedBy("app.public", schemaIsDatabase: false));
        Assert.False(postgres.IsNamedBy("other", schemaIsDatabase: false));
        Assert.Equal("app/sales.my_items", postgres.Folder);
    }
}
