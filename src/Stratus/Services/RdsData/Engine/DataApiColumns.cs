using System.Data.Common;

namespace Stratus.Services.RdsData.Engine;

/// <summary>ColumnMetadata's common part: JDBC's java.sql.Types codes by the column's .NET type, which the Data API reports as `type`.</summary>
public static class DataApiColumns
{
    public const int Bit = -7, TinyInt = -6, SmallInt = 5, Integer = 4, BigInt = -5, Real = 7, Double = 8, Numeric = 2, Decimal = 3,
        Char = 1, VarChar = 12, LongVarChar = -1, Date = 91, Time = 92, Timestamp = 93, Binary = -2, VarBinary = -3, LongVarBinary = -4, Other = 1111, Array = 2003;

    public static int JdbcType(Type? type) => type switch
    {
        _ when type == typeof(bool) => Bit,
        _ when type == typeof(sbyte) || type == typeof(byte) => TinyInt,
        _ when type == typeof(short) || type == typeof(ushort) => SmallInt,
        _ when type == typeof(int) || type == typeof(uint) => Integer,
        _ when type == typeof(long) || type == typeof(ulong) => BigInt,
        _ when type == typeof(float) => Real,
        _ when type == typeof(double) => Double,
        _ when type == typeof(decimal) => Decimal,
        _ when type == typeof(string) => VarChar,
        _ when type == typeof(DateOnly) => Date,
        _ when type == typeof(TimeSpan) || type == typeof(TimeOnly) => Time,
        _ when type == typeof(DateTime) || type == typeof(DateTimeOffset) => Timestamp,
        _ when type == typeof(byte[]) => VarBinary,
        _ when type is { IsArray: true } => Array,
        _ => Other,
    };

    public static bool IsSigned(Type? type) =>
        type == typeof(sbyte) || type == typeof(short) || type == typeof(int) || type == typeof(long)
        || type == typeof(float) || type == typeof(double) || type == typeof(decimal);

    /// <summary>JDBC's nullability: 0 no nulls, 1 nullable, 2 unknown.</summary>
    public static int Nullable(DbColumn column) => column.AllowDBNull switch { false => 0, true => 1, null => 2 };

    public static DataApiColumn Describe(DbColumn column, string typeName, int type, bool isCaseSensitive, bool isCurrency = false, int arrayBaseColumnType = 0) => new(
        column.BaseColumnName ?? column.ColumnName, column.ColumnName, type, typeName, column.BaseSchemaName ?? "", column.BaseTableName ?? "",
        column.IsAutoIncrement ?? false, IsSigned(column.DataType), isCurrency, isCaseSensitive, Nullable(column),
        column.NumericPrecision ?? column.ColumnSize ?? 0, column.NumericScale ?? 0, arrayBaseColumnType);
}
