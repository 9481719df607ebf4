namespace Stratus.Services.Rds.Engine.Export;

/// <summary>
/// How each engine's column types become Parquet types, as AWS's "Data conversion when exporting to an Amazon S3 bucket"
/// maps them, and the SQL that reads a column in that form.
/// </summary>
public static class ExportTypeMapping
{
    /// <summary>The largest DECIMAL precision written as a Parquet DECIMAL: .NET's decimal holds 28 digits; wider ones go as text.</summary>
    public const int MaxDecimalPrecision = 28;

    /// <summary>
    /// MySQL and MariaDB (information_schema's DATA_TYPE and COLUMN_TYPE): integers by width and sign (BIGINT UNSIGNED as
    /// DECIMAL(20,0), INT UNSIGNED as INT64), DECIMAL as DECIMAL(p,s), FLOAT and DOUBLE as DOUBLE, DATE as DATE, DATETIME and
    /// TIMESTAMP as TIMESTAMP(MICROS), TIME as TIME(MICROS), YEAR as INT32, binary strings, BLOBs, BIT and spatial types as
    /// BYTE_ARRAY, every other type (CHAR, VARCHAR, TEXT, ENUM, SET, JSON) as a UTF-8 STRING.
    /// </summary>
    public static ExportColumn MySql(string name, string dataType, string columnType, int precision, int scale)
    {
        var column = "`" + name.Replace("`", "``") + "`";
        var original = columnType;
        var unsigned = columnType.Contains("unsigned", StringComparison.OrdinalIgnoreCase);
        return dataType.ToLowerInvariant() switch
        {
            "tinyint" or "smallint" or "mediumint" or "year" => new(name, original, ParquetColumnType.Int32, column),
            "int" or "integer" => new(name, original, unsigned ? ParquetColumnType.Int64 : ParquetColumnType.Int32, column),
            "bigint" => unsigned ? new(name, original, ParquetColumnType.Decimal, column, 20, 0) : new(name, original, ParquetColumnType.Int64, column),
            "decimal" or "numeric" => precision <= MaxDecimalPrecision
                ? new(name, original, ParquetColumnType.Decimal, column, precision, scale)
                : new(name, original, ParquetColumnType.String, $"CAST({column} AS CHAR)"),
            "float" or "double" or "real" => new(name, original, ParquetColumnType.Double, column),
            "date" => new(name, original, ParquetColumnType.Date, column),
            "datetime" or "timestamp" => new(name, original, ParquetColumnType.Timestamp, column),
            "time" => new(name, original, ParquetColumnType.Time, column),
            "bit" => new(name, original, ParquetColumnType.Binary, $"CAST({column} AS BINARY)"),
            "binary" or "varbinary" or "tinyblob" or "blob" or "mediumblob" or "longblob" => new(name, original, ParquetColumnType.Binary, column),
            "geometry" or "point" or "linestring" or "polygon" or "multipoint" or "multilinestring" or "multipolygon" or "geometrycollection"
                => new(name, original, ParquetColumnType.Binary, $"ST_AsBinary({column})"),
            _ => new(name, original, ParquetColumnType.String, $"CAST({column} AS CHAR)"),
        };
    }

    /// <summary>
    /// PostgreSQL (information_schema's data_type): BIGINT as INT64, INTEGER as INT32, SMALLINT as INT32 annotated INT(16),
    /// REAL as FLOAT, DOUBLE PRECISION as DOUBLE, BOOLEAN as BOOLEAN, BYTEA as BYTE_ARRAY; every other type (NUMERIC, MONEY,
    /// dates and times, arrays, JSON, UUID, network, geometric, ranges, enums, ...) as its text form in a UTF-8 STRING, as AWS
    /// writes them to avoid precision and NaN trouble.
    /// </summary>
    public static ExportColumn Postgres(string name, string dataType)
    {
        var column = "\"" + name.Replace("\"", "\"\"") + "\"";
        var original = dataType;
        return dataType switch
        {
            "bigint" => new(name, original, ParquetColumnType.Int64, column),
            "integer" => new(name, original, ParquetColumnType.Int32, column),
            "smallint" => new(name, original, ParquetColumnType.Int16, column),
            "real" => new(name, original, ParquetColumnType.Float, column),
            "double precision" => new(name, original, ParquetColumnType.Double, column),
            "boolean" => new(name, original, ParquetColumnType.Boolean, column),
            "bytea" => new(name, original, ParquetColumnType.Binary, column),
            _ => new(name, original, ParquetColumnType.String, column + "::text"),
        };
    }
}
