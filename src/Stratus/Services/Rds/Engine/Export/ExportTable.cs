namespace Stratus.Services.Rds.Engine.Export;

/// <summary>The Parquet column a database column is exported as (AWS's "Data conversion when exporting to an Amazon S3 bucket").</summary>
public enum ParquetColumnType
{
    Int32,
    /// <summary>INT32 annotated INT(16), as AWS writes PostgreSQL's SMALLINT.</summary>
    Int16,
    Int64,
    Float,
    Double,
    Boolean,
    /// <summary>DECIMAL(p,s): INT32, INT64 or a fixed-length byte array by precision.</summary>
    Decimal,
    /// <summary>BYTE_ARRAY annotated STRING (UTF-8).</summary>
    String,
    /// <summary>BYTE_ARRAY without annotation.</summary>
    Binary,
    /// <summary>INT32 annotated DATE.</summary>
    Date,
    /// <summary>INT64 annotated TIMESTAMP(MICROS), not adjusted to UTC.</summary>
    Timestamp,
    /// <summary>INT64 annotated TIME(MICROS).</summary>
    Time,
}

/// <summary>A column to export: its name, its type in the database, the Parquet type it becomes and the SQL that selects it in that form.</summary>
public sealed record ExportColumn(string Name, string OriginalType, ParquetColumnType Type, string Select, int Precision = 0, int Scale = 0);

/// <summary>
/// A user table of a snapshot's database: MariaDB's database is also its schema (AWS names MySQL tables database.table),
/// PostgreSQL's tables sit in a schema of a database. <see cref="From"/> is the table as the engine's SQL names it.
/// </summary>
public sealed record ExportTable(string Database, string Schema, string Name, string From, IReadOnlyList<ExportColumn> Columns)
{
    /// <summary>The table's folder under the export: DATABASE/SCHEMA.TABLE, the characters AWS replaces replaced.</summary>
    public string Folder => $"{PathSafe(Database)}/{PathSafe(Schema)}.{PathSafe(Name)}";

    /// <summary>
    /// Whether an ExportOnly entry names this table or what holds it: "database", "database.table" (MySQL, whose schema is the
    /// database), "database.schema" and "database.schema.table" (PostgreSQL).
    /// </summary>
    public bool IsNamedBy(string entry, bool schemaIsDatabase)
    {
        var parts = entry.Split('.');
        string[] path = schemaIsDatabase ? [Database, Name] : [Database, Schema, Name];
        return parts.Length <= path.Length && parts.Select((part, i) => part == path[i]).All(same => same);
    }

    /// <summary>AWS turns a backslash, backquote, double quote and space in an S3 path into an underscore.</summary>
    private static string PathSafe(string name) => string.Concat(name.Select(c => c is '\\' or '`' or '"' or ' ' ? '_' : c));
}
